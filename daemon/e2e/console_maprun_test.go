package e2e

import (
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/chromedp/chromedp"
)

// TestConsoleMapRun drives the console in headless Chromium to a Map Run:
// the parent execution's page lists it, and its page shows the item and
// child execution counts and the failed children, each a link to its own
// page, which leads back to the Map Run and shows the child's own
// events and path.
func TestConsoleMapRun(t *testing.T) {
	chromium := chromiumPath(t)
	p := startStepd(t)
	c := newClient(p)
	m := createStandard(t, c, "dmapconsole", dmapMachine("STANDARD", `"Label":"items","ToleratedFailureCount":5,`))
	exec := *startNamed(t, c, m, "parent", dmapItems(7, 0, 2, 4)).ExecutionArn
	waitExecution(t, c, exec, types.ExecutionStatusSucceeded)
	run := onlyMapRun(t, c, exec)
	b := newBrowser(t, chromium, p.url())

	b.open("#/execution/"+exec, "parent", true)
	b.waitJS("the Map Runs of the execution", `document.querySelectorAll('.map-runs tbody a').length === 1`)
	if got := evalJS[string](b, `document.querySelector('.map-runs tbody a').textContent`); got != "dmapconsole/items" {
		t.Errorf("the execution lists the Map Run as %q", got)
	}
	b.do(chromedp.Click(chromedp.CSS(`.map-runs tbody a`)))
	b.waitJS("the Map Run page", `document.title === 'Map Run dmapconsole/items · stepd' && !document.querySelector('main[aria-busy]')`)
	if got := evalJS[string](b, `document.querySelector('.arn').textContent`); got != run {
		t.Errorf("the Map Run page shows %q, want %s", got, run)
	}
	counts := evalJS[map[string]string](b, `Object.fromEntries([...document.querySelectorAll('tr[data-counts="Items"] td')].map((td) => [td.dataset.key, td.textContent]))`)
	if counts["total"] != "7" || counts["succeeded"] != "5" || counts["failed"] != "2" || counts["pending"] != "0" {
		t.Errorf("item counts shown: %v", counts)
	}
	failed := evalJS[[]string](b, `[...document.querySelectorAll('.failed-children tbody tr')].map((r) => [...r.cells].map((c) => c.textContent).join('|'))`)
	if len(failed) != 2 || !strings.Contains(strings.Join(failed, "\n"), "Item.Failed: asked to") {
		t.Errorf("failed children shown: %q", failed)
	}
	b.screenshot("maprun")
	b.do(chromedp.Click(chromedp.CSS(`.failed-children tbody a`)))
	b.waitJS("a failed child's page", `document.querySelector('.summary .status')?.textContent === 'FAILED' && !document.querySelector('main[aria-busy]')`)
	if got := evalJS[string](b, `document.querySelector('.crumbs a:nth-of-type(2)').textContent`); got != "Map Run dmapconsole/items" {
		t.Errorf("the child's page leads back to %q", got)
	}
	// The child's own history: its events, and its path on its graph.
	events := evalJS[[]string](b, `[...document.querySelectorAll('tr[data-type]')].map((r) => r.dataset.type)`)
	if got := strings.Join(events, " "); got != "ExecutionStarted ChoiceStateEntered ChoiceStateExited FailStateEntered ExecutionFailed" {
		t.Errorf("the failed child's page shows the events %q", got)
	}
	visited := evalJS[[]string](b, `[...document.querySelectorAll('.visited')].map((el) => el.dataset.state)`)
	if got := strings.Join(visited, " "); got != "C F" {
		t.Errorf("the failed child's page shows the path %q, want C F", got)
	}
	if evalJS[bool](b, `!!document.querySelector('.note')`) {
		t.Error("the failed child's page says it has no history")
	}
}
