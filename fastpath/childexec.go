package fastpath

import (
	"context"
	"strconv"
	"time"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// `.sync` and `.sync:2` Tasks of states:startExecution start a child
// execution and wait for its end. The wait is a callback wait like
// `.waitForTaskToken`'s (vm_callback.go): the Task's token goes to the
// child start out of band (ParentToken), and when the child ends the
// durable store answers that token with the child's description, shaped
// here. A SendTaskSuccess or SendTaskFailure with the token ($$.Task.Token)
// answers it first, as on AWS.

// parentTokenKey is the context key of a `.sync` Task's token.
type parentTokenKey struct{}

// WithParentToken is ctx for the call of the `.sync` Task whose token is
// tok: the child execution that call starts ends the wait of that token.
func WithParentToken(ctx context.Context, tok string) context.Context {
	return context.WithValue(ctx, parentTokenKey{}, tok)
}

// ParentToken is the token of the `.sync` Task whose call ctx is, "" for
// any other call: the child execution that call starts ends the wait of
// that token.
func ParentToken(ctx context.Context) string {
	tok, _ := ctx.Value(parentTokenKey{}).(string)
	return tok
}

// ChildExecution is a child execution that ended, as DescribeExecution
// shows it: what a `.sync` Task ends with.
type ChildExecution struct {
	Arn        string `json:"arn"`
	MachineArn string `json:"machineArn"`
	Name       string `json:"name"`
	// Status is SUCCEEDED, FAILED, TIMED_OUT or ABORTED.
	Status string    `json:"status"`
	Start  time.Time `json:"start"`
	Stop   time.Time `json:"stop"`
	// Input is the child's input and Output its output (SUCCEEDED only),
	// JSON texts.
	Input  string  `json:"input"`
	Output *string `json:"output,omitempty"`
	// Error and Cause are the child's, when it had them.
	Error *string `json:"error,omitempty"`
	Cause *string `json:"cause,omitempty"`
	// RedriveStatus is DescribeExecution's (REDRIVABLE, NOT_REDRIVABLE),
	// RedriveReason its redriveStatusReason, RedriveCount and RedriveDate
	// its redrives; an EXPRESS child, which AWS does not redrive, has no
	// RedriveStatus and no redrive fields.
	RedriveStatus string    `json:"redriveStatus,omitempty"`
	RedriveReason string    `json:"redriveReason,omitempty"`
	RedriveCount  int       `json:"redriveCount,omitempty"`
	RedriveDate   time.Time `json:"redriveDate,omitzero"`
}

// AppendChildOutcome appends the RecordTask value that answers a `.sync`
// (parsed false) or `.sync:2` (parsed true) Task waiting for c: a
// SUCCEEDED child's description as the result, any other end a failure
// States.TaskFailed with the description as its cause. The description
// has DescribeExecution's fields, capitalised and in AWS's order, dates in
// epoch milliseconds (the AWS SDK for Java 1.x's dates), Input and Output
// as JSON text for `.sync` and as JSON for `.sync:2`.
func AppendChildOutcome(dst []byte, c *ChildExecution, parsed bool) []byte {
	if c.Status == "SUCCEEDED" {
		dst = append(dst, taskSucceeded)
		return AppendChildDescription(dst, c, parsed)
	}
	mark := len(dst)
	dst = AppendChildDescription(dst, c, parsed)
	cause := string(dst[mark:])
	return AppendTaskFailure(dst[:mark], ErrTaskFailed, cause, true, true)
}

// AppendChildDescription appends c's description as a `.sync` (parsed
// false) or `.sync:2` Task shows it.
func AppendChildDescription(dst []byte, c *ChildExecution, parsed bool) []byte {
	dst = append(dst, '{')
	if c.Cause != nil {
		dst = append(dst, `"Cause":`...)
		dst = jsonb.AppendQuotedString(dst, *c.Cause)
		dst = append(dst, ',')
	}
	if c.Error != nil {
		dst = append(dst, `"Error":`...)
		dst = jsonb.AppendQuotedString(dst, *c.Error)
		dst = append(dst, ',')
	}
	dst = append(dst, `"ExecutionArn":`...)
	dst = jsonb.AppendQuotedString(dst, c.Arn)
	dst = append(dst, `,"Input":`...)
	dst = appendChildJSON(dst, c.Input, parsed)
	dst = append(dst, `,"InputDetails":{"Included":true},"Name":`...)
	dst = jsonb.AppendQuotedString(dst, c.Name)
	if c.Output != nil {
		dst = append(dst, `,"Output":`...)
		dst = appendChildJSON(dst, *c.Output, parsed)
		dst = append(dst, `,"OutputDetails":{"Included":true}`...)
	}
	if c.RedriveStatus != "" {
		dst = append(dst, `,"RedriveCount":`...)
		dst = strconv.AppendInt(dst, int64(c.RedriveCount), 10)
		if !c.RedriveDate.IsZero() {
			dst = append(dst, `,"RedriveDate":`...)
			dst = strconv.AppendInt(dst, c.RedriveDate.UnixMilli(), 10)
		}
		dst = append(dst, `,"RedriveStatus":`...)
		dst = jsonb.AppendQuotedString(dst, c.RedriveStatus)
		if c.RedriveReason != "" {
			dst = append(dst, `,"RedriveStatusReason":`...)
			dst = jsonb.AppendQuotedString(dst, c.RedriveReason)
		}
	}
	dst = append(dst, `,"StartDate":`...)
	dst = strconv.AppendInt(dst, c.Start.UnixMilli(), 10)
	dst = append(dst, `,"StateMachineArn":`...)
	dst = jsonb.AppendQuotedString(dst, c.MachineArn)
	dst = append(dst, `,"Status":`...)
	dst = jsonb.AppendQuotedString(dst, c.Status)
	dst = append(dst, `,"StopDate":`...)
	dst = strconv.AppendInt(dst, c.Stop.UnixMilli(), 10)
	return append(dst, '}')
}

// appendChildJSON appends the JSON text s quoted (`.sync`) or as it is
// (`.sync:2`; compact, as the execution keeps it). Text that is not JSON
// (never, for an execution's input and output) is quoted either way.
func appendChildJSON(dst []byte, s string, parsed bool) []byte {
	if parsed {
		if out, err := jsonb.Compact(dst, []byte(s), jsonb.MaxDepth); err == nil {
			return out
		}
	}
	return jsonb.AppendQuotedString(dst, s)
}
