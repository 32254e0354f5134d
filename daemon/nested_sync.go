package daemon

import (
	"context"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/fastpath"
)

// states:startExecution.sync and .sync:2: the parent's Task waits for its
// task token like a `.waitForTaskToken` Task (fastpath/childexec.go); the
// child starts with that token as its parent (localSFN.Call). A STANDARD
// child's end answers the token in the same Raft command that ends it
// (cluster.Executions.answerParent), so no goroutine waits and a restart
// loses nothing; an EXPRESS child, which lives in this process, answers it
// when it ends (answerParent). Stopping the parent stops its children: the
// STANDARD ones in the parent's StopExecution command, the EXPRESS ones
// here.

// answerParent answers the `.sync` Task whose token is parent with e, an
// EXPRESS child that ended. A task answered meanwhile (SendTaskSuccess
// with the token, a timeout, a stopped parent) keeps its answer.
func (s *server) answerParent(parent string, e *execution) {
	c := &fastpath.ChildExecution{Arn: e.Arn, MachineArn: e.MachineArn, Name: e.Name, Status: e.Status, Start: e.Start,
		Stop: e.Stop, Input: e.Input, Output: e.Output, Error: e.Error, Cause: e.Cause}
	if _, aerr := s.propose(&cluster.AnswerTask{Token: parent, Child: c, Now: time.Now()}); aerr != nil && aerr.Code != "TaskTimedOut" {
		s.log.Printf("sync: cannot answer the parent of %s: %v", e.Arn, aerr)
	}
}

// restartLostChildren starts again, before a run of the execution arn,
// the EXPRESS children its `.sync` Tasks wait for that this process does
// not run: they lived in the memory of a node that stopped (a kill -9, a
// failover). An EXPRESS execution runs at least once, as AWS's
// asynchronous Express workflows do; the first end answers the Task, a
// later one finds its token used. A STANDARD child is durable and linked
// to its Task when its start commits: it is never started again here.
func (s *server) restartLostChildren(ctx context.Context, arn string, inv fastpath.Invoker) {
	for _, p := range s.node.Executions().Pending(arn) {
		if p.Callback != fastpath.CallbackSync && p.Callback != fastpath.CallbackSync2 || p.Child != "" || s.execs.recent.childOf(p.Token) != "" {
			continue
		}
		var req struct {
			Machine string `json:"StateMachineArn"`
		}
		if json.Unmarshal(p.Input, &req) != nil {
			continue
		}
		if m, aerr := s.machineByArn(req.Machine); aerr != nil || m.Type != "EXPRESS" {
			continue // a STANDARD child whose start never committed: the run's replay starts it
		}
		task := &fastpath.Task{Resource: "arn:aws:states:::states:startExecution", State: p.State}
		if _, _, err := inv.Invoke(fastpath.WithParentToken(ctx, p.Token), task, p.Input, nil); err != nil {
			s.log.Printf("sync: cannot start again the EXPRESS child of %s: %v", arn, err)
		}
	}
}

// expressChildren returns the EXPRESS executions that the `.sync` Tasks
// of the execution arn, RUNNING, wait for: the STANDARD ones stop with
// their parent in its StopExecution command (durable.Runner.StopCommand).
func (s *server) expressChildren(arn string) []string {
	var out []string
	for _, p := range s.node.Executions().Pending(arn) {
		if p.Callback != fastpath.CallbackSync && p.Callback != fastpath.CallbackSync2 || p.Child != "" {
			continue
		}
		if child := s.execs.recent.childOf(p.Token); child != "" {
			out = append(out, child)
		}
	}
	return out
}

// stopChildren stops the EXPRESS children of a parent that was stopped,
// as AWS does; one that ended meanwhile stays as it ended.
func (s *server) stopChildren(children []string) {
	for _, arn := range children {
		_, _ = s.execs.stop(arn, nil, nil)
	}
}
