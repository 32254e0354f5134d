package main

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Report is the -report JSON file. Its fields are a contract for scripts
// (bench/http.sh reads rate and latency): add fields, do not rename them.
type Report struct {
	Tool      string            `json:"tool"` // "stepd-loadtest"
	Config    reportConfig      `json:"config"`
	Start     time.Time         `json:"start"`
	DurationS float64           `json:"duration_s"` // measured time, warm-up excluded
	Totals    Totals            `json:"totals"`
	Rate      float64           `json:"rate"`   // measured completions per second
	Errors    map[string]int64  `json:"errors"` // every failure kind, 0 included
	Samples   map[string]string `json:"error_samples,omitempty"`
	Latency   Percentiles       `json:"latency"` // of every measured request, failures included
	Series    []Point           `json:"series"`
}

// Totals counts measured requests.
type Totals struct {
	Requests  int64 `json:"requests"`
	Succeeded int64 `json:"succeeded"` // passed verification
	Failed    int64 `json:"failed"`
}

type reportConfig struct {
	Mode     string    `json:"mode"` // "closed" or "open"
	Targets  []string  `json:"targets"`
	API      API       `json:"api"`
	Machines []Machine `json:"machines"`
	Conns    int       `json:"connections"`
	Pipeline int       `json:"pipeline,omitempty"`
	Rate     float64   `json:"rate,omitempty"`
	Duration string    `json:"duration,omitempty"`
	Count    int64     `json:"count,omitempty"`
	Warmup   string    `json:"warmup"`
	Timeout  string    `json:"timeout"`
}

func newReport(c *Config, r *Result) *Report {
	all, failed := r.Total()
	rep := &Report{
		Tool: "stepd-loadtest",
		Config: reportConfig{
			Mode: "closed", Targets: c.Targets, API: c.API, Machines: c.Machines,
			Conns: c.Conns, Pipeline: c.Pipeline, Rate: c.Rate, Count: c.Count,
			Warmup: c.Warmup.String(), Timeout: c.Timeout.String(),
		},
		Start:     r.Start,
		DurationS: r.Measured.Seconds(),
		Totals:    Totals{Requests: all, Succeeded: all - failed, Failed: failed},
		Rate:      r.Rate(),
		Errors:    map[string]int64{},
		Latency:   percentiles(r.Hist),
		Series:    r.Series,
	}
	if c.Rate > 0 {
		rep.Config.Mode = "open"
	}
	if c.Count == 0 {
		rep.Config.Duration = c.Duration.String()
	}
	if rep.Series == nil {
		rep.Series = []Point{}
	}
	for k := kindOK + 1; k < numKinds; k++ {
		rep.Errors[k.String()] = r.Kinds[k]
		if r.Samples[k] != "" {
			if rep.Samples == nil {
				rep.Samples = map[string]string{}
			}
			rep.Samples[k.String()] = r.Samples[k]
		}
	}
	return rep
}

func (rep *Report) writeJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// writeSummary prints the human summary of a run.
func (rep *Report) writeSummary(w io.Writer) {
	c := &rep.Config
	fmt.Fprintf(w, "%s loop, %s API, %d connection(s)", c.Mode, c.API, c.Conns)
	if c.Rate > 0 {
		fmt.Fprintf(w, ", %.0f req/s scheduled", c.Rate)
	}
	fmt.Fprintf(w, ", targets %v\n", c.Targets)
	t := rep.Totals
	fmt.Fprintf(w, "requests  %d in %.3fs = %.0f req/s   ok %d   failed %d\n", t.Requests, rep.DurationS, rep.Rate, t.Succeeded, t.Failed)
	if t.Failed > 0 {
		for k := kindOK + 1; k < numKinds; k++ {
			if n := rep.Errors[k.String()]; n > 0 {
				fmt.Fprintf(w, "  %-17s %d   first: %s\n", k.String(), n, rep.Samples[k.String()])
			}
		}
	}
	l := rep.Latency
	fmt.Fprintf(w, "latency   p50 %s   p90 %s   p99 %s   p99.9 %s   max %s   mean %s\n",
		fmtUS(l.P50), fmtUS(l.P90), fmtUS(l.P99), fmtUS(l.P999), fmtUS(l.Max), fmtUS(int64(l.Mean)))
}
