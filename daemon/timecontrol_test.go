package daemon

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// TestTimeControlConfig reads the time controls from the config file,
// the environment and flags, with their usual precedence, and refuses a
// negative scale.
func TestTimeControlConfig(t *testing.T) {
	file := filepath.Join(t.TempDir(), "stepd.json")
	if err := os.WriteFile(file, []byte(`{"virtual-time":true,"seed":7,"wait-time-scale":0.5}`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"STEPD_WAIT_TIME_SCALE": "0"}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg, err := loadConfig([]string{"-config", file, "-seed", "9"}, func(k string) string { return env[k] }, fs)
	if err != nil {
		t.Fatal(err)
	}
	if want := (TimeControl{Scale: 0, Virtual: true, Seed: 9}); cfg.TimeControl != want {
		t.Errorf("got %+v, want %+v", cfg.TimeControl, want)
	}
	if _, ok := cfg.TimeControl.clock().(*fastpath.ScaledClock); !ok {
		t.Error("a scaled, virtual configuration runs on the system clock")
	}
	if c := DefaultTimeControl(); c.clock() != nil {
		t.Error("real time needs no clock of its own")
	}
	fs = flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if _, err := loadConfig([]string{"-wait-time-scale", "-1"}, func(string) string { return "" }, fs); err == nil {
		t.Error("a negative -wait-time-scale must be refused")
	}
}
