package teststate

import "context"

// HTTPTrace receives the request and response of an HTTP Task that
// TestState runs at the TRACE level. The HTTP integration finds it in the
// call's context (HTTPTraceFrom) and fills it in.
type HTTPTrace struct {
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
