package cluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	wal "github.com/hashicorp/raft-wal"
)

// Config is what a Node is told. Fill it from DefaultConfig.
type Config struct {
	// NodeID names the node in the cluster; it must stay the same across
	// restarts.
	NodeID string
	// RaftAddr is the host:port the node listens on for Raft and for
	// forwarded writes, and that other nodes dial: not 0.0.0.0. Port 0
	// picks a free port (for tests of a single node). Empty means the node
	// does not cluster: it opens no port (so several run side by side on
	// one host) and runs Raft in memory with itself, unless it listened
	// before (see listenFile), when it listens at that address again.
	RaftAddr string
	// APIAddr is the node's API address, recorded in the node table.
	APIAddr string
	// DataDir holds Raft's state, under DataDir/raft.
	DataDir string
	// Bootstrap starts a one-node cluster when the data directory holds
	// no Raft state yet; a node that will join an existing cluster must
	// not bootstrap.
	Bootstrap bool
	// TLS, when set, makes Raft and forwarding use mutual TLS.
	TLS TLSFiles

	// HeartbeatTimeout is how long a follower waits without hearing from
	// the leader before it calls an election: a failover takes about
	// this plus ElectionTimeout. Loopback and LAN clusters can go far
	// below raft's 1 s default.
	HeartbeatTimeout time.Duration
	// ElectionTimeout is how long a candidate waits for votes.
	ElectionTimeout time.Duration
	// LeaderLeaseTimeout is how long a leader stays leader without
	// hearing from a quorum; at most HeartbeatTimeout.
	LeaderLeaseTimeout time.Duration
	// SnapshotThreshold is the number of log entries after which a
	// snapshot is taken (checked every SnapshotInterval), and the log
	// before it, less TrailingLogs entries, is dropped.
	SnapshotThreshold uint64
	SnapshotInterval  time.Duration
	TrailingLogs      uint64
	// LogSegmentBytes is the size of the Raft log's segment files, which
	// raft-wal allocates whole when it creates them. A segment is deleted
	// once a snapshot covers all of it (until then a lagging follower can
	// still catch up from it rather than from a snapshot), so smaller
	// segments free disk sooner. 0 picks SoloSegmentBytes for a node
	// without a Raft port and ClusterSegmentBytes for one with.
	LogSegmentBytes int
	// CommitTimeout is how long a leader with nothing new to send waits
	// before telling followers the commit index anyway: a change runs on
	// every follower within about this much of being committed. Raft's
	// default is 50 ms; an idle leader sends one small message per
	// follower this often.
	CommitTimeout time.Duration
	// ApplyTimeout bounds a write: forwarding, commit and apply.
	ApplyTimeout time.Duration

	// WrapLogStore, when set, wraps the Raft log store: tests inject
	// faults through it (a full disk).
	WrapLogStore func(raft.LogStore) raft.LogStore

	// Logger receives Raft's log and the node's; nil discards it.
	Logger *log.Logger
	// OnChange sees every new State in order, from Raft's apply
	// goroutine, before a Propose of that change returns; it must be
	// quick and must not call back into the Node.
	OnChange func(*State)
}

// DefaultConfig is a one-node cluster with timeouts for a LAN.
func DefaultConfig() Config {
	return Config{
		NodeID:             "node1",
		Bootstrap:          true,
		HeartbeatTimeout:   500 * time.Millisecond,
		ElectionTimeout:    500 * time.Millisecond,
		LeaderLeaseTimeout: 250 * time.Millisecond,
		SnapshotThreshold:  8192,
		SnapshotInterval:   2 * time.Minute,
		TrailingLogs:       10240,
		CommitTimeout:      10 * time.Millisecond,
		ApplyTimeout:       10 * time.Second,
	}
}

// SoloSegmentBytes and ClusterSegmentBytes are the Raft log segment
// sizes LogSegmentBytes 0 picks. A node alone holds only its own control
// plane and lets the log go at each snapshot, so a small segment keeps its
// data directory small; members of a cluster keep raft-wal's default, so a
// follower that fell behind catches up from the log.
const (
	SoloSegmentBytes    = 1 << 20
	ClusterSegmentBytes = 8 << 20
)

