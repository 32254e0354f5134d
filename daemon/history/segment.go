package history

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// A segment file is a magic and a sequence of blocks, each one zstd frame
// of records written by one drain of the staging ring:
//
//	segment = "STPDSEG1" block*
//	block   = magic:u32 clen:u32 rawlen:u32 crc:u32 records:u32 0:u32 stagingEnd:u64 zstd(raw)
//	raw     = (uvarint(len) record)*
//
// crc is Castagnoli over the compressed bytes; stagingEnd is the staging
// position after the block's last record, so that after a crash the
// records already in a segment are not written again. A block that does
// not check out ends the segment: it was being written when the process
// died, and its records are still in the staging ring.
const (
	segMagic    = "STPDSEG1"
	blockHeader = 32
	blockMagic  = 0x424c4b31
	segPrefix   = "seg-"
	segSuffix   = ".zst"
	idxSuffix   = ".idx"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// segment is one segment file and the index of its records.
type segment struct {
	id      uint64
	path    string
	size    int64
	created time.Time // when the first block was written, or the file's time
	updated time.Time
	entries entryList
	sealed  bool
}

// entryList holds a segment's entries in chunks of fixed size, so that
// growing it copies nothing and leaves no garbage: the writer adds one
// entry per execution, and the collector's work would slow executions.
type entryList struct {
	chunks [][]entry
	n      int
}

const entryChunk = 4096

func (l *entryList) len() int       { return l.n }
func (l *entryList) at(i int) entry { return l.chunks[i/entryChunk][i%entryChunk] }
func (l *entryList) add(e entry) int {
	if l.n%entryChunk == 0 {
		l.chunks = append(l.chunks, make([]entry, 0, entryChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, e)
	l.n++
	return l.n - 1
}

// entry locates one execution record and carries what listing needs
// without reading it.
type entry struct {
	arnHash, machineHash uint64
	block                int64 // offset of the block in the segment
	off, n               uint32
	start, stop          int64 // ms
	status               byte
}

const entrySize = 8 + 8 + 8 + 4 + 4 + 8 + 8 + 8

func segName(dir string, id uint64, suffix string) string {
	return filepath.Join(dir, segPrefix+fmt.Sprintf("%020d", id)+suffix)
}

// listSegments returns the ids of the segment files in dir, oldest first.
func listSegments(dir string) ([]uint64, error) {
	names, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var ids []uint64
	for _, d := range names {
		name, ok := strings.CutPrefix(d.Name(), segPrefix)
		if !ok {
			continue
		}
		if name, ok = strings.CutSuffix(name, segSuffix); !ok {
			continue
		}
		if id, err := strconv.ParseUint(name, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids, nil
}

// blockInfo is a block's header.
type blockInfo struct {
	off        int64
	clen, raw  uint32
	crc        uint32
	records    uint32
	stagingEnd uint64
}

func (b blockInfo) next() int64 { return b.off + blockHeader + int64(b.clen) }

func appendBlockHeader(dst []byte, b blockInfo) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, blockMagic)
	dst = binary.LittleEndian.AppendUint32(dst, b.clen)
	dst = binary.LittleEndian.AppendUint32(dst, b.raw)
	dst = binary.LittleEndian.AppendUint32(dst, b.crc)
	dst = binary.LittleEndian.AppendUint32(dst, b.records)
	dst = binary.LittleEndian.AppendUint32(dst, 0)
	return binary.LittleEndian.AppendUint64(dst, b.stagingEnd)
}

var errNoBlock = errors.New("no complete block")

// readBlock reads the block at off of f: its header and compressed bytes
// (into buf). It returns errNoBlock at the end of the written blocks or at
// a block torn by a crash.
func readBlock(f io.ReaderAt, off int64, buf []byte) (blockInfo, []byte, error) {
	var h [blockHeader]byte
	if _, err := f.ReadAt(h[:], off); err != nil {
		return blockInfo{}, buf, errNoBlock
	}
	b := blockInfo{off: off, clen: binary.LittleEndian.Uint32(h[4:]), raw: binary.LittleEndian.Uint32(h[8:]),
		crc: binary.LittleEndian.Uint32(h[12:]), records: binary.LittleEndian.Uint32(h[16:]), stagingEnd: binary.LittleEndian.Uint64(h[24:])}
	if binary.LittleEndian.Uint32(h[0:]) != blockMagic || b.clen > 1<<30 {
		return blockInfo{}, buf, errNoBlock
	}
	if cap(buf) < int(b.clen) {
		buf = make([]byte, b.clen)
	}
	buf = buf[:b.clen]
	if _, err := f.ReadAt(buf, off+blockHeader); err != nil {
		return blockInfo{}, buf, errNoBlock
	}
	if crc32.Checksum(buf, castagnoli) != b.crc {
		return blockInfo{}, buf, errNoBlock
	}
	return b, buf, nil
}

// decoder decompresses blocks; zstd decoders are safe for concurrent
// DecodeAll calls.
var decoder, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(1<<30))

// decodeBlock decompresses a block's bytes into dst.
func decodeBlock(b blockInfo, comp, dst []byte) ([]byte, error) {
	raw, err := decoder.DecodeAll(comp, dst[:0])
	if err != nil {
		return nil, fmt.Errorf("cannot decompress the block at %d: %w", b.off, err)
	}
	if len(raw) != int(b.raw) {
		return nil, fmt.Errorf("block at %d: %d bytes, the header says %d", b.off, len(raw), b.raw)
	}
	return raw, nil
}

// eachRecord calls fn with the offset and bytes of each record of a
// decompressed block.
func eachRecord(raw []byte, fn func(off uint32, rec []byte) error) error {
	for i := 0; i < len(raw); {
		n, w := binary.Uvarint(raw[i:])
		if w <= 0 || uint64(len(raw)-i-w) < n {
			return errCorrupt
		}
		start := i + w
		if err := fn(uint32(start), raw[start:start+int(n)]); err != nil {
			return err
		}
		i = start + int(n)
	}
	return nil
}

// scanBlocks calls fn for each complete block of the segment at path from
// offset from on, with the block decompressed, and returns the offset
// after the last complete block.
func scanBlocks(path string, from int64, fn func(b blockInfo, raw []byte) error) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return from, err
	}
	defer f.Close()
	if from < int64(len(segMagic)) {
		var m [len(segMagic)]byte
		if _, err := f.ReadAt(m[:], 0); err != nil || string(m[:]) != segMagic {
			return from, nil // an empty or half-created segment
		}
		from = int64(len(segMagic))
	}
	var comp, raw []byte
	off := from
	for {
		b, c, err := readBlock(f, off, comp)
		comp = c
		if err != nil {
			return off, nil
		}
		if raw, err = decodeBlock(b, comp, raw); err != nil {
			return off, err
		}
		if err := fn(b, raw); err != nil {
			return off, err
		}
		off = b.next()
	}
}

