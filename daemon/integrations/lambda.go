package integrations

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// lambdaInvoker calls functions through the AWS Lambda Invoke API
// (POST {endpoint}/2015-03-31/functions/{name}/invocations), as the
// function-ARN Resource (arn:aws:lambda:…:function:NAME[:QUALIFIER]) and the
// optimized integration (arn:aws:states:::lambda:invoke) need, and shapes
// results and errors exactly as AWS Step Functions does. It is safe for
// concurrent use.
type lambdaInvoker struct {
	endpoint    string            // base URL without a trailing '/', "" when none
	functions   map[string]string // per-function base URLs
	region      string            // of ARNs in messages when a name is bare
	account     string
	maxDuration time.Duration
	client      *fasthttp.Client
	// aws, when set, calls AWS Lambda itself, signed, for functions with
	// no endpoint configured.
	aws *awsclient.Client
}

func newLambdaInvoker(cfg LambdaConfig, region, account string) *lambdaInvoker {
	maxConns := cfg.MaxConns
	if maxConns <= 0 {
		maxConns = 512
	}
	maxDur := cfg.MaxDuration
	if maxDur <= 0 {
		maxDur = 15 * time.Minute // the longest a Lambda function may run
	}
	fns := make(map[string]string, len(cfg.Functions))
	for k, v := range cfg.Functions {
		fns[k] = strings.TrimRight(v, "/")
	}
	return &lambdaInvoker{
		endpoint:    strings.TrimRight(cfg.Endpoint, "/"),
		functions:   fns,
		region:      region,
		account:     account,
		maxDuration: maxDur,
		client: &fasthttp.Client{
			Name:                          "stepd",
			MaxConnsPerHost:               maxConns,
			MaxConnWaitTimeout:            time.Minute, // the task's deadline bounds it first
			MaxIdleConnDuration:           time.Minute,
			MaxResponseBodySize:           lambdaMaxResponse,
			DisableHeaderNamesNormalizing: true, // report headers as the endpoint spelled them
			NoDefaultUserAgentHeader:      true,
			ReadBufferSize:                8 << 10,
		},
	}
}

// lambdaMaxResponse is Lambda's own limit on a synchronous response; a
// larger body is refused while reading instead of filling memory.
const lambdaMaxResponse = 6 << 20

// emptyPayload is the payload of a call that names none.
var emptyPayload = []byte("{}")

// lambdaCall is one Invoke request, its strings viewing the task input.
type lambdaCall struct {
	name      string // function name (or the name part of an ARN)
	qualifier string // version or alias, "" for $LATEST
	arn       string // as given, for messages; "" when only a name was given
	invType   string // RequestResponse (default), Event or DryRun
	logType   string
	clientCtx string
	payload   []byte
	service   bool // arn:aws:states:::lambda:invoke rather than the function ARN
}

