package daemon

import (
	"bytes"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
)

// lockedBuffer is a bytes.Buffer safe for a writer and a poller.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) lines() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return bytes.Count(w.b.Bytes(), []byte("\n"))
}

// stage writes n one-event executions named prefix-i to l.
func stage(t *testing.T, l *history.Log, prefix string, n int) {
	for i := 0; i < n; i++ {
		rec := history.AcquireRecorder(history.Logging{Level: history.LevelAll, IncludeData: true}, time.Now())
		rec.Event(&fastpath.Event{Type: fastpath.EventExecutionStarted, ID: 1, Payload: []byte(`{}`)})
		arn := fmt.Sprintf("arn:aws:states:us-east-1:123456789012:express:m:%s-%d:1", prefix, i)
		if !rec.Finish(l, &history.Summary{ExecutionArn: arn, StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:m"}) {
			t.Fatal("shed")
		}
		history.ReleaseRecorder(rec)
	}
	l.Flush()
}

// TestHistoryFollow: printHistory prints what is there, then, with
// follow, what is written later, until stopped.
func TestHistoryFollow(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "history")
	cfg := history.DefaultConfig(dir)
	cfg.StagingBytes = 1 << 20
	l, err := history.Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stage(t, l, "before", 3)
	var out lockedBuffer
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- printHistory(dir, "", true, stop, &out) }()
	poll := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); out.lines() != want; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d lines, want %d", out.lines(), want)
			}
		}
	}
	poll(3)
	stage(t, l, "after", 2)
	poll(5)
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	var one bytes.Buffer
	if err := printHistory(dir, "arn:aws:states:us-east-1:123456789012:express:m:after-1:1", false, nil, &one); err != nil ||
		bytes.Count(one.Bytes(), []byte("\n")) != 1 || !bytes.Contains(one.Bytes(), []byte(`"type":"ExecutionStarted"`)) {
		t.Fatalf("-execution: %q, %v", one.String(), err)
	}
}
