package daemon

import (
	"fmt"

	"github.com/stepd/stepd/fastpath"
)

// apiError is an error the AWS API answers with: AWS's error code (the
// __type, and the exception type the SDKs map it to), the HTTP status and
// a message. Every error a handler returns to a client is one of these.
type apiError struct {
	Code    string
	Status  int
	Message string
}

func (e *apiError) Error() string { return e.Code + ": " + e.Message }

// apiStatus is the HTTP status of each error code that is not a 400,
// as AWS Step Functions sends them.
var apiStatus = map[string]int{
	"InternalFailure":    500,
	"ServiceUnavailable": 503,
}

// apiErr builds an apiError with the status AWS uses for code.
func apiErr(code, format string, args ...any) *apiError {
	status, ok := apiStatus[code]
	if !ok {
		status = 400
	}
	return &apiError{Code: code, Status: status, Message: fmt.Sprintf(format, args...)}
}

// appendErrorBody appends AWS's JSON 1.0 error body. The message is
// quoted as JSON, not as Go: it may quote a client's bytes (a name with a
// NUL), which Go's \x escapes would make unreadable to every JSON parser.
func appendErrorBody(dst []byte, e *apiError) []byte {
	dst = append(dst, `{"__type":"com.amazonaws.swf.base.model#`...)
	dst = append(dst, e.Code...)
	dst = append(dst, `","message":`...)
	dst = fastpath.AppendQuotedString(dst, e.Message)
	return append(dst, '}')
}
