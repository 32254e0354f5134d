package history

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// MaxPayloadLogBytes is how long an escaped input or output may be in a
// log record: AWS truncates longer ones (CloudWatch Logs quotas) and says
// so in inputDetails/outputDetails.truncated.
const MaxPayloadLogBytes = 248 * 1024

// apiDetails names the *EventDetails member of GetExecutionHistory's
// HistoryEvent for each event type; "" for types without details.
var apiDetails = map[fastpath.EventType]string{
	fastpath.EventExecutionStarted:      "executionStartedEventDetails",
	fastpath.EventExecutionSucceeded:    "executionSucceededEventDetails",
	fastpath.EventExecutionFailed:       "executionFailedEventDetails",
	fastpath.EventExecutionTimedOut:     "executionTimedOutEventDetails",
	fastpath.EventExecutionAborted:      "executionAbortedEventDetails",
	fastpath.EventTaskScheduled:         "taskScheduledEventDetails",
	fastpath.EventTaskStarted:           "taskStartedEventDetails",
	fastpath.EventTaskSucceeded:         "taskSucceededEventDetails",
	fastpath.EventTaskFailed:            "taskFailedEventDetails",
	fastpath.EventTaskTimedOut:          "taskTimedOutEventDetails",
	fastpath.EventMapStateStarted:       "mapStateStartedEventDetails",
	fastpath.EventMapIterationStarted:   "mapIterationStartedEventDetails",
	fastpath.EventMapIterationSucceeded: "mapIterationSucceededEventDetails",
	fastpath.EventMapIterationFailed:    "mapIterationFailedEventDetails",
	fastpath.EventTaskSubmitted:         "taskSubmittedEventDetails",
	fastpath.EventMapRunStarted:         "mapRunStartedEventDetails",
	fastpath.EventMapRunFailed:          "mapRunFailedEventDetails",
	fastpath.EventActivityScheduled:     "activityScheduledEventDetails",
	fastpath.EventActivityStarted:       "activityStartedEventDetails",
	fastpath.EventActivitySucceeded:     "activitySucceededEventDetails",
	fastpath.EventActivityFailed:        "activityFailedEventDetails",
	fastpath.EventActivityTimedOut:      "activityTimedOutEventDetails",
	fastpath.EventExecutionRedriven:     "executionRedrivenEventDetails",
	fastpath.EventMapRunRedriven:        "mapRunRedrivenEventDetails",
}

func isEntered(t fastpath.EventType) bool {
	return t >= fastpath.EventPassStateEntered && t <= fastpath.EventMapStateEntered
}

func isExited(t fastpath.EventType) bool {
	return t >= fastpath.EventPassStateExited && t <= fastpath.EventMapStateExited
}

func isTask(t fastpath.EventType) bool {
	return t >= fastpath.EventTaskScheduled && t <= fastpath.EventTaskTimedOut || t == fastpath.EventTaskSubmitted
}

func isIteration(t fastpath.EventType) bool {
	return t >= fastpath.EventMapIterationStarted && t <= fastpath.EventMapIterationFailed
}

func detailsName(t fastpath.EventType) string {
	switch {
	case isEntered(t):
		return "stateEnteredEventDetails"
	case isExited(t):
		return "stateExitedEventDetails"
	}
	return apiDetails[t]
}

// splitResource splits a Task's Resource into AWS's resourceType and
// resource: arn:aws:states:::lambda:invoke is ("lambda", "invoke"),
// arn:aws:states:::aws-sdk:s3:getObject ("aws-sdk:s3", "getObject").
func splitResource(res string) (string, string) {
	if rest, ok := strings.CutPrefix(res, "arn:aws:states:::"); ok {
		if i := strings.LastIndexByte(rest, ':'); i > 0 && strings.HasPrefix(rest, "aws-sdk:") {
			return rest[:i], rest[i+1:]
		}
		if typ, r, ok := strings.Cut(rest, ":"); ok {
			return typ, r
		}
		return rest, ""
	}
	parts := strings.SplitN(res, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[2], res
	}
	return "", res
}

// regionOf is the region field of an ARN.
func regionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// detailWriter appends the members of a JSON object.
type detailWriter struct {
	b     []byte
	count int
}

func (w *detailWriter) key(k string) {
	if w.count > 0 {
		w.b = append(w.b, ',')
	}
	w.count++
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, `":`...)
}

func (w *detailWriter) str(k, v string) {
	w.key(k)
	w.b = jsonb.AppendQuotedString(w.b, v)
}

func (w *detailWriter) num(k string, n int) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, int64(n), 10)
}

// payload writes data (a JSON text) as a string member k and its
// k+"Details" member, truncated as AWS truncates log payloads.
func (w *detailWriter) payload(k string, data []byte) {
	w.key(k)
	mark := len(w.b)
	w.b = jsonb.AppendQuoted(w.b, data)
	truncated := false
	for len(w.b)-mark > MaxPayloadLogBytes {
		truncated = true
		keep := len(data) * MaxPayloadLogBytes / (len(w.b) - mark)
		for keep > 0 && !utf8.RuneStart(data[keep]) {
			keep--
		}
		data = data[:keep]
		w.b = jsonb.AppendQuoted(w.b[:mark], data)
	}
	w.key(k + "Details")
	if truncated {
		w.b = append(w.b, `{"truncated":true}`...)
	} else {
		w.b = append(w.b, `{"truncated":false}`...)
	}
}

