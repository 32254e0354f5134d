package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/klauspost/compress/zstd"
	"golang.org/x/sys/unix"
)

// Config says where the history lives and how much of it to keep.
type Config struct {
	// Dir is the history directory (the daemon uses DATA_DIR/history).
	Dir string
	// StagingBytes is the size of the memory-mapped staging ring: how
	// much history may wait for the writer before Overload applies, and
	// twice the largest record kept (a larger one is shed). The ring is
	// resident (memory and disk) once a first record is staged.
	StagingBytes int
	// SegmentBytes and SegmentAge rotate the segment being written: a
	// new one starts when it reaches either.
	SegmentBytes int64
	SegmentAge   time.Duration
	// MaxBytes and MaxAge bound what is kept: the oldest segments are
	// deleted while the total is larger or they are older (0: no limit).
	MaxBytes int64
	MaxAge   time.Duration
	// Overload is what an execution does when the staging ring is full:
	// "block" waits for the writer (backpressure), "shed" drops the
	// record and counts it in stepd_history_records_shed_total.
	Overload string
	// BlockBytes is how many record bytes one compressed block holds at
	// most: larger blocks compress better and are slower to read back.
	BlockBytes int
	// FlushInterval is how often the writer compresses what is staged.
	FlushInterval time.Duration
	// Shippers deliver the records to log sinks.
	Shippers []ShipperConfig
	// Logger receives the writer's errors; nil discards them.
	Logger *log.Logger
}

// DefaultConfig returns the defaults, with the history under dir.
func DefaultConfig(dir string) Config {
	return Config{
		Dir:           dir,
		StagingBytes:  16 << 20, // 160 ms of 100 MB/s of history; a node that logs nothing holds none of it
		SegmentBytes:  64 << 20,
		SegmentAge:    time.Hour,
		MaxBytes:      1 << 30,
		MaxAge:        7 * 24 * time.Hour,
		Overload:      "block",
		BlockBytes:    1 << 20,
		FlushInterval: 20 * time.Millisecond,
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Dir == "":
		return errors.New("history: the directory must not be empty")
	case c.StagingBytes < 1<<20:
		return errors.New("-history-staging-bytes must be at least 1 MiB")
	case c.SegmentBytes < 64<<10:
		return errors.New("-history-segment-bytes must be at least 64 KiB")
	case c.SegmentAge <= 0:
		return errors.New("-history-segment-age must be positive")
	case c.MaxBytes < 0 || c.MaxAge < 0:
		return errors.New("-history-max-bytes and -history-max-age must not be negative")
	case c.Overload != "block" && c.Overload != "shed":
		return fmt.Errorf("-history-overload must be block or shed, not %q", c.Overload)
	case c.BlockBytes < 4<<10:
		return errors.New("history: BlockBytes must be at least 4 KiB")
	case c.FlushInterval <= 0:
		return errors.New("history: FlushInterval must be positive")
	}
	names := map[string]bool{}
	for i := range c.Shippers {
		if err := c.Shippers[i].Validate(); err != nil {
			return err
		}
		if names[c.Shippers[i].Name] {
			return fmt.Errorf("history shipper %q: the name is used twice", c.Shippers[i].Name)
		}
		names[c.Shippers[i].Name] = true
	}
	return nil
}

var (
	eventsWritten    = metrics.NewCounter("stepd_history_events_total")
	recordsWritten   = metrics.NewCounter("stepd_history_records_total")
	recordsShed      = metrics.NewCounter("stepd_history_records_shed_total")
	recordsRecovered = metrics.NewCounter("stepd_history_records_recovered_total")
	bytesRaw         = metrics.NewCounter("stepd_history_bytes_uncompressed_total")
	bytesCompressed  = metrics.NewCounter("stepd_history_bytes_compressed_total")
	writerErrors     = metrics.NewCounter("stepd_history_writer_errors_total")
	segmentsDeleted  = metrics.NewCounter("stepd_history_segments_deleted_total")
	appendBlocked    = metrics.NewCounter("stepd_history_append_blocked_total")
	writerCPUSeconds = metrics.NewFloatCounter("stepd_history_writer_cpu_seconds_total")
)

