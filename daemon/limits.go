package daemon

import (
	"bytes"
	"strconv"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/awserr"
)

// AWS bounds the fields of a request, not its body: a definition of up to
// 1,048,576 bytes and an input of up to 256 KiB are accepted however much
// escaping inside the JSON request makes of them (a byte JSON escapes as
// \u00XX takes six; the AWS SDKs write <, > and & so). stepd does the
// same: -max-body-bytes bounds the rest of a request, and an action that
// carries such a field may be larger by what escaping that field can add.
// The field itself is then bounded where it is read (checkDefinition, the
// execute path), with AWS's error.
const (
	maxDefinitionBytes = 1 << 20
	// escapeGrowth is what escaping can add per byte of a field.
	escapeGrowth = 5
)

// escapedFields is, per AWS API action, the bytes of the fields AWS bounds
// after unescaping.
var escapedFields = map[string]int{
	"CreateStateMachine":             maxDefinitionBytes,
	"UpdateStateMachine":             maxDefinitionBytes,
	"ValidateStateMachineDefinition": maxDefinitionBytes,
	"StartExecution":                 fastpath.MaxPayloadBytes,
	"StartSyncExecution":             fastpath.MaxPayloadBytes,
	"TestState":                      maxDefinitionBytes + fastpath.MaxPayloadBytes,
}

// actionBodyLimit is the largest request body of the AWS API action
// called name (any action of the REST API: "").
func actionBodyLimit(name string, maxBody int) int {
	return maxBody + escapeGrowth*escapedFields[name]
}

// serverBodyLimit is the largest body the server reads at all: the
// largest of actionBodyLimit. Past it fasthttp answers (requestError)
// without reading the body; below it, handle checks the limit of the
// request's own action before anything else.
func serverBodyLimit(maxBody int) int {
	limit := maxBody
	for name := range escapedFields {
		limit = max(limit, actionBodyLimit(name, maxBody))
	}
	return limit
}

// requestBodyLimit is the body limit of the request ctx holds, from its
// path and X-Amz-Target header (the body need not have been read).
func requestBodyLimit(ctx *fasthttp.RequestCtx, maxBody int) int {
	if !bytes.Equal(ctx.Path(), pathRoot) {
		return maxBody
	}
	name, _ := bytes.CutPrefix(ctx.Request.Header.PeekBytes(headerTarget), []byte(targetPrefix))
	return actionBodyLimit(string(name), maxBody)
}

// errBodyTooLarge is the answer to a body past its limit.
func errBodyTooLarge(limit int) *awserr.Error {
	return &awserr.Error{Code: "RequestEntityTooLarge", Message: "The request body is larger than the " + strconv.Itoa(limit) + " bytes this request may have (-max-body-bytes, plus what escaping adds to a definition or an input)"}
}
