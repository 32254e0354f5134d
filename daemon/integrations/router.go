package integrations

import (
	"context"
	"strings"

	"github.com/stepd/stepd/fastpath"
)

// Router is the node's fastpath.Invoker: it sends each Task to the
// integration its Resource names. It is safe for concurrent use.
type Router struct {
	lambda *lambdaInvoker
	http   *httpInvoker
	aws    *Services // nil: AWS service Tasks fail as unsupported
	s3     *S3Store  // over aws, for Distributed Maps; nil with it
}

var _ fastpath.Invoker = (*Router)(nil)

// NewRouter builds the integrations cfg configures; region and account
// complete the ARNs of bare Lambda function names; aws runs the Tasks that
// call AWS services (SQS, SNS, EventBridge, DynamoDB, S3, aws-sdk:*,
// nested executions).
func NewRouter(cfg Config, region, account string, aws *Services) *Router {
	r := &Router{lambda: newLambdaInvoker(cfg.Lambda, region, account), http: newHTTPInvoker(cfg.HTTP), aws: aws}
	if aws != nil {
		r.lambda.aws = aws.c // functions without an endpoint go to AWS Lambda, signed
		r.s3 = NewS3Store(aws)
	}
	return r
}

// S3 is where the node's Distributed Maps read items and export results,
// nil when the node calls no AWS service.
func (r *Router) S3() *S3Store { return r.s3 }

// Supported reports whether CreateStateMachine takes the Task Resource
// res without a mock: an integration here handles it, or it is a
// request-response service integration AWS accepts, which fails at run
// time with Unsupported when stepd has no integration for it. The
// .waitForTaskToken pattern of an integration here is taken (the engine
// waits for the token's answer), and so are states:startExecution.sync and
// .sync:2 (the child's end answers it); activities are the daemon's
// (callbacks.go).
func Supported(res string) bool {
	return classifyResource(res) != resourceUnsupported || Handles(res) || RequestResponse(res)
}

// resourceKind is what a Task's Resource asks for.
type resourceKind uint8

const (
	resourceUnsupported resourceKind = iota
	resourceLambdaFunction
	resourceLambdaInvoke
	resourceHTTPInvoke
)

// classifyResource reads a Resource ARN: arn:PARTITION:lambda:…:function:…,
// or arn:PARTITION:states:::SERVICE:ACTION[.waitForTaskToken].
func classifyResource(res string) resourceKind {
	// A .waitForTaskToken call is the plain call; the engine waits for
	// the answer to the token it passes on.
	res = strings.TrimSuffix(res, ".waitForTaskToken")
	rest, ok := strings.CutPrefix(res, "arn:")
	if !ok {
		return resourceUnsupported
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return resourceUnsupported
	}
	rest = rest[i+1:] // after the partition
	if strings.HasPrefix(rest, "lambda:") {
		if strings.Contains(rest, ":function:") {
			return resourceLambdaFunction
		}
		return resourceUnsupported
	}
	switch rest {
	case "states:::lambda:invoke":
		return resourceLambdaInvoke
	case "states:::http:invoke":
		return resourceHTTPInvoke
	}
	return resourceUnsupported
}

// Invoke runs task with input, appending the result to dst.
func (t *Router) Invoke(ctx context.Context, task *fastpath.Task, input, dst []byte) ([]byte, []byte, error) {
	switch classifyResource(task.Resource) {
	case resourceLambdaFunction:
		name, q := parseFunctionRef(task.Resource)
		c := lambdaCall{name: name, qualifier: q, arn: task.Resource, payload: input}
		return t.lambda.invoke(ctx, task, &c, dst)
	case resourceLambdaInvoke:
		c, f := serviceCall(input)
		if f != nil {
			return nil, dst, f
		}
		return t.lambda.invoke(ctx, task, &c, dst)
	case resourceHTTPInvoke:
		return t.http.invoke(ctx, task, input, dst)
	}
	if t.aws != nil && Handles(task.Resource) {
		return t.aws.Invoke(ctx, task, input, dst)
	}
	return nil, dst, Unsupported(task.Resource)
}
