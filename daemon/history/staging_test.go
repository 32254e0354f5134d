package history

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// allocated is the disk space path takes, which a sparse file's holes do
// not count in.
func allocated(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Blocks * 512
}

// TestStagingIsLazy: a log that stages nothing holds no staging ring on
// disk (nor in memory: the same pages); its first record makes the ring
// resident, and it works as before.
func TestStagingIsLazy(t *testing.T) {
	c := DefaultConfig(filepath.Join(t.TempDir(), "history"))
	l := openLog(t, c)
	path := filepath.Join(c.Dir, "staging")
	if n := allocated(t, path); n > 64<<10 {
		t.Fatalf("an idle staging file takes %d bytes, want at most 64 KiB", n)
	}
	arns := fill(t, l, 3, 100, "lazy")
	if n := allocated(t, path); n < int64(c.StagingBytes) {
		t.Errorf("after a record the staging file takes %d bytes, want the ring's %d", n, c.StagingBytes)
	}
	l.Flush()
	if _, err := l.Execution(arns[2]); err != nil {
		t.Fatal(err)
	}
}
