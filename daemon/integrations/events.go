package integrations

import (
	"context"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// putEvents runs arn:aws:states:::events:putEvents: PutEvents with each
// entry's non-string Detail sent as its JSON text. The result is the
// answer, {Entries: [{EventId}], FailedEntryCount}, without Sdk metadata;
// when FailedEntryCount is not 0 the task fails with
// EventBridge.FailedEntry and that answer as the cause.
func (s *Services) putEvents(ctx context.Context, input, dst []byte) ([]byte, error) {
	entries := jsonb.ObjectGet(input, "Entries")
	if jsonb.KindOf(input) != jsonb.KindObject || jsonb.KindOf(entries) != jsonb.KindArray {
		return dst, runtimeFailure("events:putEvents", "must be an object with an Entries array")
	}
	c := acquireCall(awsclient.EventBridge)
	defer releaseCall(c)
	c.req.Target = "PutEvents"
	b := append(c.body, '{')
	var it jsonb.ObjectIter
	it.Reset(input)
	first := true
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		if !first {
			b = append(b, ',')
		}
		first = false
		b = append(b, k...)
		b = append(b, ':')
		if !jsonb.KeyEquals(k, "Entries") {
			b = append(b, v...)
			continue
		}
		b = append(b, '[')
		var ai jsonb.ArrayIter
		ai.Reset(v)
		n := 0
		for e, ok := ai.Next(); ok; e, ok = ai.Next() {
			if n > 0 {
				b = append(b, ',')
			}
			n++
			if jsonb.KindOf(e) != jsonb.KindObject {
				b = append(b, e...)
				continue
			}
			b = append(b, '{')
			var ei jsonb.ObjectIter
			ei.Reset(e)
			f := true
			for ek, ev, ok := ei.Next(); ok; ek, ev, ok = ei.Next() {
				if !f {
					b = append(b, ',')
				}
				f = false
				b = append(b, ek...)
				b = append(b, ':')
				if jsonb.KeyEquals(ek, "Detail") && jsonb.KindOf(ev) != jsonb.KindString {
					b = jsonb.AppendQuoted(b, ev) // an object is sent as its JSON text
				} else {
					b = append(b, ev...)
				}
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	c.body = append(b, '}')
	if err := s.do(ctx, c, optimized); err != nil {
		return dst, err
	}
	mark := len(dst)
	out, err := jsonb.Compact(dst, c.resp.Body(), jsonb.MaxDepth)
	if err != nil {
		return dst, &fastpath.Failure{Name: "EventBridge.SdkClientException", Cause: "Unable to unmarshall response: the answer is not JSON"}
	}
	if n, ok := jsonb.ParseNumber(jsonb.ObjectGet(out[mark:], "FailedEntryCount")); ok && n > 0 {
		return dst, &fastpath.Failure{Name: "EventBridge.FailedEntry", Cause: string(out[mark:])}
	}
	return out, nil
}
