package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	json "github.com/goccy/go-json"
	"github.com/hashicorp/raft"
)

var _ raft.FSM = (*fsm)(nil)

// fsm applies committed commands to the control plane. Raft calls Apply,
// Snapshot and Restore from one goroutine; State and waitApplied may be
// called from any.
type fsm struct {
	state atomic.Pointer[State]
	// execs is the durable state of STANDARD executions (executions.go).
	execs *Executions
	// onChange sees every new State, in order, before waitApplied
	// returns for its index (the daemon derives its view from it).
	onChange func(*State)
	// damaged is set at the first entry whose checksum fails: from then
	// on nothing is applied (what follows may depend on it) and no
	// snapshot is taken (it would drop the log that shows the damage).
	damaged  atomic.Pointer[error]
	onDamage func(error)

	mu       sync.Mutex
	applied  uint64        // index of the last command applied
	advanced chan struct{} // closed and replaced when applied grows
}

func newFSM(onChange func(*State)) *fsm {
	f := &fsm{onChange: onChange, advanced: make(chan struct{}), execs: newExecutions()}
	f.state.Store(emptyState())
	if onChange != nil {
		onChange(f.state.Load())
	}
	return f
}

// Apply applies one committed log entry and returns its *Result.
func (f *fsm) Apply(l *raft.Log) any {
	var res *Result
	if err := f.damage(); err != nil {
		r := errorf("InternalFailure", "%v", err)
		res = &r
	} else {
		res = f.applyData(l.Index, l.Data)
	}
	res.Index = l.Index
	f.setApplied(l.Index)
	return res
}

// damage is why this FSM stopped applying entries, or nil.
func (f *fsm) damage() error {
	if p := f.damaged.Load(); p != nil {
		return *p
	}
	return nil
}

// applyData decodes and applies the command at index. A command that
// cannot be decoded (written by a newer stepd) changes nothing, on every
// node alike; one whose checksum fails stops this FSM (see damaged).
func (f *fsm) applyData(index uint64, data []byte) *Result {
	c, err := decode(data)
	if errors.Is(err, ErrCorrupt) {
		err = fmt.Errorf("the Raft log entry at index %d is damaged (%w): it is not applied, nor any entry after it; "+
			"restore the data directory, or remove it and let the node join its cluster again", index, err)
		if f.damaged.CompareAndSwap(nil, &err) && f.onDamage != nil {
			f.onDamage(err)
		}
	}
	if err != nil {
		r := errorf("InternalFailure", "%v", err)
		return &r
	}
	if ec, ok := c.(execCommand); ok {
		res := ec.applyExec(f.execs)
		return &res
	}
	next := f.state.Load().clone()
	res := c.apply(next)
	if res.Err == nil {
		f.publish(next)
	}
	return &res
}

func (f *fsm) publish(s *State) {
	f.state.Store(s)
	if f.onChange != nil {
		f.onChange(s)
	}
}

func (f *fsm) setApplied(index uint64) {
	f.mu.Lock()
	if index > f.applied {
		f.applied = index
		close(f.advanced)
		f.advanced = make(chan struct{})
	}
	f.mu.Unlock()
}

// appliedIndex is the index of the last command this FSM applied.
func (f *fsm) appliedIndex() uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.applied
}

// waitApplied returns once the command at index (or a later one) has been
// applied here, or when ctx ends.
func (f *fsm) waitApplied(ctx context.Context, index uint64) error {
	for {
		f.mu.Lock()
		applied, advanced := f.applied, f.advanced
		f.mu.Unlock()
		if applied >= index {
			return nil
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return fmt.Errorf("cannot wait for log index %d to be applied here (at %d): %w", index, applied, ctx.Err())
		}
	}
}

// Snapshot grabs the current state; Persist does the I/O. A damaged FSM
// takes none.
func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	if err := f.damage(); err != nil {
		return nil, err
	}
	return &fsmSnapshot{state: f.state.Load(), applied: f.appliedIndex(), execs: f.execs.image()}, nil
}

// Restore replaces the state with a snapshot's, compiling every
// definition again (the program format may have changed since).
func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	var im image
	dec := json.NewDecoder(rc)
	if err := dec.Decode(&im); err != nil {
		return fmt.Errorf("cannot decode the snapshot: %w", err)
	}
	// The executions follow the control plane as a second JSON value;
	// a snapshot written before they existed ends after the first.
	var execs []Execution
	if err := dec.Decode(&execs); err != nil && err != io.EOF {
		return fmt.Errorf("cannot decode the executions of the snapshot: %w", err)
	}
	f.execs.restore(execs)
	s := emptyState()
	im.addTo(s)
	f.publish(s)
	f.setApplied(im.Applied)
	return nil
}

type fsmSnapshot struct {
	state   *State
	applied uint64
	execs   []Execution
}

// Persist writes the state as JSON, then the executions as a second JSON
// value.
func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	b, err := json.Marshal(imageOf(s.state, s.applied))
	if err == nil {
		_, err = sink.Write(b)
	}
	if err == nil && len(s.execs) > 0 {
		err = json.NewEncoder(sink).Encode(s.execs)
	}
	if err != nil {
		_ = sink.Cancel()
		return fmt.Errorf("cannot write a snapshot: %w", err)
	}
	return sink.Close()
}

// Release has nothing to free: the state is immutable.
func (s *fsmSnapshot) Release() {}
