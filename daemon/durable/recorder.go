package durable

import (
	"context"
	"sync"
	"time"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
)

// recorder is the fastpath.Recorder of one run of a durable execution:
// it replays the records committed by earlier runs and collects the new
// ones, which Checkpoint commits through the store. One per run; the
// engine calls it from the goroutines of concurrent branches at once.
type recorder struct {
	ctx   context.Context // the run's: a run that ends commits nothing more
	rn    *Runner
	arn   string
	clock fastpath.Clock // the run's live clock, which stamps events
	epoch int            // of the run: its records are of this epoch
	// index holds the committed records the run replays (see
	// cluster.Execution.Replayed) by key, built once per run and only
	// read afterwards; the first record of a key wins.
	index map[fastpath.RecordKey]*cluster.Record

	mu      sync.Mutex
	pending []cluster.Record
	// commit is held while a batch is being committed, so an
	// execution's batches commit in the order they were taken and each
	// scope's committed records stay a prefix of what it recorded.
	commit sync.Mutex
	// known counts the committed records this run knows: those it
	// replays and those it committed (under commit). More in the store
	// means another command added some (an answer to a task token).
	known int
}

func newRecorder(ctx context.Context, rn *Runner, e *cluster.Execution, clock fastpath.Clock) *recorder {
	r := &recorder{ctx: ctx, rn: rn, arn: e.Arn, clock: clock, epoch: e.Epoch(), index: make(map[fastpath.RecordKey]*cluster.Record, len(e.Records)), known: len(e.Records)}
	for i := range e.Records {
		rec := &e.Records[i]
		if !e.Replayed(rec) {
			continue
		}
		key := fastpath.RecordKey{Scope: rec.Scope, Seq: rec.Seq}
		if _, dup := r.index[key]; !dup {
			r.index[key] = rec
		}
	}
	return r
}

// Replay implements fastpath.Recorder.
func (r *recorder) Replay(key fastpath.RecordKey) (fastpath.RecordKind, []byte, bool) {
	rec := r.index[key]
	if rec == nil {
		return 0, nil, false
	}
	return fastpath.RecordKind(rec.Kind), rec.Val, true
}

// Record implements fastpath.Recorder.
func (r *recorder) Record(key fastpath.RecordKey, kind fastpath.RecordKind, val []byte) {
	rec := cluster.Record{Scope: key.Scope, Seq: key.Seq, Kind: uint8(kind), Epoch: r.epoch}
	if len(val) > 0 {
		rec.Val = append([]byte(nil), val...)
	}
	r.mu.Lock()
	r.pending = append(r.pending, rec)
	r.mu.Unlock()
}

// Event implements fastpath.Recorder: the event is stamped with the
// runner's clock.
func (r *recorder) Event(key fastpath.RecordKey, e *fastpath.Event) {
	val := history.AppendEvent(nil, e, r.clock.Now().UnixMilli())
	r.mu.Lock()
	r.pending = append(r.pending, cluster.Record{Scope: key.Scope, Seq: key.Seq, Kind: uint8(fastpath.RecordEvent), Val: val, Epoch: r.epoch})
	r.mu.Unlock()
}

// take removes and returns the pending records.
func (r *recorder) take() []cluster.Record {
	r.mu.Lock()
	defer r.mu.Unlock()
	batch := r.pending
	r.pending = nil
	return batch
}

// Checkpoint implements fastpath.Recorder: it commits the pending
// records. Concurrent branches calling it at once wait for each other,
// and the later ones usually find their records committed already.
func (r *recorder) Checkpoint() error {
	r.commit.Lock()
	defer r.commit.Unlock()
	if err := r.ctx.Err(); err != nil {
		return err // stopped, closing or no longer leader: the next run replays
	}
	batch := r.take()
	if len(batch) == 0 {
		return nil
	}
	res, err := r.rn.store.ProposeLocal(&cluster.AppendRecords{Arn: r.arn, Records: batch})
	if err == nil && res.Err != nil {
		err = res.Err
	}
	if err != nil {
		r.mu.Lock()
		r.pending = append(batch, r.pending...)
		r.mu.Unlock()
		checkpointErrors.Inc()
		return err
	}
	r.known += len(batch)
	checkpoints.Inc()
	recordsCommitted.Add(len(batch))
	return nil
}

// Suspend implements fastpath.Recorder: waits longer than the runner's
// ParkAfter park the execution, when its run is on the system clock. The
// runner's timers run in real time, so a run on another clock (scaled by
// -wait-time-scale, virtual in tests) waits in place on it instead.
func (r *recorder) Suspend(until time.Time) bool {
	if _, real := r.clock.(fastpath.SystemClock); !real {
		return false
	}
	return until.Sub(r.clock.Now()) > r.rn.cfg.ParkAfter
}

// committed is how many committed records this run knows of.
func (r *recorder) committed() int {
	r.commit.Lock()
	defer r.commit.Unlock()
	return r.known
}
