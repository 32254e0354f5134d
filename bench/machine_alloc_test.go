//go:build !race

package bench

import (
	"testing"

	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
)

// TestMachineAllocs pins the engine's contract: once an Execution's buffers
// have warmed up, running the tiny and medium reference machines (JSONPath,
// no Tasks) allocates nothing.
func TestMachineAllocs(t *testing.T) {
	for _, name := range []string{"tiny", "medium"} {
		prog, input := loadMachine(t, name)
		ex := fastpath.AcquireExecution()
		runOnce(t, ex, prog, input, benchOptions)
		ex.Reset()
		if n := testing.AllocsPerRun(100, func() {
			sink = runOnce(t, ex, prog, input, benchOptions)
			ex.Reset()
		}); n != 0 {
			t.Errorf("%s: %v allocations per execution, want 0", name, n)
		}
		fastpath.ReleaseExecution(ex)
	}
}

// TestHistoryAllocs pins that recording the history of tiny and medium
// at level ALL with execution data allocates nothing per execution
// either, once the Recorder pool and the Execution have warmed up.
func TestHistoryAllocs(t *testing.T) {
	l := openBenchLog(t)
	defer l.Close()
	all := history.Logging{Level: history.LevelAll, IncludeData: true}
	for _, name := range []string{"tiny", "medium"} {
		prog, input := loadMachine(t, name)
		ex := fastpath.AcquireExecution()
		opts := *benchOptions
		runWithHistory(t, l, all, ex, prog, input, &opts)
		if n := testing.AllocsPerRun(100, func() { runWithHistory(t, l, all, ex, prog, input, &opts) }); n != 0 {
			t.Errorf("%s: %v allocations per execution with history, want 0", name, n)
		}
		fastpath.ReleaseExecution(ex)
	}
}
