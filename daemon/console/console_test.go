package console

import (
	"bytes"
	"compress/gzip"
	"io"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// serve answers one request with Serve.
func serve(method, path string, header map[string]string) *fasthttp.Response {
	var ctx fasthttp.RequestCtx
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(path)
	for k, v := range header {
		ctx.Request.Header.Set(k, v)
	}
	Serve(&ctx)
	var resp fasthttp.Response
	ctx.Response.CopyTo(&resp)
	return &resp
}

func TestServe(t *testing.T) {
	for _, tc := range []struct {
		method, path string
		status       int
		contentType  string
		bodyHas      string
	}{
		{"GET", "/console/", 200, "text/html; charset=utf-8", `<script type="module" src="app.js">`},
		{"HEAD", "/console/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/console/index.html", 200, "text/html; charset=utf-8", "<title>stepd console</title>"},
		{"GET", "/console/app.js", 200, "text/javascript; charset=utf-8", "AWSStepFunctions."},
		{"GET", "/console/app.css", 200, "text/css; charset=utf-8", "prefers-color-scheme:dark"},
		{"GET", "/console/elk-worker.min.js", 200, "text/javascript; charset=utf-8", ""},
		{"GET", "/console/nope.js", 404, "", "not found"},
		{"GET", "/console/../server.go", 404, "", ""},
		{"POST", "/console/", 405, "", "method not allowed"},
	} {
		resp := serve(tc.method, tc.path, nil)
		if resp.StatusCode() != tc.status {
			t.Errorf("%s %s: status %d, want %d", tc.method, tc.path, resp.StatusCode(), tc.status)
			continue
		}
		if tc.contentType != "" && string(resp.Header.ContentType()) != tc.contentType {
			t.Errorf("%s %s: Content-Type %q, want %q", tc.method, tc.path, resp.Header.ContentType(), tc.contentType)
		}
		if !strings.Contains(string(resp.Body()), tc.bodyHas) {
			t.Errorf("%s %s: body %.200q does not contain %q", tc.method, tc.path, resp.Body(), tc.bodyHas)
		}
		if tc.status == 200 && !strings.Contains(string(resp.Header.Peek("Content-Security-Policy")), "script-src 'self'") {
			t.Errorf("%s %s: no Content-Security-Policy", tc.method, tc.path)
		}
	}
}

func TestServeRedirectsRoot(t *testing.T) {
	resp := serve("GET", Root, nil)
	if resp.StatusCode() != fasthttp.StatusMovedPermanently || !strings.HasSuffix(string(resp.Header.Peek("Location")), Prefix) {
		t.Errorf("GET %s: %d Location %q, want 301 to %s", Root, resp.StatusCode(), resp.Header.Peek("Location"), Prefix)
	}
}

func TestServeRevalidatesWithETag(t *testing.T) {
	first := serve("GET", "/console/app.js", nil)
	etag := string(first.Header.Peek("ETag"))
	if etag == "" || string(first.Header.Peek("Cache-Control")) != "no-cache" {
		t.Fatalf("ETag %q, Cache-Control %q; want an ETag and no-cache", etag, first.Header.Peek("Cache-Control"))
	}
	if again := serve("GET", "/console/app.js", map[string]string{"If-None-Match": etag}); again.StatusCode() != fasthttp.StatusNotModified || len(again.Body()) != 0 {
		t.Errorf("If-None-Match with the ETag: %d with %d bytes, want 304 and no body", again.StatusCode(), len(again.Body()))
	}
}

func TestServeGzip(t *testing.T) {
	plain := serve("GET", "/console/elk-worker.min.js", nil)
	zipped := serve("GET", "/console/elk-worker.min.js", map[string]string{"Accept-Encoding": "gzip, br"})
	if string(zipped.Header.Peek("Content-Encoding")) != "gzip" || len(zipped.Body()) >= len(plain.Body())/2 {
		t.Fatalf("Content-Encoding %q, %d bytes of %d: want gzip, well compressed", zipped.Header.Peek("Content-Encoding"), len(zipped.Body()), len(plain.Body()))
	}
	r, err := gzip.NewReader(bytes.NewReader(zipped.Body()))
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	if err != nil || !bytes.Equal(got, plain.Body()) {
		t.Errorf("the gzip body does not decode to the file (%v)", err)
	}
}

// TestIndexReferencesEmbeddedFiles checks that the built page loads only
// files the binary has: a stale or partial dist/ fails here, not in a
// browser.
func TestIndexReferencesEmbeddedFiles(t *testing.T) {
	index := string(assets["index.html"].body())
	refs := regexp.MustCompile(`(?:src|href)="([^"#:]+)"`).FindAllStringSubmatch(index, -1)
	if len(refs) < 2 {
		t.Fatalf("index.html references %v, want app.js and app.css", refs)
	}
	for _, m := range refs {
		if assets[m[1]] == nil {
			t.Errorf("index.html references %s, which dist/ does not have", m[1])
		}
	}
	if !bytes.Contains(assets["app.js"].body(), []byte("elk-worker.min.js")) || assets["elk-worker.min.js"] == nil {
		t.Error("app.js does not start the ELK worker that dist/ embeds")
	}
}

func TestOwns(t *testing.T) {
	for path, want := range map[string]bool{"/console": true, "/console/": true, "/console/app.js": true, "/consoles": false, "/": false, "/v1/console": false} {
		if got := Owns([]byte(path)); got != want {
			t.Errorf("Owns(%q) = %v, want %v", path, got, want)
		}
	}
}

// TestScripts runs the unit tests of the console's JavaScript (web/test)
// with Node, when it is installed; the browser test in daemon/ covers the
// console as a whole without it.
func TestScripts(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	// node --test and node:test came with Node 18.
	v, err := exec.Command(node, "--version").Output()
	if major, _ := strconv.Atoi(strings.SplitN(strings.TrimPrefix(strings.TrimSpace(string(v)), "v"), ".", 2)[0]); err != nil || major < 18 {
		t.Skipf("node %s is older than 18", bytes.TrimSpace(v))
	}
	out, err := exec.Command(node, "--test", "web/test/").CombinedOutput()
	if err != nil {
		t.Fatalf("node --test web/test/: %v\n%s", err, out)
	}
}
