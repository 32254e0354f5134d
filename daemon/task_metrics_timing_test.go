package daemon

import (
	"context"
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// BenchmarkTimedInvoker is what timing and counting add to a Task call.
func BenchmarkTimedInvoker(b *testing.B) {
	inv := newTimedInvoker(fakeInvoker{})
	task := &fastpath.Task{Resource: "arn:aws:states:::lambda:invoke"}
	ctx, in := context.Background(), []byte(`{}`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			_, _, _ = inv.Invoke(ctx, task, in, nil)
		}
	})
}
