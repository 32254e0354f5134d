package daemon

import (
	"strconv"

	"github.com/VictoriaMetrics/metrics"
)

// Process-wide metrics, next to the code that counts them. /metrics
// serves them with the Go runtime and process metrics.
var (
	inFlightGauge     = metrics.NewCounter(`stepd_executions_in_flight`)
	throttledTotal    = metrics.NewCounter(`stepd_executions_throttled_total`)
	panicsTotal       = metrics.NewCounter(`stepd_http_panics_total`)
	transitionsTotal  = metrics.NewCounter(`stepd_state_transitions_total`)
	executionDuration = metrics.NewHistogram(`stepd_execution_duration_seconds`)
)

// machineMetrics are one state machine's execution counters, created when
// the machine is registered so that counting an execution is an atomic
// add, not a lookup by name.
type machineMetrics struct {
	byStatus [4]*metrics.Counter // indexed by fastpath.Status
}

func newMachineMetrics(name string) *machineMetrics {
	m := &machineMetrics{}
	for i, status := range []string{"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"} {
		m.byStatus[i] = metrics.GetOrCreateCounter(`stepd_executions_total{state_machine=` + strconv.Quote(name) + `,status="` + status + `"}`)
	}
	return m
}

// httpMetrics counts one API action's requests by status code. The
// counters of the usual codes are made when the action table is built, so
// counting them reads a map that never changes; any other code is looked
// up by name (under the metrics package's lock) when it happens.
type httpMetrics struct {
	action string
	byCode map[int]*metrics.Counter
}

func newHTTPMetrics(action string) *httpMetrics {
	h := &httpMetrics{action: action, byCode: map[int]*metrics.Counter{}}
	for _, code := range []int{200, 400, 500} {
		h.byCode[code] = h.counter(code)
	}
	return h
}

func (h *httpMetrics) counter(code int) *metrics.Counter {
	return metrics.GetOrCreateCounter(`stepd_http_requests_total{action="` + h.action + `",code="` + strconv.Itoa(code) + `"}`)
}

// count records one request answered with status code.
func (h *httpMetrics) count(code int) {
	if c, ok := h.byCode[code]; ok {
		c.Inc()
		return
	}
	h.counter(code).Inc()
}
