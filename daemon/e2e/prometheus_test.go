package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/internal/testtool"
)

// repoFile is the path of a file of the repository, from this package.
func repoFile(name string) string { return filepath.Join("..", "..", name) }

// promResult is the answer of Prometheus's /api/v1/query.
type promResult struct {
	Status    string `json:"status"`
	Error     string `json:"error"`
	ErrorType string `json:"errorType"`
	Data      struct {
		ResultType string `json:"resultType"`
		Result     []struct {
			Metric map[string]string `json:"metric"`
			Value  [2]any            `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// promQuery evaluates expr now on the Prometheus at base.
func promQuery(base, expr string) (promResult, error) {
	var r promResult
	resp, err := http.Get(base + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %s", err, b)
	}
	if r.Status != "success" {
		return r, fmt.Errorf("%s: %s: %s", expr, r.ErrorType, r.Error)
	}
	return r, nil
}

// positive is the one value of a query's vector, an error when there is
// none or it is not above zero.
func positive(r promResult) (float64, error) {
	if len(r.Data.Result) == 0 {
		return 0, fmt.Errorf("no series")
	}
	v, err := strconv.ParseFloat(fmt.Sprint(r.Data.Result[0].Value[1]), 64)
	if err != nil || v <= 0 {
		return v, fmt.Errorf("value %v (%v), want > 0", r.Data.Result[0].Value[1], err)
	}
	return v, nil
}

// TestPrometheusScrape: a real Prometheus (Debian's) scrapes a node every
// second while it runs executions, and its own query engine computes what
// the dashboard and the alerts ask: request rates, histogram_quantile over
// the le buckets of request and execution durations. Every query of
// deploy/grafana/stepd-dashboard.json evaluates without error, and
// promtool accepts the node's /metrics and deploy/prometheus/alerts.yml.
func TestPrometheusScrape(t *testing.T) {
	prometheus := testtool.Need(t, "prometheus", "prometheus")
	promtool := testtool.Need(t, "promtool", "prometheus")
	p := startStepd(t)
	if out, err := exec.Command(promtool, "check", "rules", repoFile("deploy/prometheus/alerts.yml")).CombinedOutput(); err != nil {
		t.Fatalf("promtool check rules: %v\n%s", err, out)
	}

	dir := t.TempDir()
	promAddr := freeAddr(t)
	cfg := fmt.Sprintf("global: {scrape_interval: 1s, evaluation_interval: 1s}\nrule_files: [%q]\nscrape_configs:\n  - job_name: stepd\n    static_configs: [{targets: [%q]}]\n",
		mustAbs(t, repoFile("deploy/prometheus/alerts.yml")), p.addr)
	if err := os.WriteFile(filepath.Join(dir, "prometheus.yml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(prometheus, "--config.file="+filepath.Join(dir, "prometheus.yml"), "--storage.tsdb.path="+filepath.Join(dir, "tsdb"),
		"--web.listen-address="+promAddr, "--log.level=warn")
	var plog strings.Builder
	cmd.Stdout, cmd.Stderr = &plog, &plog
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + promAddr

	r := awsCall(t, p, "CreateStateMachine", `{"name":"prom","type":"EXPRESS","roleArn":"arn:aws:iam::123456789012:role/r","definition":"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}"}`)
	if r.status != 200 {
		t.Fatalf("CreateStateMachine: %d %s", r.status, r.body)
	}
	metricsBody := do(t, http.DefaultClient, http.MethodGet, p.url()+"/metrics", nil, nil).body
	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = strings.NewReader(metricsBody)
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("promtool check metrics: %v\n%s", err, out)
	}

	// Executions until Prometheus has scraped enough of them for rate()
	// and histogram_quantile() over 10 s, and they answer above zero.
	start := `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:prom","input":"{}"}`
	queries := []string{
		`sum(rate(stepd_http_requests_total{action="StartSyncExecution",code="200"}[10s]))`,
		`sum(rate(stepd_executions_total{state_machine="prom",status="SUCCEEDED"}[10s]))`,
		`histogram_quantile(0.99, sum by (le) (rate(stepd_http_request_duration_seconds_bucket{action="StartSyncExecution"}[10s])))`,
		`histogram_quantile(0.5, sum by (le) (rate(stepd_execution_duration_seconds_bucket[10s])))`,
	}
	deadline := time.Now().Add(90 * time.Second)
	var last error
	for {
		for range 20 {
			if r := awsCall(t, p, "StartSyncExecution", start); r.status != 200 {
				t.Fatalf("StartSyncExecution: %d %s", r.status, r.body)
			}
		}
		last = nil
		for _, q := range queries {
			res, err := promQuery(base, q)
			if err == nil {
				_, err = positive(res)
			}
			if err != nil {
				last = fmt.Errorf("%s: %w", q, err)
				break
			}
		}
		if last == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Prometheus never computed it: %v\nprometheus log:\n%s", last, plog.String())
		}
		time.Sleep(200 * time.Millisecond) // paces the executions between queries
	}
	p99, _ := promQuery(base, queries[2])
	if v, _ := positive(p99); v > 10 {
		t.Errorf("StartSyncExecution p99 %v s from a Pass machine on loopback: the buckets are off", v)
	}

	// Every query of the dashboard parses and evaluates.
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	b, err := os.ReadFile(repoFile("deploy/grafana/stepd-dashboard.json"))
	if err == nil {
		err = json.Unmarshal(b, &dash)
	}
	if err != nil || len(dash.Panels) == 0 {
		t.Fatalf("the dashboard: %v", err)
	}
	for _, panel := range dash.Panels {
		for _, target := range panel.Targets {
			expr := strings.NewReplacer("$instance", ".*", "$__rate_interval", "10s").Replace(target.Expr)
			if _, err := promQuery(base, expr); err != nil {
				t.Errorf("dashboard panel %q: %v", panel.Title, err)
			}
		}
	}
}

func mustAbs(t *testing.T, path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	return abs
}
