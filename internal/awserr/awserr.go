// Package awserr is the one table of the AWS Step Functions API errors
// stepd answers with: their codes, HTTP statuses and the messages AWS
// writes for them. Both the daemon and the cluster's state machine build
// their errors here, so a message is written once.
package awserr

import "fmt"

// Error is an error the AWS API answers with: AWS's error code (the
// __type, and the exception type the SDKs map it to) and a message. Every
// error a handler returns to a client is one of these; it travels as JSON
// between cluster nodes, so its HTTP status is derived from the code.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is "Code: Message".
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Status is the HTTP status AWS Step Functions sends with e's code.
func (e *Error) Status() int {
	if s, ok := statuses[e.Code]; ok {
		return s
	}
	return 400
}

// statuses is the HTTP status of each error code that is not a 400.
var statuses = map[string]int{
	"InternalFailure":             500,
	"ServiceUnavailable":          503,
	"MethodNotAllowed":            405,
	"RequestTimeout":              408,
	"RequestEntityTooLarge":       413,
	"RequestHeaderFieldsTooLarge": 431,
}

// New builds an Error with code and a formatted message.
func New(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// MachineDoesNotExist is AWS's answer for a state machine ARN that names
// nothing.
func MachineDoesNotExist(arn string) *Error {
	return New("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
}

// MachineAlreadyExists is AWS's answer for creating a machine whose name
// is taken by a different definition; typ is set when the types differ.
func MachineAlreadyExists(arn, typ string) *Error {
	if typ != "" {
		return New("StateMachineAlreadyExists", "State Machine Already Exists with type %s: '%s'", typ, arn)
	}
	return New("StateMachineAlreadyExists", "State Machine Already Exists: '%s'", arn)
}

// ExecutionDoesNotExist is AWS's answer for an execution ARN that names
// nothing.
func ExecutionDoesNotExist(arn string) *Error {
	return New("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
}

// ResourceNotFound is AWS's answer for a version, alias or tagged
// resource ARN that names nothing.
func ResourceNotFound(arn string) *Error {
	return New("ResourceNotFound", "Resource not found: '%s'", arn)
}

// InvalidName is AWS's answer for a machine, execution or alias name it
// does not accept.
func InvalidName(name string) *Error {
	return New("InvalidName", "Invalid Name: '%s'", name)
}

// InvalidToken is AWS's answer for a pagination token it did not issue.
func InvalidToken(token string) *Error {
	return New("InvalidToken", "Invalid Token: '%s'", token)
}

// InvalidExecutionInput is AWS's answer for an execution input that is not
// JSON or is too large; detail says which.
func InvalidExecutionInput(detail string) *Error {
	return New("InvalidExecutionInput", "Invalid State Machine Execution Input: '%s'", detail)
}

// ActivityDoesNotExist is AWS's answer for an activity ARN that names
// nothing (never created, or deleted).
func ActivityDoesNotExist(arn string) *Error {
	return New("ActivityDoesNotExist", "Activity Does Not Exist: '%s'", arn)
}
