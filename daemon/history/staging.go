package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// The staging file is a ring of frames in a file mapped into memory. An
// execution's record is copied into it (one memcpy, no system call) before
// the execution's response is sent: the mapping is the page cache, so the
// record survives the process being killed, and the writer goroutine
// compresses it into a segment later. The first page holds the checkpoint,
// the ring position up to which everything is in segments; on start,
// frames past it are recovered.
//
//	page 0: magic:u64 ringSize:u64 checkpoint:u64
//	ring:   frame*          at ring position p, file offset stagingHeader + p % ringSize
//	frame:  magic:u32 len:u32 pos:u64 0:u32 kind:u32 payload pad-to-8
//
// pos is the frame's ring position (it grows without wrapping), so a frame
// left from an earlier lap of the ring never passes for a new one. It is
// also the frame's commit word: put clears it, writes the rest of the
// frame, and stores it last, atomically. A process killed while copying a
// frame leaves it without its position, so recovery finds it torn; a
// process kill loses no store that was made, so a frame with its position
// is whole. (A checksum would also catch frames that a power loss wrote
// back in part, but costs more than the copy on every execution; what a
// power loss may lose is stated in README's "What survives a crash", and
// recovery decodes each frame it finds before keeping it.) The word
// after pos held a CRC in earlier versions and is ignored.
const (
	stagingMagic  = 0x5354504448535431 // "STPDHST1"
	stagingHeader = 4096
	frameHeader   = 24
	frameMagic    = 0x46524d31
	kindRecord    = 1
	kindPad       = 2
)

// staging is the mapped ring. head and tail are ring positions: frames in
// [tail, head) are not yet in segments. The Log's mutex guards head; the
// writer owns tail.
type staging struct {
	f    *os.File
	mem  []byte
	ring []byte
	size uint64
	head uint64
	tail atomic.Uint64
	warm bool // prefaulted; guarded as head is
}

// openStaging maps path, creating it with a ring of size bytes, and
// returns it with the frames found past the checkpoint (recovered).
func openStaging(path string, size int) (*staging, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	total := int64(stagingHeader + size)
	fresh := st.Size() == 0
	if !fresh && st.Size() != total {
		// A different -history-staging-bytes: keep the old ring's size
		// until it is drained; the new size applies to a fresh file.
		total = st.Size()
	}
	if fresh {
		if err := f.Truncate(total); err != nil {
			f.Close()
			return nil, err
		}
	}
	mem, err := syscall.Mmap(int(f.Fd()), 0, int(total), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_SHARED)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot map %s: %w", path, err)
	}
	s := &staging{f: f, mem: mem, ring: mem[stagingHeader:], size: uint64(total - stagingHeader)}
	if fresh {
		binary.LittleEndian.PutUint64(mem[0:], stagingMagic)
		binary.LittleEndian.PutUint64(mem[8:], s.size)
	} else if binary.LittleEndian.Uint64(mem[0:]) != stagingMagic || binary.LittleEndian.Uint64(mem[8:]) != s.size {
		s.close()
		return nil, fmt.Errorf("%s is not a stepd staging file", path)
	}
	s.tail.Store(s.checkpoint())
	s.head = s.tail.Load()
	return s, nil
}

// prefault writes to every page of the ring once, so that executions do
// not take the page faults of first writes (which cost more than the
// copy itself); the ring stays in memory from then on, dirty. put calls
// it before the first frame, not open: a node whose machines all log
// OFF never stages a record, and its ring takes neither memory nor disk
// (the file is sparse until written).
func (s *staging) prefault() {
	s.warm = true
	for i := 0; i < len(s.ring); i += os.Getpagesize() {
		atomic.AddUint32((*uint32)(unsafe.Pointer(&s.ring[i])), 0) // a write that keeps what a crash left
	}
}

func (s *staging) checkpointWord() *uint64 {
	return (*uint64)(unsafe.Pointer(&s.mem[16]))
}

// checkpoint reads the persisted checkpoint.
func (s *staging) checkpoint() uint64 { return atomic.LoadUint64(s.checkpointWord()) }

// setCheckpoint persists that everything before pos is in segments.
func (s *staging) setCheckpoint(pos uint64) {
	atomic.StoreUint64(s.checkpointWord(), pos)
	s.tail.Store(pos)
}

