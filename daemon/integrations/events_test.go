package integrations

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestEventBridgePutEvents(t *testing.T) {
	s := testServices(t, nil, nil)
	out := mustRun(t, s, task("arn:aws:states:::events:putEvents", `{"Entries":[{"Source":"orders","DetailType":"created","Detail":{"id":1}},{"Source":"orders","DetailType":"created","Detail":"{\"id\":2}"}]}`), `{}`)
	if entries, _ := out["Entries"].([]any); len(entries) != 2 || out["FailedEntryCount"] != 0.0 || out["SdkHttpMetadata"] != nil {
		t.Errorf("putEvents result: %v", out)
	}
	r := runMachine(t, s, task("arn:aws:states:::events:putEvents", `{"Entries":[{"Source":"orders","DetailType":"created","Detail":{"id":1}},{"DetailType":"created","Detail":{"id":2}}]}`), `{}`)
	var cause map[string]any
	if r.Error != "EventBridge.FailedEntry" || json.Unmarshal([]byte(r.Cause), &cause) != nil || cause["FailedEntryCount"] != 1.0 {
		t.Errorf("failed entry: %+v", r)
	}
	def := `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::events:putEvents","Parameters":{"Entries":[{"Source":"s","DetailType":"d","Detail":"\"text\""}]},
	  "Catch":[{"ErrorEquals":["EventBridge.FailedEntry"],"Next":"C"}],"End":true},"C":{"Type":"Pass","End":true}}}`
	if r := runMachine(t, s, def, `{}`); r.Status != "SUCCEEDED" || !strings.Contains(r.Output.(map[string]any)["Cause"].(string), "MalformedDetail") {
		t.Errorf("catch: %+v", r)
	}
	dead := testServices(t, nil, map[string]string{"AWS_ENDPOINT_URL_EVENTBRIDGE": deadPort(t)})
	if r := runMachine(t, dead, task("arn:aws:states:::events:putEvents", `{"Entries":[]}`), `{}`); r.Error != "EventBridge.SdkClientException" {
		t.Errorf("unreachable: %+v", r)
	}
}
