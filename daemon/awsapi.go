package daemon

import (
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"

	"github.com/stepd/stepd/daemon/integrations"
	"github.com/stepd/stepd/internal/awserr"
)

// awsAction is one action of the AWS Step Functions JSON 1.0 API: it reads
// the request body and appends the response body to dst.
type awsAction struct {
	handle  func(s *server, body, dst []byte) ([]byte, *awserr.Error)
	metrics *httpMetrics
	name    string
}

// awsActions maps the X-Amz-Target suffix to its handler. It is built once
// and only read afterwards.
var awsActions = map[string]*awsAction{}

func init() {
	for name, h := range map[string]func(*server, []byte, []byte) ([]byte, *awserr.Error){
		"CreateStateMachine":               (*server).createStateMachine,
		"UpdateStateMachine":               (*server).updateStateMachine,
		"DescribeStateMachine":             (*server).describeStateMachine,
		"DeleteStateMachine":               (*server).deleteStateMachine,
		"ListStateMachines":                (*server).listStateMachines,
		"ValidateStateMachineDefinition":   (*server).validateDefinition,
		"StartSyncExecution":               (*server).startSyncExecution,
		"TestState":                        (*server).testState,
		"StartExecution":                   (*server).startExecution,
		"StopExecution":                    (*server).stopExecution,
		"RedriveExecution":                 (*server).redriveExecution,
		"DescribeExecution":                (*server).describeExecution,
		"ListExecutions":                   (*server).listExecutions,
		"GetExecutionHistory":              (*server).getExecutionHistory,
		"DescribeStateMachineForExecution": (*server).describeStateMachineForExecution,
		"PublishStateMachineVersion":       (*server).publishVersion,
		"ListStateMachineVersions":         (*server).listVersions,
		"DeleteStateMachineVersion":        (*server).deleteVersion,
		"CreateStateMachineAlias":          (*server).createAlias,
		"DescribeStateMachineAlias":        (*server).describeAlias,
		"UpdateStateMachineAlias":          (*server).updateAlias,
		"DeleteStateMachineAlias":          (*server).deleteAlias,
		"ListStateMachineAliases":          (*server).listAliases,
		"TagResource":                      (*server).tagResource,
		"UntagResource":                    (*server).untagResource,
		"ListTagsForResource":              (*server).listTags,
		"CreateActivity":                   (*server).createActivity,
		"DescribeActivity":                 (*server).describeActivity,
		"ListActivities":                   (*server).listActivities,
		"DeleteActivity":                   (*server).deleteActivity,
		"GetActivityTask":                  (*server).getActivityTask,
		"SendTaskSuccess":                  (*server).sendTaskSuccess,
		"SendTaskFailure":                  (*server).sendTaskFailure,
		"SendTaskHeartbeat":                (*server).sendTaskHeartbeat,
		"DescribeMapRun":                   (*server).describeMapRun,
		"ListMapRuns":                      (*server).listMapRuns,
		"UpdateMapRun":                     (*server).updateMapRun,
	} {
		awsActions[name] = &awsAction{handle: h, metrics: newHTTPMetrics(name), name: name}
	}
}

// decode parses a request body into v, answering AWS's
// SerializationException for anything that is not a JSON object of the
// right shape.
func decode(body []byte, v any) *awserr.Error {
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		return awserr.New("SerializationException", "Cannot parse the request body: %v", err)
	}
	return nil
}

// encode appends v's JSON to dst, without the HTML escaping of <, > and &
// that AWS does not do either.
func encode(dst []byte, v any) ([]byte, *awserr.Error) {
	b, err := json.MarshalWithOption(v, json.DisableHTMLEscape())
	if err != nil {
		return dst, awserr.New("InternalFailure", "cannot encode the response: %v", err)
	}
	return append(dst, b...), nil
}

