package bench

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"
)

// referenceMachines are the machines in ../shared/bench/machines.
var referenceMachines = []string{"tiny", "medium", "fanout"}

// machinesDir finds ../shared/bench/machines above the working directory.
func machinesDir(tb testing.TB) string {
	wd, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		m := filepath.Join(d, "shared", "bench", "machines")
		if _, err := os.Stat(filepath.Join(m, "tiny.asl.json")); err == nil {
			return m
		}
		if filepath.Dir(d) == d {
			tb.Skip("shared/bench/machines not found")
		}
	}
}

// jsonataMachines are JSONata versions of reference machines, in
// testdata/<name>-jsonata.asl.json; they run on the reference inputs and
// produce the same outputs (TestJSONataMachinesMatch).
var jsonataMachines = []string{"tiny", "medium"}

// jsonataSuffix names a JSONata version of a reference machine.
const jsonataSuffix = "-jsonata"

// loadMachine compiles a reference machine, or for "<name>-jsonata" its
// JSONata version, and reads its input.
func loadMachine(tb testing.TB, name string) (*fastpath.Program, []byte) {
	dir := machinesDir(tb)
	defPath := filepath.Join(dir, name+".asl.json")
	if base, ok := strings.CutSuffix(name, jsonataSuffix); ok {
		name, defPath = base, filepath.Join("testdata", name+".asl.json")
	}
	def, err := os.ReadFile(defPath)
	if err != nil {
		tb.Fatal(err)
	}
	input, err := os.ReadFile(filepath.Join(dir, name+".input.json"))
	if err != nil {
		tb.Fatal(err)
	}
	prog, err := compile.Compile(def, compile.Express)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	return prog, input
}

// runOnce executes prog on input with ex and fails tb unless it succeeds.
func runOnce(tb testing.TB, ex *fastpath.Execution, prog *fastpath.Program, input []byte, opts *fastpath.Options) []byte {
	res, err := ex.Run(context.Background(), prog, input, opts)
	if err != nil || res.Status != fastpath.Succeeded {
		tb.Fatalf("run: %v %s %s: %s", err, res.Status, res.Error, res.Cause)
	}
	return res.Output
}

var benchOptions = &fastpath.Options{
	ExecutionArn:     "arn:aws:states:us-east-1:123456789012:express:bench:exec:1",
	ExecutionName:    "exec",
	StateMachineArn:  "arn:aws:states:us-east-1:123456789012:stateMachine:bench",
	StateMachineName: "bench",
}

var sink []byte

// BenchmarkMachine executes each reference machine b.N times on one
// goroutine (compiled once, one pooled Execution reused), the figure that
// docs/BENCHMARKS.md reports as executions per second per core.
//
// The "-jsonata" machines are the JSONata versions of tiny and medium.
func BenchmarkMachine(b *testing.B) {
	names := append([]string(nil), referenceMachines...)
	for _, name := range jsonataMachines {
		names = append(names, name+jsonataSuffix)
	}
	for _, name := range names {
		b.Run(name, func(b *testing.B) {
			prog, input := loadMachine(b, name)
			ex := fastpath.AcquireExecution()
			defer fastpath.ReleaseExecution(ex)
			b.SetBytes(int64(len(input)))
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sink = runOnce(b, ex, prog, input, benchOptions)
				ex.Reset()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "exec/s")
		})
	}
}

// TestJSONataMachinesMatch checks that each JSONata machine produces the
// output of the JSONPath machine it stands for.
func TestJSONataMachinesMatch(t *testing.T) {
	for _, name := range jsonataMachines {
		ex := fastpath.AcquireExecution()
		prog, input := loadMachine(t, name)
		want := decodeJSON(t, runOnce(t, ex, prog, input, benchOptions))
		ex.Reset()
		prog, input = loadMachine(t, name+jsonataSuffix)
		got := decodeJSON(t, runOnce(t, ex, prog, input, benchOptions))
		fastpath.ReleaseExecution(ex)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s%s: output %v, want %v", name, jsonataSuffix, got, want)
		}
	}
}

func decodeJSON(t *testing.T, b []byte) any {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return v
}
