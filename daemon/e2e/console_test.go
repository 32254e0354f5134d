package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// consoleRun is one execution the console test starts and expects.
type consoleRun struct {
	name, input, status string
}

// consoleMachine is a machine the console test creates, with its runs.
type consoleMachine struct {
	name, def string
	runs      []consoleRun
}

// consoleMachines are the three reference machines, a machine with Choice,
// Map, Parallel, Retry and Catch, a JSONata machine and a machine of 60
// states.
func consoleMachines(t *testing.T) []consoleMachine {
	t.Helper()
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	var ms []consoleMachine
	for _, ref := range []string{"tiny", "medium", "fanout"} {
		dir := filepath.Join("..", "..", "..", "shared", "bench", "machines")
		ms = append(ms, consoleMachine{name: ref, def: read(filepath.Join(dir, ref+".asl.json")),
			runs: []consoleRun{{name: ref + "-1", input: read(filepath.Join(dir, ref+".input.json")), status: "SUCCEEDED"}}})
	}
	return append(ms,
		consoleMachine{name: "orders", def: read(filepath.Join("..", "console", "testdata", "orders.asl.json")), runs: []consoleRun{
			{"bulk-ok", `{"kind":"bulk","items":[{"qty":1},{"qty":2}],"card":"ok","total":1,"vip":false}`, "SUCCEEDED"},
			{"bulk-declined", `{"kind":"bulk","items":[{"qty":1}],"card":"declined","total":1,"vip":false}`, "FAILED"},
			{"odd", `{"kind":"retail","items":[],"card":"ok","total":5,"vip":false}`, "FAILED"},
		}},
		consoleMachine{name: "jsonata", def: read(filepath.Join("..", "console", "testdata", "jsonata.asl.json")), runs: []consoleRun{
			{"big", `{"values":[4,5,6]}`, "SUCCEEDED"},
		}},
		consoleMachine{name: "sixty", def: bigMachine(60), runs: []consoleRun{{"x0", `{"x":0}`, "SUCCEEDED"}}},
	)
}

// createLogged creates an Express machine; with logged, its executions
// keep their history (loggingConfiguration level ALL, with their data),
// which the console reads their path from.
func createLogged(t *testing.T, c *sfn.Client, name, def string, logged bool) string {
	t.Helper()
	in := &sfn.CreateStateMachineInput{Name: aws.String(name), Definition: aws.String(def), RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeExpress}
	if logged {
		in.LoggingConfiguration = &types.LoggingConfiguration{Level: types.LogLevelAll, IncludeExecutionData: true, Destinations: []types.LogDestination{{
			CloudWatchLogsLogGroup: &types.CloudWatchLogsLogGroup{LogGroupArn: aws.String("arn:aws:logs:us-east-1:123456789012:log-group:/stepd/console:*")},
		}}}
	}
	out, err := c.CreateStateMachine(testContext(t), in)
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

// startRun starts an execution in the background, as the console lists
// them, and waits until it has finished with the status it should.
func startRun(t *testing.T, c *sfn.Client, arn string, r consoleRun) string {
	t.Helper()
	ctx := testContext(t)
	out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String(r.name), Input: aws.String(r.input)})
	if err != nil {
		t.Fatalf("StartExecution %s: %v", r.name, err)
	}
	waitFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: out.ExecutionArn})
		if err != nil {
			return err
		}
		if d.Status != types.ExecutionStatus(r.status) {
			return fmt.Errorf("execution %s is %s, want %s", r.name, d.Status, r.status)
		}
		return nil
	})
	return aws.ToString(out.ExecutionArn)
}

