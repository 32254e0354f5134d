package daemon

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/daemon/teststate"
)

// TestTestStateHTTPTrace tests an HTTP Task without a mock at TRACE: the
// call reaches a real local server through the node's HTTP integration,
// and the answer shows the request sent (the connection's API key hidden)
// and the response received.
func TestTestStateHTTPTrace(t *testing.T) {
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"got":`+string(body)+`}`)
	}))
	defer api.Close()
	cfg := DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Integrations.HTTP.AllowHosts = []string{strings.TrimPrefix(api.URL, "http://")}
	var key integrations.Connection
	_ = json.Unmarshal([]byte(`{"AuthorizationType":"API_KEY","AuthParameters":{"ApiKeyAuthParameters":{"ApiKeyName":"X-Api-Key","ApiKeyValue":"k3y"}}}`), &key)
	cfg.Integrations.HTTP.Connections = map[string]integrations.Connection{"arn:aws:events:us-east-1:123456789012:connection/key/1": key}
	ts := startTestServer(t, cfg)
	def := `{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"` + api.URL + `/orders","Method":"POST",` +
		`"Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/key/1"},"RequestBody":{"id.$":"$.id"}},` +
		`"ResultSelector":{"got.$":"$.ResponseBody.got"},"End":true}`
	for _, reveal := range []bool{false, true} {
		var resp teststate.Response
		req := map[string]any{"definition": def, "input": `{"id":7}`, "inspectionLevel": "TRACE",
			"roleArn": "arn:aws:iam::123456789012:role/r", "revealSecrets": reveal}
		if typ, msg, err := ts.call("TestState", req, &resp); err != nil || typ != "" {
			t.Fatalf("TestState: %v %s %s", err, typ, msg)
		}
		if resp.Status != "SUCCEEDED" || resp.Output == nil || *resp.Output != `{"got":{"id":7}}` {
			t.Fatalf("answer %+v", resp)
		}
		d := resp.InspectionData
		if d == nil || d.Request == nil || d.Response == nil {
			t.Fatalf("no request/response at TRACE: %+v", d)
		}
		if d.Request.Method != "POST" || d.Request.URL != api.URL+"/orders" || d.Request.Body != `{"id":7}` {
			t.Errorf("request %+v", d.Request)
		}
		if hidden := !strings.Contains(d.Request.Headers, "k3y"); hidden == reveal {
			t.Errorf("revealSecrets %v, request headers %s", reveal, d.Request.Headers)
		}
		if d.Response.StatusCode != "200" || d.Response.Body != `{"got":{"id":7}}` || !strings.Contains(d.Response.Headers, "application/json") {
			t.Errorf("response %+v", d.Response)
		}
	}
}
