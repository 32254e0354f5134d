package daemon

import (
	"context"

	"github.com/stepd/stepd/fastpath"
)

// httpInvoker runs HTTP Tasks (arn:aws:states:::http:invoke).
type httpInvoker struct {
	cfg HTTPConfig
}

func newHTTPInvoker(cfg HTTPConfig) *httpInvoker { return &httpInvoker{cfg: cfg} }

func (h *httpInvoker) invoke(ctx context.Context, task *fastpath.Task, input, dst []byte) ([]byte, []byte, error) {
	return nil, dst, &fastpath.Failure{Name: fastpath.ErrTaskFailed, Cause: "HTTP Tasks are not supported yet"}
}