// Log is the execution history of one node: the staging ring, the writer
// goroutine, the segments and their index, and the shippers. Open one per
// directory; it is safe for concurrent use.
type Log struct {
	cfg  Config
	dir  string
	mu   sync.Mutex // guards the staging ring's head and closed
	cond *sync.Cond // the writer freed staging space
	st   *staging
	shed bool

	closed  bool
	failing atomic.Bool // the last drain failed (disk full?): shed rather than wait for ever
	kick    chan struct{}
	flushes chan chan struct{}
	stop    chan struct{}
	done    chan struct{}

	// segments, guarded by segMu; the writer appends, readers look up.
	segMu  sync.RWMutex
	segs   []*segment     // oldest first; the last one is being written
	byArn  map[uint64]ref // by hashString(executionArn)
	nextID uint64

	// the writer's own state
	file *os.File
	enc  *zstd.Encoder
	raw  []byte
	comp []byte
	keys []entry

	cache blockCache

	shippers []*shipper
	logger   *log.Logger
}

// ref finds an entry: the segment id in the high 32 bits, the entry's
// index in the low ones. It holds no pointer, so that the collector does
// not scan a map of millions of entries.
type ref uint64

func refOf(s *segment, i int) ref { return ref(s.id<<32 | uint64(i)) }

// segmentOf finds the segment r points into (the caller holds segMu).
func (l *Log) segmentOf(r ref) (*segment, int) {
	id := uint64(r) >> 32
	i := sort.Search(len(l.segs), func(i int) bool { return l.segs[i].id >= id })
	if i == len(l.segs) || l.segs[i].id != id {
		return nil, 0
	}
	return l.segs[i], int(uint32(r))
}

// Open opens (creating it if needed) the history in cfg.Dir, recovers
// what a crash left in the staging ring, and starts the writer and the
// shippers.
func Open(cfg Config) (*Log, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithLowerEncoderMem(true))
	if err != nil {
		return nil, err
	}
	l := &Log{cfg: cfg, dir: cfg.Dir, shed: cfg.Overload == "shed", kick: make(chan struct{}, 1),
		flushes: make(chan chan struct{}), stop: make(chan struct{}), done: make(chan struct{}),
		byArn: make(map[uint64]ref, 1<<16), enc: enc, logger: cfg.Logger}
	l.cond = sync.NewCond(&l.mu)
	if l.logger == nil {
		l.logger = log.New(io.Discard, "", 0)
	}
	persisted, err := l.loadSegments()
	if err != nil {
		return nil, err
	}
	if l.st, err = openStaging(filepath.Join(cfg.Dir, "staging"), cfg.StagingBytes); err != nil {
		return nil, err
	}
	if persisted > l.st.tail.Load() && persisted-l.st.tail.Load() <= l.st.size {
		l.st.setCheckpoint(persisted) // written to a segment, checkpoint not yet advanced
	}
	if n := l.st.recover(); n > 0 {
		recordsRecovered.Add(n)
		l.logger.Printf("history: recovered %d records from the staging ring", n)
	}
	if err := l.newSegment(); err != nil {
		l.st.close()
		return nil, err
	}
	if err := l.drain(); err != nil {
		l.closeFiles()
		return nil, err
	}
	for _, sc := range cfg.Shippers {
		sh, err := newShipper(l, sc)
		if err != nil {
			l.closeFiles()
			return nil, err
		}
		l.shippers = append(l.shippers, sh)
	}
	go l.run()
	for _, sh := range l.shippers {
		go sh.run()
	}
	openLogs.Store(l, true)
	return l, nil
}

// openLogs are the open Logs, whose staged bytes the queue gauge sums.
var openLogs sync.Map

var _ = metrics.NewGauge(`stepd_history_queue_bytes`, func() float64 {
	var n uint64
	openLogs.Range(func(k, _ any) bool {
		n += k.(*Log).queued()
		return true
	})
	return float64(n)
})

