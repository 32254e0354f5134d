package durable

import (
	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/fastpath"
)

// timeOut records the timeout of each task of the execution arn whose
// deadline (TimeoutSeconds, or HeartbeatSeconds since the last heartbeat)
// has passed, before the execution is replayed: the replay then finds
// States.Timeout as the answer. The store refuses one that a heartbeat
// committed meanwhile has moved, or that was answered first.
func (rn *Runner) timeOut(arn string) {
	now := rn.now()
	for _, p := range rn.store.Executions().Pending(arn) {
		due, ok := p.Due()
		if !ok || now.Before(due) {
			continue
		}
		c := &cluster.AnswerTask{Token: p.Token, Timeout: true, Now: now,
			Outcome: fastpath.AppendTaskFailure(nil, fastpath.ErrTimeout, "", true, false)}
		if _, err := rn.store.ProposeLocal(c); err != nil {
			rn.log.Printf("durable: cannot record the timeout of a task of %s (will try again): %v", arn, err)
		}
	}
}
