package integrations

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/internal/emulators"
)

// testServices returns Services whose endpoints are the emulators (and
// extra overrides), found through AWS_ENDPOINT_URL_<SERVICE> as a user
// sets them.
func testServices(t testing.TB, sfn StepFunctions, extra map[string]string) *Services {
	t.Helper()
	env := map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":    emulators.DynamoDB(t),
		"AWS_ENDPOINT_URL_SQS":         emulators.GoAWS(t),
		"AWS_ENDPOINT_URL_SNS":         emulators.GoAWS(t),
		"AWS_ENDPOINT_URL_S3":          emulators.S3(t),
		"AWS_ENDPOINT_URL_EVENTBRIDGE": emulators.EventBridge(t),
	}
	for k, v := range extra {
		env[k] = v
	}
	c, err := awsclient.New(context.Background(), awsclient.Config{
		Region: emulators.Region, NoSharedConfig: true,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSTEPDTEST", "stepd-test-secret", ""),
		Getenv:      func(k string) string { return env[k] },
	})
	if err != nil {
		t.Fatal(err)
	}
	return NewServices(ServicesConfig{Client: c, StepFunctions: sfn})
}

// result is how an execution ended, for comparisons.
type result struct {
	Status       string
	Output       any
	Error, Cause string
}

// runMachine compiles def (EXPRESS) and runs it with s as the invoker.
func runMachine(t testing.TB, s fastpath.Invoker, def string, input string) result {
	t.Helper()
	prog, err := compile.Compile([]byte(def), compile.Express)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	ex := fastpath.AcquireExecution()
	defer fastpath.ReleaseExecution(ex)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := ex.Run(ctx, prog, []byte(input), &fastpath.Options{Invoker: s, Clock: fastpath.NewVirtualClock(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	r := result{Status: res.Status.String(), Error: res.Error, Cause: res.Cause}
	if res.Output != nil {
		if err := json.Unmarshal(res.Output, &r.Output); err != nil {
			t.Fatalf("output %s: %v", res.Output, err)
		}
	}
	return r
}

// task is a one-Task machine calling resource with the given Parameters.
func task(resource, params string) string {
	return `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"` + resource + `","Parameters":` + params + `,"End":true}}}`
}

var unique atomic.Int64

// uniqueName names a queue, table, topic or bucket for one test.
func uniqueName(prefix string) string {
	return prefix + "-" + time.Now().Format("150405") + "-" + string(rune('a'+unique.Add(1)%26)) + strings.ReplaceAll(time.Now().Format(".000000"), ".", "")
}

// mustRun runs def and fails the test unless it succeeded.
func mustRun(t testing.TB, s fastpath.Invoker, def, input string) map[string]any {
	t.Helper()
	r := runMachine(t, s, def, input)
	if r.Status != "SUCCEEDED" {
		t.Fatalf("%s: %s: %s", r.Status, r.Error, r.Cause)
	}
	m, _ := r.Output.(map[string]any)
	return m
}

// deadPort is a loopback URL nothing listens on.
func deadPort(t testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}
