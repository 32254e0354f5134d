package daemon

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/daemon/history"
)

// TestCheckLogging: loggingConfiguration is validated as AWS validates
// it, and parsed into the level and data flag executions use.
func TestCheckLogging(t *testing.T) {
	dest := `"destinations":[{"cloudWatchLogsLogGroup":{"logGroupArn":"arn:aws:logs:us-east-1:123456789012:log-group:g:*"}}]`
	for _, c := range []struct {
		config, code string
		want         history.Logging
	}{
		{``, "", history.Logging{}},
		{`{"level":"OFF"}`, "", history.Logging{}},
		{`{"level":"ALL","includeExecutionData":true,` + dest + `}`, "", history.Logging{Level: history.LevelAll, IncludeData: true}},
		{`{"level":"ERROR",` + dest + `}`, "", history.Logging{Level: history.LevelError}},
		{`{"level":"FATAL","includeExecutionData":false,` + dest + `}`, "", history.Logging{Level: history.LevelFatal}},
		{`{"level":"ALL"}`, "InvalidLoggingConfiguration", history.Logging{}},
		{`{"level":"ERROR","destinations":[]}`, "InvalidLoggingConfiguration", history.Logging{}},
		{`{"level":"DEBUG",` + dest + `}`, "ValidationException", history.Logging{}},
		{`{"level":"ALL","destinations":[{},{}]}`, "ValidationException", history.Logging{}},
		{`{"level":1}`, "SerializationException", history.Logging{}},
	} {
		aerr := checkLogging(json.RawMessage(c.config))
		switch {
		case c.code == "" && aerr != nil:
			t.Errorf("%s: %v", c.config, aerr)
		case c.code != "" && (aerr == nil || aerr.Code != c.code):
			t.Errorf("%s: got %v, want %s", c.config, aerr, c.code)
		case c.code == "":
			if got := parsedLogging(json.RawMessage(c.config)); got != c.want {
				t.Errorf("%s: parsed as %+v, want %+v", c.config, got, c.want)
			}
		}
	}
}

// TestHistoryConfig: the -history-* flags and the config file's "history"
// object reach the history package's Config.
func TestHistoryConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stepd.json")
	if err := os.WriteFile(file, []byte(`{"history-max-bytes":1000000,"history":{"shippers":[
		{"name":"local","type":"file","path":"-"},{"name":"collector","type":"http","url":"http://127.0.0.1:9/logs","timeout":"2s"}]}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadConfig([]string{"-config", file, "-history-overload", "shed", "-history-max-age", "1h"}, func(string) string { return "" }, fs)
	if err != nil {
		t.Fatal(err)
	}
	hc := cfg.historyConfig("/d")
	if hc.MaxBytes != 1000000 || hc.Overload != "shed" || hc.MaxAge != time.Hour || len(hc.Shippers) != 2 ||
		hc.Shippers[1].URL != "http://127.0.0.1:9/logs" || time.Duration(hc.Shippers[1].Timeout) != 2*time.Second {
		t.Fatalf("history config: %+v", hc)
	}
	for _, bad := range [][]string{{"-history-overload", "drop"}, {"-history-staging-bytes", "10"}} {
		fs := flag.NewFlagSet("test", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		if _, err := loadConfig(bad, func(string) string { return "" }, fs); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
