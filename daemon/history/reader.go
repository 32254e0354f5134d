package history

import (
	"errors"
	"os"
	"sync"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// ErrNotFound is returned for an execution the history has no record of.
var ErrNotFound = errors.New("no history for this execution")

// blockCache keeps the last decompressed block: listing reads many
// records of the same block in a row.
type blockCache struct {
	mu   sync.Mutex
	path string
	off  int64
	raw  []byte
}

// record returns a copy of the bytes of the record e of segment s.
func (l *Log) record(s *segment, e entry) ([]byte, error) {
	c := &l.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path != s.path || c.off != e.block || c.raw == nil {
		f, err := os.Open(s.path)
		if err != nil {
			return nil, ErrNotFound // deleted by retention meanwhile
		}
		b, comp, err := readBlock(f, e.block, nil)
		f.Close()
		if err != nil {
			return nil, err
		}
		raw, err := decodeBlock(b, comp, nil)
		if err != nil {
			return nil, err
		}
		c.path, c.off, c.raw = s.path, e.block, raw
	}
	if uint64(e.off)+uint64(e.n) > uint64(len(c.raw)) {
		return nil, errCorrupt
	}
	return append([]byte(nil), c.raw[e.off:e.off+e.n]...), nil
}

// lookup finds the entry of an execution ARN.
func (l *Log) lookup(arn string) (*segment, entry, bool) {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	r, ok := l.byArn[hashString(arn)]
	if !ok {
		return nil, entry{}, false
	}
	s, i := l.segmentOf(r)
	if s == nil || i >= s.entries.len() {
		return nil, entry{}, false
	}
	return s, s.entries.at(i), true
}

// Execution returns the record of the execution arn. Records still in the
// staging ring are flushed to a segment first, so an execution is found
// as soon as it has answered.
func (l *Log) Execution(arn string) (*Record, error) {
	s, e, ok := l.lookup(arn)
	if !ok {
		l.Flush()
		if s, e, ok = l.lookup(arn); !ok {
			return nil, ErrNotFound
		}
	}
	b, err := l.record(s, e)
	if err != nil {
		return nil, err
	}
	rec, err := DecodeRecord(b)
	if err != nil {
		return nil, err
	}
	if rec.ExecutionArn != arn {
		return nil, ErrNotFound // another ARN with the same hash
	}
	return rec, nil
}

// List calls fn with the summaries of the executions of the state
// machine machineArn, newest first, whose status is status (any when
// "", none when it is not a status of a finished execution), until fn
// returns false.
func (l *Log) List(machineArn, status string, fn func(*Summary) bool) error {
	l.Flush()
	mh := hashString(machineArn)
	filter := status != ""
	code := byte(255)
	for s := fastpath.Succeeded; s <= fastpath.Aborted; s++ {
		if s.String() == status {
			code = byte(s)
		}
	}
	l.segMu.RLock()
	segs := append([]*segment(nil), l.segs...)
	lens := make([]int, len(segs))
	for i, s := range segs {
		lens[i] = s.entries.len()
	}
	l.segMu.RUnlock()
	for i := len(segs) - 1; i >= 0; i-- {
		s := segs[i]
		for j := lens[i] - 1; j >= 0; j-- {
			l.segMu.RLock()
			e := s.entries.at(j)
			latest := l.byArn[e.arnHash] == refOf(s, j) // not a copy written again after a crash
			l.segMu.RUnlock()
			if !latest || e.machineHash != mh || (filter && e.status != code) {
				continue
			}
			b, err := l.record(s, e)
			if errors.Is(err, ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			sum, err := decodeSummaryOnly(b)
			if err != nil {
				return err
			}
			if sum.StateMachineArn != machineArn {
				continue
			}
			if !fn(&sum) {
				return nil
			}
		}
	}
	return nil
}

// SegmentInfo describes one segment file, for tests and the CLI.
type SegmentInfo struct {
	Path    string
	Size    int64
	Records int
	Updated time.Time
}

// Segments lists the segments, oldest first.
func (l *Log) Segments() []SegmentInfo {
	l.segMu.RLock()
	defer l.segMu.RUnlock()
	out := make([]SegmentInfo, len(l.segs))
	for i, s := range l.segs {
		out[i] = SegmentInfo{Path: s.path, Size: s.size, Records: s.entries.len(), Updated: s.updated}
	}
	return out
}
