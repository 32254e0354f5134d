package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/daemon/awsclient"
	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
	"github.com/stepd/stepd/internal/conformance"
	"github.com/stepd/stepd/internal/emulators"
)

const servicesKnownFailuresFile = "testdata/services_known_failures.txt"

// setupCall is one AWS call a corpus case made before its execution.
type setupCall struct {
	Service   string          `json:"service"`
	Operation string          `json:"operation"`
	Params    json.RawMessage `json:"params"`
}

// TestConformanceServices runs the corpus categories services, nested and
// dmap against the emulators (dynalite, goaws, gofakes3, the EventBridge
// stand-in): each case's setup is replayed through stepd's own aws-sdk
// path (and CreateStateMachine for child machines), then the case runs
// through the AWS API and is compared as the corpus README says. Cases
// that do not pass are listed, with why, in
// testdata/services_known_failures.txt (reasons that begin "not served:"
// need what no emulator here offers); the test fails on any other
// failure and on a listed case that passes.
func TestConformanceServices(t *testing.T) {
	dir, all := corpusCases(t)
	known, err := conformance.LoadKnownFailures(servicesKnownFailuresFile)
	if err != nil {
		t.Fatal(err)
	}
	goaws := emulators.GoAWS(t)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_DYNAMODB":    emulators.DynamoDB(t),
		"AWS_ENDPOINT_URL_SQS":         goaws,
		"AWS_ENDPOINT_URL_SNS":         goaws,
		"AWS_ENDPOINT_URL_S3":          emulators.S3(t),
		"AWS_ENDPOINT_URL_EVENTBRIDGE": emulators.EventBridge(t),
	} {
		t.Setenv(k, v)
	}
	cfg := DefaultConfig()
	cfg.DataDir, cfg.Account = t.TempDir(), emulators.Account
	// The Lambda function of the child machine of
	// callback.callback.start_execution_sync_delegate_timeout: LocalStack's
	// test creates it from its LAMBDA_WAIT_60_SECONDS handler.
	cfg.LambdaEndpoint = startLambdaStub(t, map[string]stubFunction{"wait60": {
		Arn: "arn:aws:lambda:us-east-1:111111111111:function:lambda_function_1_name", Behaviour: "sleep_then_identity", Seconds: 60}}).URL
	ts := startTestServerClock(t, cfg, fastpath.NewVirtualClock(time.Now()))
	client, err := awsclient.New(context.Background(), awsclient.Config{Region: emulators.Region})
	if err != nil {
		t.Fatal(err)
	}
	setup := integrations.NewServices(integrations.ServicesConfig{Client: client})

	var tally, served conformance.Tally
	for _, c := range all {
		if c.Category != "services" && c.Category != "nested" && c.Category != "dmap" || hasWorker(dir, c) {
			continue // a case with a worker runs in TestConformanceCallbacks, on the real clock
		}
		err := ts.runServiceCase(setup, dir, c)
		tally.Add(c.Category, err == nil)
		reason, listed := known[c.ID]
		if !strings.HasPrefix(reason, "not served:") {
			served.Add(c.Category, err == nil)
		}
		switch {
		case err != nil && !listed:
			t.Errorf("%s: %v", c.ID, err)
		case err == nil && listed:
			t.Errorf("%s passes: remove it from %s", c.ID, servicesKnownFailuresFile)
		case err != nil:
			t.Logf("known failure %s: %s (%v)", c.ID, reason, err)
		}
	}
	t.Logf("services, nested and dmap, all cases:\n%s", tally.String())
	t.Logf("services, nested and dmap, cases the emulators can serve:\n%s", served.String())
}

// runServiceCase replays c's setup and runs it.
func (ts *testServer) runServiceCase(setup *integrations.Services, dir string, c *conformance.Case) error {
	if err := ts.replaySetup(setup, dir, c); err != nil {
		return err
	}
	return ts.runCase(c)
}

// replaySetup makes the AWS calls c's setup lists, through stepd's own
// aws-sdk path (and CreateStateMachine for child machines).
func (ts *testServer) replaySetup(setup *integrations.Services, dir string, c *conformance.Case) error {
	raw, err := os.ReadFile(filepath.Join(dir, c.File))
	if err != nil {
		return err
	}
	var extra struct {
		Setup []setupCall `json:"setup"`
	}
	if err := json.Unmarshal(raw, &extra); err != nil {
		return err
	}
	for _, s := range extra.Setup {
		if s.Service == "stepfunctions" && s.Operation == "create_state_machine" {
			var p map[string]any
			_ = json.Unmarshal(s.Params, &p)
			p["roleArn"] = "arn:aws:iam::111111111111:role/stepd"
			if code, msg, err := ts.call("CreateStateMachine", p, nil); err != nil || (code != "" && code != "StateMachineAlreadyExists") {
				return fmt.Errorf("setup CreateStateMachine: %v %s %s", err, code, msg)
			}
			continue
		}
		if s.Service == "s3" && s.Operation == "put_object" {
			// boto3 stores a str Body as its bytes (aws-sdk:s3:putObject
			// would store the JSON text of the value).
			var p struct{ Bucket, Key, Body string }
			if err := json.Unmarshal(s.Params, &p); err != nil {
				return fmt.Errorf("setup s3.put_object: %v", err)
			}
			if err := integrations.NewS3Store(setup).PutObject(context.Background(), p.Bucket, p.Key, []byte(p.Body)); err != nil {
				return fmt.Errorf("setup s3.put_object: %v", err)
			}
			continue
		}
		svc := s.Service
		if svc == "events" {
			svc = "eventbridge"
		}
		task := &fastpath.Task{Resource: "arn:aws:states:::aws-sdk:" + svc + ":" + camel(s.Operation), State: "setup"}
		params, err := jsonb.Compact(nil, s.Params, jsonb.MaxDepth)
		if err != nil {
			return fmt.Errorf("setup %s.%s: %v", s.Service, s.Operation, err)
		}
		if _, _, err := setup.Invoke(context.Background(), task, params, nil); err != nil {
			if f, ok := err.(*fastpath.Failure); !ok || !alreadyExists(f.Name) {
				return fmt.Errorf("setup %s.%s: %v", s.Service, s.Operation, err)
			}
		}
		if s.Operation == "create_table" {
			if err := waitTableActive(setup, params); err != nil {
				return err
			}
		}
	}
	return nil
}

// waitTableActive polls DescribeTable until the table the create_table
// params name is ACTIVE (dynalite makes it so a moment after answering).
func waitTableActive(setup *integrations.Services, params []byte) error {
	desc := &fastpath.Task{Resource: "arn:aws:states:::aws-sdk:dynamodb:describeTable", State: "setup"}
	body := append(append([]byte(`{"TableName":`), jsonb.ObjectGet(params, "TableName")...), '}')
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		out, _, err := setup.Invoke(context.Background(), desc, body, nil)
		if err == nil && strings.Contains(string(out), `"TableStatus":"ACTIVE"`) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("setup: table %s is not ACTIVE: %v %s", jsonb.ObjectGet(params, "TableName"), err, out)
		}
	}
}

// camel turns boto3's snake_case operation names into the action of an
// aws-sdk Resource (create_queue → createQueue).
func camel(op string) string {
	parts := strings.Split(op, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// alreadyExists reports a setup error that leaves what the case needs in
// place (cases share names such as table-name).
func alreadyExists(name string) bool {
	for _, s := range []string{"ResourceInUseException", "BucketAlreadyOwnedByYou", "BucketAlreadyExists", "QueueNameExists", "ResourceExists"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}
