package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The console's end-to-end test drives headless Chromium with chromedp.
// This file holds the browser harness and the test's oracle for graphs.

// chromiumPath finds the browser: $STEPD_CHROMIUM, else Debian's chromium
// or another Chrome on PATH. Without one the test is skipped, unless $CI is
// set: CI installs chromium (.ci/run), so there its absence is a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("STEPD_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("no chromium on PATH, and CI is set: .ci/run must install it (apt-get install chromium)")
	}
	t.Skip("no chromium on PATH (apt-get install chromium); set CI=1 to make this a failure")
	return ""
}

// pageTimeout bounds each wait for the page: a layout of the largest test
// machine takes well under a second, so this only ends a broken run.
const pageTimeout = 20 * time.Second

// The browser's window: a laptop's width, tall enough that screenshots show
// a whole graph.
const (
	windowWidth  = 1440
	windowHeight = 1200
)

// browser is one headless Chromium tab.
type browser struct {
	t    *testing.T // the test it reports to: each subtest sets its own
	ctx  context.Context
	base string // the console's URL, ending in /console/
	shot string // the directory screenshots are saved in

	mu       sync.Mutex
	problems []string // errors and exceptions the page logged
}

// newBrowser starts Chromium with a fresh profile and opens the console of
// the server at base. It collects every error the page logs; the test's
// cleanup fails the test if there was one.
func newBrowser(t *testing.T, chromium, base string) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(windowWidth, windowHeight),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, base: base + "/console/", shot: os.Getenv("STEPD_CONSOLE_SCREENSHOTS")}
	if b.shot == "" {
		b.shot = t.TempDir()
	} else if err := os.MkdirAll(b.shot, 0o755); err != nil {
		t.Fatal(err)
	}
	waitConsole := drain(chromedp.Console(ctx), func(m chromedp.ConsoleMessage) {
		// A 4xx answer of the API is logged by the browser as a network
		// error; the page handles those itself.
		if (m.Type == "error" && m.Source != "network") || m.IsException() {
			b.mu.Lock()
			b.problems = append(b.problems, m.String())
			b.mu.Unlock()
		}
	})
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
		waitConsole()
		for _, p := range b.problems {
			t.Errorf("the page logged: %s", p)
		}
	})
	b.do(chromedp.Navigate(b.base))
	return b
}

// drain runs fn on each event of a stream, in a goroutine, until the
// stream ends (its context is cancelled); the func it returns waits for that.
func drain[E any](events iter.Seq2[E, error], fn func(E)) (wait func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev, err := range events {
			if err != nil {
				return
			}
			fn(ev)
		}
	}()
	return func() { <-done }
}

// do runs actions, failing the test on error.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// evalJS evaluates a JavaScript expression in the page and decodes its value.
func evalJS[T any](b *browser, expr string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitJS polls a JavaScript predicate until it is true.
func (b *browser) waitJS(what, expr string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, pageTimeout)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(50*time.Millisecond))); err != nil {
		b.t.Fatalf("waiting for %s (%s): %v", what, expr, err)
	}
}

// open shows the console page at hash (as "#/machine/…") and waits until
// its heading reads title and its graph, if it has one, is drawn.
func (b *browser) open(hash, title string, graph bool) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](fmt.Sprintf("location.hash = %q", hash)))
	ready := fmt.Sprintf(`document.title === %q && !document.querySelector('main[aria-busy]')`, title+" · stepd")
	if graph {
		ready += ` && !!document.querySelector('.graph-panel[data-ready]')`
	}
	b.waitJS("the page "+hash, ready)
}

// screenshot saves the viewport as name.png in the screenshot directory
// and logs the path.
func (b *browser) screenshot(name string) string {
	b.t.Helper()
	return b.save(name, chromedp.CaptureScreenshot())
}

// screenshotOf saves the element sel selects, as screenshot does.
func (b *browser) screenshotOf(name, sel string) string {
	b.t.Helper()
	return b.save(name, chromedp.Screenshot(chromedp.CSS(sel)))
}

func (b *browser) save(name string, shot chromedp.Action[[]byte]) string {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, shot)
	if err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(b.shot, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
	return path
}

// drawnGraph is what the console drew: states as "Name|Type", edges as
// "From>To|kind", both sorted.
type drawnGraph struct {
	States []string `json:"states"`
	Edges  []string `json:"edges"`
}

