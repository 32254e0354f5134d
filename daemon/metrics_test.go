package daemon

import (
	"bytes"
	"context"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/testtool"
)

// TestMetricsLint: /metrics passes Prometheus's own linter (promtool check
// metrics: every family has help text and a conventional name for its
// type), and the duration histograms have the le buckets that
// histogram_quantile reads.
func TestMetricsLint(t *testing.T) {
	promtool := testtool.Need(t, "promtool", "prometheus")
	newHTTPMetrics("LintAction").done(200, time.Now().Add(-3*time.Millisecond))
	var b bytes.Buffer
	writeMetrics(&b)
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(b.Bytes())
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}
	for _, want := range []string{
		"# HELP stepd_http_request_duration_seconds Time from reading",
		"# TYPE stepd_http_request_duration_seconds histogram",
		`stepd_http_request_duration_seconds_bucket{action="LintAction",le="0.0025"} 0`,
		`stepd_http_request_duration_seconds_bucket{action="LintAction",le="0.005"} 1`,
		`stepd_http_request_duration_seconds_bucket{action="LintAction",le="+Inf"} 1`,
		"# TYPE stepd_execution_duration_seconds histogram",
		"# TYPE stepd_executions_in_flight gauge",
		"# TYPE go_cgo_calls_total counter",
		"# TYPE process_io_read_bytes_total counter",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("/metrics has no line %q", want)
		}
	}
	if vm := regexp.MustCompile(`(?m)^.*vmrange.*$`).FindString(b.String()); vm != "" {
		t.Errorf("a VictoriaMetrics histogram, which Prometheus cannot read: %s", vm)
	}
}

// TestMetricLineRewrite: the rewrite of the metrics package's lines, as
// metricHelp says, line by line.
func TestMetricLineRewrite(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"# HELP go_goroutines", "# HELP go_goroutines Goroutines that exist now.\n"},
		{"# HELP go_cgo_calls_count", "# HELP go_cgo_calls_total Calls into C code.\n"},
		{"# TYPE go_cgo_calls_count counter", "# TYPE go_cgo_calls_total counter\n"},
		{"go_cgo_calls_count 7", "go_cgo_calls_total 7\n"},
		{"# TYPE process_io_read_bytes_total gauge", "# TYPE process_io_read_bytes_total counter\n"},
		{`stepd_executions_total{state_machine="a b",status="FAILED"} 3`, `stepd_executions_total{state_machine="a b",status="FAILED"} 3` + "\n"},
		{"# HELP unknown_family", "# HELP unknown_family\n"},
		{"bare", "bare\n"},
	} {
		if got := string(appendMetricLine(nil, []byte(tc.in))); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

// fakeInvoker answers every Task at once: an error for a resource
// ending in "fail".
type fakeInvoker struct{}

func (fakeInvoker) Invoke(_ context.Context, task *fastpath.Task, _, dst []byte) ([]byte, []byte, error) {
	if strings.HasSuffix(task.Resource, "fail") {
		return nil, dst, &fastpath.Failure{Name: "Custom.Error"}
	}
	return []byte(`{}`), dst, nil
}

// TestTaskMetrics: Task calls are counted by integration and outcome and
// timed in a histogram per integration.
func TestTaskMetrics(t *testing.T) {
	inv := newTimedInvoker(fakeInvoker{})
	ctx := context.Background()
	for _, res := range []string{"arn:aws:states:::metricsok:send", "arn:aws:states:::metricsok:send", "arn:aws:states:::metricsbad:fail"} {
		if _, _, err := inv.Invoke(ctx, &fastpath.Task{Resource: res}, []byte(`{}`), nil); (err != nil) != strings.HasSuffix(res, "fail") {
			t.Fatalf("%s: %v", res, err)
		}
	}
	var b bytes.Buffer
	writeMetrics(&b)
	for _, want := range []string{
		`stepd_task_calls_total{integration="metricsok",outcome="ok"} 2`,
		`stepd_task_calls_total{integration="metricsok",outcome="error"} 0`,
		`stepd_task_calls_total{integration="metricsbad",outcome="error"} 1`,
		`stepd_task_duration_seconds_count{integration="metricsok"} 2`,
		`stepd_task_duration_seconds_bucket{integration="metricsbad",le="+Inf"} 1`,
		"# HELP stepd_task_duration_seconds Time of one Task call",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("/metrics has no line %q", want)
		}
	}
}