// TestConsole drives the web console in headless Chromium against a real
// server: the machine list, every machine's graph against its definition,
// the live executions list, an execution's page and its path through the
// graph, keyboard use, and dark mode. Screenshots are saved in
// $STEPD_CONSOLE_SCREENSHOTS (else a temporary directory) and logged.
func TestConsole(t *testing.T) {
	chromium := chromiumPath(t)
	p := startStepd(t)
	c := newClient(p)
	machines := consoleMachines(t)
	arns := map[string]string{}
	for _, m := range machines {
		arn := createLogged(t, c, m.name, m.def, m.name != "tiny")
		for _, r := range m.runs {
			arns[r.name] = startRun(t, c, arn, r)
		}
		arns[m.name] = arn
	}
	b := newBrowser(t, chromium, p.url())

	t.Run("machine list", func(t *testing.T) {
		b.t = t
		b.waitJS("the machine list", `document.querySelectorAll('main table.list tbody a').length === 6`)
		got := evalJS[[]string](b, `[...document.querySelectorAll('main table.list tbody a')].map((a) => a.textContent)`)
		if want := "fanout,jsonata,medium,orders,sixty,tiny"; strings.Join(got, ",") != want {
			t.Errorf("listed %v, want %s", got, want)
		}
	})

	for _, m := range machines {
		t.Run("graph of "+m.name, func(t *testing.T) {
			b.t = t
			b.open("#/machine/"+arns[m.name], m.name, true)
			got := evalJS[drawnGraph](b, drawnGraphJS)
			want := wantGraph(t, m.def)
			if d := sameStrings(got.States, want.States); d != "" {
				t.Errorf("states: %s", d)
			}
			if d := sameStrings(got.Edges, want.Edges); d != "" {
				t.Errorf("edges: %s", d)
			}
			// Readable: no two states overlap, and every name fits its box.
			problems := evalJS[[]string](b, `(() => {
				const boxes = [...document.querySelectorAll('.state:not(.is-group)')].map((e) => ({name: e.dataset.state, r: e.querySelector('.box').getBoundingClientRect(), text: e.querySelector('.name').getBoundingClientRect()}));
				const out = [];
				for (const a of boxes) {
					if (a.text.width > a.r.width - 12) out.push(a.name + ' does not fit its box');
					for (const b of boxes) {
						if (a.name < b.name && a.r.left < b.r.right && b.r.left < a.r.right && a.r.top < b.r.bottom && b.r.top < a.r.bottom) out.push(a.name + ' overlaps ' + b.name);
					}
				}
				// Edges run orthogonally and end on the state they go to.
				for (const e of document.querySelectorAll('path.edge')) {
					const pts = e.getAttribute('d').split(' ').map((p) => p.slice(1).split(',').map(Number));
					for (let i = 1; i < pts.length; i++) {
						if (pts[i][0] !== pts[i-1][0] && pts[i][1] !== pts[i-1][1]) { out.push('edge ' + e.dataset.from + '>' + e.dataset.to + ' is not orthogonal: ' + e.getAttribute('d')); break; }
					}
					const end = e.getPointAtLength(e.getTotalLength()), ctm = e.getScreenCTM();
					const x = end.x * ctm.a + ctm.e, y = end.y * ctm.d + ctm.f;
					const to = [...document.querySelectorAll('.state, .marker')].find((s) => (s.dataset.state || (s.dataset.marker === 'end' && 'End')) === e.dataset.to);
					const r = (to.querySelector('.box, .header, circle')).getBoundingClientRect();
					if (x < r.left - 2 || x > r.right + 2 || y < r.top - 2 || y > r.bottom + 2) out.push('edge ' + e.dataset.from + '>' + e.dataset.to + ' ends at ' + x + ',' + y + ', not on its target');
				}
				return out;
			})()`)
			for _, p := range problems {
				t.Error(p)
			}
			if m.name == "orders" || m.name == "sixty" || m.name == "jsonata" {
				b.screenshot("graph-" + m.name)
			}
		})
	}

	t.Run("executions", func(t *testing.T) {
		b.t = t
		b.open("#/machine/"+arns["orders"], "orders", true)
		b.waitJS("the failed executions' errors", `[...document.querySelectorAll('.executions tbody tr')].filter((r) => r.dataset.status === 'FAILED' && r.querySelector('.err').textContent).length === 2`)
		rows := evalJS[[]string](b, `[...document.querySelectorAll('.executions tbody tr')].map((r) => [...r.cells].map((c) => c.textContent).join('|'))`)
		if len(rows) != 3 {
			t.Fatalf("listed %q, want 3 executions", rows)
		}
		for _, want := range []string{"bulk-declined|FAILED|", "bulk-ok|SUCCEEDED|", "odd|FAILED|"} {
			if !strings.Contains(strings.Join(rows, "\n"), want) {
				t.Errorf("no row starting %q in %q", want, rows)
			}
		}
		if !strings.Contains(strings.Join(rows, "\n"), "Order.Rejected: payment failed; the order was refunded") {
			t.Errorf("the declined order's error and cause are not listed: %q", rows)
		}
		// Live: an execution started now shows up without a reload.
		arns["live"] = startRun(t, c, arns["orders"], consoleRun{"live", `{"kind":"bulk","items":[],"card":"ok","total":1,"vip":false}`, "SUCCEEDED"})
		b.waitJS("the new execution in the list", `[...document.querySelectorAll('.executions tbody a')].some((a) => a.textContent === 'live')`)
		b.screenshot("machine-orders")
		b.do(chromedp.Click(chromedp.CSS(`.graph-tools button:last-of-type`)))
		b.screenshotOf("machine-orders-fit", ".split")
	})

	t.Run("keyboard", func(t *testing.T) {
		b.t = t
		b.open("#/machine/"+arns["orders"], "orders", true)
		b.do(chromedp.Focus(chromedp.CSS(`.graph-tools button:last-of-type`)), chromedp.KeyEvent(kb.Tab))
		if got := evalJS[string](b, `document.activeElement.dataset.state || ''`); got != "Validate" {
			t.Fatalf("Tab from the toolbar focused %q, want the first state, Validate", got)
		}
		b.do(chromedp.KeyEvent(kb.ArrowDown))
		if got := evalJS[string](b, `document.activeElement.dataset.state || ''`); got != "Route" {
			t.Errorf("ArrowDown from Validate focused %q, want Route", got)
		}
		b.do(chromedp.KeyEvent(kb.Enter))
		b.waitJS("the state panel", `document.querySelector('.state-panel:not([hidden]) h2')?.textContent === 'Route'`)
		def := evalJS[string](b, `document.querySelector('.state-panel pre').textContent`)
		if !strings.Contains(def, `"Default": "Reject"`) {
			t.Errorf("the panel of Route shows %q, want its definition", def)
		}
		b.do(chromedp.KeyEvent(kb.Escape))
		b.waitJS("the panel to close and the focus to return", `!!document.querySelector('.state-panel[hidden]') && document.activeElement.dataset.state === 'Route'`)
	})

	t.Run("execution", func(t *testing.T) {
		b.t = t
		b.open("#/execution/"+arns["bulk-declined"], "bulk-declined", true)
		summary := evalJS[string](b, `document.querySelector('.summary').textContent`)
		for _, want := range []string{"FAILED", "Order.Rejected", "payment failed; the order was refunded"} {
			if !strings.Contains(summary, want) {
				t.Errorf("summary %q does not show %q", summary, want)
			}
		}
		input := evalJS[string](b, `document.querySelector('.io pre').textContent`)
		if !jsonEqual(input, machines[3].runs[1].input) {
			t.Errorf("execution input shown as %q, want %s", input, machines[3].runs[1].input)
		}
		b.screenshot("execution-bulk-declined")
	})

	t.Run("execution without history", func(t *testing.T) {
		b.t = t
		b.open("#/execution/"+arns["tiny-1"], "tiny-1", true)
		note := evalJS[string](b, `document.querySelector('.note')?.textContent || ''`)
		if !strings.Contains(note, "loggingConfiguration") {
			t.Errorf("the page of an execution without history says %q, want a note on how to record it", note)
		}
	})

	t.Run("path", func(t *testing.T) {
		b.t = t
		if r := awsCall(t, p, "GetExecutionHistory", fmt.Sprintf(`{"executionArn":%q}`, arns["bulk-declined"])); r.status != 200 {
			t.Skipf("needs GetExecutionHistory: the server answers %d %s", r.status, r.body)
		}
		checkPath(t, b, arns, machines[3])
	})

	t.Run("running execution", func(t *testing.T) {
		b.t = t
		arn := createLogged(t, c, "slow", `{"StartAt":"Nap","States":{"Nap":{"Type":"Wait","Seconds":3,"Next":"Done"},"Done":{"Type":"Succeed"}}}`, true)
		out, err := c.StartExecution(testContext(t), &sfn.StartExecutionInput{StateMachineArn: aws.String(arn), Name: aws.String("napping")})
		if err != nil {
			t.Fatal(err)
		}
		b.open("#/execution/"+aws.ToString(out.ExecutionArn), "napping", true)
		if s := evalJS[string](b, `document.querySelector('.summary .status').textContent`); s != "RUNNING" {
			t.Fatalf("an execution of three seconds opened at once shows %s, want RUNNING", s)
		}
		b.waitJS("the page to show the execution's end", `document.querySelector('.summary .status')?.textContent === 'SUCCEEDED' && !!document.querySelector('.state.visited[data-state="Done"]')`)
	})

	t.Run("screen sizes", func(t *testing.T) {
		b.t = t
		defer b.do(chromedp.EmulateViewport(windowWidth, windowHeight))
		for _, size := range [][2]int64{{1280, 720}, {1920, 1080}, {2560, 1440}} {
			b.do(chromedp.EmulateViewport(size[0], size[1]))
			b.open("#/machine/"+arns["orders"], "orders", true)
			// Nothing wider than the window; the graph's states at a
			// readable size; the executions beside the graph when there is room.
			got := evalJS[[]float64](b, `[document.documentElement.scrollWidth - innerWidth,
				document.querySelector('.state[data-state="Validate"] .name').getBoundingClientRect().height,
				document.querySelector('.executions').getBoundingClientRect().top < document.querySelector('.graph-panel').getBoundingClientRect().bottom ? 1 : 0]`)
			if got[0] > 0 {
				t.Errorf("%dx%d: the page is %.0f px wider than the window", size[0], size[1], got[0])
			}
			if got[1] < 9 {
				t.Errorf("%dx%d: state names are %.1f px high, too small to read", size[0], size[1], got[1])
			}
			if side := size[0] >= 1300; (got[2] == 1) != side {
				t.Errorf("%dx%d: executions beside the graph: %v, want %v", size[0], size[1], got[2] == 1, side)
			}
		}
	})

	t.Run("dark mode", func(t *testing.T) {
		b.t = t
		luminance := `(() => { const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number); return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255; })()`
		if l := evalJS[float64](b, luminance); l < 0.8 {
			t.Errorf("light mode background luminance %.2f, want a light page", l)
		}
		dark := func(on bool) chromedp.Action[chromedp.Void] {
			value := "light"
			if on {
				value = "dark"
			}
			return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
				_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
					Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: value}},
				})
				return err
			})
		}
		b.open("#/execution/"+arns["bulk-declined"], "bulk-declined", true)
		b.do(dark(true))
		defer b.do(dark(false))
		if l := evalJS[float64](b, luminance); l > 0.2 {
			t.Errorf("dark mode background luminance %.2f, want a dark page", l)
		}
		b.screenshot("execution-bulk-declined-dark")
		b.open("#/machine/"+arns["orders"], "orders", true)
		b.screenshot("graph-orders-dark")
	})

	t.Run("token", func(t *testing.T) {
		b.t = t
		checkTokenPrompt(t, b, p.url())
	})

	t.Run("server gone", func(t *testing.T) {
		b.t = t
		b.open("#/machine/"+arns["orders"], "orders", true)
		p.stop(t)
		b.waitJS("a note that the list is stale", `document.querySelector('.side [role=status]:not([hidden])')?.textContent.startsWith('Cannot refresh the executions') === true`)
	})
}