// localAddr is the Raft address of a node that does not cluster: raft's
// in-memory transport, which nothing outside the process reaches.
const localAddr = "local"

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	host, _, err := net.SplitHostPort(c.RaftAddr)
	if c.RaftAddr == "" {
		err = nil
		host = "localhost"
	}
	switch {
	case c.NodeID == "":
		return errors.New("the node id must not be empty")
	case err != nil:
		return fmt.Errorf("the Raft address %q is not host:port: %w", c.RaftAddr, err)
	case host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified():
		return fmt.Errorf("the Raft address %q must name an address other nodes can dial, not a wildcard", c.RaftAddr)
	case c.DataDir == "":
		return errors.New("the data directory must not be empty")
	case c.TLS.enabled() && (c.TLS.Cert == "" || c.TLS.Key == "" || c.TLS.CA == ""):
		return errors.New("mutual TLS needs all three of the certificate, key and CA files")
	case c.HeartbeatTimeout < 5*time.Millisecond || c.ElectionTimeout < 5*time.Millisecond:
		return errors.New("the heartbeat and election timeouts must be at least 5ms")
	case c.LeaderLeaseTimeout <= 0 || c.LeaderLeaseTimeout > c.HeartbeatTimeout:
		return errors.New("the leader lease timeout must be positive and at most the heartbeat timeout")
	case c.SnapshotThreshold < 1 || c.SnapshotInterval <= 0:
		return errors.New("the snapshot threshold and interval must be positive")
	case c.LogSegmentBytes != 0 && c.LogSegmentBytes < 4096:
		return errors.New("the log segment size must be 0 (automatic) or at least 4096 bytes")
	case c.ApplyTimeout <= 0 || c.CommitTimeout <= 0:
		return errors.New("the apply and commit timeouts must be positive")
	}
	return nil
}

// Node is one member of the cluster: Raft, its stores, the FSM and the
// forwarding server. Its methods are safe for concurrent use.
type Node struct {
	cfg    Config
	logger *log.Logger
	raft   *raft.Raft
	fsm    *fsm
	wal    *wal.WAL
	// tracked is the log store raft uses: wal, checked against the last
	// index it acknowledged (logtail.go).
	tracked *trackedLog
	trans   raft.Transport
	mux     *mux // nil for a node without a Raft port
	client  *Client
	fwd     *http.Server
	fresh   bool // the data directory held no Raft state

	// readyMu guards readyAt and readyCmd: the commit index to reach
	// before Ready, taken when a leader is first known, and the last
	// command at or before it, which the FSM must have applied (raft's
	// applied index runs ahead of the FSM). ready latches once both are
	// reached.
	readyMu  sync.Mutex
	readyAt  uint64
	readyCmd uint64
	ready    atomic.Bool

	stop      context.CancelFunc
	bg        sync.WaitGroup // announce and snapshotLoop
	closeOnce sync.Once
	closeErr  error
}

