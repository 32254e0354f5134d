package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/durable"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/dircopy"
)

// threePass is the machine of the STANDARD throughput figure.
const threePass = `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"C"},"C":{"Type":"Pass","End":true}}}`

// openDurable opens a one-node cluster in a temporary directory with a
// runner of its executions.
func openDurable(b *testing.B, dir string, cfg durable.Config) (*cluster.Node, *durable.Runner) {
	b.Helper()
	cc := cluster.DefaultConfig()
	cc.RaftAddr, cc.DataDir = "127.0.0.1:0", dir
	n, err := cluster.Open(cc)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.WaitLeader(ctx); err != nil {
		b.Fatal(err)
	}
	rn, err := durable.New(n, cfg)
	if err != nil {
		b.Fatal(err)
	}
	rn.Start()
	return n, rn
}

// BenchmarkDurable starts b.N STANDARD executions of a 3-Pass machine
// from 32 concurrent clients, each answered once its start is durable,
// and waits until all have ended: executions per second end to end, with
// every transition committed (fsynced) through Raft.
func BenchmarkDurable(b *testing.B) {
	var ended atomic.Int64
	cfg := durable.DefaultConfig()
	cfg.OnEnd = func(*cluster.Execution, *fastpath.Result) { ended.Add(1) }
	n, rn := openDurable(b, b.TempDir(), cfg)
	defer n.Close()
	defer rn.Close()
	var count atomic.Int64
	records0 := metrics.GetOrCreateCounter(`stepd_durable_records_total`).Get()
	commits0 := metrics.GetOrCreateCounter(`stepd_durable_checkpoints_total`).Get()
	b.ResetTimer()
	start := time.Now()
	b.SetParallelism(16) // 32 clients on 2 cores
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := count.Add(1)
			name := fmt.Sprintf("e%d", i)
			e := &cluster.Execution{Arn: "arn:aws:states:us-east-1:123456789012:execution:m:" + name, MachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:m",
				MachineName: "m", Name: name, Definition: threePass, Input: `{"n":1}`, Start: time.Now()}
			if _, err := n.Propose(context.Background(), &cluster.StartExecution{Execution: e}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	for ended.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "exec/s")
	b.ReportMetric(float64(metrics.GetOrCreateCounter(`stepd_durable_checkpoints_total`).Get()-commits0)/elapsed.Seconds(), "checkpoints/s")
	b.ReportMetric(float64(metrics.GetOrCreateCounter(`stepd_durable_records_total`).Get()-records0)/elapsed.Seconds(), "records/s")
}

// startMany starts count executions of def named e0, e1, … from 32
// concurrent clients, each answered once its start is durable.
func startMany(b *testing.B, n *cluster.Node, count int, def, input string) {
	b.Helper()
	var wg sync.WaitGroup
	for c := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := c; i < count; i += 32 {
				name := fmt.Sprintf("e%d", i)
				e := &cluster.Execution{Arn: "arn:aws:states:us-east-1:123456789012:execution:m:" + name, MachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:m",
					MachineName: "m", Name: name, Definition: def, Input: input, Start: time.Now()}
				if _, err := n.Propose(context.Background(), &cluster.StartExecution{Execution: e}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkDurableRecovery parks 10,000 executions at a Wait of an hour
// and measures how long a node opening a copy of its data directory takes
// until every one is parked again: the Raft log replayed or a snapshot
// restored, and each execution replayed through the engine. "crash"
// copies the directory while the node runs (what a disk holds after kill
// -9: no snapshot taken at close), "closed" after a clean close, which
// snapshots. cpu-s is the CPU time the process spent meanwhile, which a
// busy machine does not inflate as it does the wall-clock time.
func BenchmarkDurableRecovery(b *testing.B) {
	const waiting = 10000
	def := `{"StartAt":"T","States":{"T":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.r","Next":"W"},"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
	dir := b.TempDir()
	n, rn := openDurable(b, dir, durable.DefaultConfig())
	startMany(b, n, waiting, def, `{}`)
	for rn.Parked() < waiting {
		time.Sleep(time.Millisecond)
	}
	tail := n.LogSinceSnapshot()
	crashed := dircopy.Copy(b, dir)
	rn.Close()
	if err := n.Close(); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct{ name, dir string }{{"crash", crashed}, {"closed", dir}} {
		b.Run(bc.name, func(b *testing.B) {
			for range b.N {
				copied := dircopy.Copy(b, bc.dir)
				cpu0 := cpuTime()
				start := time.Now()
				n, rn := openDurable(b, copied, durable.DefaultConfig())
				for rn.Parked() < waiting {
					time.Sleep(time.Millisecond)
				}
				b.ReportMetric(time.Since(start).Seconds(), "s-to-resume-10k")
				b.ReportMetric((cpuTime() - cpu0).Seconds(), "cpu-s")
				if bc.name == "crash" {
					b.ReportMetric(float64(tail), "log-entries")
				}
				rn.Close()
				n.Close()
			}
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDurableEndedHeap runs 10,000 executions of the 3-Pass machine
// to their end on a one-node cluster and reports the heap they still take
// (kept for Describe, List and GetExecutionHistory until retention) per
// ended execution, measured once the node is closed (which keeps them).
func BenchmarkDurableEndedHeap(b *testing.B) {
	const executions = 10000
	for range b.N {
		var ended atomic.Int64
		cfg := durable.DefaultConfig()
		cfg.OnEnd = func(*cluster.Execution, *fastpath.Result) { ended.Add(1) }
		heap0 := liveHeap()
		n, rn := openDurable(b, b.TempDir(), cfg)
		startMany(b, n, executions, threePass, `{"n":1}`)
		for ended.Load() < executions {
			time.Sleep(time.Millisecond)
		}
		// Closed, the node keeps its executions but no snapshot in
		// progress, log buffers or runs.
		rn.Close()
		n.Close()
		b.ReportMetric(float64(liveHeap()-heap0)/executions, "heap-B/ended-exec")
		if len(n.Executions().Running()) != 0 {
			b.Fatal("executions still running")
		}
	}
}

// liveHeap is the heap in use after two collections (the second empties
// what the first left in sync.Pools' victim caches).
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}