func pad8(n uint64) uint64 { return (n + 7) &^ 7 }

// frameSize is the ring space a payload of n bytes takes.
func frameSize(n int) uint64 { return frameHeader + pad8(uint64(n)) }

// room reports whether a frame of need bytes fits at head now, counting
// the space skipped to wrap around.
func (s *staging) room(need uint64) bool {
	phys := s.head % s.size
	if phys+need > s.size {
		need += s.size - phys
	}
	return s.head+need-s.tail.Load() <= s.size
}

// put writes a record frame of the parts at head (the caller checked
// room and holds the Log's lock) and returns the position after it.
func (s *staging) put(a, b []byte) uint64 {
	if !s.warm {
		s.prefault()
	}
	n := len(a) + len(b)
	need := frameSize(n)
	if phys := s.head % s.size; phys+need > s.size {
		if s.size-phys >= frameHeader {
			s.writeHeader(phys, kindPad, int(s.size-phys-frameHeader))
			atomic.StoreUint64(s.posWord(phys), s.head)
		}
		s.head += s.size - phys
	}
	phys := s.head % s.size
	s.writeHeader(phys, kindRecord, n)
	body := s.ring[phys+frameHeader : phys+frameHeader+uint64(n)]
	copy(body, a)
	copy(body[len(a):], b)
	atomic.StoreUint64(s.posWord(phys), s.head) // last: until then the frame is torn
	s.head += need
	return s.head
}

// writeHeader writes the header of a frame at phys, with its commit word
// cleared: the caller stores it once the frame is complete.
func (s *staging) writeHeader(phys uint64, kind, n int) {
	h := s.ring[phys : phys+frameHeader]
	binary.LittleEndian.PutUint32(h[0:], frameMagic)
	binary.LittleEndian.PutUint32(h[4:], uint32(n))
	binary.LittleEndian.PutUint64(h[8:], 0)
	binary.LittleEndian.PutUint32(h[16:], 0)
	binary.LittleEndian.PutUint32(h[20:], uint32(kind))
}

// posWord is the commit word of the frame at phys (8-aligned, as every
// frame is).
func (s *staging) posWord(phys uint64) *uint64 {
	return (*uint64)(unsafe.Pointer(&s.ring[phys+8]))
}

var errTorn = errors.New("torn or missing frame")

// frameAt reads the frame at ring position pos: its payload (a view of
// the mapping, nil for padding) and the position of the next frame. It
// fails at the end of the written frames and at a torn frame.
func (s *staging) frameAt(pos uint64) ([]byte, uint64, error) {
	phys := pos % s.size
	if s.size-phys < frameHeader {
		return nil, pos + s.size - phys, nil
	}
	h := s.ring[phys : phys+frameHeader]
	if binary.LittleEndian.Uint32(h[0:]) != frameMagic || atomic.LoadUint64(s.posWord(phys)) != pos {
		return nil, pos, errTorn
	}
	n := uint64(binary.LittleEndian.Uint32(h[4:]))
	if phys+frameHeader+n > s.size {
		return nil, pos, errTorn
	}
	switch binary.LittleEndian.Uint32(h[20:]) {
	case kindPad:
		return nil, pos + s.size - phys, nil
	case kindRecord:
	default:
		return nil, pos, errTorn
	}
	return s.ring[phys+frameHeader : phys+frameHeader+n], pos + frameSize(int(n)), nil
}

// recover finds the frames past the checkpoint that a crash left behind:
// it walks from the tail to the first torn or missing frame (only the
// frame being copied when the process died can be torn, and its execution
// was not answered) and sets head after the last good one. A committed
// frame whose record does not decode (what a power loss can leave) counts
// as torn too.
func (s *staging) recover() int {
	n := 0
	pos := s.tail.Load()
	for pos-s.tail.Load() < s.size {
		body, next, err := s.frameAt(pos)
		if err != nil {
			break
		}
		if body != nil {
			if _, err := DecodeRecord(body); err != nil {
				break
			}
		}
		if body != nil {
			n++
		}
		pos = next
	}
	s.head = pos
	return n
}

func (s *staging) close() error {
	err := syscall.Munmap(s.mem)
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	return err
}