// Open starts the node in cfg.DataDir: its Raft port listens (when it has
// one, see Config.RaftAddr), and the node bootstraps a one-node cluster
// (cfg.Bootstrap, no state yet), resumes from its state, or waits to be
// added by Join.
func Open(cfg Config) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, logger: cfg.Logger}
	if n.logger == nil {
		n.logger = log.New(io.Discard, "", 0)
	}
	ok := false
	defer func() {
		if !ok {
			n.closeStores()
		}
	}()
	dir := filepath.Join(cfg.DataDir, "raft")
	if err := os.MkdirAll(filepath.Join(dir, "wal"), 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the Raft directory: %w", err)
	}
	hlog := hclog.New(&hclog.LoggerOptions{Name: "raft", Output: n.logger.Writer(), Level: hclog.Info})
	var err error
	if cfg.RaftAddr == "" {
		if cfg.RaftAddr, err = readListenFile(dir); err != nil {
			return nil, err
		}
		n.cfg.RaftAddr = cfg.RaftAddr
	}
	segment := cfg.LogSegmentBytes
	if segment == 0 {
		segment = ClusterSegmentBytes
		if cfg.RaftAddr == "" {
			segment = SoloSegmentBytes
		}
	}
	if err := finishRotation(filepath.Join(dir, "wal")); err != nil {
		return nil, err
	}
	if n.wal, err = wal.Open(filepath.Join(dir, "wal"), wal.WithLogger(hlog), wal.WithSegmentSize(segment)); err != nil {
		return nil, fmt.Errorf("cannot open the Raft log: %w", err)
	}
	snaps, err := raft.NewFileSnapshotStoreWithLogger(dir, 2, hlog)
	if err != nil {
		return nil, fmt.Errorf("cannot open the snapshot store: %w", err)
	}
	if err := n.openTransport(dir, hlog); err != nil {
		return nil, err
	}
	existing, err := raft.HasExistingState(n.wal, n.wal, snaps)
	if err != nil {
		return nil, fmt.Errorf("cannot read the Raft state: %w", err)
	}
	n.fresh = !existing
	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.NodeID)
	rc.HeartbeatTimeout, rc.ElectionTimeout, rc.LeaderLeaseTimeout = cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout
	rc.SnapshotThreshold, rc.SnapshotInterval, rc.TrailingLogs = cfg.SnapshotThreshold, cfg.SnapshotInterval, cfg.TrailingLogs
	rc.CommitTimeout = cfg.CommitTimeout
	rc.Logger = hlog
	n.fsm = newFSM(cfg.OnChange)
	n.fsm.onDamage = func(err error) { n.logger.Printf("cluster: %v", err) }
	if n.tracked, err = openTrackedLog(dir, n.wal); err != nil {
		return nil, err
	}
	var logs raft.LogStore = n.tracked
	if cfg.WrapLogStore != nil {
		logs = cfg.WrapLogStore(logs)
	}
	if n.raft, err = raft.NewRaft(rc, n.fsm, logs, n.wal, snaps, n.trans); err != nil {
		return nil, fmt.Errorf("cannot start Raft: %w", err)
	}
	if n.fresh && cfg.Bootstrap {
		conf := raft.Configuration{Servers: []raft.Server{{Suffrage: raft.Voter, ID: rc.LocalID, Address: n.trans.LocalAddr()}}}
		if err := n.raft.BootstrapCluster(conf).Error(); err != nil {
			n.raft.Shutdown()
			return nil, fmt.Errorf("cannot bootstrap the cluster: %w", err)
		}
	}
	if n.soleVoter() {
		n.electQuickly(rc)
	}
	if n.mux != nil {
		n.fwd = &http.Server{Handler: n.forwardHandler(), ReadHeaderTimeout: handshakeTimeout, ErrorLog: n.logger}
		go func() { _ = n.fwd.Serve(&subListener{m: n.mux, conns: n.mux.forward}) }()
	}
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	n.bg.Add(2)
	go n.announce(ctx)
	go n.snapshotLoop(ctx)
	ok = true
	return n, nil
}

// Fresh reports whether the data directory held no Raft state when the
// node opened it.
func (n *Node) Fresh() bool { return n.fresh }

// RaftAddr is the address other nodes reach this one at, or "" when it
// has no Raft port.
func (n *Node) RaftAddr() string {
	if n.mux == nil {
		return ""
	}
	return string(n.trans.LocalAddr())
}

// State is the current control plane, as this node has applied it.
func (n *Node) State() *State { return n.fsm.state.Load() }

// announce records this node in the node table once there is a leader,
// and again whenever its entry differs (its API address changed).
func (n *Node) announce(ctx context.Context) {
	defer n.bg.Done()
	// The goroutine ends once the entry is right, so polling often costs
	// nothing that lasts, and a new node shows in the table at once.
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	self := Member{ID: n.cfg.NodeID, RaftAddr: n.RaftAddr(), APIAddr: n.cfg.APIAddr}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if addr, _ := n.raft.LeaderWithID(); addr == "" || !n.isVoter() {
			continue
		}
		if !n.readdress(ctx) {
			continue
		}
		if cur := n.State().Nodes[self.ID]; cur != nil && *cur == self {
			return
		}
		pctx, cancel := context.WithTimeout(ctx, n.cfg.ApplyTimeout)
		if _, err := n.Propose(pctx, &setNode{Member: self}); err != nil {
			n.logger.Printf("cannot record this node in the node table (will retry): %v", err)
		}
		cancel()
	}
}

// SnapshotCheck is how often a node checks whether its log since the
// last snapshot has grown enough to take one (see snapshotLoop).
const SnapshotCheck = 500 * time.Millisecond

// snapshotLoop takes a snapshot once the log since the last one holds
// SnapshotThreshold entries and at least half as many entries as the FSM
// holds executions, checked every SnapshotCheck. Raft's own check, every
// SnapshotInterval, lets a busy node write hundreds of thousands of
// entries between two snapshots, all of which a restart after kill -9
// reads and applies again before it serves (an entry costs several times
// what restoring an execution from a snapshot costs); checking by count
// keeps that tail near the threshold. The second bound keeps the work of
// snapshots (which write every execution) in proportion to the entries
// committed: a node holding a million executions snapshots every 500,000
// entries, not every 8,192.
func (n *Node) snapshotLoop(ctx context.Context) {
	defer n.bg.Done()
	tick := time.NewTicker(SnapshotCheck)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		tail := n.LogSinceSnapshot()
		if tail < max(n.cfg.SnapshotThreshold, uint64(n.fsm.execs.Len())/2) {
			continue
		}
		if err := n.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) && !errors.Is(err, raft.ErrRaftShutdown) {
			n.logger.Printf("cluster: snapshot after %d entries: %v", tail, err)
		}
	}
}

