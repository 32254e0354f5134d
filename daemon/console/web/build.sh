#!/usr/bin/env bash
# Builds the console into ../dist, which the Go package embeds (every file
# gzip-encoded). Run it after
# changing src/ and commit dist/ with the change: the Go build needs no Node.
# Versions are pinned in package.json and package-lock.json (npm ci).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund
out=../dist
rm -rf "$out"
mkdir -p "$out"
# One ES module for the page; the layout engine runs in a Web Worker, a
# separate file from the elkjs package as it ships.
node_modules/.bin/esbuild src/main.js --bundle --minify --format=esm --target=es2020 \
  --legal-comments=eof --outfile="$out/app.js"
node_modules/.bin/esbuild src/app.css --minify --outfile="$out/app.css"
# The page, without the indentation and line breaks (its text never spans lines).
sed -e 's/^[[:space:]]*//' src/index.html | tr -d '\n' >"$out/index.html"
cp node_modules/elkjs/lib/elk-worker.min.js "$out/"
cp node_modules/elkjs/LICENSE.md "$out/elkjs-LICENSE.md"
# Stored gzip-encoded, as browsers are sent them: a smaller binary, and no
# compressing at run time (-n: no name or time inside, so builds repeat).
gzip -9 -n "$out"/*
ls -l "$out"