func required(field, value string) *awserr.Error {
	if value == "" {
		return awserr.New("ValidationException", "1 validation error detected: Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	}
	return nil
}

// machineType checks a CreateStateMachine type, STANDARD by default.
func machineTypeOf(t string) (string, *awserr.Error) {
	switch t {
	case "":
		return "STANDARD", nil
	case "STANDARD", "EXPRESS":
		return t, nil
	}
	return "", awserr.New("ValidationException", "1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]", t)
}

// checkDefinition compiles the definition of the state machine called
// machine, answering InvalidDefinition with AWS's message when it is not
// valid, or when a Task names a resource this node cannot run and no test
// case of the mock config stands in for that state.
func (s *server) checkDefinition(machine, def, typ string) (*fastpath.Program, *awserr.Error) {
	if len(def) > 1<<20 {
		return nil, awserr.New("InvalidDefinition", "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The definition exceeds the maximum size of 1048576 bytes'")
	}
	prog, err := compile.Compile([]byte(def), compile.MachineType(typ))
	if err != nil {
		msg := err.Error()
		if !strings.HasPrefix(msg, "Invalid State Machine Definition") {
			msg = "Invalid State Machine Definition: '" + msg + "'"
		}
		return nil, awserr.New("InvalidDefinition", "%s", msg)
	}
	var diags []compile.Diagnostic
	for i := range prog.States {
		t := prog.States[i].Task
		if t == nil || t.Callback == fastpath.CallbackActivity || integrations.Supported(t.Resource) || s.mocked(machine, t.State) {
			continue
		}
		diags = append(diags, compile.Diagnostic{Severity: compile.SeverityError, Code: "SCHEMA_VALIDATION_FAILED", Location: t.Pointer,
			Message: "The resource provided " + t.Resource + " is not supported by stepd yet; a -mock-config test case for this state can stand in for it"})
	}
	if len(diags) > 0 {
		return nil, awserr.New("InvalidDefinition", "%s", compile.CreateError(diags))
	}
	return prog, nil
}

func (s *server) machineByArn(arn string) (*machine, *awserr.Error) {
	if err := required("stateMachineArn", arn); err != nil {
		return nil, err
	}
	name, qualifier, err := s.id.parseMachineArn(arn)
	if err != nil {
		return nil, err
	}
	snap := s.reg.snap.Load()
	if qualifier != "" {
		if v := snap.versions[arn]; v != nil {
			return v, nil
		}
	} else if m := snap.machines[name]; m != nil {
		return m, nil
	}
	return nil, awserr.MachineDoesNotExist(arn)
}

func (s *server) createStateMachine(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Name                 string          `json:"name"`
		Definition           string          `json:"definition"`
		RoleArn              string          `json:"roleArn"`
		Type                 string          `json:"type"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
		Tags                 []tag           `json:"tags"`
		Publish              bool            `json:"publish"`
		VersionDescription   string          `json:"versionDescription"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	for field, v := range map[string]string{"name": req.Name, "definition": req.Definition, "roleArn": req.RoleArn} {
		if err := required(field, v); err != nil {
			return dst, err
		}
	}
	if !validName(req.Name) {
		return dst, awserr.InvalidName(req.Name)
	}
	if aerr := checkRoleArn(req.RoleArn); aerr != nil {
		return dst, aerr
	}
	typ, aerr := machineTypeOf(req.Type)
	if aerr != nil {
		return dst, aerr
	}
	if _, aerr := s.checkDefinition(req.Name, req.Definition, typ); aerr != nil {
		return dst, aerr
	}
	if aerr := checkLogging(req.LoggingConfiguration); aerr != nil {
		return dst, aerr
	}
	now := time.Now()
	res, aerr := s.propose(&cluster.CreateMachine{
		Machine: &cluster.Machine{
			Arn: s.id.stateMachineArn(req.Name), Name: req.Name, Type: typ, Definition: req.Definition,
			RoleArn: req.RoleArn, Created: now, Updated: now, RevisionID: newRevisionID(),
			Logging: req.LoggingConfiguration, Tracing: req.TracingConfiguration, Tags: req.Tags,
		},
		Publish: req.Publish, VersionDescription: req.VersionDescription,
	})
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Arn        string    `json:"stateMachineArn"`
		Created    epochTime `json:"creationDate"`
		VersionArn string    `json:"stateMachineVersionArn,omitempty"`
	}{res.Arn, epochTime(res.Date), res.VersionArn})
}

