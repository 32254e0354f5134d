package fastpath

import "unsafe"

// objectIndex holds the members of one object value so that repeated
// lookups of its keys cost a walk over a short list instead of a scan of
// the object's bytes. The VM keeps one for the current "$" value: a
// template such as Parameters looks up many keys of the same state input,
// and each plain ObjectGet would rescan everything before its key.
type objectIndex struct {
	src  []byte   // the indexed object
	keys [][]byte // raw keys, with quotes
	vals [][]byte
}

// get returns the value of name in obj, indexing obj first if it is not
// the object indexed last. It returns nil when obj has no such member or
// is not an object.
func (x *objectIndex) get(obj []byte, name string) []byte {
	if !sameSpan(x.src, obj) {
		x.build(obj)
	}
	for i, k := range x.keys {
		if KeyEquals(k, name) {
			return x.vals[i]
		}
	}
	return nil
}

func (x *objectIndex) build(obj []byte) {
	clear(x.keys)
	clear(x.vals)
	x.src, x.keys, x.vals = obj, x.keys[:0], x.vals[:0]
	var it ObjectIter
	it.Reset(obj)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		x.keys = append(x.keys, k)
		x.vals = append(x.vals, v)
	}
}

// reset forgets the indexed object, so its memory can be reused.
func (x *objectIndex) reset() {
	clear(x.keys)
	clear(x.vals)
	x.src, x.keys, x.vals = nil, x.keys[:0], x.vals[:0]
}

// sameSpan reports whether a and b are the same bytes of the same array.
func sameSpan(a, b []byte) bool {
	return len(a) == len(b) && unsafe.SliceData(a) == unsafe.SliceData(b)
}
