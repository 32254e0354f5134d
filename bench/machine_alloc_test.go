//go:build !race

package bench

import (
	"testing"

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
