package integrations

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestTimeoutSecondsCancelsCall checks that a call to an endpoint that
// never answers ends at the task's TimeoutSeconds with States.Timeout,
// which Catch handles.
func TestTimeoutSecondsCancelsCall(t *testing.T) {
	release := make(chan struct{})
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer hang.Close()
	defer close(release)
	s := testServices(t, nil, map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": hang.URL})
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::dynamodb:getItem","TimeoutSeconds":1,
	  "Parameters":{"TableName":"t","Key":{}},"Catch":[{"ErrorEquals":["States.Timeout"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`
	r := runMachine(t, s, def, `{}`)
	if r.Status != "SUCCEEDED" || r.Output.(map[string]any)["Error"] != "States.Timeout" {
		t.Errorf("got %+v, want States.Timeout caught", r)
	}
}

// TestResultOverLimit checks that an answer making a result over 256 KiB
// fails with States.DataLimitExceeded naming the service.
func TestResultOverLimit(t *testing.T) {
	big := strings.Repeat("x", 300<<10)
	hugeSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		_, _ = w.Write([]byte(`{"Item":{"id":{"S":"` + big + `"}}}`))
	}))
	defer hugeSrv.Close()
	huge := testServices(t, nil, map[string]string{"AWS_ENDPOINT_URL_DYNAMODB": hugeSrv.URL})
	if r := runMachine(t, huge, task("arn:aws:states:::dynamodb:getItem", `{"TableName":"t","Key":{}}`), `{}`); r.Error != "States.DataLimitExceeded" || !strings.Contains(r.Cause, "'dynamodb'") {
		t.Errorf("got %s: %s, want States.DataLimitExceeded naming dynamodb", r.Error, r.Cause)
	}
}
