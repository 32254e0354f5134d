package jsonata

func defineObjectFuncs() {
	def("keys", "<x-:a<s>>", func(ev *evaluator, input any, e *env, args []any) any {
		res := newSeq(0)
		switch x := args[0].(type) {
		case *Object:
			for _, k := range x.keys {
				res.Items = append(res.Items, k)
			}
		case *Array:
			seen := map[string]bool{}
			for _, it := range x.Items {
				if o, ok := it.(*Object); ok {
					for _, k := range o.keys {
						if !seen[k] {
							seen[k] = true
							res.Items = append(res.Items, k)
						}
					}
				}
			}
		}
		return res
	})
	def("lookup", "<x-s:x>", func(ev *evaluator, input any, e *env, args []any) any {
		key, ok := args[1].(string)
		if !ok {
			return nil
		}
		return lookupField(args[0], key)
	})
	def("spread", "<x-:a<o>>", func(ev *evaluator, input any, e *env, args []any) any {
		return spread(args[0])
	})
	def("merge", "<a<o>:o>", func(ev *evaluator, input any, e *env, args []any) any {
		if args[0] == nil {
			return nil
		}
		items := argArray(args[0])
		n := 0
		for _, it := range items {
			n += len(it.(*Object).keys)
		}
		out := NewObject(n)
		for i, it := range items {
			o := it.(*Object)
			if i == 0 {
				// the first object's keys are distinct: copy them as they are
				out.keys = append(out.keys, o.keys...)
				out.vals = append(out.vals, o.vals...)
				if len(out.keys) > smallObject {
					out.reindex()
				}
				continue
			}
			for j, k := range o.keys {
				out.Set(k, o.vals[j])
			}
		}
		return out
	})
	def("sift", "<o-f?:o>", func(ev *evaluator, input any, e *env, args []any) any {
		o, ok := args[0].(*Object)
		if !ok {
			return nil
		}
		out := NewObject(0)
		for _, k := range o.keys {
			if toBool(ev.callHOF(args[1], input, e, o.get(k), k, o)) {
				out.Set(k, o.get(k))
			}
		}
		if out.Len() == 0 {
			return nil
		}
		return out
	})
	def("each", "<o-f:a>", func(ev *evaluator, input any, e *env, args []any) any {
		o, ok := args[0].(*Object)
		if !ok {
			return nil
		}
		res := newSeq(o.Len())
		for _, k := range o.keys {
			if v := ev.callHOF(args[1], input, e, o.get(k), k, o); v != nil {
				res.Items = append(res.Items, v)
			}
		}
		return res
	})
	def("type", "<x:s>", func(ev *evaluator, input any, e *env, args []any) any {
		if args[0] == nil {
			return nil
		}
		return typeName(args[0])
	})
	def("boolean", "<x-:b>", func(ev *evaluator, input any, e *env, args []any) any {
		if args[0] == nil {
			return nil
		}
		return toBool(args[0])
	})
	def("not", "<x-:b>", func(ev *evaluator, input any, e *env, args []any) any {
		if args[0] == nil {
			return nil
		}
		return !toBool(args[0])
	})
	def("clone", "<(oa)-:o>", func(ev *evaluator, input any, e *env, args []any) any {
		return deepClone(args[0])
	})
}

// spread is $spread: an object becomes an array of one-key objects.
func spread(v any) any {
	switch x := v.(type) {
	case *Array:
		var res any = newSeq(0)
		for _, it := range x.Items {
			res = appendValues(res, spread(it))
		}
		return res
	case *Object:
		res := newSeq(x.Len())
		for _, k := range x.keys {
			o := NewObject(1)
			o.Set(k, x.get(k))
			res.Items = append(res.Items, o)
		}
		return res
	}
	return v
}