// queued is how many bytes wait in the staging ring.
func (l *Log) queued() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.st.head - l.st.tail.Load()
}

// loadSegments reads the index of every segment (scanning those without
// one) and returns the staging position the newest blocks reached.
func (l *Log) loadSegments() (uint64, error) {
	ids, err := listSegments(l.dir)
	if err != nil {
		return 0, err
	}
	var persisted uint64
	for _, id := range ids {
		s := &segment{id: id, path: segName(l.dir, id, segSuffix), sealed: true}
		fi, err := os.Stat(s.path)
		if err != nil {
			return 0, err
		}
		s.size, s.created, s.updated = fi.Size(), fi.ModTime(), fi.ModTime()
		if readIndex(s) != nil {
			s.entries = entryList{}
			end, err := scanBlocks(s.path, 0, func(b blockInfo, raw []byte) error {
				persisted = max(persisted, b.stagingEnd)
				return indexBlock(&s.entries, b, raw)
			})
			if err != nil {
				// Damage a crash cannot cause (the block's CRC checked out):
				// keep the node running and the file for inspection.
				l.logger.Printf("history: cannot read %s: %v; moved aside as .corrupt", s.path, err)
				writerErrors.Inc()
				if err := os.Rename(s.path, s.path+".corrupt"); err != nil {
					return 0, err
				}
				continue
			}
			if end < s.size { // a block torn by a crash: its records are still staged
				if err := os.Truncate(s.path, max(end, int64(len(segMagic)))); err != nil {
					return 0, err
				}
				s.size = max(end, int64(len(segMagic)))
			}
			if err := writeIndex(s); err != nil {
				return 0, err
			}
		}
		l.segs = append(l.segs, s)
		for i := 0; i < s.entries.len(); i++ {
			l.byArn[s.entries.at(i).arnHash] = refOf(s, i)
		}
		l.nextID = id + 1
	}
	return persisted, nil
}

// newSegment seals the segment being written and starts the next one.
// Only the writer (or Open) calls it.
func (l *Log) newSegment() error {
	if l.file != nil {
		if err := l.file.Sync(); err != nil {
			return err
		}
		if err := l.file.Close(); err != nil {
			return err
		}
		l.file = nil
		l.segMu.RLock()
		cur := l.segs[len(l.segs)-1]
		l.segMu.RUnlock()
		if err := writeIndex(cur); err != nil {
			return err
		}
		l.segMu.Lock()
		cur.sealed = true
		l.segMu.Unlock()
	}
	s := &segment{id: l.nextID, path: segName(l.dir, l.nextID, segSuffix), created: time.Now(), updated: time.Now()}
	f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write([]byte(segMagic)); err != nil {
		f.Close()
		return err
	}
	s.size = int64(len(segMagic))
	l.nextID++
	l.file = f
	l.segMu.Lock()
	l.segs = append(l.segs, s)
	l.segMu.Unlock()
	return nil
}

// append stages one execution's record, the header hdr followed by the
// events body. It returns false when the record was shed or the log is
// closed.
func (l *Log) append(hdr, body []byte, events int) bool {
	need := frameSize(len(hdr) + len(body))
	l.mu.Lock()
	if need > l.st.size/2 || l.closed {
		l.mu.Unlock()
		recordsShed.Inc()
		return false
	}
	for !l.st.room(need) {
		if l.shed || l.closed || l.failing.Load() {
			l.mu.Unlock()
			recordsShed.Inc()
			return false
		}
		appendBlocked.Inc()
		l.wake()
		l.cond.Wait()
	}
	l.st.put(hdr, body)
	full := l.st.head-l.st.tail.Load() >= uint64(l.cfg.BlockBytes)
	l.mu.Unlock()
	if full {
		l.wake()
	}
	eventsWritten.Add(events)
	return true
}

// wake asks the writer to drain now.
func (l *Log) wake() {
	select {
	case l.kick <- struct{}{}:
	default:
	}
}

