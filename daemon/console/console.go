package console

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
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

// asset is one embedded file, with its gzip encoding made on first use.
type asset struct {
	body        []byte
	contentType string
	etag        string

	gzipOnce sync.Once
	gzipped  []byte // nil when compressing does not make it smaller
}

// gz returns the gzip encoding of the asset, or nil if it is not worth it.
func (a *asset) gz() []byte {
	a.gzipOnce.Do(func() {
		var buf bytes.Buffer
		w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = w.Write(a.body)
		_ = w.Close()
		if buf.Len() < len(a.body)*9/10 {
			a.gzipped = buf.Bytes()
		}
	})
	return a.gzipped
}

// assets maps a path below Prefix ("" for the index) to its file.
var assets = loadAssets()

func loadAssets() map[string]*asset {
	m := map[string]*asset{}
	err := fs.WalkDir(distFS, "dist", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := distFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		ct := contentTypes[path.Ext(p)]
		if ct == "" {
			ct = "application/octet-stream"
		}
		m[strings.TrimPrefix(p, "dist/")] = &asset{body: body, contentType: ct, etag: `"` + hex.EncodeToString(sum[:12]) + `"`}
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
// load (they are small and the console must never run stale code against a
// newer server) and gzip-encoded for clients that accept it. Safe for
// concurrent use.
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
	body := a.body
	if gz := a.gz(); gz != nil && ctx.Request.Header.HasAcceptEncoding("gzip") {
		h.Set("Content-Encoding", "gzip")
		body = gz
	}
	ctx.SetBody(body)
}
