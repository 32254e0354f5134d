package bench

import (
	"bytes"
	"context"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// historyLevels are the logging configurations BenchmarkHistory compares.
var historyLevels = []struct {
	name string
	lg   history.Logging
}{
	{"off", history.Logging{}},
	{"error", history.Logging{Level: history.LevelError}},
	{"all-data", history.Logging{Level: history.LevelAll, IncludeData: true}},
}

// benchStart is the start time every benchmark execution reports: the
// daemon reads the clock for it whether or not logging is on.
var benchStart = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

// runWithHistory runs one execution as the daemon does: with a Recorder
// as the event sink when logging is on, staging its record in l at the
// end.
func runWithHistory(tb testing.TB, l *history.Log, lg history.Logging, ex *fastpath.Execution, prog *fastpath.Program, input []byte, opts *fastpath.Options) {
	var rec *history.Recorder
	opts.Events, opts.EventMask = nil, 0
	if lg.Enabled() {
		rec = history.AcquireRecorder(lg, benchStart)
		opts.Events, opts.EventMask = rec, rec.Mask()
	}
	res, err := ex.Run(context.Background(), prog, input, opts)
	if err != nil || res.Status != fastpath.Succeeded {
		tb.Fatalf("run: %v %s", err, res.Status)
	}
	sink = res.Output
	if rec != nil {
		sum := history.Summary{ExecutionArn: opts.ExecutionArn, StateMachineArn: opts.StateMachineArn, Name: opts.ExecutionName,
			Status: fastpath.Succeeded, Start: benchStart, Stop: benchStart}
		if !rec.Finish(l, &sum) {
			tb.Fatal("record shed")
		}
		history.ReleaseRecorder(rec)
	}
	ex.Reset()
}

// openBenchLog opens a history log with the daemon's defaults.
func openBenchLog(tb testing.TB) *history.Log {
	l, err := history.Open(history.DefaultConfig(filepath.Join(tb.TempDir(), "history")))
	if err != nil {
		tb.Fatal(err)
	}
	return l
}

// historyChunk is how many executions run at one level before the
// benchmark switches to the next: small enough that the levels share the
// machine's ups and downs, large enough that reading the clock is noise.
const historyChunk = 256

// BenchmarkHistory executes tiny and medium with logging OFF, ERROR and
// ALL with execution data, interleaved in chunks of historyChunk
// executions on one goroutine with one pooled Execution, as
// BenchmarkMachine does; the history writer compresses in the background
// with the daemon's defaults (overload policy block: a writer that falls
// behind slows the executions down). It reports each level's time per
// execution, the throughput each costs against OFF, the writer's CPU time
// per million events, and the compression ratio of the segments against
// the staged records ("ratio") and against the CloudWatch JSON lines they
// stand for ("json-ratio").
func BenchmarkHistory(b *testing.B) {
	for _, name := range []string{"tiny", "medium"} {
		b.Run(name, func(b *testing.B) {
			prog, input := loadMachine(b, name)
			l := openBenchLog(b)
			dir := filepath.Join(filepath.Dir(l.Segments()[0].Path))
			ex := fastpath.AcquireExecution()
			defer fastpath.ReleaseExecution(ex)
			opts := *benchOptions
			runtime.LockOSThread() // so that ThreadCPU is this goroutine's
			defer runtime.UnlockOSThread()
			var spent, cpu [3]time.Duration
			var runs [3]int
			before := history.ReadTotals()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; {
				for v, lv := range historyLevels {
					n := min(historyChunk, b.N-i)
					t, c := time.Now(), history.ThreadCPU()
					for k := 0; k < n; k++ {
						runWithHistory(b, l, lv.lg, ex, prog, input, &opts)
					}
					spent[v] += time.Since(t)
					cpu[v] += history.ThreadCPU() - c
					runs[v] += n
					i += n
				}
			}
			b.StopTimer()
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
			after := history.ReadTotals()
			perExec := func(d [3]time.Duration, v int) float64 { return float64(d[v].Nanoseconds()) / float64(max(runs[v], 1)) }
			for v, lv := range historyLevels {
				b.ReportMetric(perExec(spent, v), lv.name+"-ns/exec")
				b.ReportMetric(perExec(cpu, v), lv.name+"-cpu-ns/exec")
			}
			// Throughput lost against OFF: 1 - (1/t_level)/(1/t_off).
			b.ReportMetric(100*(1-perExec(spent, 0)/perExec(spent, 1)), "error-cost-%")
			b.ReportMetric(100*(1-perExec(spent, 0)/perExec(spent, 2)), "all-cost-%")
			b.ReportMetric(100*(1-perExec(cpu, 0)/perExec(cpu, 1)), "error-cpu-cost-%")
			b.ReportMetric(100*(1-perExec(cpu, 0)/perExec(cpu, 2)), "all-cpu-cost-%")
			if events := after.Events - before.Events; events > 0 {
				b.ReportMetric(float64(after.BytesRaw-before.BytesRaw)/float64(after.BytesWritten-before.BytesWritten), "ratio")
				b.ReportMetric((after.WriterSeconds-before.WriterSeconds)/float64(events)*1e6, "writer-cpu-s/Mevents")
			}
			b.ReportMetric(jsonRatio(b, dir), "json-ratio")
		})
	}
}

// jsonRatio is how much smaller the first blocks of the history in dir
// are than the CloudWatch JSON lines they hold.
func jsonRatio(tb testing.TB, dir string) float64 {
	cur := history.Cursor{Dir: dir}
	var lines []byte
	var jsonBytes, blockBytes int64
	for jsonBytes < 64<<20 {
		off := cur.Offset
		moved, err := cur.Next(func(raw []byte) error {
			var err error
			lines, _, err = history.AppendLines(lines[:0], raw)
			jsonBytes += int64(len(lines))
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
		if !moved {
			break
		}
		if cur.Offset > off {
			blockBytes += cur.Offset - max(off, 8)
		}
	}
	if blockBytes == 0 {
		return 0
	}
	return float64(jsonBytes) / float64(blockBytes)
}

// BenchmarkHistoryCompression measures the compression ratio on inputs
// that differ from one execution to the next as real ones do: the tiny
// and medium inputs with a random order id (tiny) or customer name
// (medium), a UUID.
// BenchmarkHistory runs one input over and over, which compresses far
// better than any real traffic.
func BenchmarkHistoryCompression(b *testing.B) {
	for _, name := range []string{"tiny", "medium"} {
		b.Run(name, func(b *testing.B) {
			prog, input := loadMachine(b, name)
			input, err := jsonb.Compact(nil, input, jsonb.MaxDepth)
			if err != nil {
				b.Fatal(err)
			}
			owner, field := "order", "id"
			if name == "medium" {
				owner, field = "customer", "name" // medium checks the ids
			}
			id := jsonb.ObjectGet(jsonb.ObjectGet(input, owner), field)
			at := bytes.Index(input, id)
			l := openBenchLog(b)
			dir := filepath.Dir(l.Segments()[0].Path)
			ex := fastpath.AcquireExecution()
			defer fastpath.ReleaseExecution(ex)
			opts := *benchOptions
			all := history.Logging{Level: history.LevelAll, IncludeData: true}
			before := history.ReadTotals()
			var varied []byte
			for i := 0; i < b.N; i++ {
				varied = append(varied[:0], input[:at]...)
				varied = append(fastpath.AppendUUID(append(varied, '"')), '"')
				varied = append(varied, input[at+len(id):]...)
				runWithHistory(b, l, all, ex, prog, varied, &opts)
			}
			if err := l.Close(); err != nil {
				b.Fatal(err)
			}
			after := history.ReadTotals()
			b.ReportMetric(float64(after.BytesRaw-before.BytesRaw)/float64(after.BytesWritten-before.BytesWritten), "ratio")
			b.ReportMetric(jsonRatio(b, dir), "json-ratio")
			b.ReportMetric(float64(after.BytesWritten-before.BytesWritten)/float64(b.N), "disk-B/exec")
		})
	}
}