// Flush returns once everything staged before the call is in segments,
// where readers see it.
func (l *Log) Flush() {
	c := make(chan struct{})
	select {
	case l.flushes <- c:
		<-c
	case <-l.done:
	}
}

// run is the writer goroutine. It keeps its OS thread, so that the
// thread's CPU time is the writer's (stepd_history_writer_cpu_seconds_total).
func (l *Log) run() {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	defer close(l.done)
	t := time.NewTicker(l.cfg.FlushInterval)
	defer t.Stop()
	for {
		var waiting chan struct{}
		select {
		case <-l.stop:
			l.writeOrLog(l.drainOrFail())
			return
		case waiting = <-l.flushes:
		case <-l.kick:
		case <-t.C:
		}
		l.writeOrLog(l.drainOrFail())
		if waiting != nil {
			close(waiting)
		}
		l.writeOrLog(l.maintain(time.Now()))
	}
}

func (l *Log) writeOrLog(err error) {
	if err != nil {
		writerErrors.Inc()
		l.logger.Printf("history: %v", err)
	}
}

// drainOrFail drains and remembers whether it failed, so that executions
// waiting for room shed their records instead of waiting for a writer
// that cannot write.
func (l *Log) drainOrFail() error {
	err := l.drain()
	if l.failing.Load() != (err != nil) {
		l.failing.Store(err != nil)
		l.mu.Lock()
		l.cond.Broadcast()
		l.mu.Unlock()
	}
	return err
}

// drain compresses every staged record into blocks of the current
// segment and advances the checkpoint after each block.
func (l *Log) drain() error {
	l.mu.Lock()
	head := l.st.head
	l.mu.Unlock()
	pos := l.st.tail.Load()
	if pos == head {
		return nil
	}
	began := ThreadCPU()
	defer func() { writerCPUSeconds.Add((ThreadCPU() - began).Seconds()) }()
	l.raw, l.keys = l.raw[:0], l.keys[:0]
	for pos < head {
		body, next, err := l.st.frameAt(pos)
		if err != nil {
			// Frames before head were completed under the lock: this is
			// damage from outside. Skip to head rather than stall.
			l.logger.Printf("history: staging frame at %d: %v; skipping %d bytes", pos, err, head-pos)
			writerErrors.Inc()
			pos = head
			break
		}
		if body != nil {
			if e, err := summaryKeys(body); err == nil {
				l.raw = binary.AppendUvarint(l.raw, uint64(len(body)))
				e.off, e.n = uint32(len(l.raw)), uint32(len(body))
				l.raw = append(l.raw, body...)
				l.keys = append(l.keys, e)
			}
		}
		pos = next
		if len(l.raw) >= l.cfg.BlockBytes {
			if err := l.writeBlock(pos); err != nil {
				return err
			}
		}
	}
	return l.writeBlock(pos)
}

// noHeader is the room left for a block's header before its bytes.
var noHeader [blockHeader]byte

// writeBlock compresses l.raw into a block of the current segment,
// indexes its records, and sets the staging checkpoint to end.
func (l *Log) writeBlock(end uint64) error {
	if len(l.raw) > 0 {
		l.comp = l.enc.EncodeAll(l.raw, append(l.comp[:0], noHeader[:]...))
		comp := l.comp[blockHeader:]
		l.segMu.RLock()
		s := l.segs[len(l.segs)-1]
		l.segMu.RUnlock()
		b := blockInfo{off: s.size, clen: uint32(len(comp)), raw: uint32(len(l.raw)), crc: crc32.Checksum(comp, castagnoli),
			records: uint32(len(l.keys)), stagingEnd: end}
		appendBlockHeader(l.comp[:0], b)
		if _, err := l.file.WriteAt(l.comp, s.size); err != nil {
			return fmt.Errorf("cannot write %s: %w", s.path, err)
		}
		bytesRaw.Add(len(l.raw))
		bytesCompressed.Add(len(l.comp))
		recordsWritten.Add(len(l.keys))
		l.segMu.Lock()
		for _, e := range l.keys {
			e.block = b.off
			l.byArn[e.arnHash] = refOf(s, s.entries.add(e))
		}
		s.size = b.next()
		s.updated = time.Now()
		l.segMu.Unlock()
		l.raw, l.keys = l.raw[:0], l.keys[:0]
	}
	l.st.setCheckpoint(end)
	l.mu.Lock()
	l.cond.Broadcast()
	l.mu.Unlock()
	l.segMu.RLock()
	full := l.segs[len(l.segs)-1].size >= l.cfg.SegmentBytes
	l.segMu.RUnlock()
	if full {
		return l.newSegment()
	}
	return nil
}

