package fastpath

import (
	"strconv"
	"time"

	"github.com/stepd/stepd/fastpath/jsonb"
)

// ctxKey names the part of the context object ($$) a path starts from.
type ctxKey uint8

const (
	ctxWhole ctxKey = iota
	ctxExecution
	ctxExecutionID
	ctxExecutionInput
	ctxExecutionName
	ctxExecutionRoleArn
	ctxExecutionStartTime
	ctxExecutionRedriveCount
	ctxExecutionRedriveTime
	ctxStateMachine
	ctxStateMachineID
	ctxStateMachineName
	ctxState
	ctxStateName
	ctxStateEnteredTime
	ctxStateRetryCount
	ctxMap
	ctxMapItem
	ctxMapItemIndex
	ctxMapItemValue
	ctxTask
	ctxTaskToken
)

var ctxKeys = []struct {
	names []string
	key   ctxKey
}{
	{[]string{"Execution", "Id"}, ctxExecutionID},
	{[]string{"Execution", "Input"}, ctxExecutionInput},
	{[]string{"Execution", "Name"}, ctxExecutionName},
	{[]string{"Execution", "RoleArn"}, ctxExecutionRoleArn},
	{[]string{"Execution", "StartTime"}, ctxExecutionStartTime},
	{[]string{"Execution", "RedriveCount"}, ctxExecutionRedriveCount},
	{[]string{"Execution", "RedriveTime"}, ctxExecutionRedriveTime},
	{[]string{"Execution"}, ctxExecution},
	{[]string{"StateMachine", "Id"}, ctxStateMachineID},
	{[]string{"StateMachine", "Name"}, ctxStateMachineName},
	{[]string{"StateMachine"}, ctxStateMachine},
	{[]string{"State", "Name"}, ctxStateName},
	{[]string{"State", "EnteredTime"}, ctxStateEnteredTime},
	{[]string{"State", "RetryCount"}, ctxStateRetryCount},
	{[]string{"State"}, ctxState},
	{[]string{"Map", "Item", "Index"}, ctxMapItemIndex},
	{[]string{"Map", "Item", "Value"}, ctxMapItemValue},
	{[]string{"Map", "Item"}, ctxMapItem},
	{[]string{"Map"}, ctxMap},
	{[]string{"Task", "Token"}, ctxTaskToken},
	{[]string{"Task"}, ctxTask},
}

// resolveCtxKey finds the longest known prefix of a $$ path.
func resolveCtxKey(p *Path) (ctxKey, int) {
outer:
	for _, k := range ctxKeys {
		for i, n := range k.names {
			if name, ok := p.Step(i); !ok || name != n {
				continue outer
			}
		}
		return k.key, len(k.names)
	}
	return ctxWhole, 0
}

// timeLayout is how AWS writes times in the context object.
const timeLayout = "2006-01-02T15:04:05.000Z"

func appendTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.UTC().AppendFormat(dst, timeLayout)
	return append(dst, '"')
}

