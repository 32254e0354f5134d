package bench

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/durable"
	"github.com/stepd/stepd/fastpath"
)

const benchActivity = "arn:aws:states:us-east-1:123456789012:activity:bench"

// activityMachine is one activity Task.
const activityMachine = `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"` + benchActivity + `","End":true}}}`

// activityConfig is a runner whose activity "call" (the check that the
// activity exists) always succeeds.
func activityConfig() durable.Config {
	cfg := durable.DefaultConfig()
	cfg.Invoker = fastpath.Funcs{benchActivity: func(_ context.Context, _, dst []byte) ([]byte, error) { return append(dst, "{}"...), nil }}
	return cfg
}

// startWaiting starts n executions of the activity machine from 32
// clients and returns once every one waits for a worker.
func startWaiting(b *testing.B, node *cluster.Node, prefix string, n int) {
	var wg sync.WaitGroup
	for c := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < n; i += 32 {
				name := fmt.Sprintf("%s%d", prefix, i)
				e := &cluster.Execution{Arn: "arn:aws:states:us-east-1:123456789012:execution:m:" + name, MachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:m",
					MachineName: "m", Name: name, Definition: activityMachine, Input: fmt.Sprintf(`{"i":%d}`, i), Start: time.Now()}
				if _, err := node.Propose(context.Background(), &cluster.StartExecution{Execution: e}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for {
		tasks, _ := node.Executions().ActivityTasks(benchActivity, n)
		if len(tasks) == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkActivityRoundTrip: b.N executions wait on an activity; 1 or
// 8 workers each take a task (the claim GetActivityTask commits) and answer
// it (the answer SendTaskSuccess commits), in process, without HTTP. The
// round trip is take + answer as the worker sees it; "to end" runs from
// the answer to the execution's end, committed (the leader's runner
// resumes it by replay).
func BenchmarkActivityRoundTrip(b *testing.B) {
	for _, workers := range []int{1, 8} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) { activityRoundTrip(b, workers) })
	}
}

func activityRoundTrip(b *testing.B, workers int) {
	var ended sync.Map // arn → time
	cfg := activityConfig()
	cfg.OnEnd = func(e *cluster.Execution, _ *fastpath.Result) { ended.Store(e.Arn, time.Now()) }
	node, rn := openDurable(b, b.TempDir(), cfg)
	defer node.Close()
	defer rn.Close()
	startWaiting(b, node, "r", b.N)
	var mu sync.Mutex
	var trips []time.Duration
	answered := map[string]time.Time{}
	var taken atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for taken.Load() < int64(b.N) {
				start := time.Now()
				tasks, _ := node.Executions().ActivityTasks(benchActivity, 8)
				for k := range tasks {
					p := tasks[(k+w)%len(tasks)] // each worker tries another task first, as a real fleet's polls spread
					claim, err := node.Propose(context.Background(), &cluster.ClaimActivityTask{Token: p.Token, Worker: fmt.Sprint("w", w)})
					if err != nil {
						b.Error(err)
						return
					}
					if claim.Err != nil { // another worker took it first
						continue
					}
					res, err := node.Propose(context.Background(), &cluster.AnswerTask{Token: p.Token, Outcome: fastpath.AppendTaskSuccess(nil, p.Input), Now: time.Now()})
					if err != nil || res.Err != nil {
						b.Error(err, res.Err)
						return
					}
					now := time.Now()
					mu.Lock()
					trips = append(trips, now.Sub(start))
					answered[p.Arn] = now
					mu.Unlock()
					taken.Add(1)
					break
				}
			}
		}()
	}
	wg.Wait()
	var toEnd []time.Duration
	for arn, at := range answered {
		for {
			if end, ok := ended.Load(arn); ok {
				toEnd = append(toEnd, end.(time.Time).Sub(at))
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	b.StopTimer()
	reportPercentiles(b, trips, "roundtrip")
	reportPercentiles(b, toEnd, "to-end")
}

// reportPercentiles reports the median and the 99th percentile of ds (in
// µs) as metrics name-p50-µs and name-p99-µs. It sorts ds.
func reportPercentiles(b *testing.B, ds []time.Duration, name string) {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	if len(ds) > 0 {
		b.ReportMetric(float64(ds[len(ds)/2].Microseconds()), name+"-p50-µs")
		b.ReportMetric(float64(ds[len(ds)*99/100].Microseconds()), name+"-p99-µs")
	}
}

// BenchmarkCommit is the floor under each of the round trip's two
// commits: one Raft commit at a time on the same one-node setup, with
// nothing else running (a heartbeat for a token that does not exist, so
// that it changes nothing). Its tail is the disk's fsync tail; the round
// trip's tail is two of these, plus waiting behind the commit of the
// execution the runner resumes meanwhile.
func BenchmarkCommit(b *testing.B) {
	node, rn := openDurable(b, b.TempDir(), activityConfig())
	defer node.Close()
	defer rn.Close()
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		if _, err := node.Propose(context.Background(), &cluster.HeartbeatTask{Token: "st1.none", Now: start}); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(start))
	}
	b.StopTimer()
	reportPercentiles(b, ds, "commit")
}

// BenchmarkTokenWaitMemory parks 10,000 executions on activity tokens
// and reports the heap and goroutines they hold: a wait is its records
// and index entries, no goroutine.
func BenchmarkTokenWaitMemory(b *testing.B) {
	const waiting = 10000
	for range b.N {
		node, rn := openDurable(b, b.TempDir(), activityConfig())
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		g0 := runtime.NumGoroutine()
		startWaiting(b, node, "m", waiting)
		for rn.Parked() < waiting {
			time.Sleep(time.Millisecond)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/waiting, "heap-B/waiting")
		b.ReportMetric(float64(runtime.NumGoroutine()-g0), "goroutines-added")
		rn.Close()
		node.Close()
	}
}
