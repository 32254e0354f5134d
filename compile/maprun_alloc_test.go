//go:build !race

package compile

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// TestDistributedChildrenAllocateNothingEach: a Distributed Map of
// EXPRESS children allocates as much for 1,000 children as for 10: a
// child execution (its name, its Map Run counts, its context object)
// costs no allocation of its own.
func TestDistributedChildrenAllocateNothingEach(t *testing.T) {
	prog, err := Compile([]byte(childMachine("EXPRESS", `,"Label":"L"`, "")), Standard)
	if err != nil {
		t.Fatal(err)
	}
	opts := &fastpath.Options{StateMachineArn: machineArn, MaxArenaBytes: 64 << 20}
	allocs := func(n int) float64 {
		items := make([]string, n)
		for i := range items {
			items[i] = strconv.Itoa(i + 1)
		}
		input := []byte("[" + strings.Join(items, ",") + "]")
		return testing.AllocsPerRun(20, func() {
			ex := fastpath.AcquireExecution()
			if res, err := ex.Run(context.Background(), prog, input, opts); err != nil || res.Status != fastpath.Succeeded {
				t.Fatalf("%v %s %s", err, res.Status, res.Cause)
			}
			fastpath.ReleaseExecution(ex)
		})
	}
	if few, many := allocs(10), allocs(1000); many > few+4 {
		t.Errorf("%v allocations for 10 children, %v for 1,000", few, many)
	}
}
