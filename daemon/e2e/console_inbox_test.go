package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// inboxTask is an entry of GET /v1/tasks, as the test reads it.
type inboxTask struct {
	Token         string          `json:"taskToken"`
	ExecutionArn  string          `json:"executionArn"`
	ExecutionName string          `json:"executionName"`
	State         string          `json:"stateName"`
	Status        string          `json:"status"`
	Activity      string          `json:"activityArn"`
	Since         float64         `json:"waitingSince"`
	Input         json.RawMessage `json:"input"`
}

// waitingTasks reads GET /v1/tasks of the node at base.
func waitingTasks(t *testing.T, base string) map[string]inboxTask {
	t.Helper()
	r := do(t, http.DefaultClient, http.MethodGet, base+"/v1/tasks", nil, nil)
	var out struct {
		Tasks []inboxTask
		Total int
	}
	if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &out) != nil || out.Total != len(out.Tasks) {
		t.Fatalf("GET /v1/tasks: %d %s", r.status, r.body)
	}
	m := map[string]inboxTask{}
	for _, task := range out.Tasks {
		m[task.ExecutionName] = task
	}
	return m
}

// TestConsoleInbox drives the approval inbox in headless Chromium: STANDARD
// executions wait on lambda:invoke.waitForTaskToken (a fake Lambda takes
// the token and forgets it, as a notification to a person would) and on
// an activity no worker polls. The inbox lists them with their state and
// parameters; invalid JSON is refused in the page; one execution is
// approved with a typed output and SUCCEEDS with it, another rejected
// with a typed error and cause and FAILS with them, both read back
// through the API; the activity task waits for a worker, unanswerable.
func TestConsoleInbox(t *testing.T) {
	chromium := chromiumPath(t)
	lambda := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Amz-Executed-Version", "$LATEST")
		_, _ = w.Write([]byte(`{"notified":true}`))
	}))
	defer lambda.Close()
	p := startStepd(t, "-lambda-endpoint", lambda.URL)
	c := newClient(p)
	ctx := testContext(t)
	machine := create(t, c, "approval", types.StateMachineTypeStandard, `{"StartAt":"Ask","States":{"Ask":{"Type":"Task",
		"Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
		"Parameters":{"FunctionName":"notify","Payload":{"order.$":"$.order","token.$":"$$.Task.Token"}},"End":true}}}`)
	act, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{Name: aws.String("review")})
	if err != nil {
		t.Fatal(err)
	}
	reviewed := create(t, c, "reviewed", types.StateMachineTypeStandard,
		`{"StartAt":"Review","States":{"Review":{"Type":"Task","Resource":"`+aws.ToString(act.ActivityArn)+`","End":true}}}`)
	start := func(m, name, input string) string {
		out, err := c.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(m), Name: aws.String(name), Input: aws.String(input)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.ToString(out.ExecutionArn)
	}
	approveArn := start(machine, "approve-me", `{"order":{"id":1,"total":120}}`)
	rejectArn := start(machine, "reject-me", `{"order":{"id":2,"total":9000}}`)
	start(reviewed, "for-a-worker", `{"doc":"a.pdf"}`)
	t.Cleanup(func() {
		if t.Failed() {
			t.Log(p.log())
		}
	})

	// The list behind the inbox.
	var listed map[string]inboxTask
	waitFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		listed = waitingTasks(t, p.url())
		if len(listed) != 3 {
			return fmt.Errorf("%d tasks wait, want 3", len(listed))
		}
		return nil
	})
	if a := listed["approve-me"]; a.State != "Ask" || a.Status != "WAITING" || a.ExecutionArn != approveArn || a.Since == 0 ||
		!strings.Contains(string(a.Input), `"order":{"id":1,"total":120}`) || !strings.Contains(string(a.Input), a.Token) {
		t.Errorf("the waiting task of approve-me: %+v", a)
	}
	if w := listed["for-a-worker"]; w.State != "Review" || w.Status != "WAITING_FOR_WORKER" || w.Activity != aws.ToString(act.ActivityArn) || string(w.Input) != `{"doc":"a.pdf"}` {
		t.Errorf("the activity task: %+v", w)
	}

	b := newBrowser(t, chromium, p.url())
	b.do(chromedp.Click(chromedp.CSS(`#inbox-link`)))
	b.open("#/inbox", "Approvals", false)
	b.waitJS("three waiting tasks", `document.querySelectorAll('.inbox article.task').length === 3`)
	card := func(name string) string { return fmt.Sprintf(`.inbox article.task[data-execution=%q]`, name) }
	shown := evalJS[[]string](b, `[...document.querySelectorAll('.inbox article.task')].map((a) => a.dataset.execution + '|' + a.querySelector('.state-name').textContent + '|' + a.querySelectorAll('form').length).sort()`)
	if got := strings.Join(shown, ","); got != "approve-me|Ask|2,for-a-worker|Review|0,reject-me|Ask|2" {
		t.Errorf("the inbox shows %s, want the three tasks, the activity task without forms", got)
	}
	params := evalJS[string](b, `document.querySelector('`+card("approve-me")+` .json pre').textContent`)
	if !strings.Contains(params, `"total": 120`) {
		t.Errorf("approve-me's parameters are shown as %q", params)
	}
	if note := evalJS[string](b, `document.querySelector('`+card("for-a-worker")+`').textContent`); !strings.Contains(note, "waiting for a worker") {
		t.Errorf("the activity task reads %q, want that it waits for a worker", note)
	}
	b.screenshot("inbox")

	t.Run("invalid JSON is refused", func(t *testing.T) {
		b.t = t
		b.do(chromedp.SetValue(chromedp.CSS(card("approve-me")+" textarea.output"), `{approved: yes}`),
			chromedp.Click(chromedp.CSS(card("approve-me")+" button.send-success")))
		b.waitJS("the refusal", `document.querySelector('`+card("approve-me")+` [role=alert]:not([hidden])')?.textContent.startsWith('The output is not valid JSON') === true`)
		b.screenshotOf("inbox-invalid-json", card("approve-me"))
		d, err := c.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: aws.String(approveArn)})
		if err != nil || d.Status != types.ExecutionStatusRunning {
			t.Errorf("after invalid JSON, approve-me is %v (%v), want still RUNNING", d.Status, err)
		}
	})

	t.Run("approve", func(t *testing.T) {
		b.t = t
		const output = `{"approved": true, "by": "alice"}`
		b.do(chromedp.SetValue(chromedp.CSS(card("approve-me")+" textarea.output"), output),
			chromedp.Click(chromedp.CSS(card("approve-me")+" button.send-success")))
		b.waitJS("the task to leave the inbox", `!document.querySelector('`+card("approve-me")+`') && document.querySelector('.sent').textContent.includes('approve-me')`)
		d := describeUntilDone(t, c, approveArn, 20*time.Second)
		if d.Status != types.ExecutionStatusSucceeded || !jsonEqual(aws.ToString(d.Output), output) {
			t.Errorf("approved execution: %s %s %s %s", d.Status, aws.ToString(d.Output), aws.ToString(d.Error), aws.ToString(d.Cause))
		}
	})

	t.Run("reject", func(t *testing.T) {
		b.t = t
		b.do(chromedp.SendKeys(chromedp.CSS(card("reject-me")+" input.error-name"), "Order.Rejected"),
			chromedp.SendKeys(chromedp.CSS(card("reject-me")+" textarea.cause"), "over the approval limit"),
			chromedp.Click(chromedp.CSS(card("reject-me")+" button.send-failure")))
		b.waitJS("the task to leave the inbox", `!document.querySelector('`+card("reject-me")+`')`)
		d := describeUntilDone(t, c, rejectArn, 20*time.Second)
		if d.Status != types.ExecutionStatusFailed || aws.ToString(d.Error) != "Order.Rejected" || aws.ToString(d.Cause) != "over the approval limit" {
			t.Errorf("rejected execution: %s %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
	})

	t.Run("the list follows the server", func(t *testing.T) {
		b.t = t
		start(machine, "came-later", `{"order":{"id":3,"total":1}}`)
		b.waitJS("the new task", `!!document.querySelector('`+card("came-later")+`')`)
		if n := evalJS[int](b, `document.querySelectorAll('.inbox article.task').length`); n != 2 {
			t.Errorf("%d tasks shown, want came-later and for-a-worker", n)
		}
		b.screenshot("inbox-after")
	})
}

// TestConsoleInboxAuth: on a server with credentials, the inbox signs in
// as the rest of the console does, and its list needs the execute role:
// a read token that shows the machines is refused the waiting tasks (the
// page asks for another token, saying why), an execute token is accepted.
func TestConsoleInboxAuth(t *testing.T) {
	chromium := chromiumPath(t)
	p := startStepd(t, authConfig(t)...)
	b := newBrowser(t, chromium, p.url())
	signIn := func(token string) {
		b.waitJS("the sign-in dialog", `document.getElementById('token-dialog').open && document.activeElement.id === 'token-input'`)
		b.do(chromedp.SendKeys(chromedp.CSS("#token-input"), token), chromedp.KeyEvent(kb.Enter))
	}
	signIn(readToken)
	b.waitJS("the machine list", `!document.querySelector('main[aria-busy]') && document.title === 'State machines · stepd'`)
	b.do(chromedp.Click(chromedp.CSS(`#inbox-link`)))
	b.waitJS("the dialog to ask for another token", `document.getElementById('token-dialog').open && document.getElementById('token-reason').textContent.includes('AccessDeniedException')`)
	signIn(execToken)
	b.waitJS("the empty inbox", `document.title === 'Approvals · stepd' && !document.querySelector('main[aria-busy]') && document.querySelector('main [role=status].muted')?.textContent === 'No task waits for an answer.'`)
	if got := evalJS[string](b, `sessionStorage.getItem('stepd.console.token') || ''`); got != execToken {
		t.Errorf("the tab keeps the token %q, want the execute one", got)
	}
}
