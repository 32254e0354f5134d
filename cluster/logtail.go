package cluster

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"

	"github.com/hashicorp/raft"
)

// lastIndexFile, in the Raft directory, holds the index of the last log
// entry this node wrote and raft-wal acknowledged (fsynced), with its
// CRC-32C: 8 bytes big-endian, 4 bytes of checksum.
const lastIndexFile = "last-index"

// trackedLog is the node's log store: raft-wal, with the index of the
// last entry it acknowledged kept beside it. raft-wal reads the newest
// segment up to the first frame it cannot parse, taking that for the end
// of a write a crash tore; a damaged frame header in the middle of the
// segment would end the log there and silently lose the entries after
// it. Opened, trackedLog compares raft-wal's last index with the one it
// kept and reports the loss instead.
//
// The index is written after each append returns (so after its fsync)
// without an fsync of its own: after a power loss it may be older than
// the log, never newer. When raft removes the end of the log (a
// follower's uncommitted entries that conflict with the leader's, or the
// whole log before a snapshot is installed) the index is lowered, and
// synced, first.
type trackedLog struct {
	raft.LogStore
	f    *os.File
	mu   sync.Mutex
	last uint64
}

// openTrackedLog wraps store, whose files are in dir, and checks it
// against the index kept there: an error wrapping ErrCorrupt when the log
// ends before it.
func openTrackedLog(dir string, store raft.LogStore) (*trackedLog, error) {
	f, err := os.OpenFile(filepath.Join(dir, lastIndexFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot open the Raft log's last index: %w", err)
	}
	t := &trackedLog{LogStore: store, f: f}
	var b [12]byte
	if n, _ := f.ReadAt(b[:], 0); n == len(b) && binary.BigEndian.Uint32(b[8:]) == crc32.Checksum(b[:8], castagnoli) {
		t.last = binary.BigEndian.Uint64(b[:8])
	}
	last, err := store.LastIndex()
	if err == nil && last < t.last {
		err = fmt.Errorf("%w: the Raft log ends at index %d, but the entries up to %d were written and acknowledged: "+
			"they were lost (the log is damaged); restore the data directory, or remove it and let the node join its cluster again",
			ErrCorrupt, last, t.last)
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return t, nil
}

// keep records index as the last acknowledged entry; sync makes it
// durable before it returns.
func (t *trackedLog) keep(index uint64, sync bool) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.last = index
	var b [12]byte
	binary.BigEndian.PutUint64(b[:8], index)
	binary.BigEndian.PutUint32(b[8:], crc32.Checksum(b[:8], castagnoli))
	if _, err := t.f.WriteAt(b[:], 0); err != nil {
		return err
	}
	if sync {
		return t.f.Sync()
	}
	return nil
}

// StoreLog implements raft.LogStore.
func (t *trackedLog) StoreLog(l *raft.Log) error { return t.StoreLogs([]*raft.Log{l}) }

// StoreLogs implements raft.LogStore: the entries, then their index.
func (t *trackedLog) StoreLogs(logs []*raft.Log) error {
	if err := t.LogStore.StoreLogs(logs); err != nil || len(logs) == 0 {
		return err
	}
	if err := t.keep(logs[len(logs)-1].Index, false); err != nil {
		return fmt.Errorf("cannot record the Raft log's last index: %w", err)
	}
	return nil
}

// DeleteRange implements raft.LogStore: removing the end of the log
// lowers the kept index first.
func (t *trackedLog) DeleteRange(min, max uint64) error {
	t.mu.Lock()
	end := max >= t.last
	t.mu.Unlock()
	if end {
		keep := min - 1
		if first, err := t.LogStore.FirstIndex(); err != nil || min <= first {
			keep = 0 // the whole log: raft-wal may then report none at all
		}
		if err := t.keep(keep, true); err != nil {
			return fmt.Errorf("cannot record the Raft log's last index: %w", err)
		}
	}
	return t.LogStore.DeleteRange(min, max)
}

// IsMonotonic implements raft.MonotonicLogStore as raft-wal does: raft
// then removes the whole log before installing a snapshot.
func (t *trackedLog) IsMonotonic() bool {
	m, ok := t.LogStore.(raft.MonotonicLogStore)
	return ok && m.IsMonotonic()
}

// Close closes the index file.
func (t *trackedLog) Close() error { return t.f.Close() }