// appendContext appends the part of the context object named by k to dst.
// It returns dst unchanged and false when that part does not exist here
// ($$.Map outside an ItemSelector).
func (ex *Execution) appendContext(dst []byte, k ctxKey) ([]byte, bool) {
	o := ex.opts
	if o.Context != nil {
		return append(dst, o.Context...), k == ctxWhole
	}
	switch k {
	case ctxWhole:
		dst = append(dst, `{"Execution":`...)
		dst, _ = ex.appendContext(dst, ctxExecution)
		dst = append(dst, `,"StateMachine":`...)
		dst, _ = ex.appendContext(dst, ctxStateMachine)
		dst = append(dst, `,"State":`...)
		dst, _ = ex.appendContext(dst, ctxState)
		if ex.mapActive {
			dst = append(dst, `,"Map":`...)
			dst, _ = ex.appendContext(dst, ctxMap)
		}
		if ex.taskToken != "" {
			dst = append(dst, `,"Task":`...)
			dst, _ = ex.appendContext(dst, ctxTask)
		}
		return append(dst, '}'), true
	case ctxExecution:
		dst = append(dst, `{"Id":`...)
		dst, _ = ex.appendContext(dst, ctxExecutionID)
		dst = append(dst, `,"Input":`...)
		dst = append(dst, ex.executionInput()...)
		dst = append(dst, `,"StartTime":`...)
		dst, _ = ex.appendContext(dst, ctxExecutionStartTime)
		dst = append(dst, `,"Name":`...)
		dst, _ = ex.appendContext(dst, ctxExecutionName)
		dst = append(dst, `,"RoleArn":`...)
		dst = jsonb.AppendQuotedString(dst, o.RoleArn)
		if ex.opts.Synchronous {
			return append(dst, '}'), true // synchronous executions cannot be redriven
		}
		dst = append(dst, `,"RedriveCount":`...)
		dst = strconv.AppendInt(dst, int64(o.RedriveCount), 10)
		if o.RedriveCount > 0 {
			dst = append(dst, `,"RedriveTime":`...)
			dst = appendTime(dst, o.RedriveTime)
		}
		return append(dst, '}'), true
	case ctxExecutionID:
		if c := &ex.child; c.run != nil {
			dst = append(dst, '"')
			dst = append(dst, c.run.childPrefix...) // an ARN needs no escaping
			return append(c.appendName(dst), '"'), true
		}
		return jsonb.AppendQuotedString(dst, o.ExecutionArn), true
	case ctxExecutionName:
		if c := &ex.child; c.run != nil {
			return append(c.appendName(append(dst, '"')), '"'), true
		}
		return jsonb.AppendQuotedString(dst, o.ExecutionName), true
	case ctxExecutionRoleArn:
		return jsonb.AppendQuotedString(dst, o.RoleArn), true
	case ctxExecutionStartTime:
		if ex.child.run != nil {
			return appendTime(dst, ex.childStart()), true
		}
		return appendTime(dst, ex.startTime()), true
	case ctxExecutionRedriveCount:
		return strconv.AppendInt(dst, int64(o.RedriveCount), 10), !ex.opts.Synchronous
	case ctxExecutionRedriveTime:
		return appendTime(dst, o.RedriveTime), o.RedriveCount > 0
	case ctxStateMachine:
		dst = append(dst, `{"Id":`...)
		dst, _ = ex.appendContext(dst, ctxStateMachineID)
		dst = append(dst, `,"Name":`...)
		dst, _ = ex.appendContext(dst, ctxStateMachineName)
		return append(dst, '}'), true
	case ctxStateMachineID:
		if c := &ex.child; c.run != nil {
			return jsonb.AppendQuotedString(dst, c.run.StateMachineArn), true
		}
		return jsonb.AppendQuotedString(dst, o.StateMachineArn), true
	case ctxStateMachineName:
		if c := &ex.child; c.run != nil {
			return jsonb.AppendQuotedString(dst, c.run.machineName), true
		}
		return jsonb.AppendQuotedString(dst, o.StateMachineName), true
	case ctxState:
		dst = append(dst, `{"Name":`...)
		dst = jsonb.AppendQuotedString(dst, ex.state.Name)
		dst = append(dst, `,"EnteredTime":`...)
		dst = appendTime(dst, ex.enteredTime())
		if ex.state.Kind == StateTask {
			dst = append(dst, `,"RetryCount":`...)
			dst = strconv.AppendInt(dst, int64(ex.retryCount), 10)
		}
		return append(dst, '}'), true
	case ctxStateName:
		return jsonb.AppendQuotedString(dst, ex.state.Name), true
	case ctxStateEnteredTime:
		return appendTime(dst, ex.enteredTime()), true
	case ctxStateRetryCount:
		return strconv.AppendInt(dst, int64(ex.retryCount), 10), true
	case ctxTask: // exists only while a callback Task runs
		if ex.taskToken == "" {
			return dst, false
		}
		dst = append(dst, `{"Token":`...)
		dst = jsonb.AppendQuotedString(dst, ex.taskToken)
		return append(dst, '}'), true
	case ctxTaskToken:
		if ex.taskToken == "" {
			return dst, false
		}
		return jsonb.AppendQuotedString(dst, ex.taskToken), true
	}
	if !ex.mapActive {
		return dst, false
	}
	switch k {
	case ctxMap:
		dst = append(dst, `{"Item":`...)
		dst, _ = ex.appendContext(dst, ctxMapItem)
		return append(dst, '}'), true
	case ctxMapItem:
		dst = append(dst, `{"Index":`...)
		dst = strconv.AppendInt(dst, int64(ex.mapIndex), 10)
		dst = append(dst, `,"Value":`...)
		dst = append(dst, ex.mapItem...)
		return append(dst, '}'), true
	case ctxMapItemIndex:
		return strconv.AppendInt(dst, int64(ex.mapIndex), 10), true
	case ctxMapItemValue:
		return append(dst, ex.mapItem...), true
	}
	panic("BUG: unknown context key")
}

// executionInput is $$.Execution.Input: the input of the child execution
// ex runs, or the execution's.
func (ex *Execution) executionInput() []byte {
	if ex.child.run != nil {
		return ex.child.input
	}
	return ex.input
}

// Resolve evaluates p against the root it names: the current "$" value, a
// variable or the context object. It implements Resolver.
func (ex *Execution) Resolve(p *Path, dst []byte) (val, out []byte) {
	switch p.Root {
	case RootInput:
		if name, ok := p.Step(0); ok && jsonb.KindOf(ex.dollar) == jsonb.KindObject {
			v := ex.index.get(ex.dollar, name)
			if v == nil && p.definite {
				return nil, dst
			}
			if v != nil {
				return EvalSteps(p, dst, v, 1)
			}
		}
		return p.Eval(dst, ex.dollar)
	case RootVar:
		v := ex.vars[p.VarSlot]
		if v == nil {
			return nil, dst
		}
		return p.Eval(dst, v)
	}
	switch {
	case ex.opts.Context != nil:
		return EvalSteps(p, dst, ex.opts.Context, 0)
	case p.ctx == ctxExecutionInput:
		return EvalSteps(p, dst, ex.executionInput(), p.ctxSteps)
	case p.ctx == ctxMapItemValue && ex.mapActive:
		return EvalSteps(p, dst, ex.mapItem, p.ctxSteps)
	}
	mark := len(dst)
	dst, ok := ex.appendContext(dst, p.ctx)
	if !ok {
		return nil, dst
	}
	root := dst[mark:len(dst):len(dst)]
	val, dst = EvalSteps(p, dst, root, p.ctxSteps)
	if val == nil {
		return nil, dst[:mark]
	}
	return val, dst
}
