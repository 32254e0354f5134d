package fastpath

import (
	"unsafe"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// objectIndex remembers the members of recently read objects so that
// repeated lookups of their keys cost a walk over a short list instead of
// a scan of the object's bytes. The VM keeps one for "$" values: a template
// such as Parameters looks up many keys of the same state input, and each
// plain ObjectGet would rescan everything before its key. Objects are
// indexed lazily, only as far as lookups have needed, so an index is never
// more work than the ObjectGet it replaces.
type objectIndex struct {
	slots [indexSlots]indexedObject
	next  int // the slot to reuse next
}

// indexSlots is how many objects stay indexed: a Map's ItemSelector
// alternates between the Map's input and each iteration's own input.
const indexSlots = 2

type indexedObject struct {
	src  []byte // the indexed object
	it   jsonb.ObjectIter
	done bool     // every member is in keys
	keys [][]byte // raw keys, with quotes
	vals [][]byte
}

// get returns the value of name in the object obj, or nil when it has no
// such member.
func (x *objectIndex) get(obj []byte, name string) []byte {
	return x.slot(obj, nil).lookup(name)
}

func (o *indexedObject) lookup(name string) []byte {
	for i, k := range o.keys {
		if jsonb.KeyEquals(k, name) {
			return o.vals[i]
		}
	}
	for !o.done {
		k, v, ok := o.it.Next()
		if !ok {
			o.done = true
			break
		}
		o.keys = append(o.keys, k)
		o.vals = append(o.vals, v)
		if jsonb.KeyEquals(k, name) {
			return v
		}
	}
	return nil
}

// setMember appends to dst the object obj with its member name set to
// val (replaced where it exists, added at the end where it does not), and
// returns the new object. The new object's index is derived from obj's by
// shifting offsets, so that the next state's lookups in it scan nothing.
func (x *objectIndex) setMember(dst, obj []byte, name string, val []byte) (out, arena []byte) {
	o := x.slot(obj, nil)
	m := o.lookup(name)
	mark := len(dst)
	var off, oldLen, keyOff int
	if m != nil {
		off, oldLen = spanOffset(obj, m), len(m)
		dst = append(dst, obj[:off]...)
		dst = append(dst, val...)
		dst = append(dst, obj[off+oldLen:]...)
	} else {
		dst = append(dst, obj[:len(obj)-1]...)
		if len(obj) > 2 {
			dst = append(dst, ',')
		}
		keyOff = len(dst) - mark
		dst = jsonb.AppendQuotedString(dst, name)
		dst = append(dst, ':')
		off = len(dst) - mark
		dst = append(dst, val...)
		dst = append(dst, '}')
	}
	out = dst[mark:len(dst):len(dst)]
	n := x.slot(out, o)
	delta := len(val) - oldLen
	shift := func(span []byte) []byte {
		p := spanOffset(obj, span)
		if p > off {
			p += delta
		}
		return out[p : p+len(span)]
	}
	for i, k := range o.keys {
		n.keys = append(n.keys, shift(k))
		if m != nil && spanOffset(obj, o.vals[i]) == off {
			n.vals = append(n.vals, out[off:off+len(val)])
		} else {
			n.vals = append(n.vals, shift(o.vals[i]))
		}
	}
	if m == nil { // o.done holds: a lookup misses only after the last member
		n.keys = append(n.keys, out[keyOff:off-1])
		n.vals = append(n.vals, out[off:off+len(val)])
	}
	n.done = o.done
	next := o.it.Offset()
	if next > off {
		next += delta
	}
	n.it.ResetAt(out, next)
	return out, dst
}

// slot returns obj's slot. If obj is not indexed it takes over the least
// recently taken slot other than keep.
func (x *objectIndex) slot(obj []byte, keep *indexedObject) *indexedObject {
	for i := range x.slots {
		if sameSpan(x.slots[i].src, obj) {
			return &x.slots[i]
		}
	}
	o := &x.slots[x.next]
	if o == keep {
		x.next = (x.next + 1) % indexSlots
		o = &x.slots[x.next]
	}
	x.next = (x.next + 1) % indexSlots
	o.reset()
	o.src = obj
	o.it.Reset(obj)
	return o
}

func (o *indexedObject) reset() {
	clear(o.keys)
	clear(o.vals)
	*o = indexedObject{keys: o.keys[:0], vals: o.vals[:0]}
}

// reset forgets every indexed object, so their memory can be reused.
func (x *objectIndex) reset() {
	for i := range x.slots {
		x.slots[i].reset()
	}
	x.next = 0
}

// sameSpan reports whether a and b are the same bytes of the same array.
func sameSpan(a, b []byte) bool {
	return len(a) == len(b) && len(a) > 0 && unsafe.SliceData(a) == unsafe.SliceData(b)
}

// spanOffset returns where the span m starts within v; m must be a span of
// v.
func spanOffset(v, m []byte) int {
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(m))) - uintptr(unsafe.Pointer(unsafe.SliceData(v))))
}
