package cluster

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/segment"
	"github.com/hashicorp/raft-wal/types"

	"github.com/stepd/stepd/internal/dircopy"
)

// TestFinishRotation reproduces a crash between raft-wal sealing a full
// segment and recording the seal (the rotation): without finishRotation
// the reopened log refuses every append with "segment is sealed"; with
// it, the log takes appends and keeps every entry.
func TestFinishRotation(t *testing.T) {
	crashed := crashedMidRotation(t)

	stuck, err := wal.Open(dircopy.Copy(t, crashed), wal.WithSegmentSize(4096))
	if err != nil {
		t.Fatal(err)
	}
	last, _ := stuck.LastIndex()
	if err := stuck.StoreLog(walEntry(last + 1)); !errors.Is(err, wal.ErrSealed) {
		t.Fatalf("raft-wal alone after the crash: append answered %v, want %v (the case finishRotation mends)", err, wal.ErrSealed)
	}

	dir := dircopy.Copy(t, crashed)
	if err := finishRotation(dir); err != nil {
		t.Fatal(err)
	}
	log, err := wal.Open(dir, wal.WithSegmentSize(4096))
	if err != nil {
		t.Fatal(err)
	}
	if err := log.StoreLog(walEntry(last + 1)); err != nil {
		t.Fatalf("append after finishRotation: %v", err)
	}
	for i := uint64(1); i <= last+1; i++ {
		var got raft.Log
		if err := log.GetLog(i, &got); err != nil || !bytes.Equal(got.Data, walEntry(i).Data) {
			t.Fatalf("entry %d after finishRotation: %v, %d bytes", i, err, len(got.Data))
		}
	}
	if err := finishRotation(dir + "-none"); err != nil {
		t.Fatalf("a directory with no log: %v", err)
	}
}

// crashedMidRotation returns a raft-wal directory as a crash leaves it
// right after the append that sealed its first segment: the segment's
// file holds its index frame, the metadata still has it as the open
// tail, and there is no next segment.
func crashedMidRotation(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	log, err := wal.Open(dir, wal.WithSegmentSize(4096))
	if err != nil {
		t.Fatal(err)
	}
	for i := uint64(1); segmentFiles(t, dir) < 2; i++ {
		if i > 100 {
			t.Fatal("the first segment never rotated")
		}
		if err := log.StoreLog(walEntry(i)); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Millisecond) // the rotation runs in the background
	}
	// raft-wal's Close keeps its metadata file locked: go on with a copy.
	crashed := dircopy.Copy(t, dir)
	var meta metadb.BoltMetaDB
	state, err := meta.Load(crashed)
	if err != nil {
		t.Fatal(err)
	}
	defer meta.Close()
	if len(state.Segments) != 2 {
		t.Fatalf("%d segments, want 2", len(state.Segments))
	}
	if err := os.Remove(filepath.Join(crashed, segment.FileName(state.Segments[1]))); err != nil {
		t.Fatal(err)
	}
	first := state.Segments[0]
	first.SealTime, first.MaxIndex, first.IndexStart = time.Time{}, 0, 0
	state.Segments = []types.SegmentInfo{first}
	state.NextSegmentID--
	if err := meta.CommitState(state); err != nil {
		t.Fatal(err)
	}
	return crashed
}

func segmentFiles(t *testing.T, dir string) int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.wal"))
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

func walEntry(i uint64) *raft.Log {
	return &raft.Log{Index: i, Term: 1, Type: raft.LogCommand, Data: bytes.Repeat([]byte{byte(i)}, 900)}
}
