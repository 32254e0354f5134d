package cluster

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hashicorp/raft-wal/fs"
	"github.com/hashicorp/raft-wal/metadb"
	"github.com/hashicorp/raft-wal/segment"
	"github.com/hashicorp/raft-wal/types"
)

// finishRotation completes a segment rotation of the raft-wal log in dir
// that a crash interrupted, before the log is opened.
//
// raft-wal v0.4.0 seals a full segment by writing its index frame within
// the append that fills it, and only then, in the background, records the
// seal in its metadata and creates the next segment. A crash (kill -9,
// power loss) between the two leaves a segment that is sealed on disk but
// still the open tail in the metadata. raft-wal reopens it as the tail and
// refuses every later append with "segment is sealed", without ever
// rotating: the node can no longer commit anything, so it never becomes
// leader and its executions never resume. finishRotation does in the
// metadata what the rotation would have done (the segment sealed with its
// last index and index offset, a new empty tail after it); raft-wal then
// opens that state as it opens one where a crash came after the metadata
// and before the new file, which it creates.
func finishRotation(dir string) error {
	if _, err := os.Stat(filepath.Join(dir, "wal-meta.db")); err != nil {
		return nil // a new log
	}
	var meta metadb.BoltMetaDB
	state, err := meta.Load(dir)
	if err != nil {
		return fmt.Errorf("cannot read the Raft log's metadata: %w", err)
	}
	defer meta.Close()
	n := len(state.Segments)
	if n == 0 || !state.Segments[n-1].SealTime.IsZero() {
		return nil
	}
	tail := state.Segments[n-1]
	w, err := segment.NewFiler(dir, fs.New()).RecoverTail(tail)
	if errors.Is(err, os.ErrNotExist) {
		return nil // raft-wal creates it
	}
	if err != nil {
		return fmt.Errorf("cannot read the Raft log's last segment: %w", err)
	}
	sealed, indexStart, err := w.Sealed()
	last := w.LastIndex()
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil || !sealed {
		return err
	}
	now := time.Now()
	tail.SealTime, tail.MaxIndex, tail.IndexStart = now, last, indexStart
	state.Segments[n-1] = tail
	state.Segments = append(state.Segments, types.SegmentInfo{ID: state.NextSegmentID, BaseIndex: last + 1, MinIndex: last + 1,
		Codec: tail.Codec, SizeLimit: tail.SizeLimit, CreateTime: now})
	state.NextSegmentID++
	if err := meta.CommitState(state); err != nil {
		return fmt.Errorf("cannot finish the Raft log's interrupted rotation: %w", err)
	}
	return nil
}
