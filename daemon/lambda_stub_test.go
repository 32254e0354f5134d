package daemon

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// stubFunction is one function of the conformance corpus's "lambdas":
// what it does is its behaviour (see ../shared/conformance/README.md,
// "Lambda stubs").
type stubFunction struct {
	Arn              string          `json:"arn"`
	Behaviour        string          `json:"behaviour"`
	Value            json.RawMessage `json:"value"`
	Payload          string          `json:"payload"`
	Seconds          float64         `json:"seconds"`
	Bytes            int             `json:"bytes"`
	ErrorPayloadText string          `json:"error_payload_text"`
}

// lambdaStub is a real HTTP server on loopback that speaks the AWS Lambda
// Invoke API (POST /2015-03-31/functions/NAME/invocations) for a set of
// stub functions, as AWS Lambda answers it: X-Amz-Executed-Version,
// x-amzn-RequestId, X-Amz-Function-Error on a raised error, and a 404
// ResourceNotFoundException for a function that does not exist.
type lambdaStub struct {
	*httptest.Server
	fns   map[string]stubFunction // by function name
	stop  chan struct{}           // closed at cleanup: sleeping functions return
	calls atomic.Int64
	reqID atomic.Int64
}

func startLambdaStub(t testing.TB, fns map[string]stubFunction) *lambdaStub {
	st := &lambdaStub{fns: map[string]stubFunction{}, stop: make(chan struct{})}
	for _, f := range fns {
		_, name, _ := strings.Cut(f.Arn, ":function:")
		st.fns[name] = f
	}
	st.Server = httptest.NewServer(st)
	t.Cleanup(func() {
		close(st.stop)
		st.Close()
	})
	return st
}

func (st *lambdaStub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	st.calls.Add(1)
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions/")
	name, ok2 := strings.CutSuffix(rest, "/invocations")
	reqID := "5d3f0c6e-0000-4000-8000-" + leftPad(st.reqID.Add(1))
	h := w.Header()
	h["x-amzn-RequestId"] = []string{reqID}
	h.Set("Content-Type", "application/json")
	if !ok || !ok2 || r.Method != http.MethodPost {
		h.Set("X-Amzn-ErrorType", "UnknownOperationException")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, `{"Type":"User","message":"Unknown operation"}`)
		return
	}
	fn, found := st.fns[name]
	if !found {
		q := r.URL.Query().Get("Qualifier")
		if q == "" {
			q = "$LATEST"
		}
		h.Set("X-Amzn-ErrorType", "ResourceNotFoundException")
		w.WriteHeader(http.StatusNotFound)
		msg, _ := json.Marshal("Function not found: arn:aws:lambda:us-east-1:111111111111:function:" + name + ":" + q)
		_, _ = io.WriteString(w, `{"Type":"User","message":`+string(msg)+`}`)
		return
	}
	event, _ := io.ReadAll(r.Body)
	if len(event) == 0 {
		event = []byte("{}")
	}
	h["X-Amz-Executed-Version"] = []string{"$LATEST"}
	if r.Header.Get("X-Amz-Log-Type") == "Tail" {
		h["X-Amz-Log-Result"] = []string{base64.StdEncoding.EncodeToString([]byte("START RequestId: " + reqID + "\nEND\n"))}
	}
	var out []byte
	switch fn.Behaviour {
	case "identity":
		out = event
	case "const":
		out = fn.Value
	case "raw":
		out = []byte(fn.Payload)
	case "sleep_then_identity":
		// Sleep as asked, but return as soon as the caller gives up (the
		// Task's TimeoutSeconds fired) or the test ends, so that the test
		// waits only for the timeout it checks.
		select {
		case <-time.After(time.Duration(fn.Seconds * float64(time.Second))):
		case <-r.Context().Done():
			return
		case <-st.stop:
			return
		}
		out = event
	case "raise":
		h["X-Amz-Function-Error"] = []string{"Unhandled"}
		out = []byte(strings.ReplaceAll(fn.ErrorPayloadText, "<request id>", reqID))
	case "large_output":
		out = make([]byte, fn.Bytes)
		for i := range out {
			out[i] = 'a'
		}
		out[0], out[len(out)-1] = '"', '"'
	default:
		h["X-Amz-Function-Error"] = []string{"Unhandled"}
		out = []byte(`{"errorMessage": "unknown stub behaviour ` + fn.Behaviour + `", "errorType": "StubError"}`)
	}
	_, _ = w.Write(out)
}

func leftPad(n int64) string {
	s := strings.Repeat("0", 12) + itoa(n)
	return s[len(s)-12:]
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}
