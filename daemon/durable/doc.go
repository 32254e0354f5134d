// Package durable runs STANDARD executions durably: every transition is
// committed through the cluster's Raft log before the next state runs,
// and an execution survives the crash of its process or the loss of its
// node by replay.
//
// An execution's durable state is its start (definition, input, start
// date) and the values its runs recorded through fastpath.Recorder: clock
// readings, random numbers, task outcomes, ended waits, history events,
// each keyed by its call site. A run replays them through the engine,
// which takes the same path without calling any task that answered, and
// carries on live from where they end. A Wait not yet due parks the
// execution: its run returns, and one timer of the Runner resumes it by
// replay when due, so waiting executions cost memory, not goroutines.
//
// The Runner runs the executions on the Raft leader: new ones as their
// start commits, every RUNNING one when its node becomes leader (at
// start, and after a failover).
package durable
