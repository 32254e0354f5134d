package fastpath

import "unsafe"

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
	it   ObjectIter
	done bool     // every member is in keys
	keys [][]byte // raw keys, with quotes
	vals [][]byte
}

// get returns the value of name in the object obj, or nil when it has no
// such member.
func (x *objectIndex) get(obj []byte, name string) []byte {
	o := x.slot(obj)
	for i, k := range o.keys {
		if KeyEquals(k, name) {
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
		if KeyEquals(k, name) {
			return v
		}
	}
	return nil
}

// slot returns obj's slot, taking over the least recently started one if
// obj is not indexed.
func (x *objectIndex) slot(obj []byte) *indexedObject {
	for i := range x.slots {
		if sameSpan(x.slots[i].src, obj) {
			return &x.slots[i]
		}
	}
	o := &x.slots[x.next]
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
