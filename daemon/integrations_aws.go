package daemon

import (
	"context"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/awserr"
)

// newAWSServices builds the invoker of the Tasks that call AWS services:
// endpoints and credentials as the AWS SDKs find them, for region, with
// in's Lambda endpoint (-lambda-endpoint) standing for
// AWS_ENDPOINT_URL_LAMBDA; sfn runs nested executions (nil in `stepd
// run`, which has no API).
//
// It also settles the Lambda integrations' endpoint: -lambda-endpoint
// when given, else an AWS_ENDPOINT_URL_LAMBDA (or AWS_ENDPOINT_URL, or
// shared config) setting, which it writes into in; with neither, Lambda
// tasks go to AWS Lambda, signed.
func newAWSServices(ctx context.Context, region string, in *integrations.Config, sfn integrations.StepFunctions) (*integrations.Services, error) {
	cfg := awsclient.Config{Region: region}
	if in.Lambda.Endpoint != "" {
		cfg.Endpoints = map[*awsclient.Service]string{awsclient.Lambda: in.Lambda.Endpoint}
	}
	c, err := awsclient.New(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if ep, err := c.Endpoint(awsclient.Lambda); err == nil && ep.Overridden && in.Lambda.Endpoint == "" {
		in.Lambda.Endpoint = ep.URL()
	}
	return integrations.NewServices(integrations.ServicesConfig{Client: c, StepFunctions: sfn}), nil
}

// newCommandInvoker builds the invoker of a command that runs executions
// in process (`stepd run`, `stepd test`): the node's integrations with
// lambdaEndpoint, and no in-process Step Functions for nested executions.
func newCommandInvoker(ctx context.Context, id identity, lambdaEndpoint string) (*integrations.Router, error) {
	integ := integrations.Config{Lambda: integrations.LambdaConfig{Endpoint: lambdaEndpoint}}
	if err := integ.Validate(); err != nil {
		return nil, err
	}
	aws, err := newAWSServices(ctx, id.region, &integ, nil)
	if err != nil {
		return nil, err
	}
	return integrations.NewRouter(integ, id.region, id.account, aws), nil
}

// localSFN runs actions of the node's own AWS API in process, for
// states:startExecution and aws-sdk:sfn:*: the child starts from this
// node's registry through the same handlers as a client's request.
type localSFN struct{ s *server }

// Call runs action with body and appends its response to dst; a
// StartExecution of a `.sync` Task (fastpath.ParentToken) starts a child
// whose end answers that Task. When ctx
// ends first (the calling Task's TimeoutSeconds, its execution's end) it
// returns ctx.Err() at once; the action runs on, as an API call already
// made does (a child started keeps running).
func (l localSFN) Call(ctx context.Context, action string, body, dst []byte) ([]byte, error) {
	a := awsActions[action]
	if a == nil {
		return dst, &awsclient.APIError{Status: 400, Code: "UnknownOperationException", Message: "The action " + action + " is not valid for this web service", RequestID: string(fastpath.AppendUUID(nil))}
	}
	type answer struct {
		out  []byte
		aerr *awserr.Error
	}
	handle := a.handle
	if parent := fastpath.ParentToken(ctx); parent != "" && action == "StartExecution" {
		handle = func(s *server, body, dst []byte) ([]byte, *awserr.Error) {
			return s.startExecutionFor(body, dst, parent)
		}
	}
	done := make(chan answer, 1)
	go func() {
		out, aerr := handle(l.s, body, nil)
		done <- answer{out, aerr}
	}()
	var r answer
	select {
	case r = <-done:
	case <-ctx.Done():
		return dst, ctx.Err()
	}
	if r.aerr != nil {
		return dst, &awsclient.APIError{Status: r.aerr.Status(), Code: r.aerr.Code, Message: r.aerr.Message, RequestID: string(fastpath.AppendUUID(nil))}
	}
	return append(dst, r.out...), nil
}
