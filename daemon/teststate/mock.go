package teststate

import (
	"github.com/stepd/stepd/fastpath"
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
			items, err := fastpath.Compact(nil, []byte(*c.MapItemReaderData), fastpath.MaxDepth)
			if err != nil || fastpath.KindOf(items) != fastpath.KindArray {
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
	result, err := fastpath.Compact(nil, []byte(*m.Result), fastpath.MaxDepth)
	if err != nil {
		return validation("Mocked result must be valid JSON")
	}
	t.st.Mock = &fastpath.StateMock{Result: result}
	switch t.state.Kind {
	case fastpath.StateParallel:
		if fastpath.KindOf(result) != fastpath.KindArray {
			return validation("Mocked result must be an array.")
		}
		if fastpath.ArrayLen(result) != len(t.state.Branches) {
			return validation("Mocked result must contain the same number of items as number of Parallel branches.")
		}
	case fastpath.StateMap:
		if fastpath.ObjectGet(t.rawState, "ResultWriter") != nil {
			if fastpath.KindOf(result) != fastpath.KindObject {
				return validation("Mocked result must be a JSON object.")
			}
			break
		}
		if fastpath.KindOf(result) != fastpath.KindArray {
			return validation("Mocked result must be an array.")
		}
		if t.st.MapIterationFailureCount > fastpath.ArrayLen(result) {
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
	c, err := fastpath.Compact(nil, []byte(ctx), fastpath.MaxDepth)
	if err != nil || fastpath.KindOf(c) != fastpath.KindObject {
		return nil, validation("Invalid Context object provided: it must be a JSON object")
	}
	var it fastpath.ObjectIter
	it.Reset(c)
	for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
		name := string(fastpath.AppendUnquoted(nil, k))
		if name == "Map" {
			return nil, validation("Invalid Context object provided: 'Map' field is not supported when mocking a Context object")
		}
		allowed, known := contextFields[name]
		if !known {
			return nil, validation("Invalid Context object provided: Field '" + name + "' is not allowed")
		}
		var members fastpath.ObjectIter
		members.Reset(v)
		for mk, _, ok := members.Next(); ok; mk, _, ok = members.Next() {
			m := string(fastpath.AppendUnquoted(nil, mk))
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
