package jsonata

// Null is JSON null. It is distinct from "undefined", which this package
// represents as a nil interface value (no value, an empty sequence).
type Null struct{}

// Object is a JSON object that keeps its keys in insertion order, as
// JavaScript objects do for non-numeric keys. The zero value is an empty
// object. It is not safe for concurrent mutation; values returned by Eval
// may share structure with the input document, so treat them as read-only.
type Object struct {
	keys []string
	vals []any
	// idx maps keys to positions once the object has more than
	// smallObject keys; smaller objects are searched linearly, which is
	// faster and allocates far less (most JSON objects are small).
	idx map[string]int
}

// smallObject is the largest object looked up without a map.
const smallObject = 16

// smallObjectCap is the room NewObject gives an object in the same
// allocation as the object itself.
const smallObjectCap = 4

// SmallObject is an object and the backing arrays of its first keys, to
// be allocated together: NewObject uses it, and a host embeds one in a
// struct of its own to build an object without an allocation of its own.
type SmallObject struct {
	o    Object
	keys [smallObjectCap]string
	vals [smallObjectCap]any
}

// Init returns the object of s, which must be zero (new or cleared),
// with room for a few members inline. The object lives in s: s must not be
// copied or reused while the object is in use.
func (s *SmallObject) Init() *Object {
	s.o.keys, s.o.vals = s.keys[:0], s.vals[:0]
	return &s.o
}

// objectWithRoom8 and objectWithRoom16 are SmallObject for larger
// objects.
type objectWithRoom8 struct {
	o    Object
	keys [8]string
	vals [8]any
}

type objectWithRoom16 struct {
	o    Object
	keys [16]string
	vals [16]any
}

// NewObject returns an empty object with room for n keys.
func NewObject(n int) *Object {
	switch {
	case n <= smallObjectCap:
		return new(SmallObject).Init()
	case n <= 8:
		r := &objectWithRoom8{}
		r.o.keys, r.o.vals = r.keys[:0], r.vals[:0]
		return &r.o
	case n <= 16:
		r := &objectWithRoom16{}
		r.o.keys, r.o.vals = r.keys[:0], r.vals[:0]
		return &r.o
	}
	return &Object{keys: make([]string, 0, n), vals: make([]any, 0, n)}
}

// Len returns the number of keys.
func (o *Object) Len() int { return len(o.keys) }

// Keys returns the keys in order. The slice is owned by the object and
// must not be modified.
func (o *Object) Keys() []string { return o.keys }

func (o *Object) find(key string) int {
	if o.idx != nil {
		if i, ok := o.idx[key]; ok {
			return i
		}
		return -1
	}
	for i, k := range o.keys {
		if k == key {
			return i
		}
	}
	return -1
}

// Get returns the value stored under key and whether it exists.
func (o *Object) Get(key string) (any, bool) {
	if i := o.find(key); i >= 0 {
		return o.vals[i], true
	}
	return nil, false
}

// get returns the value stored under key, nil (undefined) when absent.
func (o *Object) get(key string) any {
	if i := o.find(key); i >= 0 {
		return o.vals[i]
	}
	return nil
}

// Set stores v under key, appending key if it is new. Setting nil
// (undefined) is allowed and keeps the key, as JavaScript does.
func (o *Object) Set(key string, v any) {
	if i := o.find(key); i >= 0 {
		o.vals[i] = v
		return
	}
	o.keys = append(o.keys, key)
	o.vals = append(o.vals, v)
	switch {
	case o.idx != nil:
		o.idx[key] = len(o.keys) - 1
	case len(o.keys) > smallObject:
		o.reindex()
	}
}

func (o *Object) reindex() {
	o.idx = make(map[string]int, len(o.keys))
	for i, k := range o.keys {
		o.idx[k] = i
	}
}

// Delete removes key if present, keeping the order of the others.
func (o *Object) Delete(key string) {
	i := o.find(key)
	if i < 0 {
		return
	}
	o.keys = append(o.keys[:i:i], o.keys[i+1:]...)
	o.vals = append(o.vals[:i:i], o.vals[i+1:]...)
	if o.idx != nil {
		o.reindex()
	}
}

// Array is a JSON array, or a JSONata sequence when produced by the
// evaluator. The flags carry the sequence semantics of the reference
// implementation (singleton sequences collapse to their item unless
// keepSingleton is set; constructed arrays (cons) are not flattened by
// path steps). Callers outside the package only see Items.
type Array struct {
	Items []any

	sequence      bool
	keepSingleton bool
	cons          bool
	outerWrapper  bool
	tupleStream   bool
}

// NewArray wraps items as a plain JSON array (not a sequence).
func NewArray(items []any) *Array { return &Array{Items: items} }

// newSeq returns an empty sequence with room for n items.
func newSeq(n int) *Array { return &Array{Items: make([]any, 0, n), sequence: true} }

// seqOf returns a sequence holding v, or an empty one when v is undefined.
func seqOf(v any) *Array {
	s := &Array{sequence: true}
	if v != nil {
		s.Items = []any{v}
	}
	return s
}

// tuple is one element of a tuple stream: the context item under "@" plus
// the focus, index and ancestor variables bound along the path.
type tuple map[string]any

// isFunc reports whether v is a callable value.
func isFunc(v any) bool {
	switch v.(type) {
	case *lambda, *Builtin, *regexFn:
		return true
	}
	return false
}

// typeName is the name $type returns for v.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return ""
	case Null:
		return "null"
	case float64:
		return "number"
	case string:
		return "string"
	case bool:
		return "boolean"
	case *Array:
		return "array"
	case *Object:
		return "object"
	}
	if isFunc(v) {
		return "function"
	}
	return "object"
}

// deepEqual is JSONata's = on values: structural for arrays and objects
// (key order ignored), exact for numbers.
func deepEqual(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case Null:
		_, ok := b.(Null)
		return ok
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case string:
		y, ok := b.(string)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case *Array:
		y, ok := b.(*Array)
		if !ok || len(x.Items) != len(y.Items) {
			return false
		}
		for i := range x.Items {
			if !deepEqual(x.Items[i], y.Items[i]) {
				return false
			}
		}
		return true
	case *Object:
		y, ok := b.(*Object)
		if !ok || len(x.keys) != len(y.keys) {
			return false
		}
		for _, k := range x.keys {
			yv, ok := y.Get(k)
			if !ok || !deepEqual(x.get(k), yv) {
				return false
			}
		}
		return true
	}
	return a == b
}

// flattenInto appends v to dst, descending into nested arrays.
func flattenInto(dst []any, v any) []any {
	if a, ok := v.(*Array); ok {
		for _, it := range a.Items {
			dst = flattenInto(dst, it)
		}
		return dst
	}
	return append(dst, v)
}

// deepClone copies arrays and objects (functions and scalars are shared).
func deepClone(v any) any {
	switch x := v.(type) {
	case *Array:
		out := &Array{Items: make([]any, len(x.Items))}
		for i, it := range x.Items {
			out.Items[i] = deepClone(it)
		}
		return out
	case *Object:
		out := NewObject(len(x.keys))
		for _, k := range x.keys {
			out.Set(k, deepClone(x.get(k)))
		}
		return out
	}
	return v
}
