package compile

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidate checks that Validate never panics, whatever the bytes, and
// that CreateError accepts whatever it returns. Seeds: the corpus in
// testdata/fuzz/FuzzValidate plus every golden definition.
func FuzzValidate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "validate", "*.asl.json"))
	for _, file := range files {
		if b, err := os.ReadFile(file); err == nil {
			f.Add(b, false)
		}
	}
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
	})
}
