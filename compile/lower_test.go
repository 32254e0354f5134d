package compile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestProgramGolden compiles testdata/program/*.asl.json and compares the
// disassembled program with the matching .dump file. Run with -update to
// rewrite the dumps, then review the diff.
func TestProgramGolden(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "program", "*.asl.json"))
	if len(files) == 0 {
		t.Fatal("no golden definitions")
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".asl.json")
		t.Run(name, func(t *testing.T) {
			def, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			prog, err := Compile(def, Express)
			if err != nil {
				t.Fatal(err)
			}
			got := prog.Disassemble()
			golden := strings.TrimSuffix(f, ".asl.json") + ".dump"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update)", err)
			}
			if got != string(want) {
				t.Errorf("program differs:\n got:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}
