package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
)

// rawAnswer is an HTTP answer read from a raw connection.
type rawAnswer struct {
	status int
	header http.Header
	body   string
}

// sendRaw sends head and a body of size bytes of fill on a new
// connection, in one write (fast) or in 64 KiB pieces 5 ms apart (slow),
// and reads the answer; a connection reset or broken pipe is the error.
func sendRaw(addr, head string, size int, fill byte, slow bool) (rawAnswer, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return rawAnswer{}, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	body := []byte(strings.Repeat(string(fill), size))
	if _, err := io.WriteString(c, fmt.Sprintf(head, size)); err != nil {
		return rawAnswer{}, err
	}
	if !slow {
		_, err = c.Write(body)
	}
	for i := 0; slow && i < len(body) && err == nil; i += 64 << 10 {
		_, err = c.Write(body[i:min(i+64<<10, len(body))])
		time.Sleep(5 * time.Millisecond) // paces the sender: a slow client
	}
	if err != nil {
		return rawAnswer{}, fmt.Errorf("sending: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return rawAnswer{}, fmt.Errorf("reading the answer: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return rawAnswer{resp.StatusCode, resp.Header, string(b)}, err
}

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// TestOversizedBodiesAnswered: every body over its limit gets its 413,
// sent fast or slowly, 2 MB or 9 MB, on the AWS API (AWS's error shape,
// with a request id) and the REST API ({"error","cause"}); the client
// reads the answer instead of a reset.
func TestOversizedBodiesAnswered(t *testing.T) {
	p := startStepd(t)
	aws := "POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AWSStepFunctions.ListStateMachines\r\nContent-Type: application/x-amz-json-1.0\r\nContent-Length: %d\r\n\r\n"
	rest := "PUT /v1/state-machines/big HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n"
	for _, tc := range []struct {
		name  string
		head  string
		size  int
		slow  bool
		tries int
	}{
		{"AWS 2 MB fast", aws, 2 << 20, false, 16},
		{"AWS 9 MB fast", aws, 9 << 20, false, 8},
		{"AWS 2 MB slow", aws, 2 << 20, true, 2},
		{"AWS 9 MB slow", aws, 9 << 20, true, 1},
		{"REST 2 MB fast", rest, 2 << 20, false, 16},
		{"REST 9 MB slow", rest, 9 << 20, true, 1},
	} {
		for try := range tc.tries {
			a, err := sendRaw(p.addr, tc.head, tc.size, 'a', tc.slow)
			if err != nil {
				t.Fatalf("%s, try %d: no answer: %v", tc.name, try, err)
			}
			if a.status != http.StatusRequestEntityTooLarge {
				t.Fatalf("%s: %d %s, want 413", tc.name, a.status, a.body)
			}
			if tc.head == aws {
				if !strings.Contains(a.body, "RequestEntityTooLarge") || !uuidV4.MatchString(a.header.Get("x-amzn-RequestId")) {
					t.Fatalf("%s: %v %s: want AWS's error and a request id", tc.name, a.header, a.body)
				}
			} else {
				checkRESTError(t, tc.name, a.status, a.header, a.body, "RequestEntityTooLarge")
			}
		}
	}
	// The same through net/http, which reads the answer while it sends.
	r, err := tryDo(http.DefaultClient, http.MethodPost, p.url()+"/", map[string]string{
		"X-Amz-Target": "AWSStepFunctions.ListStateMachines", "Content-Type": "application/x-amz-json-1.0"}, make([]byte, 9<<20))
	if err != nil || r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("net/http, 9 MB: %v %+v", err, r.status)
	}
}

// checkRESTError checks a REST API error: JSON with exactly "error" (the
// code) and "cause".
func checkRESTError(t *testing.T, what string, status int, header http.Header, body, code string) {
	t.Helper()
	var e map[string]any
	if err := json.Unmarshal([]byte(body), &e); err != nil || len(e) != 2 || e["error"] != code || e["cause"] == "" || e["cause"] == nil ||
		!strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: %d %s (%v), want {\"error\":%q,\"cause\":…}", what, status, body, header, code)
	}
}

