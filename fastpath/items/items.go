package items

import "io"

// Reader yields the items of one source. Next appends the next item's
// compact JSON to dst and returns it, or returns dst and io.EOF after the
// last item, or another error when the source is not readable as its
// type says. A Reader is not safe for concurrent use.
type Reader interface {
	Next(dst []byte) ([]byte, error)
}

// MaxItemBytes bounds one item as it is read, before compaction: an item
// this large could never be a child execution's input (256 KiB), and the
// bound keeps a hostile file from growing a buffer without end.
const MaxItemBytes = 4 << 20

// Error is a source that cannot be read as items. Its text is the cause
// the Map fails with (States.ItemReaderFailed): AWS's words where known.
type Error struct {
	Cause string
}

func (e *Error) Error() string { return e.Cause }

// failed returns an *Error with the cause.
func failed(cause string) error { return &Error{Cause: cause} }

// errItemTooLarge is the error for an item over MaxItemBytes.
var errItemTooLarge = failed("An item in the file is larger than the maximum of 4 MiB")

// Sequence is a Reader over the items of several sources read one after
// the other (the files a manifest lists). Next calls open for each next
// source once the previous one is exhausted; open returns io.EOF when
// there is none left. A source that is an io.Closer is closed when it
// ends.
type Sequence struct {
	open func() (Reader, error)
	cur  Reader
}

// NewSequence returns a Sequence whose sources come from open.
func NewSequence(open func() (Reader, error)) *Sequence { return &Sequence{open: open} }

// Next implements Reader.
func (s *Sequence) Next(dst []byte) ([]byte, error) {
	for {
		if s.cur == nil {
			r, err := s.open()
			if err != nil {
				return dst, err
			}
			s.cur = r
		}
		out, err := s.cur.Next(dst)
		if err != io.EOF {
			return out, err
		}
		if err := s.Close(); err != nil {
			return dst, err
		}
	}
}

// Close closes the current source, if it is an io.Closer.
func (s *Sequence) Close() error {
	c, ok := s.cur.(io.Closer)
	s.cur = nil
	if ok {
		return c.Close()
	}
	return nil
}