// parseFunctionRef splits a function reference as Lambda accepts it: a
// name, name:qualifier, a partial ARN (ACCOUNT:function:NAME[:Q]) or a full
// ARN (arn:PARTITION:lambda:REGION:ACCOUNT:function:NAME[:Q]).
func parseFunctionRef(ref string) (name, qualifier string) {
	parts := strings.Split(ref, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[5] == "function":
		name = parts[6]
		if len(parts) > 7 {
			qualifier = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		name = parts[2]
		if len(parts) > 3 {
			qualifier = parts[3]
		}
	default:
		name = parts[0]
		if len(parts) > 1 {
			qualifier = parts[1]
		}
	}
	return name, qualifier
}

// functionArn is the full ARN of the called function (qualified, as
// Lambda's messages spell it).
func (l *lambdaInvoker) functionArn(c *lambdaCall) string {
	q := c.qualifier
	if q == "" {
		q = "$LATEST"
	}
	if strings.HasPrefix(c.arn, "arn:") {
		p := strings.Split(c.arn, ":")
		if len(p) >= 7 {
			return strings.Join(p[:7], ":") + ":" + q
		}
	}
	return "arn:aws:lambda:" + l.region + ":" + l.account + ":function:" + c.name + ":" + q
}

// serviceCall reads the Parameters of a lambda:invoke task.
func serviceCall(input []byte) (lambdaCall, *fastpath.Failure) {
	c := lambdaCall{service: true}
	if jsonb.KindOf(input) != jsonb.KindObject {
		return c, &fastpath.Failure{Name: fastpath.ErrRuntime, Cause: "The Parameters of a lambda:invoke task must be an object with FunctionName"}
	}
	str := func(field string) (string, *fastpath.Failure) {
		v := jsonb.ObjectGet(input, field)
		if v == nil || jsonb.KindOf(v) == jsonb.KindNull {
			return "", nil
		}
		if jsonb.KindOf(v) != jsonb.KindString {
			return "", &fastpath.Failure{Name: fastpath.ErrRuntime, Cause: "The field '" + field + "' of a lambda:invoke task must be a string, not " + string(v)}
		}
		if bytes.IndexByte(v, '\\') < 0 {
			return jsonb.BytesString(v[1 : len(v)-1]), nil
		}
		return string(jsonb.AppendUnquoted(nil, v)), nil
	}
	var f *fastpath.Failure
	ref := ""
	if ref, f = str("FunctionName"); f != nil {
		return c, f
	}
	if ref == "" {
		return c, &fastpath.Failure{Name: fastpath.ErrRuntime, Cause: "The lambda:invoke task has no FunctionName"}
	}
	c.arn = ref
	c.name, c.qualifier = parseFunctionRef(ref)
	q := ""
	if q, f = str("Qualifier"); f != nil {
		return c, f
	}
	if q != "" {
		c.qualifier = q
	}
	if c.invType, f = str("InvocationType"); f != nil {
		return c, f
	}
	if c.logType, f = str("LogType"); f != nil {
		return c, f
	}
	if c.clientCtx, f = str("ClientContext"); f != nil {
		return c, f
	}
	c.payload = jsonb.ObjectGet(input, "Payload")
	switch jsonb.KindOf(c.payload) {
	case jsonb.KindNull:
		c.payload = emptyPayload // what a function sees when invoked without a payload
	case jsonb.KindString:
		// AWS sends a string Payload's text itself, not the JSON string:
		// "Payload": "{}" invokes the function with the event {}.
		c.payload = jsonb.AppendUnquoted(nil, c.payload)
	}
	if c.payload == nil {
		c.payload = emptyPayload
	}
	return c, nil
}

var (
	hdrInvocationType = []byte("X-Amz-Invocation-Type")
	hdrLogType        = []byte("X-Amz-Log-Type")
	hdrClientContext  = []byte("X-Amz-Client-Context")
	contentJSON       = []byte("application/json")
	methodPost        = []byte("POST")
)

// invoke calls the function and appends the task's result to dst.
func (l *lambdaInvoker) invoke(ctx context.Context, task *fastpath.Task, c *lambdaCall, dst []byte) ([]byte, []byte, error) {
	base := l.functions[c.name]
	if base == "" {
		base = l.endpoint
	}
	if base == "" && l.aws == nil {
		return nil, dst, &fastpath.Failure{Name: fastpath.ErrTaskFailed, Cause: "stepd has no Lambda endpoint for the function " + c.name + ": set -lambda-endpoint (STEPD_LAMBDA_ENDPOINT) or integrations.lambda.functions in the config file"}
	}
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	var err error
	if base == "" {
		err = l.sendSigned(ctx, task, c, resp)
	} else {
		err = l.send(ctx, task, c, base, resp)
	}
	if err != nil {
		return nil, dst, err
	}
	body := resp.Body()
	status := resp.StatusCode()
	if status >= 300 {
		return nil, dst, l.apiError(c, resp)
	}
	if hasHeaderFold(&resp.Header, "X-Amz-Function-Error") {
		return nil, dst, functionError(c, body)
	}
	if len(body) > fastpath.MaxPayloadBytes {
		return nil, dst, dataLimit(task, c)
	}
	mark := len(dst)
	if !c.service {
		out, err := appendPayload(dst, body)
		if err != nil {
			return nil, dst, err
		}
		return out[mark:], out, nil
	}
	out, err := appendInvokeResult(dst, resp, body)
	if err != nil {
		return nil, dst, err
	}
	return out[mark:], out, nil
}

// send sends c to the Lambda Invoke API at base, unsigned (a local
// endpoint: the runtime interface emulator, SAM, LocalStack), reading the
// answer into resp.
func (l *lambdaInvoker) send(ctx context.Context, task *fastpath.Task, c *lambdaCall, base string, resp *fasthttp.Response) error {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	uri := req.URI()
	u := append(uri.FullURI()[:0], base...)
	u = append(u, "/2015-03-31/functions/"...)
	u = append(u, url.PathEscape(c.name)...)
	u = append(u, "/invocations"...)
	if c.qualifier != "" {
		u = append(u, "?Qualifier="...)
		u = append(u, url.QueryEscape(c.qualifier)...)
	}
	req.SetRequestURIBytes(u)
	req.Header.SetMethodBytes(methodPost)
	req.Header.SetContentTypeBytes(contentJSON)
	if c.invType != "" {
		req.Header.SetBytesK(hdrInvocationType, c.invType)
	}
	if c.logType != "" {
		req.Header.SetBytesK(hdrLogType, c.logType)
	}
	if c.clientCtx != "" {
		req.Header.SetBytesK(hdrClientContext, c.clientCtx)
	}
	req.SetBodyRaw(c.payload)

	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(l.maxDuration)
	}
	err := l.client.DoDeadline(req, resp, deadline)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, fasthttp.ErrTimeout) && !time.Now().Before(deadline):
			return context.DeadlineExceeded
		case errors.Is(err, fasthttp.ErrBodyTooLarge):
			return dataLimit(task, c)
		}
		return &fastpath.Failure{Name: "Lambda.SdkClientException", Cause: "Unable to execute HTTP request: " + err.Error()}
	}
	return nil
}

