package daemon

import (
	"flag"
	"fmt"
	"time"

	"github.com/stepd/stepd/daemon/history"
)

// HistoryConfig is the execution history's part of Config. Its settings
// have -history-* flags (and STEPD_HISTORY_* variables, and keys of the
// same names in the config file); the shippers have no flags: they are the
// config file's structured "history" object:
//
//	{"history": {"shippers": [
//	    {"name": "local", "type": "file", "path": "/var/log/stepd/history.jsonl"},
//	    {"name": "collector", "type": "http", "url": "http://127.0.0.1:9880/logs"}]}}
type HistoryConfig struct {
	StagingBytes int                     `json:"-"`
	SegmentBytes int64                   `json:"-"`
	SegmentAge   time.Duration           `json:"-"`
	MaxBytes     int64                   `json:"-"`
	MaxAge       time.Duration           `json:"-"`
	Overload     string                  `json:"-"`
	Shippers     []history.ShipperConfig `json:"shippers"`
}

// defaultHistoryConfig takes the history package's defaults.
func defaultHistoryConfig() HistoryConfig {
	d := history.DefaultConfig("")
	return HistoryConfig{StagingBytes: d.StagingBytes, SegmentBytes: d.SegmentBytes, SegmentAge: d.SegmentAge,
		MaxBytes: d.MaxBytes, MaxAge: d.MaxAge, Overload: d.Overload}
}

// register declares the -history-* flags.
func (h *HistoryConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&h.StagingBytes, "history-staging-bytes", h.StagingBytes, "size of the memory-mapped staging file that executions copy their history into before answering; when the writer falls this far behind, -history-overload applies")
	fs.Int64Var(&h.SegmentBytes, "history-segment-bytes", h.SegmentBytes, "start a new history segment file when the current one reaches this size")
	fs.DurationVar(&h.SegmentAge, "history-segment-age", h.SegmentAge, "start a new history segment file when the current one is this old")
	fs.Int64Var(&h.MaxBytes, "history-max-bytes", h.MaxBytes, "delete the oldest history segments while all of them take more than this (0: no limit)")
	fs.DurationVar(&h.MaxAge, "history-max-age", h.MaxAge, "delete history segments older than this (0: no limit)")
	fs.StringVar(&h.Overload, "history-overload", h.Overload, "when the history writer cannot keep up: block (executions wait: no history lost, latency grows) or shed (executions go on: records dropped and counted in stepd_history_records_shed_total)")
}

// historyConfig is the history package's Config for the directory dir.
func (c *Config) historyConfig(dir string) history.Config {
	hc := history.DefaultConfig(dir)
	h := c.History
	hc.StagingBytes, hc.SegmentBytes, hc.SegmentAge, hc.MaxBytes, hc.MaxAge, hc.Overload, hc.Shippers =
		h.StagingBytes, h.SegmentBytes, h.SegmentAge, h.MaxBytes, h.MaxAge, h.Overload, h.Shippers
	return hc
}

// validateHistory checks the history settings.
func (c *Config) validateHistory() error {
	hc := c.historyConfig(c.DataDir)
	if err := hc.Validate(); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}