// LogSinceSnapshot is how many log entries follow the last snapshot:
// what a restart reads and applies again after restoring it.
func (n *Node) LogSinceSnapshot() uint64 {
	st := n.raft.Stats()
	last, err1 := strconv.ParseUint(st["last_log_index"], 10, 64)
	snap, err2 := strconv.ParseUint(st["last_snapshot_index"], 10, 64)
	if err1 != nil || err2 != nil || last < snap {
		return 0
	}
	return last - snap
}

// soleVoter reports whether this node is the only voter of its
// configuration: a one-node cluster, which has nobody to wait for.
func (n *Node) soleVoter() bool {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	servers := f.Configuration().Servers
	return len(servers) == 1 && servers[0].ID == raft.ServerID(n.cfg.NodeID) && servers[0].Suffrage == raft.Voter
}

// electQuickly shortens the heartbeat timeout of a one-node cluster to
// the leader lease (the shortest raft allows) until the node has elected
// itself, then restores rc's: a sidecar serves sooner after it starts,
// and the timeouts are back before any other node can join.
func (n *Node) electQuickly(rc *raft.Config) {
	normal := raft.ReloadableConfig{TrailingLogs: rc.TrailingLogs, SnapshotInterval: rc.SnapshotInterval, SnapshotThreshold: rc.SnapshotThreshold,
		HeartbeatTimeout: rc.HeartbeatTimeout, ElectionTimeout: rc.ElectionTimeout}
	fast := normal
	fast.HeartbeatTimeout, fast.ElectionTimeout = rc.LeaderLeaseTimeout, rc.LeaderLeaseTimeout
	if err := n.raft.ReloadConfig(fast); err != nil {
		n.logger.Printf("cluster: cannot shorten the first election: %v", err)
		return
	}
	go func() {
		timeout := time.NewTimer(10 * rc.ElectionTimeout)
		defer timeout.Stop()
		select {
		case <-n.raft.LeaderCh():
		case <-timeout.C:
		}
		if err := n.raft.ReloadConfig(normal); err != nil {
			n.logger.Printf("cluster: cannot restore the Raft timeouts: %v", err)
		}
	}()
}

// isVoter reports whether this node is a voter of the latest
// configuration it knows.
func (n *Node) isVoter() bool {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if s.ID == raft.ServerID(n.cfg.NodeID) {
			return s.Suffrage == raft.Voter
		}
	}
	return false
}

// ErrNoLeader is wrapped by the errors of Propose when no leader could be
// reached before the context ended.
var ErrNoLeader = errors.New("no leader")

// Propose commits c and applies it, on the leader directly or forwarded to
// it, and returns once this node's FSM has applied it too, so the caller
// reads its own write here. A conflict Apply decided comes back in
// Result.Err; an error means the change could not be committed, or that
// it is unknown whether it was (leadership lost while committing).
func (n *Node) Propose(ctx context.Context, c Command) (Result, error) {
	data, err := Encode(c)
	if err != nil {
		return Result{}, err
	}
	wait := 5 * time.Millisecond
	for {
		if n.raft.State() == raft.Leader {
			res, err := n.applyLocal(data)
			if !errors.Is(err, raft.ErrNotLeader) {
				return res, err
			}
		} else if addr, _ := n.raft.LeaderWithID(); addr != "" {
			var res Result
			err := n.client.call(ctx, string(addr), "/apply", data, &res)
			var nl *errNotLeader
			var nd *errDial
			switch {
			case err == nil:
				return res, n.fsm.waitApplied(ctx, res.Index)
			case !errors.As(err, &nl) && !errors.As(err, &nd):
				return res, err
			}
		}
		select { // an election is running, or the leader we knew is gone
		case <-time.After(wait):
			wait = min(2*wait, 100*time.Millisecond)
		case <-ctx.Done():
			return Result{}, fmt.Errorf("%w: %v", ErrNoLeader, ctx.Err())
		}
	}
}

