// Package dircopy copies a data directory for tests that open it again in
// the same process: raft-wal v0.4.0 keeps its metadata file locked after
// Close, so a node reopens a copy (which is also what a disk holds after
// a crash, once the writes it acknowledged are there).
package dircopy

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// Copy copies the files under dir into a new temporary directory of tb
// and returns it.
func Copy(tb testing.TB, dir string) string {
	tb.Helper()
	to := tb.TempDir()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		tb.Fatal(err)
	}
	return to
}
