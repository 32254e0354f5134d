package daemon

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/fastpath"
)

// timedInvoker counts and times every Task call of the Invoker it wraps,
// by integration (stepd_task_calls_total, stepd_task_duration_seconds). A
// mock test case wraps it in turn, so mocked states are not counted. Safe
// for concurrent use.
type timedInvoker struct {
	inner fastpath.Invoker
	// byResource holds a *taskMetrics per Task resource: a program's
	// resources are few and fixed, so after the first call of each a
	// Task's metrics are a lock-free load, not a lookup by name.
	byResource sync.Map
}

var _ fastpath.Invoker = (*timedInvoker)(nil)

// taskMetrics are one integration's Task call metrics.
type taskMetrics struct {
	duration  *metrics.PrometheusHistogram
	ok, error *metrics.Counter
}

func newTimedInvoker(inner fastpath.Invoker) *timedInvoker { return &timedInvoker{inner: inner} }

// Invoke calls the wrapped Invoker and records the call's time and
// outcome. The outcome is ok or error, not the error's name: a Lambda
// function names its own errors, which would make a label without bound.
func (t *timedInvoker) Invoke(ctx context.Context, task *fastpath.Task, input, dst []byte) ([]byte, []byte, error) {
	m := t.metricsFor(task.Resource)
	start := time.Now()
	out, dst, err := t.inner.Invoke(ctx, task, input, dst)
	m.duration.UpdateDuration(start)
	if err != nil {
		m.error.Inc()
	} else {
		m.ok.Inc()
	}
	return out, dst, err
}

func (t *timedInvoker) metricsFor(resource string) *taskMetrics {
	if m, ok := t.byResource.Load(resource); ok {
		return m.(*taskMetrics)
	}
	label := `integration=` + strconv.Quote(integrations.Name(resource))
	m := &taskMetrics{
		duration: newDurationHistogram(`stepd_task_duration_seconds{` + label + `}`),
		ok:       metrics.GetOrCreateCounter(`stepd_task_calls_total{` + label + `,outcome="ok"}`),
		error:    metrics.GetOrCreateCounter(`stepd_task_calls_total{` + label + `,outcome="error"}`),
	}
	actual, _ := t.byResource.LoadOrStore(resource, m)
	return actual.(*taskMetrics)
}
