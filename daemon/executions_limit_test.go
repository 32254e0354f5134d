package daemon

import (
	"strconv"
	"testing"
)

// TestRecentExecutionsBounded is the regression test of a finding: one
// long-running execution at the head of the store stopped all eviction,
// so every later execution was kept for ever.
func TestRecentExecutionsBounded(t *testing.T) {
	re := newRecentExecutions(10)
	re.add(&bgExecution{e: execution{Arn: "running", Status: "RUNNING"}})
	for i := range 1000 {
		re.add(&bgExecution{e: execution{Arn: "done-" + strconv.Itoa(i), Status: "SUCCEEDED"}})
	}
	if len(re.order) != 10 || len(re.byArn) != 10 {
		t.Fatalf("%d executions kept (%d by ARN), want 10", len(re.order), len(re.byArn))
	}
	if re.get("running") == nil || re.get("done-999") == nil || re.get("done-990") != nil {
		t.Errorf("kept the wrong ones: running %v, newest %v, 10th newest %v", re.get("running") != nil, re.get("done-999") != nil, re.get("done-990") != nil)
	}
}
