package jsonata

import (
	"math/rand/v2"
)

func defineArrayFuncs() {
	def("append", "<xx:a>", func(ev *evaluator, input any, e *env, args []any) any {
		ev.charge((len(argArray(args[0])) + len(argArray(args[1]))) * itemBytes)
		return appendValues(args[0], args[1])
	})
	def("exists", "<x:b>", func(ev *evaluator, input any, e *env, args []any) any {
		return args[0] != nil
	})
	def("reverse", "<a:a>", func(ev *evaluator, input any, e *env, args []any) any {
		a, ok := args[0].(*Array)
		if !ok {
			return nil
		}
		if len(a.Items) <= 1 {
			return a
		}
		out := &Array{Items: make([]any, len(a.Items))}
		for i, v := range a.Items {
			out.Items[len(a.Items)-1-i] = v
		}
		return out
	})
	def("shuffle", "<a:a>", func(ev *evaluator, input any, e *env, args []any) any {
		a, ok := args[0].(*Array)
		if !ok {
			return nil
		}
		if len(a.Items) <= 1 {
			return a
		}
		out := &Array{Items: append([]any(nil), a.Items...)}
		rand.Shuffle(len(out.Items), func(i, j int) { out.Items[i], out.Items[j] = out.Items[j], out.Items[i] })
		return out
	})
	def("distinct", "<x:x>", func(ev *evaluator, input any, e *env, args []any) any {
		a, ok := args[0].(*Array)
		if !ok || len(a.Items) <= 1 {
			return args[0]
		}
		out := &Array{sequence: a.sequence}
		for _, v := range a.Items {
			dup := false
			for _, r := range out.Items {
				if deepEqual(v, r) {
					dup = true
					break
				}
			}
			if !dup {
				out.Items = append(out.Items, v)
			}
		}
		return out
	})
	def("sort", "<af?:a>", fnSort)
	def("zip", "<a+>", func(ev *evaluator, input any, e *env, args []any) any {
		out := &Array{Items: []any{}}
		n := -1
		for _, a := range args {
			l := len(argArray(a))
			if n < 0 || l < n {
				n = l
			}
		}
		for i := 0; i < n; i++ {
			t := &Array{Items: make([]any, len(args))}
			for j, a := range args {
				t.Items[j] = argArray(a)[i]
			}
			out.Items = append(out.Items, t)
		}
		return out
	})
	def("map", "<af>", func(ev *evaluator, input any, e *env, args []any) any {
		a, ok := args[0].(*Array)
		if !ok {
			return nil
		}
		res := newSeq(len(a.Items))
		for i, v := range a.Items {
			r := ev.callHOF(args[1], input, e, v, float64(i), a)
			if r != nil {
				res.Items = append(res.Items, r)
			}
		}
		return res
	})
	def("filter", "<af>", func(ev *evaluator, input any, e *env, args []any) any {
		a, ok := args[0].(*Array)
		if !ok {
			return nil
		}
		res := newSeq(0)
		for i, v := range a.Items {
			if toBool(ev.callHOF(args[1], input, e, v, float64(i), a)) {
				res.Items = append(res.Items, v)
			}
		}
		return res
	})
	def("single", "<af?>", func(ev *evaluator, input any, e *env, args []any) any {
		a, ok := args[0].(*Array)
		if !ok {
			return nil
		}
		var result any
		found := false
		for i, v := range a.Items {
			pos := true
			if args[1] != nil {
				pos = toBool(ev.callHOF(args[1], input, e, v, float64(i), a))
			}
			if pos {
				if found {
					throwErr("D3138", -1, "", nil)
				}
				result, found = v, true
			}
		}
		if !found {
			throwErr("D3139", -1, "", nil)
		}
		return result
	})
	def("reduce", "<afj?:j>", func(ev *evaluator, input any, e *env, args []any) any {
		a, ok := args[0].(*Array)
		if !ok {
			return nil
		}
		n := arity(args[1])
		if n < 2 {
			throwErr("D3050", -1, "", nil)
		}
		var result any
		i := 0
		if args[2] == nil && len(a.Items) > 0 {
			result, i = a.Items[0], 1
		} else {
			result = args[2]
		}
		for ; i < len(a.Items); i++ {
			call := []any{result, a.Items[i]}
			if n >= 3 {
				call = append(call, float64(i))
			}
			if n >= 4 {
				call = append(call, a)
			}
			result = ev.apply(args[1], call, input, e)
		}
		return result
	})
}

// fnSort is $sort(array[, comparator]); the comparator returns true when
// its first argument must come after its second.
func fnSort(ev *evaluator, input any, e *env, args []any) any {
	a, ok := args[0].(*Array)
	if !ok {
		return nil
	}
	if len(a.Items) <= 1 {
		return a
	}
	var greater func(x, y any) bool
	if args[1] == nil {
		allNum, allStr := true, true
		for _, v := range a.Items {
			switch v.(type) {
			case float64:
				allStr = false
			case string:
				allNum = false
			default:
				allNum, allStr = false, false
			}
		}
		if !allNum && !allStr {
			throwErr("D3070", -1, "", nil)
		}
		greater = func(x, y any) bool { return lessScalar(y, x) }
	} else {
		f := args[1]
		greater = func(x, y any) bool { return jsTruthy(ev.apply(f, []any{x, y}, input, e)) }
	}
	return &Array{Items: mergeSort(a.Items, greater)}
}