func (s *server) updateStateMachine(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn                  string          `json:"stateMachineArn"`
		Definition           *string         `json:"definition"`
		RoleArn              *string         `json:"roleArn"`
		LoggingConfiguration json.RawMessage `json:"loggingConfiguration"`
		TracingConfiguration json.RawMessage `json:"tracingConfiguration"`
		Publish              bool            `json:"publish"`
		VersionDescription   string          `json:"versionDescription"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	cur, aerr := s.machineByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	if cur.Version != 0 {
		return dst, awserr.New("ValidationException", "Versions cannot be updated: '%s'", req.Arn)
	}
	if req.Definition == nil && req.RoleArn == nil && req.LoggingConfiguration == nil && req.TracingConfiguration == nil {
		return dst, awserr.New("MissingRequiredParameter", "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified")
	}
	if req.RoleArn != nil {
		if aerr := checkRoleArn(*req.RoleArn); aerr != nil {
			return dst, aerr
		}
	}
	if aerr := checkLogging(req.LoggingConfiguration); aerr != nil {
		return dst, aerr
	}
	if req.Definition != nil {
		if _, aerr = s.checkDefinition(cur.Name, *req.Definition, cur.Type); aerr != nil {
			return dst, aerr
		}
	}
	res, aerr := s.propose(&cluster.UpdateMachine{
		Name: cur.Name, Arn: req.Arn, Definition: req.Definition, RoleArn: req.RoleArn,
		Logging: req.LoggingConfiguration, Tracing: req.TracingConfiguration,
		Publish: req.Publish, VersionDescription: req.VersionDescription,
		Now: time.Now(), RevisionID: newRevisionID(),
	})
	if aerr != nil {
		return dst, aerr
	}
	return encode(dst, struct {
		Updated    epochTime `json:"updateDate"`
		RevisionID string    `json:"revisionId"`
		VersionArn string    `json:"stateMachineVersionArn,omitempty"`
	}{epochTime(res.Date), res.RevisionID, res.VersionArn})
}

// loggingOrDefault is a machine's logging configuration as AWS describes
// it when none was set.
func loggingOrDefault(l json.RawMessage) json.RawMessage {
	if len(l) == 0 {
		return json.RawMessage(`{"level":"OFF","includeExecutionData":false}`)
	}
	return l
}

func tracingOrDefault(t json.RawMessage) json.RawMessage {
	if len(t) == 0 {
		return json.RawMessage(`{"enabled":false}`)
	}
	return t
}

type describedMachine struct {
	Arn         string          `json:"stateMachineArn"`
	Name        string          `json:"name"`
	Status      string          `json:"status"`
	Definition  string          `json:"definition"`
	RoleArn     string          `json:"roleArn"`
	Type        string          `json:"type"`
	Created     epochTime       `json:"creationDate"`
	Logging     json.RawMessage `json:"loggingConfiguration"`
	Tracing     json.RawMessage `json:"tracingConfiguration"`
	RevisionID  string          `json:"revisionId"`
	Description string          `json:"description,omitempty"`
}

func describe(m *machine) describedMachine {
	return describedMachine{
		Arn: m.Arn, Name: m.Name, Status: "ACTIVE", Definition: m.Definition, RoleArn: m.RoleArn, Type: m.Type,
		Created: epochTime(m.Created), Logging: loggingOrDefault(m.Logging), Tracing: tracingOrDefault(m.Tracing),
		RevisionID: m.RevisionID, Description: m.Description,
	}
}

func (s *server) describeStateMachine(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"stateMachineArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	m, err := s.machineByArn(req.Arn)
	if err != nil {
		return dst, err
	}
	return encode(dst, describe(m))
}

func (s *server) deleteStateMachine(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Arn string `json:"stateMachineArn"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	m, aerr := s.machineByArn(req.Arn)
	if aerr != nil {
		return dst, aerr
	}
	if m.Version != 0 {
		return dst, awserr.New("ValidationException", "Use DeleteStateMachineVersion to delete a version: '%s'", req.Arn)
	}
	if _, aerr := s.propose(&cluster.DeleteMachine{Name: m.Name}); aerr != nil {
		return dst, aerr
	}
	return append(dst, "{}"...), nil
}