// maintain rotates the current segment by age and deletes segments past
// the retention limits.
func (l *Log) maintain(now time.Time) error {
	l.segMu.RLock()
	cur := l.segs[len(l.segs)-1]
	old := cur.size > int64(len(segMagic)) && now.Sub(cur.created) >= l.cfg.SegmentAge
	l.segMu.RUnlock()
	if old {
		if err := l.newSegment(); err != nil {
			return err
		}
	}
	for {
		l.segMu.Lock()
		var total int64
		for _, s := range l.segs {
			total += s.size
		}
		oldest := l.segs[0]
		drop := len(l.segs) > 1 && ((l.cfg.MaxBytes > 0 && total > l.cfg.MaxBytes) ||
			(l.cfg.MaxAge > 0 && now.Sub(oldest.updated) > l.cfg.MaxAge))
		if drop {
			l.segs = l.segs[1:]
			for i := 0; i < oldest.entries.len(); i++ {
				h := oldest.entries.at(i).arnHash
				if r, ok := l.byArn[h]; ok && uint64(r)>>32 == oldest.id {
					delete(l.byArn, h)
				}
			}
		}
		l.segMu.Unlock()
		if !drop {
			return nil
		}
		segmentsDeleted.Inc()
		if err := os.Remove(oldest.path); err != nil {
			return err
		}
		if err := os.Remove(segName(l.dir, oldest.id, idxSuffix)); err != nil && !os.IsNotExist(err) {
			return err
		}
	}
}

// Close drains the staging ring into the segments, stops the writer and
// the shippers, and closes the files. Executions still finishing have
// their records shed. Closing a nil Log does nothing.
func (l *Log) Close() error {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	for _, sh := range l.shippers {
		sh.close()
	}
	close(l.stop)
	<-l.done
	openLogs.Delete(l)
	return l.closeFiles()
}

func (l *Log) closeFiles() error {
	var err error
	if l.file != nil {
		if e := l.file.Sync(); e != nil {
			err = e
		}
		if e := l.file.Close(); e != nil && err == nil {
			err = e
		}
		l.file = nil
	}
	if e := l.st.close(); e != nil && err == nil {
		err = e
	}
	return err
}

// Totals are the process-wide history counters (the metrics' values), for
// benchmarks and tests that measure the writer.
type Totals struct {
	Events, Records        uint64
	Shed                   uint64
	BytesRaw, BytesWritten uint64
	WriterSeconds          float64
}

// ReadTotals returns the counters now.
func ReadTotals() Totals {
	return Totals{Events: eventsWritten.Get(), Records: recordsWritten.Get(), Shed: recordsShed.Get(),
		BytesRaw: bytesRaw.Get(), BytesWritten: bytesCompressed.Get(), WriterSeconds: writerCPUSeconds.Get()}
}

// ThreadCPU is the CPU time (user and system) the calling OS thread has
// used. The writer reads it around each drain; benchmarks that lock their
// goroutine to its thread use it to measure CPU time rather than wall
// time, which other processes on the machine distort. It reads the
// thread's CPU clock, which is exact to the nanosecond: getrusage's
// thread usage moves in steps of up to a scheduler tick (4 ms here), so
// over spans shorter than that it credited one span with time spent in
// another.
func ThreadCPU() time.Duration {
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_THREAD_CPUTIME_ID, &ts) != nil {
		return 0
	}
	return time.Duration(ts.Nano())
}
