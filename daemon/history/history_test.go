package history

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testStart is when every test execution starts; the recorder's clock
// stands still there too, so records are reproducible.
var testStart = time.Date(2026, 11, 21, 8, 0, 0, 0, time.UTC)

// testInvoker answers the Lambda tasks of the test machines: "ok"
// returns its payload, "boom" fails.
var testInvoker = fastpath.Funcs{
	"arn:aws:states:::lambda:invoke": func(_ context.Context, input, dst []byte) ([]byte, error) {
		if bytes.Contains(input, []byte(`"boom"`)) {
			return dst, &fastpath.Failure{Name: "Lambda.Unknown", Cause: "it went boom"}
		}
		return append(dst, `{"StatusCode":200}`...), nil
	},
}

// testConfig is a Log in a fresh directory that writes only when told
// (Flush) unless the test changes it.
func testConfig(t testing.TB) Config {
	c := DefaultConfig(filepath.Join(t.TempDir(), "history"))
	c.StagingBytes = 1 << 20
	return c
}

func openLog(t testing.TB, c Config) *Log {
	t.Helper()
	l, err := Open(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func compileMachine(t testing.TB, name string) *fastpath.Program {
	t.Helper()
	def, err := os.ReadFile(filepath.Join("testdata", name+".asl.json"))
	if err != nil {
		t.Fatal(err)
	}
	p, err := compile.Compile(def, compile.Express)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

const testMachineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:"

// runLogged runs p on input with logging lg, stages its record in l and
// returns the execution's ARN.
func runLogged(t testing.TB, l *Log, p *fastpath.Program, machine, name, input string, lg Logging) string {
	t.Helper()
	arn := "arn:aws:states:us-east-1:123456789012:express:" + machine + ":" + name + ":0d5c4f7e-0000-4000-8000-000000000000"
	rec := AcquireRecorder(lg, testStart)
	defer ReleaseRecorder(rec)
	rec.SetClock(func() int64 { return testStart.UnixMilli() + 7 })
	opts := fastpath.Options{ExecutionArn: arn, ExecutionName: name, StateMachineArn: testMachineArn + machine,
		StateMachineName: machine, RoleArn: "arn:aws:iam::123456789012:role/stepd", Invoker: testInvoker,
		StartTime: testStart, Clock: fastpath.NewVirtualClock(testStart), Synchronous: true, Events: rec, EventMask: rec.Mask()}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	res, err := ex.Run(context.Background(), p, []byte(input), &opts)
	if err != nil {
		t.Fatal(err)
	}
	sum := Summary{ExecutionArn: arn, StateMachineArn: opts.StateMachineArn, Name: name, RoleArn: opts.RoleArn,
		Status: res.Status, Start: testStart, Stop: testStart.Add(10 * time.Millisecond),
		Error: res.Error, Cause: res.Cause, HasError: res.HasError, HasCause: res.HasCause}
	if !rec.Finish(l, &sum) {
		t.Fatal("the record was shed")
	}
	return arn
}

// checkGolden compares got with testdata/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run with -update and review the diff):\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestEventShapes records the test machines at every level, with and
// without execution data, and compares the CloudWatch Logs records (and,
// for one case, the GetExecutionHistory events) with the golden files.
func TestEventShapes(t *testing.T) {
	l := openLog(t, testConfig(t))
	levels := []struct {
		name string
		lg   Logging
	}{
		{"all-data", Logging{LevelAll, true}},
		{"all", Logging{LevelAll, false}},
		{"error-data", Logging{LevelError, true}},
		{"fatal", Logging{LevelFatal, false}},
	}
	for _, machine := range []string{"flow", "fails"} {
		p := compileMachine(t, machine)
		for _, lv := range levels {
			arn := runLogged(t, l, p, machine, lv.name, `{"items":[1,2]}`, lv.lg)
			rec, err := l.Execution(arn)
			if err != nil {
				t.Fatalf("%s %s: %v", machine, lv.name, err)
			}
			var out []byte
			for i := range rec.Events {
				out = append(AppendCloudWatch(out, rec, i), '\n')
			}
			checkGolden(t, machine+"."+lv.name+".jsonl", out)
			if machine == "flow" && lv.name == "all-data" {
				var api []byte
				for i := range rec.Events {
					api = append(AppendAPIEvent(api, rec, i, true), '\n')
				}
				checkGolden(t, "flow.api.jsonl", api)
			}
		}
	}
}

// TestLevelsKeepAWSEvents checks the level table: ERROR keeps failures
// only, FATAL the end of a failed execution only, OFF nothing.
func TestLevelsKeepAWSEvents(t *testing.T) {
	for _, c := range []struct {
		level Level
		keep  []fastpath.EventType
		drop  []fastpath.EventType
	}{
		{LevelAll, []fastpath.EventType{fastpath.EventExecutionStarted, fastpath.EventTaskScheduled, fastpath.EventMapIterationStarted}, nil},
		{LevelError, []fastpath.EventType{fastpath.EventExecutionFailed, fastpath.EventTaskFailed, fastpath.EventFailStateEntered, fastpath.EventMapIterationFailed},
			[]fastpath.EventType{fastpath.EventExecutionStarted, fastpath.EventPassStateEntered, fastpath.EventTaskSucceeded}},
		{LevelFatal, []fastpath.EventType{fastpath.EventExecutionFailed, fastpath.EventExecutionAborted, fastpath.EventExecutionTimedOut},
			[]fastpath.EventType{fastpath.EventTaskFailed, fastpath.EventFailStateEntered}},
		{LevelOff, nil, []fastpath.EventType{fastpath.EventExecutionFailed}},
	} {
		m := c.level.Mask()
		for _, e := range c.keep {
			if !m.Has(e) {
				t.Errorf("%s drops %s", c.level, e)
			}
		}
		for _, e := range c.drop {
			if m.Has(e) {
				t.Errorf("%s keeps %s", c.level, e)
			}
		}
	}
}

// TestTruncatedPayload: a payload longer than CloudWatch allows is cut
// and marked truncated.
func TestTruncatedPayload(t *testing.T) {
	l := openLog(t, testConfig(t))
	p, err := compile.Compile([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), compile.Express)
	if err != nil {
		t.Fatal(err)
	}
	big := `{"s":"` + string(bytes.Repeat([]byte(`"é`), 100_000)) + `"}`
	big = string(bytes.ReplaceAll([]byte(big), []byte(`"é`), []byte(`\"é`)))
	arn := runLogged(t, l, p, "big", "big", big, Logging{LevelAll, true})
	rec, err := l.Execution(arn)
	if err != nil {
		t.Fatal(err)
	}
	line := AppendCloudWatch(nil, rec, 0)
	if !bytes.Contains(line, []byte(`"inputDetails":{"truncated":true}`)) {
		t.Fatalf("not marked truncated: %.200s", line)
	}
	if n := len(line); n > MaxPayloadLogBytes+1024 {
		t.Fatalf("record is %d bytes", n)
	}
}

func TestNotFound(t *testing.T) {
	l := openLog(t, testConfig(t))
	if _, err := l.Execution("arn:aws:states:us-east-1:123456789012:express:m:nope:1"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v", err)
	}
}

// fill stages n executions of a machine that makes records of about
// size bytes, named prefix-i.
func fill(t testing.TB, l *Log, n, size int, prefix string) []string {
	p, err := compile.Compile([]byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), compile.Express)
	if err != nil {
		t.Fatal(err)
	}
	arns := make([]string, n)
	rnd := rand.New(rand.NewPCG(uint64(n), uint64(size)))
	pad := make([]byte, size/2)
	for i := range arns {
		for j := range pad {
			pad[j] = byte(rnd.Uint32()) // random, so that zstd cannot make it vanish
		}
		input := fmt.Sprintf(`{"i":%d,"pad":"%x"}`, i, pad)
		arns[i] = runLogged(t, l, p, "fill", fmt.Sprintf("%s-%d", prefix, i), input, Logging{LevelAll, true})
	}
	return arns
}

// TestConcurrentBranches: iterations that call tasks run on their own
// goroutines and emit events at the same time; every event is recorded
// once, with an id no other event has.
func TestConcurrentBranches(t *testing.T) {
	l := openLog(t, testConfig(t))
	p := compileMachine(t, "fanout")
	items := make([]string, 50)
	for i := range items {
		items[i] = fmt.Sprint(i)
	}
	arn := runLogged(t, l, p, "fanout", "many", `{"items":[`+strings.Join(items, ",")+`]}`, Logging{LevelAll, true})
	rec, err := l.Execution(arn)
	if err != nil {
		t.Fatal(err)
	}
	// ExecutionStarted, MapStateEntered, MapStateStarted; per item the
	// iteration's start and end, TaskStateEntered, TaskScheduled,
	// TaskStarted, TaskSucceeded and TaskStateExited; MapStateSucceeded,
	// MapStateExited, ExecutionSucceeded.
	if want := 3 + 7*len(items) + 3; len(rec.Events) != want {
		t.Fatalf("%d events, want %d", len(rec.Events), want)
	}
	seen := map[int]bool{}
	counts := map[fastpath.EventType]int{}
	for _, e := range rec.Events {
		if seen[e.ID] || e.ID <= 0 {
			t.Fatalf("event id %d twice or not positive", e.ID)
		}
		seen[e.ID] = true
		counts[e.Type]++
	}
	if counts[fastpath.EventMapIterationSucceeded] != len(items) || counts[fastpath.EventTaskSucceeded] != len(items) {
		t.Fatalf("event counts: %v", counts)
	}
	if last := rec.Events[len(rec.Events)-1]; last.Type != fastpath.EventExecutionSucceeded {
		t.Fatalf("last event %s", last.Type)
	}
}