// applyLocal commits data through this node's Raft as leader.
func (n *Node) applyLocal(data []byte) (Result, error) {
	f := n.raft.Apply(data, n.cfg.ApplyTimeout)
	if err := f.Error(); err != nil {
		return Result{}, err
	}
	return *f.Response().(*Result), nil
}

// forwardHandler serves what other nodes send over the Raft port: writes
// to commit (/apply), and membership changes (/join, /remove). A node
// that is not the leader answers statusNotLeader with the leader's
// address.
func (n *Node) forwardHandler() http.Handler {
	mux := http.NewServeMux()
	leaderOnly := func(h func(body []byte) (any, error)) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if n.raft.State() != raft.Leader {
				addr, _ := n.raft.LeaderWithID()
				w.WriteHeader(statusNotLeader)
				_, _ = io.WriteString(w, string(addr))
				return
			}
			body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
			var out any
			if err == nil {
				out, err = h(body)
			}
			if errors.Is(err, raft.ErrNotLeader) {
				w.WriteHeader(statusNotLeader)
				return
			}
			if err != nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			b, _ := json.Marshal(out)
			_, _ = w.Write(b)
		}
	}
	mux.HandleFunc("POST /apply", leaderOnly(func(body []byte) (any, error) {
		if _, err := decode(body); err != nil { // never commit what no node can apply
			return nil, err
		}
		return n.applyLocal(body)
	}))
	// Joins and removals are idempotent: a client tries them again after
	// an error.
	mux.HandleFunc("POST /join", leaderOnly(func(body []byte) (any, error) {
		var m Member
		if err := json.Unmarshal(body, &m); err != nil || m.ID == "" || m.RaftAddr == "" {
			return nil, fmt.Errorf("a join names the node's id and Raft address: %s", body)
		}
		if err := n.raft.AddVoter(raft.ServerID(m.ID), raft.ServerAddress(m.RaftAddr), 0, n.cfg.ApplyTimeout).Error(); err != nil {
			return nil, err
		}
		n.logger.Printf("cluster: added node %s at %s", m.ID, m.RaftAddr)
		return n.proposeEncoded(&setNode{Member: m})
	}))
	mux.HandleFunc("POST /remove", leaderOnly(func(body []byte) (any, error) {
		var m removeNode
		if err := json.Unmarshal(body, &m); err != nil || m.ID == "" {
			return nil, fmt.Errorf("a removal names the node's id: %s", body)
		}
		// The table first: removing the leader itself ends its Raft.
		res, err := n.proposeEncoded(&m)
		if err != nil {
			return nil, err
		}
		if err := n.raft.RemoveServer(raft.ServerID(m.ID), 0, n.cfg.ApplyTimeout).Error(); err != nil {
			return nil, err
		}
		n.logger.Printf("cluster: removed node %s", m.ID)
		return res, nil
	}))
	return mux
}

func (n *Node) proposeEncoded(c Command) (Result, error) {
	data, err := Encode(c)
	if err != nil {
		return Result{}, err
	}
	return n.applyLocal(data)
}

// Join asks the cluster that the node at raftAddr belongs to (any
// member) to add this node as a voter.
func (n *Node) Join(ctx context.Context, raftAddr string) error {
	if n.mux == nil {
		return errors.New("a node without a Raft address cannot join a cluster: give it one (-raft-addr)")
	}
	return n.client.Join(ctx, raftAddr, Member{ID: n.cfg.NodeID, RaftAddr: n.RaftAddr(), APIAddr: n.cfg.APIAddr})
}

// WaitLeader returns once a leader is known and this node has applied
// everything committed when it learnt of it (see Ready), or when ctx
// ends, or with Damaged's error when the log it applies is damaged.
func (n *Node) WaitLeader(ctx context.Context) error {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !n.Ready() {
		if err := n.Damaged(); err != nil {
			return err
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("%w after %v", ErrNoLeader, ctx.Err())
		}
	}
	return nil
}

// Ready reports whether a leader is known and this node has applied the
// log up to the commit index it knew when it first saw a leader: it then
// holds every definition committed before it started. Once true, it stays
// true, unless the node finds its log damaged (see Damaged).
func (n *Node) Ready() bool {
	if n.Damaged() != nil {
		return false
	}
	if n.ready.Load() {
		return true
	}
	if addr, _ := n.raft.LeaderWithID(); addr == "" {
		return false
	}
	n.readyMu.Lock()
	defer n.readyMu.Unlock()
	if n.readyAt == 0 {
		if n.readyAt = n.raft.CommitIndex(); n.readyAt == 0 {
			return false
		}
		n.readyCmd = n.lastCommandAtOrBefore(n.readyAt)
	}
	if n.raft.AppliedIndex() >= n.readyAt && n.fsm.appliedIndex() >= n.readyCmd {
		n.ready.Store(true)
	}
	return n.ready.Load()
}