const drawnGraphJS = `(() => {
	const p = document.querySelector('.graph-panel[data-ready]');
	const sorted = (a) => a.sort((x, y) => x < y ? -1 : x > y ? 1 : 0);
	return {
		states: sorted([...p.querySelectorAll('.state')].map((e) => e.dataset.state + '|' + e.dataset.type)),
		edges: sorted([...p.querySelectorAll('path.edge')].map((e) => e.dataset.from + '>' + e.dataset.to + '|' + e.dataset.kind)),
	};
})()`

// wantGraph is the graph a definition must draw: every state at any depth,
// and an edge for StartAt, each Next, Choice rule, Default and Catch, and
// from each top-level terminal state to End.
func wantGraph(t *testing.T, def string) drawnGraph {
	t.Helper()
	var root map[string]any
	if err := json.Unmarshal([]byte(def), &root); err != nil {
		t.Fatal(err)
	}
	var g drawnGraph
	var walk func(scope map[string]any, top bool)
	walk = func(scope map[string]any, top bool) {
		if top {
			g.Edges = append(g.Edges, "Start>"+scope["StartAt"].(string)+"|start")
		}
		for name, raw := range scope["States"].(map[string]any) {
			st := raw.(map[string]any)
			typ, _ := st["Type"].(string)
			g.States = append(g.States, name+"|"+typ)
			edge := func(to any, kind string) { g.Edges = append(g.Edges, name+">"+to.(string)+"|"+kind) }
			if next, ok := st["Next"]; ok {
				edge(next, "next")
			}
			for _, r := range asList(st["Choices"]) {
				edge(r["Next"], "choice")
			}
			if d, ok := st["Default"]; ok {
				edge(d, "default")
			}
			for _, c := range asList(st["Catch"]) {
				edge(c["Next"], "catch")
			}
			if top && (st["End"] == true || typ == "Succeed" || typ == "Fail") {
				g.Edges = append(g.Edges, name+">End|end")
			}
			for _, br := range asList(st["Branches"]) {
				walk(br, false)
			}
			if p, ok := st["ItemProcessor"].(map[string]any); ok {
				walk(p, false)
			}
		}
	}
	walk(root, true)
	sort.Strings(g.States)
	sort.Strings(g.Edges)
	return g
}

func asList(v any) []map[string]any {
	var out []map[string]any
	for _, x := range asSlice(v) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func asSlice(v any) []any { s, _ := v.([]any); return s }

// sameStrings reports the difference of two sorted lists, or "".
func sameStrings(got, want []string) string {
	if strings.Join(got, "\n") == strings.Join(want, "\n") {
		return ""
	}
	return fmt.Sprintf("got %d:\n\t%s\nwant %d:\n\t%s", len(got), strings.Join(got, "\n\t"), len(want), strings.Join(want, "\n\t"))
}

// bigMachine is a machine of n top-level states, for the graph's
// readability: a chain of Pass states with a Choice that skips ahead every
// ten states and a two-branch Parallel every fifteen.
func bigMachine(n int) string {
	name := func(i int) string { return fmt.Sprintf("Step%02d", i) }
	states := map[string]any{}
	for i := 1; i <= n; i++ {
		next := name(i + 1)
		switch {
		case i == n:
			states[name(i)] = map[string]any{"Type": "Succeed"}
		case i%10 == 5 && i+2 < n:
			states[name(i)] = map[string]any{"Type": "Choice", "Default": next, "Choices": []any{
				map[string]any{"Variable": "$.x", "NumericGreaterThan": i, "Next": name(i + 2)},
			}}
		case i%15 == 0:
			branch := func(b string) map[string]any {
				return map[string]any{"StartAt": name(i) + b, "States": map[string]any{name(i) + b: map[string]any{"Type": "Pass", "End": true}}}
			}
			states[name(i)] = map[string]any{"Type": "Parallel", "Next": next, "ResultPath": "$.p", "Branches": []any{branch("a"), branch("b")}}
		default:
			states[name(i)] = map[string]any{"Type": "Pass", "Next": next}
		}
	}
	def, _ := json.Marshal(map[string]any{"Comment": fmt.Sprintf("%d states", n), "StartAt": name(1), "States": states})
	return string(def)
}