// checkPath checks an execution's path on the graph: the states entered,
// the ones that failed, the transitions taken, and a state's input and
// output on Enter.
func checkPath(t *testing.T, b *browser, arns map[string]string, orders consoleMachine) {
	t.Helper()
	b.open("#/execution/"+arns["bulk-declined"], "bulk-declined", true)
	list := func(expr string) string {
		return strings.Join(evalJS[[]string](b, `[...new Set([...document.querySelectorAll('`+expr+`')].map((e) => e.dataset.state || (e.dataset.from + '>' + e.dataset.to + '|' + e.dataset.kind)))].sort()`), ",")
	}
	if got, want := list(".state.visited"), "Charge,CheckCard,Declined,InStock,Items,Price,Priced,Refund,Rejected,Route,Ship,Validate"; got != want {
		t.Errorf("states entered: %s, want %s", got, want)
	}
	for _, want := range []string{"Declined", "Rejected"} {
		if !strings.Contains(","+list(".state.failed")+",", ","+want+",") {
			t.Errorf("failed states %s do not include %s", list(".state.failed"), want)
		}
	}
	taken := list("path.edge.taken")
	for _, want := range []string{"Start>Validate|start", "Validate>Route|next", "Route>Items|choice", "Items>Charge|next", "Charge>Refund|catch", "Refund>Rejected|next", "Price>InStock|next", "InStock>Priced|choice", "CheckCard>Declined|choice"} {
		if !strings.Contains(","+taken+",", ","+want+",") {
			t.Errorf("transitions taken %s do not include %s", taken, want)
		}
	}
	for _, not := range []string{"Charge>Done|next", "Route>Reject|default", "Rejected>End|end"} {
		if strings.Contains(","+taken+",", ","+not+",") {
			t.Errorf("transitions taken %s include %s", taken, not)
		}
	}
	b.do(chromedp.Focus(chromedp.CSS(`.state[data-state="Validate"]`)), chromedp.KeyEvent(kb.Enter))
	b.waitJS("Validate's input and output", `document.querySelectorAll('.state-panel:not([hidden]) .json pre').length === 2`)
	io := evalJS[[]string](b, `[...document.querySelectorAll('.state-panel .json pre')].map((e) => e.textContent)`)
	if !jsonEqual(io[0], orders.runs[1].input) {
		t.Errorf("Validate's input is shown as %s, want %s", io[0], orders.runs[1].input)
	}
	if want := `{"kind":"bulk","items":[{"qty":1}],"card":"declined","total":1,"vip":false}`; !jsonEqual(io[1], want) {
		t.Errorf("Validate's output is shown as %s, want %s", io[1], want)
	}
	b.screenshot("execution-path")
	b.do(chromedp.Click(chromedp.CSS(`.graph-tools button:last-of-type`)))
	b.screenshotOf("execution-path-fit", ".graph-panel")
	b.do(chromedp.KeyEvent(kb.Escape))

	events := evalJS[int](b, `document.querySelectorAll('.events tbody tr[data-type]').length`)
	if events < 10 {
		t.Errorf("the event list has %d events, want the execution's history", events)
	}
	b.open("#/execution/"+arns["bulk-ok"], "bulk-ok", true)
	if got := evalJS[string](b, `document.querySelector('.state[data-state="Price"] .badge.visits')?.textContent || ''`); got != "×2" {
		t.Errorf("Price, entered once per item, is badged %q, want ×2", got)
	}
	taken = list("path.edge.taken")
	for _, want := range []string{"Charge>Done|next", "Done>End|end"} {
		if !strings.Contains(","+taken+",", ","+want+",") {
			t.Errorf("transitions taken %s do not include %s", taken, want)
		}
	}
}