// Damaged is why this node stopped applying its log — an entry whose
// checksum failed (it wraps ErrCorrupt) — or nil. A damaged node is never
// Ready again.
func (n *Node) Damaged() error { return n.fsm.damage() }

// lastCommandAtOrBefore is the index of the last command in the log at or
// before index, or 0 when the log holds none there (a snapshot then
// covers them, and raft restores it before its applied index moves on).
func (n *Node) lastCommandAtOrBefore(index uint64) uint64 {
	first, err := n.wal.FirstIndex()
	if err != nil {
		return 0
	}
	var l raft.Log
	for i := index; i >= max(first, 1); i-- {
		if n.wal.GetLog(i, &l) != nil {
			return 0
		}
		if l.Type == raft.LogCommand {
			return i
		}
	}
	return 0
}

// Status is a node's view of the cluster.
type Status struct {
	ID           string        `json:"id"`
	RaftAddr     string        `json:"raftAddr"`
	State        string        `json:"state"` // Follower, Candidate, Leader or Shutdown
	LeaderID     string        `json:"leaderId"`
	LeaderAddr   string        `json:"leaderRaftAddr"`
	Term         uint64        `json:"term"`
	CommitIndex  uint64        `json:"commitIndex"`
	AppliedIndex uint64        `json:"appliedIndex"`
	LastContact  time.Duration `json:"lastContactNanos"` // since the leader was last heard; 0 on the leader, -1 never
	Ready        bool          `json:"ready"`
	// Rejected counts connections to the Raft port refused for failing
	// the TLS handshake or naming no protocol.
	Rejected uint64 `json:"rejectedConnections"`
}

// Status reports the node's Raft state. It does not block on Raft.
func (n *Node) Status() Status {
	addr, id := n.raft.LeaderWithID()
	s := Status{
		ID: n.cfg.NodeID, RaftAddr: n.RaftAddr(), State: n.raft.State().String(), LeaderID: string(id), LeaderAddr: string(addr),
		Term: n.raft.CurrentTerm(), CommitIndex: n.raft.CommitIndex(), AppliedIndex: n.raft.AppliedIndex(),
		Ready: n.Ready(),
	}
	if n.mux != nil {
		s.Rejected = n.mux.rejected.Load()
	} else if addr == localAddr {
		s.LeaderAddr = ""
	}
	switch last := n.raft.LastContact(); {
	case n.raft.State() == raft.Leader:
	case last.IsZero():
		s.LastContact = -1
	default:
		s.LastContact = time.Since(last)
	}
	return s
}

// Members lists the servers of the latest Raft configuration with their
// API addresses from the node table.
func (n *Node) Members() ([]Member, error) {
	f := n.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return nil, err
	}
	table := n.State().Nodes
	var out []Member
	for _, s := range f.Configuration().Servers {
		m := Member{ID: string(s.ID), RaftAddr: string(s.Address)}
		if t := table[m.ID]; t != nil {
			m.APIAddr = t.APIAddr
		}
		out = append(out, m)
	}
	return out, nil
}

// Close takes a snapshot (so a restart serves every definition before
// it hears from a leader), stops Raft and closes the stores and the port.
// Calls after the first return the first's result.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.stop()
		n.bg.Wait()
		if err := n.raft.Snapshot().Error(); err != nil && !errors.Is(err, raft.ErrNothingNewToSnapshot) && !errors.Is(err, raft.ErrRaftShutdown) {
			n.logger.Printf("cluster: snapshot on close: %v", err)
		}
		n.closeErr = n.raft.Shutdown().Error()
		if n.fwd != nil {
			_ = n.fwd.Close()
		}
		n.closeStores()
	})
	return n.closeErr
}

func (n *Node) closeStores() {
	if c, ok := n.trans.(io.Closer); ok {
		_ = c.Close()
	}
	if n.mux != nil {
		_ = n.mux.close()
	}
	if n.tracked != nil {
		_ = n.tracked.Close()
	}
	if n.wal != nil {
		_ = n.wal.Close()
	}
}
