package history

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, d time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// lineKey identifies a CloudWatch record: execution and event id.
type lineKey struct{ arn, id string }

// collector is a log endpoint that can be down, or fail every third
// request, and remembers every line it acknowledged.
type collector struct {
	mu       sync.Mutex
	got      map[lineKey]int
	down     atomic.Bool
	flaky    atomic.Bool
	requests atomic.Int64
	failures atomic.Int64
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	n := c.requests.Add(1)
	body, err := io.ReadAll(r.Body)
	if err != nil || c.down.Load() || (c.flaky.Load() && n%3 == 0) || r.Header.Get("Content-Type") != "application/x-ndjson" {
		c.failures.Add(1)
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var rec struct {
			ID   string `json:"id"`
			Arn  string `json:"execution_arn"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil || rec.Type == "" {
			http.Error(w, "bad line", http.StatusBadRequest)
			return
		}
		c.got[lineKey{rec.Arn, rec.ID}]++
	}
}

func (c *collector) missing(arns []string, events int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, arn := range arns {
		for id := 1; id <= events; id++ {
			if c.got[lineKey{arn, itoa(id)}] == 0 {
				n++
			}
		}
	}
	return n
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }

// TestHTTPShipperAtLeastOnce ships to a real HTTP endpoint on loopback
// that is down at first, then fails every third request, while the node
// restarts in the middle: every event arrives at least once.
func TestHTTPShipperAtLeastOnce(t *testing.T) {
	col := &collector{got: map[lineKey]int{}}
	srv := httptest.NewServer(col)
	defer srv.Close()
	c := testConfig(t)
	c.FlushInterval = 5 * time.Millisecond
	c.BlockBytes = 8 << 10
	c.Shippers = []ShipperConfig{{Name: "collector", Type: "http", URL: srv.URL, BatchBytes: 16 << 10}}
	const events = 4 // ExecutionStarted, PassStateEntered, PassStateExited, ExecutionSucceeded

	col.down.Store(true)
	l, err := Open(c)
	if err != nil {
		t.Fatal(err)
	}
	arns := fill(t, l, 60, 200, "down")
	waitFor(t, "failed deliveries", 10*time.Second, func() bool { return col.failures.Load() >= 3 })
	col.down.Store(false)
	col.flaky.Store(true)
	arns = append(arns, fill(t, l, 60, 200, "flaky")...)
	waitFor(t, "some deliveries", 10*time.Second, func() bool { return col.missing(arns, events) < len(arns)*events })
	if err := l.Close(); err != nil { // a restart in the middle of shipping
		t.Fatal(err)
	}
	l, err = Open(c)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	arns = append(arns, fill(t, l, 60, 200, "after")...)
	waitFor(t, "every event delivered", 30*time.Second, func() bool { return col.missing(arns, events) == 0 })
	if col.failures.Load() < 3 {
		t.Fatalf("only %d failed requests: the endpoint never failed", col.failures.Load())
	}
}

// TestFileShipperResumes: the file shipper appends every event once per
// delivery and continues from its checkpoint after a restart.
func TestFileShipperResumes(t *testing.T) {
	c := testConfig(t)
	c.FlushInterval = 5 * time.Millisecond
	out := filepath.Join(t.TempDir(), "history.jsonl")
	c.Shippers = []ShipperConfig{{Name: "local", Type: "file", Path: out}}
	lines := func() int {
		b, _ := os.ReadFile(out)
		return bytes.Count(b, []byte("\n"))
	}
	l, err := Open(c)
	if err != nil {
		t.Fatal(err)
	}
	fill(t, l, 10, 100, "first")
	waitFor(t, "40 lines", 10*time.Second, func() bool { return lines() == 40 })
	l.Close()
	l, err = Open(c)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	fill(t, l, 5, 100, "second")
	waitFor(t, "60 lines", 10*time.Second, func() bool { return lines() == 60 })
	time.Sleep(50 * time.Millisecond) // nothing more may come: the first ten were shipped already
	if n := lines(); n != 60 {
		t.Fatalf("%d lines, want 60: the restart shipped again", n)
	}
}

func TestShipperConfigValidate(t *testing.T) {
	for _, c := range []ShipperConfig{
		{Name: "", Type: "file", Path: "x"},
		{Name: "../x", Type: "file", Path: "x"},
		{Name: "a", Type: "file"},
		{Name: "a", Type: "http", URL: "ftp://x"},
		{Name: "a", Type: "kafka"},
	} {
		if err := c.Validate(); err == nil {
			t.Errorf("%+v: no error", c)
		}
	}
}

// TestShipperSkipsDeletedSegments: when retention deletes segments a
// stalled shipper has not delivered, it counts them and goes on with what
// is left instead of stalling for ever.
func TestShipperSkipsDeletedSegments(t *testing.T) {
	col := &collector{got: map[lineKey]int{}}
	col.down.Store(true)
	srv := httptest.NewServer(col)
	defer srv.Close()
	c := testConfig(t)
	c.FlushInterval = 5 * time.Millisecond
	c.SegmentBytes, c.MaxBytes, c.BlockBytes = 64<<10, 192<<10, 16<<10
	c.Shippers = []ShipperConfig{{Name: "late", Type: "http", URL: srv.URL}}
	l := openLog(t, c)
	skipped := l.shippers[0].skips.Get() // the counter is the process's
	fill(t, l, 5, 100, "first")
	waitFor(t, "a failed delivery", 10*time.Second, func() bool { return col.failures.Load() > 0 })
	fill(t, l, 1500, 600, "old")
	l.Flush()
	waitFor(t, "retention", 10*time.Second, func() bool {
		_ = l.maintain(time.Now())
		return len(l.Segments()) <= 4
	})
	col.down.Store(false)
	newest := fill(t, l, 20, 100, "new")
	waitFor(t, "the newest executions delivered", 20*time.Second, func() bool { return col.missing(newest, 4) == 0 })
	if l.shippers[0].skips.Get() == skipped {
		t.Fatal("no segment counted as skipped")
	}
}
