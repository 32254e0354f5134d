package teststate

import (
	"github.com/stepd/stepd/fastpath"
	"github.com/stepd/stepd/fastpath/jsonb"
)

// configure checks the mock against the state and sets up the run.
func (t *test) configure() *Error {
	req := t.req
	if c := req.StateConfiguration; c != nil {
		if c.RetrierRetryCount != nil {
			if *c.RetrierRetryCount < 0 {
				return validation("1 validation error detected: Value '" + itoa(int(*c.RetrierRetryCount)) + "' at 'stateConfiguration.retrierRetryCount' failed to satisfy constraint: Member must have value greater than or equal to 0")
			}
			t.st.RetrierRetryCount = int(*c.RetrierRetryCount)
		}
		if c.MapIterationFailureCount != nil {
			if *c.MapIterationFailureCount < 0 {
				return validation("1 validation error detected: Value '" + itoa(int(*c.MapIterationFailureCount)) + "' at 'stateConfiguration.mapIterationFailureCount' failed to satisfy constraint: Member must have value greater than or equal to 0")
			}
			t.st.MapIterationFailureCount = int(*c.MapIterationFailureCount)
		}
		if c.MapItemReaderData != nil {
			items, err := jsonb.Compact(nil, []byte(*c.MapItemReaderData), jsonb.MaxDepth)
			if err != nil || jsonb.KindOf(items) != jsonb.KindArray {
				return validation("Map item reader data must be a JSON array.")
			}
			t.st.Items = items
		}
		if c.ErrorCausedByState != nil && req.Mock == nil {
			return validation("TestState does not support ErrorCausedByState when a mock is not specified.")
		}
	}
	m := req.Mock
	if m == nil {
		return nil
	}
	if m.ErrorOutput != nil {
		mock := &fastpath.StateMock{Fails: true}
		if m.ErrorOutput.Error != nil {
			mock.Error = *m.ErrorOutput.Error
		}
		if m.ErrorOutput.Cause != nil {
			mock.Cause = *m.ErrorOutput.Cause
		}
		t.st.Mock = mock
		return nil
	}
	if m.Result == nil {
		return validation("A test mock should have one of the following fields: [result, errorOutput].")
	}
	result, err := jsonb.Compact(nil, []byte(*m.Result), jsonb.MaxDepth)
	if err != nil {
		return validation("Mocked result must be valid JSON")
	}
	t.st.Mock = &fastpath.StateMock{Result: result}
	switch t.state.Kind {
	case fastpath.StateParallel:
		if jsonb.KindOf(result) != jsonb.KindArray {
			return validation("Mocked result must be an array.")
		}
		if jsonb.ArrayLen(result) != len(t.state.Branches) {
			return validation("Mocked result must contain the same number of items as number of Parallel branches.")
		}
	case fastpath.StateMap:
		if jsonb.ObjectGet(t.rawState, "ResultWriter") != nil {
			if jsonb.KindOf(result) != jsonb.KindObject {
				return validation("Mocked result must be a JSON object.")
			}
			break
		}
		if jsonb.KindOf(result) != jsonb.KindArray {
			return validation("Mocked result must be an array.")
		}
		if t.st.MapIterationFailureCount > jsonb.ArrayLen(result) {
			return validation("Map iteration failure count must be less than or equal to the number of Map iterations")
		}
	case fastpath.StateTask:
		return checkMockResult(t.state.Task.Resource, result, m.FieldValidationMode)
	}
	return nil
}

// contextFields lists the members a request's context object may have,
// by top-level member.
var contextFields = map[string][]string{
	"Execution":    {"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount", "RedriveTime"},
	"State":        {"EnteredTime", "Name", "RetryCount"},
	"StateMachine": {"Id", "Name"},
	"Task":         {"Token"},
}

// checkContext refuses a context object with members AWS does not allow
// and returns it compact.
func checkContext(ctx string) ([]byte, *Error) {
	c, err := jsonb.Compact(nil, []byte(ctx), jsonb.MaxDepth)
	if err != nil || jsonb.KindOf(c) != jsonb.KindObject {
		return nil, validation("Invalid Context object provided: it must be a JSON object")
	}
	var it jsonb.ObjectIter
	it.Reset(c)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := string(jsonb.AppendUnquoted(nil, k))
		if name == "Map" {
			return nil, validation("Invalid Context object provided: 'Map' field is not supported when mocking a Context object")
		}
		allowed, known := contextFields[name]
		if !known {
			return nil, validation("Invalid Context object provided: Field '" + name + "' is not allowed")
		}
		var members jsonb.ObjectIter
		members.Reset(v)
		for mk, _, ok := members.Next(); ok; mk, _, ok = members.Next() {
			m := string(jsonb.AppendUnquoted(nil, mk))
			found := false
			for _, a := range allowed {
				found = found || a == m
			}
			if !found {
				return nil, validation("Invalid Context object provided: Field '" + m + "' is not allowed")
			}
		}
	}
	return c, nil
}