// summaryKeys reads what the index keeps from a record's header without
// copying strings.
func summaryKeys(rec []byte) (e entry, err error) {
	d := reader{b: rec}
	if d.byte() != recordVersion {
		return e, errCorrupt
	}
	e.arnHash = hashBytes(d.bytes())
	e.machineHash = hashBytes(d.bytes())
	d.bytes()
	d.bytes()
	e.status = d.byte()
	d.byte()
	d.uvarint()
	e.start, e.stop = d.varint(), d.varint()
	return e, d.err
}

// hashBytes hashes an ARN for the index: 8 bytes at a time with a
// multiply-xorshift mix, stable across processes (index files keep the
// hashes) and fast enough for the writer to hash two ARNs per record.
func hashBytes(b []byte) uint64 {
	h := uint64(len(b)) * 0x9e3779b97f4a7c15
	for ; len(b) >= 8; b = b[8:] {
		h = mix64(h ^ binary.LittleEndian.Uint64(b))
	}
	var tail [8]byte
	copy(tail[:], b)
	return mix64(h ^ binary.LittleEndian.Uint64(tail[:]))
}

func hashString(s string) uint64 { return hashBytes([]byte(s)) }

// mix64 is MurmurHash3's 64-bit finalizer.
func mix64(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// writeIndex saves a sealed segment's entries next to it, so that opening
// the log does not decompress every segment.
func writeIndex(s *segment) error {
	buf := make([]byte, 0, 8+s.entries.len()*entrySize)
	buf = append(buf, "STPDIDX1"...)
	for i := 0; i < s.entries.len(); i++ {
		e := s.entries.at(i)
		buf = binary.LittleEndian.AppendUint64(buf, e.arnHash)
		buf = binary.LittleEndian.AppendUint64(buf, e.machineHash)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(e.block))
		buf = binary.LittleEndian.AppendUint32(buf, e.off)
		buf = binary.LittleEndian.AppendUint32(buf, e.n)
		buf = binary.LittleEndian.AppendUint64(buf, uint64(e.start))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(e.stop))
		buf = binary.LittleEndian.AppendUint64(buf, uint64(e.status))
	}
	path := segName(filepath.Dir(s.path), s.id, idxSuffix)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readIndex loads the entries of a sealed segment, or fails when its
// index file is missing or damaged (the caller scans the segment then).
func readIndex(s *segment) error {
	b, err := os.ReadFile(segName(filepath.Dir(s.path), s.id, idxSuffix))
	if err != nil {
		return err
	}
	if len(b) < 8 || string(b[:8]) != "STPDIDX1" || (len(b)-8)%entrySize != 0 {
		return errCorrupt
	}
	b = b[8:]
	s.entries = entryList{}
	for ; len(b) > 0; b = b[entrySize:] {
		s.entries.add(entry{
			arnHash: binary.LittleEndian.Uint64(b), machineHash: binary.LittleEndian.Uint64(b[8:]),
			block: int64(binary.LittleEndian.Uint64(b[16:])), off: binary.LittleEndian.Uint32(b[24:]),
			n: binary.LittleEndian.Uint32(b[28:]), start: int64(binary.LittleEndian.Uint64(b[32:])),
			stop: int64(binary.LittleEndian.Uint64(b[40:])), status: byte(binary.LittleEndian.Uint64(b[48:])),
		})
	}
	return nil
}

// indexBlock adds the entries of the records of a decompressed block.
func indexBlock(entries *entryList, b blockInfo, raw []byte) error {
	return eachRecord(raw, func(off uint32, rec []byte) error {
		e, err := summaryKeys(rec)
		if err != nil {
			return err
		}
		e.block, e.off, e.n = b.off, off, uint32(len(rec))
		entries.add(e)
		return nil
	})
}
