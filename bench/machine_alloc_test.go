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
		if n := machineAllocs(t, name); n != 0 {
			t.Errorf("%s: %v allocations per execution, want 0", name, n)
		}
	}
}

// TestJSONataMachineAllocs pins that the JSONata versions of tiny and
// medium allocate nothing per execution either: their expressions are
// evaluated raw, over the arena's JSON (issue 18).
func TestJSONataMachineAllocs(t *testing.T) {
	for _, name := range jsonataMachines {
		if n := machineAllocs(t, name+jsonataSuffix); n != 0 {
			t.Errorf("%s%s: %v allocations per execution, want 0", name, jsonataSuffix, n)
		}
	}
}

// machineAllocs returns the allocations of one execution of the machine
// name once an Execution has warmed up.
func machineAllocs(t *testing.T, name string) float64 {
	prog, input := loadMachine(t, name)
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	runOnce(t, ex, prog, input, benchOptions)
	ex.Reset()
	return testing.AllocsPerRun(100, func() {
		sink = runOnce(t, ex, prog, input, benchOptions)
		ex.Reset()
	})
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