// appendPage appends a paginated list response: one page of items under
// key, and nextToken (the index of the first item of the next page) when
// more remain.
func appendPage[T any](dst []byte, key string, items []T, token string, maxResults int) ([]byte, *awserr.Error) {
	start := 0
	if token != "" {
		n, err := parseToken(token)
		if err != nil || n > len(items) {
			return dst, awserr.InvalidToken(token)
		}
		start = n
	}
	if maxResults <= 0 || maxResults > 1000 {
		maxResults = 100
	}
	end := min(start+maxResults, len(items))
	pageItems := items[start:end]
	if pageItems == nil {
		pageItems = []T{}
	}
	dst = append(dst, `{"`...)
	dst = append(dst, key...)
	dst = append(dst, `":`...)
	dst, aerr := encode(dst, pageItems)
	if aerr != nil {
		return dst, aerr
	}
	if end < len(items) {
		dst = append(dst, `,"nextToken":"`...)
		dst = append(dst, makeToken(end)...)
		dst = append(dst, '"')
	}
	return append(dst, '}'), nil
}

// pageRequest is the paging of a List action that takes nothing else.
type pageRequest struct {
	MaxResults int    `json:"maxResults"`
	NextToken  string `json:"nextToken"`
}

func (s *server) listStateMachines(body, dst []byte) ([]byte, *awserr.Error) {
	var req pageRequest
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	type item struct {
		Arn     string    `json:"stateMachineArn"`
		Name    string    `json:"name"`
		Type    string    `json:"type"`
		Created epochTime `json:"creationDate"`
	}
	var items []item
	for _, m := range s.reg.snap.Load().machines {
		items = append(items, item{m.Arn, m.Name, m.Type, epochTime(m.Created)})
	}
	sortBy(items, func(i item) string { return i.Name })
	return appendPage(dst, "stateMachines", items, req.NextToken, req.MaxResults)
}

func (s *server) validateDefinition(body, dst []byte) ([]byte, *awserr.Error) {
	var req struct {
		Definition string `json:"definition"`
		Type       string `json:"type"`
		Severity   string `json:"severity"`
		MaxResults int    `json:"maxResults"`
	}
	if err := decode(body, &req); err != nil {
		return dst, err
	}
	if err := required("definition", req.Definition); err != nil {
		return dst, err
	}
	typ, aerr := machineTypeOf(req.Type)
	if aerr != nil {
		return dst, aerr
	}
	type diag struct {
		Severity string `json:"severity"`
		Code     string `json:"code"`
		Message  string `json:"message"`
		Location string `json:"location,omitempty"`
	}
	diags := []diag{}
	result := "OK"
	for _, d := range compile.Validate([]byte(req.Definition), compile.MachineType(typ)) {
		if d.Severity == compile.SeverityError {
			result = "FAIL"
		} else if req.Severity == "ERROR" {
			continue
		}
		diags = append(diags, diag{string(d.Severity), d.Code, d.Message, d.Location})
	}
	truncated := false
	if req.MaxResults > 0 && len(diags) > req.MaxResults {
		diags, truncated = diags[:req.MaxResults], true
	}
	return encode(dst, struct {
		Result      string `json:"result"`
		Diagnostics []diag `json:"diagnostics"`
		Truncated   bool   `json:"truncated"`
	}{result, diags, truncated})
}

// mocked reports whether a test case of the mock config, as it is now,
// mocks the state called state of the machine called machine.
func (s *server) mocked(machine, state string) bool {
	if s.mocks == nil {
		return false
	}
	set, err := s.mocks.Current()
	return err == nil && set.Mocks(machine, state)
}
