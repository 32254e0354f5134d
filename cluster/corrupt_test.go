package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/internal/dircopy"
)

// openLeader opens a one-node cluster, which the caller closes, and
// returns it once it leads, with a context for its proposals.
func openLeader(t *testing.T, cfg Config) (*Node, context.Context) {
	t.Helper()
	n, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	if err := n.WaitLeader(ctx); err != nil {
		t.Fatal(err)
	}
	return n, ctx
}

// logImage commits 40 executions whose inputs carry the markers
// M0000…M0039 on a node with log segments of segmentBytes, closes it, and
// returns a copy of its data directory without the snapshot taken at
// close: the node that opens it applies the whole log again, as after
// kill -9.
func logImage(t *testing.T, segmentBytes int) string {
	t.Helper()
	cfg := fastConfig(t, "n1", true)
	cfg.LogSegmentBytes = segmentBytes
	n, ctx := openLeader(t, cfg)
	for i := range 40 {
		e := testExecution(fmt.Sprintf("e%d", i), fmt.Sprintf(`{"marker":"M%04d"}`, i))
		if res, err := n.Propose(ctx, &StartExecution{Execution: e}); err != nil || res.Err != nil {
			t.Fatalf("start %d: %v %v", i, err, res.Err)
		}
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	dir := dircopy.Copy(t, cfg.DataDir)
	if err := os.RemoveAll(filepath.Join(dir, "raft", "snapshots")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// flip changes the first byte of marker found in a file under dir (in
// the files whose name ends with suffix) and returns the file.
func flip(t *testing.T, dir, suffix, marker string) string {
	t.Helper()
	var found string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, suffix) || found != "" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if i := bytes.Index(b, []byte(marker)); i >= 0 {
			b[i] = 'N'
			found = path
			return os.WriteFile(path, b, 0o644)
		}
		return nil
	})
	if err != nil || found == "" {
		t.Fatalf("no %s holds %s: %v", suffix, marker, err)
	}
	return found
}

// TestCorruptLogEntryIsReported: a byte changed in a committed entry
// (here in a sealed segment, which raft-wal does not check again) is
// found by the entry's checksum when the node applies its log: the node
// answers the damage (ErrCorrupt, naming the index) instead of becoming
// ready, and neither that entry nor any after it is applied.
func TestCorruptLogEntryIsReported(t *testing.T) {
	dir := logImage(t, 4096) // most entries end up in sealed segments
	flip(t, dir, ".wal", "M0007")
	cfg := fastConfig(t, "n1", true)
	cfg.DataDir, cfg.LogSegmentBytes = dir, 4096
	n := openNode(t, cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err := n.WaitLeader(ctx)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "index") {
		t.Fatalf("WaitLeader: %v, want the damage reported", err)
	}
	if n.Ready() || !errors.Is(n.Damaged(), ErrCorrupt) {
		t.Errorf("a damaged node: ready %v, damaged %v", n.Ready(), n.Damaged())
	}
	for i := range 40 {
		e, ok := n.Executions().Get(testExecution(fmt.Sprintf("e%d", i), "").Arn)
		switch {
		case i < 7 && (!ok || e.Input != fmt.Sprintf(`{"marker":"M%04d"}`, i)):
			t.Errorf("execution %d before the damage: %+v %v", i, e, ok)
		case i >= 7 && ok:
			t.Errorf("execution %d at or after the damage was applied: %+v", i, e)
		}
	}
}

// TestCorruptSnapshotIsRefused: a byte changed in the snapshot a node
// restores fails raft's CRC-64 of the snapshot file: the node does not
// open, rather than start from a damaged state.
func TestCorruptSnapshotIsRefused(t *testing.T) {
	cfg := fastConfig(t, "n1", true)
	n, ctx := openLeader(t, cfg)
	if res, err := n.Propose(ctx, &StartExecution{Execution: testExecution("s", `{"marker":"S0001"}`)}); err != nil || res.Err != nil {
		t.Fatalf("start: %v %v", err, res.Err)
	}
	if err := n.Close(); err != nil { // takes a snapshot
		t.Fatal(err)
	}
	dir := dircopy.Copy(t, cfg.DataDir)
	flip(t, dir, "state.bin", "S0001")
	cfg.DataDir = dir
	if n, err := Open(cfg); err == nil {
		n.Close()
		t.Fatal("a node opened a damaged snapshot")
	} else if !strings.Contains(err.Error(), "snapshot") {
		t.Errorf("error %v, want one about the snapshot", err)
	}
}

// TestDecodeWithoutChecksum: entries written before checksums existed
// (type byte first) still decode; a checksummed one that is cut short
// does not.
func TestDecodeWithoutChecksum(t *testing.T) {
	enc := must(Encode(&StopExecution{Arn: "a"}))
	if c, err := decode(enc[5:]); err != nil || c.(*StopExecution).Arn != "a" {
		t.Errorf("an entry without a checksum: %v %v", c, err)
	}
	if _, err := decode(enc[:len(enc)-1]); !errors.Is(err, ErrCorrupt) {
		t.Errorf("a cut entry: %v, want ErrCorrupt", err)
	}
}

// TestLostLogTailIsReported: zeros over the second half of the newest
// log segment (a damaged frame header there looks to raft-wal like the
// end of a torn write, and it drops what follows) leave the log shorter
// than the index the node kept of what raft-wal acknowledged: the node
// does not open, and says what was lost, instead of serving without it.
func TestLostLogTailIsReported(t *testing.T) {
	dir := logImage(t, 1<<20) // every entry in the newest segment
	segments, err := filepath.Glob(filepath.Join(dir, "raft", "wal", "*.wal"))
	if err != nil || len(segments) == 0 {
		t.Fatalf("no log segments: %v", err)
	}
	tail := segments[len(segments)-1]
	b, err := os.ReadFile(tail)
	if err != nil {
		t.Fatal(err)
	}
	end := len(bytes.TrimRight(b, "\x00"))
	for i := end / 2 &^ 7; i < end; i++ {
		b[i] = 0
	}
	if err := os.WriteFile(tail, b, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := fastConfig(t, "n1", true)
	cfg.DataDir, cfg.LogSegmentBytes = dir, 1<<20
	n, err := Open(cfg)
	if err == nil {
		n.Close()
		t.Fatal("a node opened a log that lost acknowledged entries")
	}
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "were written and acknowledged") {
		t.Errorf("error %v, want the loss reported", err)
	}
}
