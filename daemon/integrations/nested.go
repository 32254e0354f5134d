package integrations

import (
	"context"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// startExecution runs arn:aws:states:::states:startExecution: it starts
// the child machine in process through the node's own StartExecution and
// returns {ExecutionArn, SdkHttpMetadata, SdkResponseMetadata, StartDate}
// (StartDate in epoch milliseconds, as the AWS SDK for Java 1.x reports
// dates). A non-string Input is sent as its JSON text. Errors are
// StepFunctions.* in the 1.x style
// (StepFunctions.StateMachineDoesNotExistException).
func (s *Services) startExecution(ctx context.Context, input, dst []byte) ([]byte, error) {
	if jsonb.KindOf(input) != jsonb.KindObject {
		return dst, runtimeFailure("states:startExecution", "must be an object with StateMachineArn")
	}
	c := acquireCall(awsclient.SFN)
	defer releaseCall(c)
	b := append(c.body, '{')
	var it jsonb.ObjectIter
	it.Reset(input)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := keyText(k)
		switch name {
		case "StateMachineArn", "Name", "TraceHeader":
		case "Input":
			if jsonb.KindOf(v) == jsonb.KindNull {
				continue
			}
			if jsonb.KindOf(v) != jsonb.KindString {
				v = jsonb.AppendQuoted(c.tmp[:0], v)
				c.tmp = v
			}
		default:
			return dst, runtimeFailure("states:startExecution", "have the field '"+name+"', which StartExecution does not take")
		}
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = append(b, '"', name[0]+'a'-'A')
		b = append(b, name[1:]...)
		b = append(b, '"', ':')
		b = append(b, v...)
	}
	c.body = append(b, '}')
	resp, err := s.callSFN(ctx, "StartExecution", c.body, c.tmp[:0])
	if err != nil {
		return dst, failure(optimized, awsclient.SFN, err)
	}
	c.tmp = resp
	rid := fastpath.AppendUUID(nil)
	var meta fasthttp.Response
	meta.Header.SetContentType("application/x-amz-json-1.0")
	meta.Header.Set("x-amzn-RequestId", string(rid))
	meta.Header.SetContentLength(len(resp))
	dst = append(dst, `{"ExecutionArn":`...)
	dst = append(dst, jsonb.ObjectGet(resp, "executionArn")...)
	dst = append(dst, ',')
	dst = appendSdkMetadata(dst, &meta, rid)
	dst = append(dst, `,"StartDate":`...)
	if sec, ok := jsonb.ParseNumber(jsonb.ObjectGet(resp, "startDate")); ok {
		dst = strconv.AppendInt(dst, int64(sec*1000+0.5), 10)
	} else {
		dst = strconv.AppendInt(dst, time.Now().UnixMilli(), 10)
	}
	return append(dst, '}'), nil
}

// callSFN runs an action of the node's own API, or fails as a client
// would that cannot reach Step Functions.
func (s *Services) callSFN(ctx context.Context, action string, body, dst []byte) ([]byte, error) {
	if s.sfn == nil {
		return dst, &awsclient.ClientError{Msg: "Unable to execute HTTP request: this stepd runs no Step Functions API for nested executions"}
	}
	mark := len(dst)
	out, err := s.sfn.Call(ctx, action, body, dst)
	if err != nil {
		return dst, err
	}
	return out[mark:], nil
}
