package daemon

import (
	"github.com/stepd/stepd/fastpath/jsonb"
	"github.com/stepd/stepd/internal/awserr"
)

// appendErrorBody appends AWS's JSON 1.0 error body. The message is
// quoted as JSON, not as Go: it may quote a client's bytes (a name with a
// NUL), which Go's \x escapes would make unreadable to every JSON parser.
func appendErrorBody(dst []byte, e *awserr.Error) []byte {
	dst = append(dst, `{"__type":"com.amazonaws.swf.base.model#`...)
	dst = append(dst, e.Code...)
	dst = append(dst, `","message":`...)
	dst = jsonb.AppendQuotedString(dst, e.Message)
	return append(dst, '}')
}