// sendSigned sends c to AWS Lambda (the endpoint awsclient resolves for
// the region) signed with the node's credentials, reading the answer into
// resp.
func (l *lambdaInvoker) sendSigned(ctx context.Context, task *fastpath.Task, c *lambdaCall, resp *fasthttp.Response) error {
	r := awsclient.Request{Service: awsclient.Lambda, Path: "/2015-03-31/functions/" + url.PathEscape(c.name) + "/invocations", ContentType: "application/json", Body: c.payload}
	if c.qualifier != "" {
		r.Query = []awsclient.QueryParam{{Key: "Qualifier", Value: c.qualifier}}
	}
	for _, h := range [...]awsclient.Header{{Name: "x-amz-invocation-type", Value: c.invType}, {Name: "x-amz-log-type", Value: c.logType}, {Name: "x-amz-client-context", Value: c.clientCtx}} {
		if h.Value != "" {
			r.Headers = append(r.Headers, h)
		}
	}
	err := l.aws.Do(ctx, &r, resp)
	var ce *awsclient.ClientError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, awsclient.ErrResponseTooLarge):
		return dataLimit(task, c)
	case errors.As(err, &ce):
		return &fastpath.Failure{Name: "Lambda.SdkClientException", Cause: ce.Msg}
	}
	return err
}

// appendPayload appends a function's response payload as a JSON value:
// compacted when it is JSON, else as a JSON string of its text (an empty
// payload, as Event invocations answer, is the empty string).
func appendPayload(dst, body []byte) ([]byte, error) {
	if len(body) > 0 {
		if out, err := jsonb.Compact(dst, body, jsonb.MaxDepth); err == nil {
			return out, nil
		}
	}
	return jsonb.AppendQuoted(dst, body), nil
}

// appendInvokeResult appends the result of arn:aws:states:::lambda:invoke:
// {ExecutedVersion, [LogResult,] Payload, SdkHttpMetadata,
// SdkResponseMetadata, StatusCode}.
func appendInvokeResult(dst []byte, resp *fasthttp.Response, body []byte) ([]byte, error) {
	var version, logResult, requestID []byte
	for k, v := range resp.Header.All() {
		switch {
		case bytes.EqualFold(k, []byte("X-Amz-Executed-Version")):
			version = v
		case bytes.EqualFold(k, []byte("X-Amz-Log-Result")):
			logResult = v
		case bytes.EqualFold(k, []byte("x-amzn-RequestId")):
			requestID = v
		}
	}
	if version == nil && resp.StatusCode() == 200 {
		version = []byte("$LATEST")
	}
	dst = append(dst, '{')
	if version != nil {
		dst = append(dst, `"ExecutedVersion":`...)
		dst = jsonb.AppendQuoted(dst, version)
		dst = append(dst, ',')
	}
	if logResult != nil {
		dst = append(dst, `"LogResult":`...)
		dst = jsonb.AppendQuoted(dst, logResult)
		dst = append(dst, ',')
	}
	dst = append(dst, `"Payload":`...)
	dst, _ = appendPayload(dst, body)
	dst = append(dst, ',')
	dst = appendSdkMetadata(dst, resp, requestID)
	dst = append(dst, `,"StatusCode":`...)
	dst = strconv.AppendInt(dst, int64(resp.StatusCode()), 10)
	return append(dst, '}'), nil
}

