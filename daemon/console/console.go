package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"sync"

	"github.com/valyala/fasthttp"
)

// Prefix is the path the console is served under; Root, without the
// trailing slash, redirects to it.
const (
	Prefix = "/console/"
	Root   = "/console"
)

//go:embed dist
var distFS embed.FS

// contentSecurityPolicy allows only the console's own scripts, styles and
// API calls: no inline code, no third party, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; worker-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'"

// contentTypes are the types of the files dist/ holds; a table of our own
// rather than package mime, whose answers depend on the host's mime.types.
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".md":   "text/markdown; charset=utf-8",
}

// asset is one embedded file. dist/ holds every file gzip-encoded (as
// build.sh writes it), which is what browsers are sent; the plain bytes
// are made on first use, for a client that does not accept gzip.
type asset struct {
	gzipped     []byte
	contentType string
	etag        string

	plainOnce sync.Once
	plain     []byte
}

// body returns the file's plain bytes.
func (a *asset) body() []byte {
	a.plainOnce.Do(func() {
		r, err := gzip.NewReader(bytes.NewReader(a.gzipped))
		if err == nil {
			a.plain, err = io.ReadAll(r)
		}
		if err != nil {
			panic("BUG: an embedded console file is not gzip: " + err.Error())
		}
	})
	return a.plain
}

// assets maps a path below Prefix ("" for the index) to its file.
var assets = loadAssets()

func loadAssets() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(distFS, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		name, ok := strings.CutSuffix(strings.TrimPrefix(p, "dist/"), ".gz")
		if !ok {
			return fmt.Errorf("%s is not gzip-encoded", p)
		}
		gz, err := distFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(gz)
		ct := contentTypes[path.Ext(name)]
		if ct == "" {
			ct = "application/octet-stream"
		}
		m[name] = &asset{gzipped: gz, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
		return nil
	})
	if err != nil {
		panic("BUG: cannot read the embedded console: " + err.Error())
	}
	if m["index.html"] == nil {
		panic("BUG: the embedded console has no index.html; run daemon/console/web/build.sh")
	}
	m[""] = m["index.html"]
	return m
}

// Owns reports whether path is the console's: Root or anything under
// Prefix.
func Owns(path []byte) bool {
	return bytes.HasPrefix(path, []byte(Prefix)) || string(path) == Root
}

// Serve answers a GET or HEAD for a path Owns: the console's files, with
// Root redirected to Prefix. Files are revalidated with their ETag on every
// load (the console must never run stale code against a newer server) and
// sent gzip-encoded to clients that accept it. Safe for concurrent use.
func Serve(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Response.Header.Set("Allow", "GET, HEAD")
		ctx.Error("method not allowed\n", fasthttp.StatusMethodNotAllowed)
		return
	}
	p := string(ctx.Path())
	if p == Root {
		ctx.Redirect(Prefix, fasthttp.StatusMovedPermanently)
		return
	}
	a := assets[strings.TrimPrefix(p, Prefix)]
	if a == nil {
		ctx.Error("not found\n", fasthttp.StatusNotFound)
		return
	}
	h := &ctx.Response.Header
	h.Set("Cache-Control", "no-cache")
	h.Set("ETag", a.etag)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	if string(ctx.Request.Header.Peek("If-None-Match")) == a.etag {
		ctx.SetStatusCode(fasthttp.StatusNotModified)
		return
	}
	h.SetContentType(a.contentType)
	if ctx.Request.Header.HasAcceptEncoding("gzip") {
		h.Set("Content-Encoding", "gzip")
		ctx.SetBody(a.gzipped)
		return
	}
	ctx.SetBody(a.body())
}
