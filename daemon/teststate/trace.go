package teststate

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"sync"
)

// HTTPTrace receives the request and response of an HTTP Task that
// TestState runs at the TRACE level. The HTTP integration finds it in the
// call's context (HTTPTraceFrom) and calls Record.
type HTTPTrace struct {
	// Reveal shows what an EventBridge connection adds to the request
	// (its authorization and parameters); without it their values are
	// hidden, as AWS hides them unless revealSecrets is set.
	Reveal bool

	mu       sync.Mutex
	Request  *HTTPRequest
	Response *HTTPResponse
}

type traceKey struct{}

// WithHTTPTrace returns ctx carrying tr.
func WithHTTPTrace(ctx context.Context, tr *HTTPTrace) context.Context {
	return context.WithValue(ctx, traceKey{}, tr)
}

// HTTPTraceFrom returns the trace that ctx carries, or nil: the HTTP
// integration calls it once per request, and outside TestState it costs
// one context lookup.
func HTTPTraceFrom(ctx context.Context) *HTTPTrace {
	tr, _ := ctx.Value(traceKey{}).(*HTTPTrace)
	return tr
}

// secretHeaders are the headers a connection's authorization sets.
var secretHeaders = map[string]bool{"Authorization": true, "X-Api-Key": true}

// Record keeps one exchange: the request sent with its body, and the
// response received with its body. Headers are JSON objects of arrays.
func (tr *HTTPTrace) Record(req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	tr.Request = &HTTPRequest{
		Protocol: req.Proto, Method: req.Method, URL: req.URL.String(),
		Headers: headersText(req.Header, !tr.Reveal), Body: string(reqBody),
	}
	if req.Proto == "" {
		tr.Request.Protocol = "HTTP/1.1"
	}
	tr.Response = &HTTPResponse{
		Protocol: resp.Proto, StatusCode: strconv.Itoa(resp.StatusCode), StatusMessage: http.StatusText(resp.StatusCode),
		Headers: headersText(resp.Header, false), Body: string(respBody),
	}
}

func headersText(h http.Header, hide bool) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make(map[string][]string, len(h))
	for _, k := range names {
		v := h[k]
		if hide && secretHeaders[http.CanonicalHeaderKey(k)] {
			v = []string{"<redacted>"}
		}
		out[k] = v
	}
	b, _ := json.Marshal(out)
	return string(b)
}