// jsonEqual reports whether two texts hold the same JSON value.
func jsonEqual(a, b string) bool {
	var x, y any
	if json.Unmarshal([]byte(a), &x) != nil || json.Unmarshal([]byte(b), &y) != nil {
		return false
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}

// consoleToken is the bearer token the token test's stand-in for an
// authenticating server accepts.
const consoleToken = "console-test-token"

// checkTokenPrompt puts an authenticating layer in front of the API (the
// browser's Fetch domain answers 403 UnrecognizedClientException to a call
// without "Authorization: Bearer console-test-token", as a server with
// authentication does) and checks the console's sign-in: it asks for a
// token, asks again for a wrong one, retries with it, and keeps it for the
// tab.
func checkTokenPrompt(t *testing.T, b *browser, base string) {
	t.Helper()
	ctx, cancel := context.WithCancel(b.ctx)
	paused := chromedp.Events(ctx, fetch.RequestPaused)
	if _, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: base + "/"}}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var sent []string // the Authorization header of each API call
	waitPaused := drain(paused, func(ev fetch.EventRequestPaused) {
		auth, _ := ev.Request.Headers["Authorization"].(string)
		mu.Lock()
		sent = append(sent, auth)
		mu.Unlock()
		var err error
		if auth == "Bearer "+consoleToken {
			_, err = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
		} else {
			_, err = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
				RequestID: ev.RequestID, ResponseCode: 403,
				ResponseHeaders: []*fetch.HeaderEntry{{Name: "Content-Type", Value: "application/x-amz-json-1.0"}},
				Body:            []byte(`{"__type":"com.amazon.coral.service#UnrecognizedClientException","message":"The security token included in the request is invalid."}`),
			})
		}
		if err != nil && ctx.Err() == nil {
			t.Errorf("answering %s: %v", ev.Request.URL, err)
		}
	})
	defer func() {
		_, _ = chromedp.Call(b.ctx, fetch.Disable, chromedp.Void{})
		cancel()
		waitPaused()
	}()

	b.do(chromedp.Evaluate[chromedp.Void](`sessionStorage.clear(); location.hash = '#/'`))
	signIn := func(token string) {
		b.waitJS("the sign-in dialog", `document.getElementById('token-dialog').open && document.activeElement.id === 'token-input'`)
		b.do(chromedp.SendKeys(chromedp.CSS("#token-input"), token), chromedp.KeyEvent(kb.Enter))
	}
	signIn("wrong")
	b.waitJS("the dialog to ask again", `document.getElementById('token-reason').textContent.startsWith('The server refused the token')`)
	b.screenshot("sign-in")
	signIn(consoleToken)
	b.waitJS("the machine list", `!document.querySelector('main[aria-busy]') && document.querySelectorAll('main table.list tbody a').length > 0`)
	if got := evalJS[string](b, `sessionStorage.getItem('stepd.console.token') || ''`); got != consoleToken {
		t.Errorf("the tab keeps the token %q, want %q", got, consoleToken)
	}
	if evalJS[bool](b, `document.getElementById('token-button').hidden`) {
		t.Error("no Forget token button while signed in")
	}
	mu.Lock()
	defer mu.Unlock()
	// The page may send more than one call before it asks for a token
	// (the list and the cluster view load side by side), in either order.
	unsigned := 0
	for unsigned < len(sent) && sent[unsigned] == "" {
		unsigned++
	}
	if unsigned == 0 || len(sent) < unsigned+2 || sent[unsigned] != "Bearer wrong" || sent[len(sent)-1] != "Bearer "+consoleToken {
		t.Errorf("the API calls carried %q; want none, then the wrong token, then the right one", sent)
	}
}
