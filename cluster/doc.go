// Package cluster replicates stepd's control plane — state machines,
// versions, aliases, tags, logging settings and the node table — between
// nodes with hashicorp/raft.
//
// A write is a Command, encoded as [type byte][JSON payload] and
// committed to the Raft log; every node applies it to its FSM, which
// compiles the ASL it carries and publishes a new immutable State behind
// an atomic pointer, so readers (every execution looks its machine up)
// never take a lock. Apply is deterministic: the proposing node puts
// timestamps and revision ids in the command, and conflicts (a name that
// exists, a version that does not) are decided inside Apply, so all nodes
// agree and the proposer's caller gets the same AWS error everywhere.
//
// A Node runs Raft over TCP (mutual TLS when configured) with raft-wal as
// its log and stable store and a file snapshot store, both in its data
// directory. Writes proposed on a follower are forwarded to the leader
// over the same port as Raft, and Propose returns only once the local FSM
// has applied them, so a client reads its own writes on the node it
// talks to.
//
// The package imports compile (to compile definitions on apply) and never
// the daemon; it declares no flags: callers fill a Config.
package cluster
