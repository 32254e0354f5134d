package daemon

import (
	"bytes"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// Process-wide metrics, next to the code that counts them. /metrics
// serves them with the Go runtime and process metrics, in Prometheus's
// text format with # HELP (metricHelp) and # TYPE lines.
var (
	inFlightGauge     = new(intGauge)
	_                 = metrics.NewGauge(`stepd_executions_in_flight`, func() float64 { return float64(inFlightGauge.Load()) })
	throttledTotal    = metrics.NewCounter(`stepd_executions_throttled_total`)
	panicsTotal       = metrics.NewCounter(`stepd_http_panics_total`)
	transitionsTotal  = metrics.NewCounter(`stepd_state_transitions_total`)
	executionDuration = newDurationHistogram(`stepd_execution_duration_seconds`)
)

func init() { metrics.ExposeMetadata(true) }

// intGauge is a gauge that goes up and down by one, an atomic add (the
// metrics package's Gauge takes a compare-and-swap loop on a float).
type intGauge struct{ atomic.Int64 }

// Inc adds one.
func (g *intGauge) Inc() { g.Add(1) }

// Dec takes one away.
func (g *intGauge) Dec() { g.Add(-1) }

// durationBuckets are the upper bounds (seconds) of every duration
// histogram: an Express execution or a Task call takes from a few
// microseconds to five minutes, and a quantile is only as fine as the
// buckets around it, so they step by 2-2.5x from 10 µs.
var durationBuckets = []float64{0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300}

// newDurationHistogram is a Prometheus histogram (le buckets, which
// histogram_quantile reads) of durationBuckets, created once per name.
func newDurationHistogram(name string) *metrics.PrometheusHistogram {
	return metrics.GetOrCreatePrometheusHistogramExt(name, durationBuckets)
}

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

// httpMetrics counts one API action's requests by status code and times
// them. The counters of the usual codes are made when the action table is
// built, so counting them reads a map that never changes; any other code
// is looked up by name (under the metrics package's lock) when it
// happens.
type httpMetrics struct {
	action   string
	byCode   map[int]*metrics.Counter
	duration atomic.Pointer[metrics.PrometheusHistogram] // made on first use: /metrics lists no actions never called
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

// done records one request that began at start (fasthttp's ctx.Time(),
// when the request had been read), answered with code.
func (h *httpMetrics) done(code int, start time.Time) {
	h.count(code)
	d := h.duration.Load()
	if d == nil {
		d = newDurationHistogram(`stepd_http_request_duration_seconds{action="` + h.action + `"}`)
		h.duration.Store(d)
	}
	d.UpdateDuration(start)
}

// metricsBuffers hold /metrics answers while their # HELP lines are
// filled in.
var metricsBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// writeMetrics writes every metric to w in Prometheus's text format, each
// family with its # HELP text, name and # TYPE from metricHelp.
func writeMetrics(w io.Writer) {
	b := metricsBuffers.Get().(*bytes.Buffer)
	defer metricsBuffers.Put(b)
	b.Reset()
	metrics.WritePrometheus(b, true)
	out := make([]byte, 0, b.Len()+len(metricHelp)*64)
	for rest := b.Bytes(); len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i], rest[i+1:]
		} else {
			rest = nil
		}
		out = appendMetricLine(out, line)
	}
	_, _ = w.Write(out)
}

// appendMetricLine appends one line of the metrics package's exposition,
// a # HELP, a # TYPE or a sample, as metricHelp says its family is.
func appendMetricLine(out, line []byte) []byte {
	if fam, ok := bytes.CutPrefix(line, []byte("# HELP ")); ok {
		f := metricHelp[string(fam)]
		out = append(append(out, "# HELP "...), f.name(fam)...)
		if f.help != "" {
			out = append(append(out, ' '), f.help...)
		}
		return append(out, '\n')
	}
	if t, ok := bytes.CutPrefix(line, []byte("# TYPE ")); ok {
		fam, typ, _ := bytes.Cut(t, []byte(" "))
		f := metricHelp[string(fam)]
		if f.typ != "" {
			typ = []byte(f.typ)
		}
		out = append(append(out, "# TYPE "...), f.name(fam)...)
		return append(append(append(out, ' '), typ...), '\n')
	}
	end := bytes.IndexAny(line, "{ ")
	if end < 0 {
		return append(append(out, line...), '\n')
	}
	f := metricHelp[string(line[:end])]
	out = append(out, f.name(line[:end])...)
	return append(append(out, line[end:]...), '\n')
}

// name is the family's name in /metrics: its rename, or fam.
func (f metricFamily) name(fam []byte) []byte {
	if f.rename != "" {
		return []byte(f.rename)
	}
	return fam
}
