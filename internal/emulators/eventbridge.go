package emulators

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// EventBridge serves a small stand-in of the EventBridge API on loopback
// for the test's lifetime (no EventBridge emulator is packaged): PutEvents
// checks each entry as EventBridge does (Source and DetailType required,
// Detail a JSON object) and answers with an EventId or an ErrorCode per
// entry; PutRule and PutTargets, which the corpus's setup calls, are
// accepted. Any other action is UnknownOperationException. Requests must
// carry a SigV4 Authorization header, as the real service wants.
func EventBridge(t testing.TB) string {
	srv := httptest.NewServer(http.HandlerFunc(serveEventBridge))
	t.Cleanup(srv.Close)
	return srv.URL
}

func serveEventBridge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("x-amzn-RequestId", uuid())
	fail := func(status int, code, msg string) {
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
	}
	if !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256 Credential=") {
		fail(400, "MissingAuthenticationTokenException", "Missing Authentication Token")
		return
	}
	body, _ := io.ReadAll(r.Body)
	switch r.Header.Get("X-Amz-Target") {
	case "AWSEvents.PutEvents":
		var req struct {
			Entries []map[string]any
		}
		if err := json.Unmarshal(body, &req); err != nil || len(req.Entries) == 0 || len(req.Entries) > 10 {
			fail(400, "ValidationException", "1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to 10")
			return
		}
		type entry struct {
			EventId      string `json:",omitempty"`
			ErrorCode    string `json:",omitempty"`
			ErrorMessage string `json:",omitempty"`
		}
		resp := struct {
			Entries          []entry
			FailedEntryCount int
		}{}
		for _, e := range req.Entries {
			src, _ := e["Source"].(string)
			dt, _ := e["DetailType"].(string)
			detail, _ := e["Detail"].(string)
			var obj map[string]any
			switch {
			case src == "":
				resp.Entries = append(resp.Entries, entry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter Source is not valid. Reason: Source is a required argument."})
			case dt == "":
				resp.Entries = append(resp.Entries, entry{ErrorCode: "InvalidArgument", ErrorMessage: "Parameter DetailType is not valid. Reason: DetailType is a required argument."})
			case detail == "" || json.Unmarshal([]byte(detail), &obj) != nil || obj == nil:
				resp.Entries = append(resp.Entries, entry{ErrorCode: "MalformedDetail", ErrorMessage: "Detail is malformed."})
			default:
				resp.Entries = append(resp.Entries, entry{EventId: uuid()})
				continue
			}
			resp.FailedEntryCount++
		}
		_ = json.NewEncoder(w).Encode(resp)
	case "AWSEvents.PutRule":
		var req struct{ Name string }
		_ = json.Unmarshal(body, &req)
		_ = json.NewEncoder(w).Encode(map[string]string{"RuleArn": "arn:aws:events:" + Region + ":" + Account + ":rule/" + req.Name})
	case "AWSEvents.PutTargets":
		_, _ = w.Write([]byte(`{"FailedEntries":[],"FailedEntryCount":0}`))
	default:
		fail(400, "UnknownOperationException", "")
	}
}

func uuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
