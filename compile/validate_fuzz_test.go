package compile

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// FuzzCompile checks that no definition bytes make the compiler or the VM
// panic or hang: Validate returns sorted diagnostics that CreateError
// accepts, and a definition that compiles runs to an end on a few inputs
// (virtual clock, bounded transitions). Seeds: testdata/fuzz/FuzzCompile
// plus every golden definition.
func FuzzCompile(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.asl.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b, false)
		}
	}
	inputs := [][]byte{[]byte(`{}`), []byte(`{"a":[1,"x",{"b":null}],"n":-2.5,"s":"2024-01-02T03:04:05Z"}`), []byte(`[1,2,3]`)}
	f.Fuzz(func(t *testing.T, def []byte, express bool) {
		typ := Standard
		if express {
			typ = Express
		}
		diags := Validate(def, typ)
		for i := 1; i < len(diags); i++ {
			if diags[i-1].Location > diags[i].Location {
				t.Fatalf("diagnostics not sorted: %v", diags)
			}
		}
		_ = CreateError(diags)
		prog, err := Compile(def, typ)
		if err != nil {
			return
		}
		_ = prog.Disassemble()
		opts := &fastpath.Options{Clock: fastpath.NewVirtualClock(time.Unix(0, 0)), MaxTransitions: 10000}
		for _, in := range inputs {
			ex := fastpath.AcquireExecution()
			if _, err := ex.Run(context.Background(), prog, in, opts); err != nil {
				t.Fatalf("valid input rejected: %v", err)
			}
			fastpath.ReleaseExecution(ex)
		}
	})
}
