package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/valyala/fasthttp"
)

// doer is what both fasthttp.HostClient and fasthttp.PipelineClient offer.
type doer interface {
	DoTimeout(req *fasthttp.Request, resp *fasthttp.Response, timeout time.Duration) error
}

// newClient returns the client for one target: a HostClient with one
// connection per worker, or with -pipeline P a PipelineClient keeping up
// to P requests in flight on each of ceil(c/P) connections.
func newClient(c *Config, addr string) doer {
	if c.Pipeline > 0 {
		return &fasthttp.PipelineClient{
			Addr:               addr,
			Name:               "stepd-loadtest",
			MaxConns:           (c.Conns + c.Pipeline - 1) / c.Pipeline,
			MaxPendingRequests: c.Pipeline,
			ReadTimeout:        c.Timeout,
			WriteTimeout:       c.Timeout,
		}
	}
	return &fasthttp.HostClient{
		Addr:                addr,
		Name:                "stepd-loadtest",
		MaxConns:            c.Conns, // each worker holds at most one connection at a time
		MaxIdleConnDuration: time.Minute,
		ReadTimeout:         c.Timeout,
		WriteTimeout:        c.Timeout,
		MaxConnWaitTimeout:  c.Timeout,
		// The generator keeps one response per worker; the defaults are
		// enough for the reference machines and grow for larger ones.
		ReadBufferSize: 16 << 10,
	}
}

// arn is the ARN of state machine name as stepd (and AWS) names it.
func (c *Config) arn(name string) string {
	return "arn:aws:states:" + c.Region + ":" + c.Account + ":stateMachine:" + name
}

// buildRequest prepares the request that runs m once on addr. Requests
// are not safe for concurrent use: each worker copies the ones it needs.
func buildRequest(c *Config, addr string, m *Machine) *fasthttp.Request {
	req := fasthttp.AcquireRequest()
	req.Header.SetMethod(fasthttp.MethodPost)
	host := c.HostName
	if host == "" {
		host = addr
	}
	switch c.API {
	case APIAWS:
		req.SetRequestURI("http://" + addr + "/")
		req.Header.SetContentType("application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "AWSStepFunctions.StartSyncExecution")
		in, _ := json.Marshal(m.Input) // a string: cannot fail
		body := append([]byte(`{"stateMachineArn":`), quote(c.arn(m.Name))...)
		body = append(body, `,"input":`...)
		body = append(body, in...)
		req.SetBody(append(body, '}'))
	default:
		req.SetRequestURI("http://" + addr + "/v1/state-machines/" + m.Name + "/executions")
		req.Header.SetContentType("application/json")
		req.SetBodyString(m.Input)
	}
	req.Header.SetHost(host)
	return req
}

func quote(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

// createMachines creates (or updates) every machine that has an ASL file,
// on every target, before the load starts: CreateStateMachine of an
// EXPRESS machine on the AWS API (UpdateStateMachine when it exists), or
// PUT /v1/state-machines/{name}?type=EXPRESS on the REST API.
func createMachines(c *Config) error {
	for _, m := range c.Machines {
		if m.Create == "" {
			continue
		}
		asl, err := os.ReadFile(m.Create)
		if err != nil {
			return fmt.Errorf("cannot read the definition of %s: %w", m.Name, err)
		}
		for _, addr := range c.Targets {
			if err := createOne(c, addr, m.Name, asl); err != nil {
				return fmt.Errorf("cannot create %s on %s: %w", m.Name, addr, err)
			}
		}
	}
	return nil
}

func createOne(c *Config, addr, name string, asl []byte) error {
	if c.API == APIREST {
		code, body, err := call(c, addr, fasthttp.MethodPut, "/v1/state-machines/"+name+"?type=EXPRESS", "", "application/json", asl)
		if err != nil {
			return err
		}
		if code != 200 && code != 201 {
			return fmt.Errorf("HTTP %d: %s", code, body)
		}
		return nil
	}
	req, _ := json.Marshal(map[string]string{"name": name, "type": "EXPRESS", "roleArn": c.RoleArn, "definition": string(asl)})
	code, body, err := call(c, addr, fasthttp.MethodPost, "/", "CreateStateMachine", "application/x-amz-json-1.0", req)
	if err != nil {
		return err
	}
	if code == 400 && bytes.Contains(body, []byte("StateMachineAlreadyExists")) {
		req, _ = json.Marshal(map[string]string{"stateMachineArn": c.arn(name), "definition": string(asl)})
		code, body, err = call(c, addr, fasthttp.MethodPost, "/", "UpdateStateMachine", "application/x-amz-json-1.0", req)
		if err != nil {
			return err
		}
	}
	if code != 200 {
		return fmt.Errorf("HTTP %d: %s", code, body)
	}
	return nil
}

// call makes one control-plane request and returns the status and a copy
// of the body.
func call(c *Config, addr, method, path, action, contentType string, body []byte) (int, []byte, error) {
	req := fasthttp.AcquireRequest()
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.Header.SetMethod(method)
	req.SetRequestURI("http://" + addr + path)
	req.Header.SetContentType(contentType)
	if action != "" {
		req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
	}
	req.SetBody(body)
	if err := fasthttp.DoTimeout(req, resp, c.Timeout); err != nil {
		return 0, nil, err
	}
	return resp.StatusCode(), append([]byte(nil), resp.Body()...), nil
}
