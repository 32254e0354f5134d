package history

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
)

// Cursor reads the blocks of a history directory in order, as shippers
// and `stepd history` do. Its position is a segment id and a block
// offset; it only ever stands on a block boundary, so it can be saved and
// resumed. A Cursor reads the files directly and works on a directory
// that a running node is writing: a block still being written is not
// seen until it is complete.
type Cursor struct {
	Dir     string `json:"-"`
	Segment uint64 `json:"segment"`
	Offset  int64  `json:"offset"`
	// Skipped counts segments deleted by retention before the cursor
	// read them (a new cursor starts at the oldest segment there is).
	Skipped int `json:"-"`

	positioned bool // the cursor has stood on an existing segment
	comp, raw  []byte
}

// Next reads the block at the cursor and calls fn with its records (the
// decompressed block, see EachRecord); when fn succeeds the cursor moves
// past the block. It reports whether it moved, and returns fn's error
// with the cursor left where it was. At the end of a finished segment it
// moves to the next one.
func (c *Cursor) Next(fn func(raw []byte) error) (bool, error) {
	ids, err := listSegments(c.Dir)
	if err != nil || len(ids) == 0 {
		return false, err
	}
	i := 0
	for i < len(ids) && ids[i] < c.Segment {
		i++
	}
	if i == len(ids) {
		return false, nil // the segment the cursor is at does not exist yet
	}
	if ids[i] != c.Segment {
		if c.Offset != 0 || c.positioned {
			c.Skipped += int(ids[i] - c.Segment) // segment ids are consecutive
		}
		c.Segment, c.Offset = ids[i], 0
	}
	c.positioned = true
	f, err := os.Open(segName(c.Dir, c.Segment, segSuffix))
	if errors.Is(err, os.ErrNotExist) {
		return true, nil // deleted meanwhile: the next call moves on
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	off := max(c.Offset, int64(len(segMagic)))
	b, comp, err := readBlock(f, off, c.comp)
	c.comp = comp
	if err != nil {
		if i+1 < len(ids) { // a later segment exists: this one is finished
			c.Segment, c.Offset = ids[i+1], 0
			return true, nil
		}
		return false, nil
	}
	if c.raw, err = decodeBlock(b, comp, c.raw); err != nil {
		return false, err
	}
	if err := fn(c.raw); err != nil {
		return false, err
	}
	c.Offset = b.next()
	return true, nil
}

// EachRecord calls fn with each execution record of a block that Next
// passed.
func EachRecord(raw []byte, fn func(rec *Record) error) error {
	return eachRecord(raw, func(_ uint32, b []byte) error {
		rec, err := DecodeRecord(b)
		if err != nil {
			return err
		}
		return fn(rec)
	})
}

// AppendLines appends every event of the records of a block as
// CloudWatch JSON lines.
func AppendLines(dst, raw []byte) ([]byte, int, error) {
	n := 0
	err := EachRecord(raw, func(rec *Record) error {
		for i := range rec.Events {
			dst = AppendCloudWatch(dst, rec, i)
			dst = append(dst, '\n')
			n++
		}
		return nil
	})
	return dst, n, err
}

// loadCursor reads a saved cursor, or starts at the beginning.
func loadCursor(dir, path string) (*Cursor, error) {
	c := &Cursor{Dir: dir}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, c); err != nil {
		return nil, errors.New("cannot read the checkpoint " + path + ": " + err.Error())
	}
	c.positioned = true
	return c, nil
}

// save writes the cursor to path atomically.
func (c *Cursor) save(path string) error {
	b, _ := json.Marshal(c)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Clean(path))
}

// lag is how many segment bytes lie past the cursor.
func (c *Cursor) lag() int64 {
	ids, err := listSegments(c.Dir)
	if err != nil {
		return 0
	}
	var n int64
	for _, id := range ids {
		if id < c.Segment {
			continue
		}
		fi, err := os.Stat(segName(c.Dir, id, segSuffix))
		if err != nil {
			continue
		}
		n += fi.Size()
		if id == c.Segment {
			n -= max(c.Offset, int64(len(segMagic)))
		}
	}
	return max(n, 0)
}
