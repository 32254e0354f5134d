package compile

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/stepd/stepd/fastpath"
)

// runsSeen is a fastpath.MapRunObserver that keeps what it is told.
type runsSeen struct {
	mu       sync.Mutex
	runs     []*fastpath.MapRun
	children map[string]fastpath.MapRunChild // the last report of each child
	ended    int
	started  chan *fastpath.MapRun // when not nil, gets each run started
}

func (o *runsSeen) MapRunStarted(r *fastpath.MapRun) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.runs = append(o.runs, r)
	if o.started != nil {
		o.started <- r
	}
}

func (o *runsSeen) MapRunChild(_ *fastpath.MapRun, c *fastpath.MapRunChild) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.children == nil {
		o.children = map[string]fastpath.MapRunChild{}
	}
	kept := *c
	kept.Input, kept.Output = append([]byte(nil), c.Input...), append([]byte(nil), c.Output...)
	o.children[c.Arn] = kept
}

func (o *runsSeen) MapRunEnded(*fastpath.MapRun) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ended++
}

const machineArn = "arn:aws:states:us-east-1:123456789012:stateMachine:parent"

// childMachine is a machine whose Distributed Map (fields extra) runs
// children of type typ that fail on an item 0 and output their own
// context object otherwise; with task set they call it first.
func childMachine(typ, extra, task string) string {
	first := "C"
	states := `"C":{"Type":"Choice","Choices":[{"Variable":"$","NumericEquals":0,"Next":"F"}],"Default":"P"},
  "F":{"Type":"Fail","Error":"Zero","Cause":"item 0"},
  "P":{"Type":"Pass","Parameters":{"id.$":"$$.Execution.Id","name.$":"$$.Execution.Name","input.$":"$$.Execution.Input","machine.$":"$$.StateMachine.Id","machineName.$":"$$.StateMachine.Name"},"End":true}`
	if task != "" {
		first = "T"
		states = `"T":{"Type":"Task","Resource":"` + task + `","ResultPath":null,"Next":"C"},` + states
	}
	return `{"StartAt":"M","States":{"M":{"Type":"Map"` + extra + `,
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"` + typ + `"},"StartAt":"` + first + `","States":{` + states + `}},"End":true}}}`
}