// escapedCreate is a CreateStateMachine body whose definition, a Pass
// state with a Comment, is size bytes long, every byte of the Comment
// escaped as \u003c, as the AWS SDKs write '<'.
func escapedCreate(name string, size int) string {
	head, tail := `{"Comment":"`, `","StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	fill := size - len(head) - len(tail)
	var b strings.Builder
	b.WriteString(`{"name":"` + name + `","type":"EXPRESS","roleArn":"arn:aws:iam::123456789012:role/r","definition":"`)
	b.WriteString(strings.ReplaceAll(head, `"`, `\"`))
	b.WriteString(strings.Repeat(`\u003c`, fill))
	b.WriteString(strings.ReplaceAll(tail, `"`, `\"`))
	b.WriteString(`"}`)
	return b.String()
}

// TestDefinitionLimitWhateverTheEscaping: AWS's limits bound the fields,
// not the request: a definition of 1,048,576 bytes is accepted although,
// escaped, its request is six times -max-body-bytes, and one byte more is
// InvalidDefinition; an input of 256 KiB escaped the same way runs.
func TestDefinitionLimitWhateverTheEscaping(t *testing.T) {
	p := startStepd(t)
	body := escapedCreate("big", 1<<20)
	if len(body) < 6*(1<<20)-1000 {
		t.Fatalf("the request is %d bytes, want about six times the definition", len(body))
	}
	if r := awsCall(t, p, "CreateStateMachine", body); r.status != 200 {
		t.Fatalf("a 1,048,576-byte definition in a %d-byte request: %d %.300s", len(body), r.status, r.body)
	}
	if r := awsCall(t, p, "CreateStateMachine", escapedCreate("bigger", 1<<20+1)); r.status != 400 || !strings.Contains(r.body, "InvalidDefinition") {
		t.Errorf("a 1,048,577-byte definition: %d %.300s, want 400 InvalidDefinition", r.status, r.body)
	}
	input := `{\"x\":\"` + strings.Repeat(`\u003c`, 256<<10-16) + `\"}`
	r := awsCall(t, p, "StartSyncExecution", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:big","input":"`+input+`"}`)
	if r.status != 200 || !strings.Contains(r.body, `"SUCCEEDED"`) {
		t.Errorf("a 256 KiB input escaped to %d bytes: %d %.300s", len(input), r.status, r.body)
	}
	if r := awsCall(t, p, "ListStateMachines", `{"x":"`+strings.Repeat(`\u003c`, 300<<10)+`"}`); r.status != 413 {
		t.Errorf("an action without such fields still has -max-body-bytes: %d %.200s", r.status, r.body)
	}
}

// TestRequestIDs: every AWS API answer, success or error, names its
// request in x-amzn-RequestId, a fresh UUID each time, and the SDK
// surfaces it.
func TestRequestIDs(t *testing.T) {
	p := startStepd(t)
	seen := map[string]bool{}
	for _, c := range []struct{ action, body string }{
		{"ListStateMachines", `{}`},
		{"DescribeStateMachine", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:none"}`},
		{"NoSuchAction", `{}`},
		{"CreateStateMachine", `{{{`},
	} {
		r := awsCall(t, p, c.action, c.body)
		id := r.header.Get("x-amzn-RequestId")
		if !uuidV4.MatchString(id) || seen[id] {
			t.Errorf("%s answered %d with request id %q: want a new UUID", c.action, r.status, id)
		}
		seen[id] = true
	}
	out, err := newClient(p).ListStateMachines(testContext(t), &sfn.ListStateMachinesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !ok || !uuidV4.MatchString(id) {
		t.Errorf("the SDK for Go v2 sees request id %q (%v)", id, ok)
	}
}

// TestRESTErrorShapes: every REST error, 405 (with Allow), 404, 413 and
// 400 included, is {"error","cause"}.
func TestRESTErrorShapes(t *testing.T) {
	p := startStepd(t)
	for _, c := range []struct {
		method, path, body string
		status             int
		code, allow        string
	}{
		{"TRACE", "/v1/state-machines/x", "", 405, "MethodNotAllowed", "GET, PUT, DELETE"},
		{http.MethodPatch, "/v1/state-machines/x", "", 405, "MethodNotAllowed", "GET, PUT, DELETE"},
		{http.MethodGet, "/v1/state-machines/x/executions", "", 405, "MethodNotAllowed", "POST"},
		{http.MethodPost, "/v1/state-machines", "", 405, "MethodNotAllowed", "GET"},
		{http.MethodGet, "/v1/state-machines/none", "", 404, "StateMachineDoesNotExist", ""},
		{http.MethodPut, "/v1/state-machines/bad", "{", 400, "InvalidDefinition", ""},
		{http.MethodPut, "/v1/state-machines/big", strings.Repeat(" ", 1<<20+1), 413, "RequestEntityTooLarge", ""},
		{http.MethodPut, "/v1/state-machines/role?roleArn=arn:aws:iam::aws:policy/AWSBatchFullAccess", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`, 400, "InvalidArn", ""},
	} {
		r := do(t, http.DefaultClient, c.method, p.url()+c.path, nil, []byte(c.body))
		what := c.method + " " + c.path
		if r.status != c.status {
			t.Errorf("%s: %d %s, want %d", what, r.status, r.body, c.status)
		}
		checkRESTError(t, what, r.status, r.header, r.body, c.code)
		if r.header.Get("Allow") != c.allow {
			t.Errorf("%s: Allow %q, want %q", what, r.header.Get("Allow"), c.allow)
		}
	}
}

// TestArnMessages: an ARN of another region or account says so, and
// roleArn is checked as an IAM role ARN, as AWS does.
func TestArnMessages(t *testing.T) {
	p := startStepd(t)
	c := newClient(p)
	ctx := testContext(t)
	for _, tc := range []struct{ arn, want string }{
		{"arn:aws:states:us-west-2:123456789012:stateMachine:m", "Invalid Arn: 'arn:aws:states:us-west-2:123456789012:stateMachine:m': the ARN is of region us-west-2, and this node serves region us-east-1 (-region)"},
		{"arn:aws:states:us-east-1:999999999999:stateMachine:m", "the ARN is of account 999999999999, and this node serves account 123456789012 (-account)"},
		{"arn:aws:lambda:us-east-1:123456789012:function:f", "Resource type not valid in this context"},
	} {
		_, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(tc.arn)})
		if err == nil || !strings.Contains(err.Error(), "InvalidArn") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want InvalidArn saying %q", tc.arn, err, tc.want)
		}
	}
	create := func(role string) error {
		_, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{Name: aws.String("roles"), Definition: aws.String(e2ePass), RoleArn: aws.String(role)})
		return err
	}
	for _, role := range []string{
		"arn:aws:iam::aws:policy/AWSBatchFullAccess",
		"arn:aws:iam::123456789012:user/bob",
		"arn:aws:iam::12345:role/r",
		"arn:aws:iam:us-east-1:123456789012:role/r",
		"arn:aws:states:us-east-1:123456789012:role/r",
		"arn:aws:iam::123456789012:role/",
		"arn:aws:iam::123456789012:role/has space",
		"role/r",
	} {
		if err := create(role); err == nil || !strings.Contains(err.Error(), "InvalidArn") || !strings.Contains(err.Error(), "Invalid Role Arn: '"+role+"'") {
			t.Errorf("roleArn %q: %v, want InvalidArn: Invalid Role Arn", role, err)
		}
	}
	if err := create("arn:aws:iam::123456789012:role/" + strings.Repeat("p/", 120) + "r"); err == nil || !strings.Contains(err.Error(), "ValidationException") {
		t.Errorf("a 260-character roleArn: %v, want ValidationException", err)
	}
	if err := create("arn:aws:iam::123456789012:role/service-role/StepFunctions-My.Role_1+=,@-x"); err != nil {
		t.Errorf("a role with a path and IAM's characters: %v", err)
	}
	_, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{StateMachineArn: aws.String(machineArn("roles")), RoleArn: aws.String("arn:aws:iam::123456789012:group/g")})
	if err == nil || !strings.Contains(err.Error(), "Invalid Role Arn") {
		t.Errorf("UpdateStateMachine with a group ARN: %v", err)
	}
}
