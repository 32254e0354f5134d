package daemon

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/conformance"
)

// lambdaKnownFailuresFile lists the Lambda cases that do not pass yet, each
// with its reason (docs/CONFORMANCE.md repeats them).
const lambdaKnownFailuresFile = "testdata/lambda_known_failures.txt"

// TestConformanceLambda runs the corpus cases whose needs name a Lambda
// stub, through the AWS API of an in-process node whose Lambda endpoint is
// a real loopback HTTP server speaking the Lambda Invoke API with the
// case's stub functions. Each case gets its own node and stub (the same
// function name means different functions in different cases), and cases
// run concurrently so that the few that wait for a 5-second
// TimeoutSeconds overlap. A case in the known-failures file may fail; one
// that passes there, or fails elsewhere, fails the test.
func TestConformanceLambda(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a node per case")
	}
	dir, cases := corpusCases(t)
	known := loadLambdaKnownFailures(t)
	type result struct {
		c   *conformance.Case
		err error
	}
	var (
		mu      sync.Mutex
		results []result
		wg      sync.WaitGroup
		sem     = make(chan struct{}, 16)
	)
	for _, c := range cases {
		if len(c.Needs) == 0 || !strings.HasPrefix(c.Needs[0], "lambda:") {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			err := runLambdaCase(t, dir, c)
			mu.Lock()
			results = append(results, result{c, err})
			mu.Unlock()
		}()
	}
	wg.Wait()
	sort.Slice(results, func(i, j int) bool { return results[i].c.ID < results[j].c.ID })
	var tally conformance.Tally
	for _, r := range results {
		tally.Add(r.c.Category, r.err == nil)
		reason, isKnown := known[r.c.ID]
		switch {
		case r.err != nil && isKnown:
			t.Logf("known failure %s (%s): %v", r.c.ID, reason, r.err)
		case r.err != nil:
			t.Errorf("%s: %v", r.c.ID, r.err)
		case isKnown:
			t.Errorf("%s passes: remove it from %s", r.c.ID, lambdaKnownFailuresFile)
		}
	}
	t.Logf("Lambda conformance (%d cases):\n%s", len(results), tally.String())
}

// runLambdaCase runs one case against its own node and stub functions.
func runLambdaCase(t *testing.T, dir string, c *conformance.Case) error {
	raw, err := os.ReadFile(filepath.Join(dir, c.File))
	if err != nil {
		return err
	}
	var extra struct {
		Lambdas map[string]stubFunction `json:"lambdas"`
	}
	if err := json.Unmarshal(raw, &extra); err != nil {
		return err
	}
	stub := startLambdaStub(t, extra.Lambdas)
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Account = t.TempDir(), "111111111111"
	cfg.LambdaEndpoint = stub.URL
	// A virtual clock (Waits and Retry back-offs take no time) that starts
	// now: the engine bounds calls with deadlines read from it.
	ts := startTestServerClock(t, cfg, fastpath.NewVirtualClock(time.Now()))
	return ts.runCase(c)
}

func loadLambdaKnownFailures(t *testing.T) map[string]string {
	known, err := conformance.LoadKnownFailures(lambdaKnownFailuresFile)
	if err != nil {
		t.Fatal(err)
	}
	return known
}