// TestMapRun: a Distributed Map's run has AWS's ARN shapes and counts its
// items (a batch of items is one child execution); a STANDARD run reports
// each child; each child's $$.Execution and $$.StateMachine are its own;
// Transformation NONE names the same children.
func TestMapRun(t *testing.T) {
	for _, tc := range []struct {
		name, typ, extra, input string
		status                  string
		items, execs            fastpath.MapRunCounts
	}{
		{"standard", "STANDARD", `,"Label":"L","ToleratedFailureCount":1`, `[1,0,2]`, fastpath.StatusSucceeded,
			fastpath.MapRunCounts{Succeeded: 2, Failed: 1, Total: 3, ResultsWritten: 3}, fastpath.MapRunCounts{Succeeded: 2, Failed: 1, Total: 3, ResultsWritten: 3}},
		{"express over tolerance", "EXPRESS", `,"Label":"L"`, `[1,0,2]`, fastpath.StatusFailed,
			fastpath.MapRunCounts{Succeeded: 1, Failed: 1, Pending: 1, Total: 3}, fastpath.MapRunCounts{Succeeded: 1, Failed: 1, Pending: 1, Total: 3}},
		{"batches", "STANDARD", `,"Label":"L","ItemBatcher":{"MaxItemsPerBatch":2},"ToleratedFailurePercentage":100`, `[1,2,3]`, fastpath.StatusSucceeded,
			fastpath.MapRunCounts{Succeeded: 3, Total: 3, ResultsWritten: 3}, fastpath.MapRunCounts{Succeeded: 2, Total: 2, ResultsWritten: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := &runsSeen{}
			res := runMachine(t, childMachine(tc.typ, tc.extra, ""), tc.input, &fastpath.Options{MapRuns: o, StateMachineArn: machineArn,
				ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:parent:e"})
			if len(o.runs) != 1 || o.ended != 1 {
				t.Fatalf("%d runs started, %d ended (%s %s)", len(o.runs), o.ended, res.Status, res.Cause)
			}
			r := o.runs[0]
			if want := "arn:aws:states:us-east-1:123456789012:mapRun:parent/L:" + r.ID; r.Arn != want || len(r.ID) != 36 {
				t.Errorf("Map Run ARN %s, want %s", r.Arn, want)
			}
			if r.StateMachineArn != machineArn+"/L" || r.ExecutionArn != "arn:aws:states:us-east-1:123456789012:execution:parent:e" {
				t.Errorf("Map Run of %s for %s", r.StateMachineArn, r.ExecutionArn)
			}
			st := r.State()
			if st.Status != tc.status || st.Items != tc.items || st.Executions != tc.execs || st.Stop.IsZero() {
				t.Errorf("state %s items %+v executions %+v, want %s %+v %+v", st.Status, st.Items, st.Executions, tc.status, tc.items, tc.execs)
			}
			if tc.typ == "EXPRESS" {
				if len(o.children) != 0 {
					t.Errorf("EXPRESS children reported: %v", o.children)
				}
				return
			}
			if len(o.children) != int(tc.execs.Total) {
				t.Errorf("%d children reported, want %d", len(o.children), tc.execs.Total)
			}
			for arn, c := range o.children {
				if arn != r.ChildArn(c.Name) || !strings.HasPrefix(arn, "arn:aws:states:us-east-1:123456789012:execution:parent/L:") || len(c.Name) != 36 {
					t.Errorf("child %s named %s", arn, c.Name)
				}
				if c.Status == fastpath.StatusFailed && c.Error != "Zero" {
					t.Errorf("failed child %s: %s %s", arn, c.Error, c.Cause)
				}
				if c.Status != fastpath.StatusSucceeded {
					continue
				}
				var ctx struct{ ID, Name, Input, Machine, MachineName string }
				var out map[string]any
				if err := json.Unmarshal(c.Output, &out); err != nil {
					t.Fatal(err)
				}
				ctx.ID, _ = out["id"].(string)
				ctx.Name, _ = out["name"].(string)
				ctx.Machine, _ = out["machine"].(string)
				ctx.MachineName, _ = out["machineName"].(string)
				input, _ := json.Marshal(out["input"])
				if ctx.ID != arn || ctx.Name != c.Name || string(input) != string(c.Input) || ctx.Machine != machineArn+"/L" || ctx.MachineName != "parent/L" {
					t.Errorf("child %s sees %+v input %s (its input %s)", arn, ctx, input, c.Input)
				}
			}
		})
	}
}

// TestMapRunResultWriterNamesChildren: Transformation NONE shows each
// child under the name its own context object has.
func TestMapRunResultWriterNamesChildren(t *testing.T) {
	def := childMachine("EXPRESS", `,"Label":"L","ResultWriter":{"WriterConfig":{"Transformation":"NONE"}}`, "")
	res := runMachine(t, def, `[1,2]`, &fastpath.Options{StateMachineArn: machineArn})
	var recs []struct {
		ExecutionArn, Name, Output string
	}
	if err := json.Unmarshal(res.Output, &recs); err != nil || len(recs) != 2 {
		t.Fatalf("%s %s: %v", res.output, res.Cause, err)
	}
	for _, r := range recs {
		var out struct{ ID, Name string }
		if err := json.Unmarshal([]byte(r.Output), &out); err != nil {
			t.Fatal(err)
		}
		if out.ID != r.ExecutionArn || out.Name != r.Name {
			t.Errorf("record %s %s, the child saw itself as %s %s", r.ExecutionArn, r.Name, out.ID, out.Name)
		}
	}
}

// TestUpdateMapRun: raising MaxConcurrency from 1 starts the waiting
// children; raising ToleratedFailureCount before the failures come makes
// a failing run succeed.
func TestUpdateMapRun(t *testing.T) {
	var (
		mu      sync.Mutex
		running int
		most    int
	)
	started := make(chan struct{}, 100)
	release := make(chan struct{})
	hold := func(ctx context.Context, input, dst []byte) ([]byte, error) {
		mu.Lock()
		running++
		most = max(most, running)
		mu.Unlock()
		started <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		mu.Lock()
		running--
		mu.Unlock()
		return append(dst, "{}"...), nil
	}
	o := &runsSeen{}
	done := make(chan runResult)
	go func() {
		done <- runMachine(t, childMachine("EXPRESS", `,"MaxConcurrency":1`, fn("hold")), `[1,2,3,4]`,
			&fastpath.Options{MapRuns: o, StateMachineArn: machineArn, Invoker: fastpath.Funcs{fn("hold"): hold}})
	}()
	<-started
	o.mu.Lock()
	r := o.runs[0]
	o.mu.Unlock()
	ten := 10
	r.Update(fastpath.MapRunUpdate{MaxConcurrency: &ten})
	for range 3 {
		<-started // the other three start without the first ending
	}
	close(release)
	if res := <-done; res.Status != fastpath.Succeeded || most != 4 || r.State().MaxConcurrency != 10 {
		t.Errorf("after raising MaxConcurrency: %s %s, %d at most at once", res.Status, res.Cause, most)
	}

	o = &runsSeen{started: make(chan *fastpath.MapRun, 1)}
	gate := make(chan struct{})
	wait := func(ctx context.Context, input, dst []byte) ([]byte, error) {
		<-gate
		return append(dst, "{}"...), nil
	}
	go func() {
		done <- runMachine(t, childMachine("EXPRESS", `,"ToleratedFailureCount":0`, fn("wait")), `[0,1,0]`,
			&fastpath.Options{MapRuns: o, StateMachineArn: machineArn, Invoker: fastpath.Funcs{fn("wait"): wait}})
	}()
	two := int64(2)
	(<-o.started).Update(fastpath.MapRunUpdate{ToleratedCount: &two})
	close(gate)
	if res := <-done; res.Status != fastpath.Succeeded {
		t.Errorf("two failures tolerated after the update: %s %s %s", res.Status, res.Error, res.Cause)
	}
}

// TestMapRunOfFailedReader: a Distributed Map whose ItemReader fails
// still has its Map Run, FAILED with no items, as AWS's history shows it.
func TestMapRunOfFailedReader(t *testing.T) {
	o := &runsSeen{}
	res := runMachine(t, readerMap(`{"Resource":"arn:aws:states:::s3:getObject","Parameters":{"Bucket":"b","Key":"k"},"ReaderConfig":{"InputType":"JSON"}}`),
		`{}`, &fastpath.Options{MapRuns: o, StateMachineArn: machineArn})
	if res.Error != fastpath.ErrItemReaderFailed || len(o.runs) != 1 || o.ended != 1 {
		t.Fatalf("%s %s: %d runs, %d ended", res.Error, res.Cause, len(o.runs), o.ended)
	}
	if st := o.runs[0].State(); st.Status != fastpath.StatusFailed || st.Items.Total != 0 {
		t.Errorf("Map Run %s with %d items", st.Status, st.Items.Total)
	}
}