func hasHeaderFold(h *fasthttp.ResponseHeader, name string) bool {
	for k := range h.All() {
		if bytes.EqualFold(k, []byte(name)) {
			return true
		}
	}
	return false
}

// functionError is the failure of a function that raised: its errorType
// (or Lambda.Unknown) as the name and its payload as the cause, verbatim
// for the function-ARN Resource and compacted for lambda:invoke, as AWS
// reports them.
func functionError(c *lambdaCall, body []byte) *fastpath.Failure {
	compact, err := jsonb.Compact(nil, body, jsonb.MaxDepth)
	name := "Lambda.Unknown"
	if err == nil && jsonb.KindOf(compact) == jsonb.KindObject {
		if t := jsonb.ObjectGet(compact, "errorType"); jsonb.KindOf(t) == jsonb.KindString {
			if s := string(jsonb.AppendUnquoted(nil, t)); s != "" {
				name = s
			}
		}
	}
	cause := string(body)
	if c.service && err == nil {
		cause = string(compact)
	}
	return &fastpath.Failure{Name: name, Cause: cause}
}

// apiError maps an error answer of the Invoke API to the name AWS Step
// Functions reports, "Lambda." + the error code, with the cause in the form
// of the AWS SDK for Java exception message AWS shows.
func (l *lambdaInvoker) apiError(c *lambdaCall, resp *fasthttp.Response) *fastpath.Failure {
	status := resp.StatusCode()
	var code, requestID []byte
	for k, v := range resp.Header.All() {
		switch {
		case bytes.EqualFold(k, []byte("X-Amzn-ErrorType")):
			code, _, _ = bytes.Cut(v, []byte(":"))
		case bytes.EqualFold(k, []byte("x-amzn-RequestId")):
			requestID = v
		}
	}
	body := resp.Body()
	var msg []byte
	if compact, err := jsonb.Compact(nil, body, 64); err == nil && jsonb.KindOf(compact) == jsonb.KindObject {
		for _, f := range []string{"message", "Message", "errorMessage"} {
			if v := jsonb.ObjectGet(compact, f); jsonb.KindOf(v) == jsonb.KindString {
				msg = jsonb.AppendUnquoted(nil, v)
				break
			}
		}
		if len(code) == 0 {
			if v := jsonb.ObjectGet(compact, "__type"); jsonb.KindOf(v) == jsonb.KindString {
				t := jsonb.AppendUnquoted(nil, v)
				if i := bytes.LastIndexByte(t, '#'); i >= 0 {
					t = t[i+1:]
				}
				code = t
			}
		}
	}
	if len(code) == 0 {
		switch {
		case status == 404:
			code = []byte("ResourceNotFoundException")
		case status == 429:
			code = []byte("TooManyRequestsException")
		case status == 413:
			code = []byte("RequestTooLargeException")
		case status >= 500:
			code = []byte("ServiceException")
		default:
			code = []byte("AWSLambdaException")
		}
	}
	if len(msg) == 0 {
		if status == 404 {
			msg = []byte("Function not found: " + l.functionArn(c))
		} else {
			msg = []byte(fasthttp.StatusMessage(status))
		}
	}
	if len(requestID) == 0 {
		requestID = []byte("null")
	}
	cause := string(msg) + " (Service: AWSLambda; Status Code: " + strconv.Itoa(status) + "; Error Code: " + string(code) + "; Request ID: " + string(requestID) + "; Proxy: null)"
	return &fastpath.Failure{Name: "Lambda." + string(code), Cause: cause}
}

// dataLimit is the failure of a result over 256 KiB. AWS names the
// integration's service ('lambda') for lambda:invoke and the Resource for
// the function ARN.
func dataLimit(task *fastpath.Task, c *lambdaCall) *fastpath.Failure {
	what := task.Resource
	if c.service {
		what = "lambda"
	}
	return &fastpath.Failure{Name: fastpath.ErrDataLimitExceeded, Cause: "The state/task '" + what + "' returned a result with a size exceeding the maximum number of bytes service limit."}
}