// appendDetails appends the details object of e, members in AWS's
// (alphabetical) order. includeData false leaves payloads out.
func appendDetails(dst []byte, rec *Record, e *Event, includeData bool) []byte {
	w := detailWriter{b: append(dst, '{')}
	t := e.Type
	data := includeData && e.HasPayload
	failure := t == fastpath.EventExecutionFailed || t == fastpath.EventExecutionTimedOut ||
		t == fastpath.EventExecutionAborted || t == fastpath.EventTaskFailed || t == fastpath.EventTaskTimedOut ||
		t == fastpath.EventActivityFailed || t == fastpath.EventActivityTimedOut || t == fastpath.EventMapRunFailed
	if failure && e.HasCause {
		w.str("cause", e.Cause)
	}
	if failure && e.HasError {
		w.str("error", e.Error)
	}
	if t == fastpath.EventActivityScheduled && e.HeartbeatSeconds > 0 {
		w.num("heartbeatInSeconds", int(e.HeartbeatSeconds))
	}
	if isIteration(t) {
		w.num("index", e.Index)
	}
	if data && (t == fastpath.EventExecutionStarted || isEntered(t) || t == fastpath.EventActivityScheduled) {
		w.payload("input", e.Payload)
	}
	if t == fastpath.EventMapStateStarted {
		w.num("length", e.Index)
	}
	if t == fastpath.EventMapRunStarted || t == fastpath.EventMapRunRedriven {
		w.str("mapRunArn", e.Resource)
	}
	if isEntered(t) || isExited(t) || isIteration(t) {
		w.str("name", e.State)
	}
	if data && (t == fastpath.EventExecutionSucceeded || isExited(t) || t == fastpath.EventTaskSucceeded ||
		t == fastpath.EventTaskSubmitted || t == fastpath.EventActivitySucceeded) {
		w.payload("output", e.Payload)
	}
	if data && t == fastpath.EventTaskScheduled {
		w.key("parameters")
		w.b = jsonb.AppendQuoted(w.b, e.Payload)
	}
	if t == fastpath.EventTaskScheduled {
		w.str("region", regionOf(rec.ExecutionArn))
	}
	if t == fastpath.EventExecutionRedriven || t == fastpath.EventMapRunRedriven {
		w.num("redriveCount", e.Index)
	}
	if t == fastpath.EventActivityScheduled {
		w.str("resource", e.Resource)
	}
	if isTask(t) {
		typ, res := splitResource(e.Resource)
		w.str("resource", res)
		w.str("resourceType", typ)
	}
	if t == fastpath.EventExecutionStarted {
		w.str("roleArn", rec.RoleArn)
	}
	if t == fastpath.EventActivityScheduled && e.TimeoutSeconds > 0 {
		w.num("timeoutInSeconds", int(e.TimeoutSeconds))
	}
	if t == fastpath.EventActivityStarted && e.Worker != "" {
		w.str("workerName", e.Worker)
	}
	return append(w.b, '}')
}

// AppendCloudWatch appends event i of rec as the JSON record AWS writes
// to CloudWatch Logs for Express workflows, without a newline.
func AppendCloudWatch(dst []byte, rec *Record, i int) []byte {
	e := &rec.Events[i]
	dst = append(dst, `{"id":"`...)
	dst = strconv.AppendInt(dst, int64(e.ID), 10)
	dst = append(dst, `","type":"`...)
	dst = append(dst, e.Type.String()...)
	dst = append(dst, `","details":`...)
	dst = appendDetails(dst, rec, e, true)
	dst = append(dst, `,"previous_event_id":"`...)
	dst = strconv.AppendInt(dst, int64(e.Prev), 10)
	dst = append(dst, `","event_timestamp":"`...)
	dst = strconv.AppendInt(dst, e.Timestamp, 10)
	dst = append(dst, `","execution_arn":`...)
	dst = jsonb.AppendQuotedString(dst, rec.ExecutionArn)
	dst = append(dst, `,"redrive_count":"`...)
	dst = strconv.AppendInt(dst, int64(rec.RedriveCount), 10)
	return append(dst, `"}`...)
}

// AppendAPIEvent appends event i of rec as a GetExecutionHistory
// HistoryEvent. includeData false leaves inputs and outputs out, as the
// request's includeExecutionData does.
func AppendAPIEvent(dst []byte, rec *Record, i int, includeData bool) []byte {
	e := &rec.Events[i]
	dst = append(dst, `{"id":`...)
	dst = strconv.AppendInt(dst, int64(e.ID), 10)
	dst = append(dst, `,"previousEventId":`...)
	dst = strconv.AppendInt(dst, int64(e.Prev), 10)
	dst = append(dst, `,"timestamp":`...)
	dst = strconv.AppendInt(dst, e.Timestamp/1000, 10)
	ms := e.Timestamp % 1000
	dst = append(dst, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	dst = append(dst, `,"type":"`...)
	dst = append(dst, e.Type.String()...)
	dst = append(dst, '"')
	if name := detailsName(e.Type); name != "" {
		dst = append(dst, `,"`...)
		dst = append(dst, name...)
		dst = append(dst, `":`...)
		dst = appendDetails(dst, rec, e, includeData)
	}
	return append(dst, '}')
}
