package compile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// goldenTest runs render over every testdata/<dir>/*.asl.json and compares
// what it returns with the file of the same name ending in ext. Run the
// tests with -update to rewrite those files, then review the diff.
func goldenTest(t *testing.T, dir, ext string, render func(t *testing.T, name string, def []byte) string) {
	files, _ := filepath.Glob(filepath.Join("testdata", dir, "*.asl.json"))
	if len(files) == 0 {
		t.Fatalf("no definitions in testdata/%s", dir)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".asl.json")
		t.Run(name, func(t *testing.T) {
			def, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			got := render(t, name, def)
			golden := strings.TrimSuffix(f, ".asl.json") + ext
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
				t.Errorf("%s differs:\n got:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}
}

// TestProgramGolden compiles testdata/program/*.asl.json and compares the
// disassembled programs with the .dump files.
func TestProgramGolden(t *testing.T) {
	goldenTest(t, "program", ".dump", func(t *testing.T, _ string, def []byte) string {
		prog, err := Compile(def, Express)
		if err != nil {
			t.Fatal(err)
		}
		return prog.Disassemble()
	})
}
