package cluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// listenFile, in the Raft directory, holds the Raft address a node last
// listened at. A node told no address listens there again: its peers know
// it by that address, so a node that has clustered keeps its port across
// restarts even when its command line no longer names it.
const listenFile = "listen-addr"

// readListenFile is the address in dir's listenFile, or "" when the node
// never listened.
func readListenFile(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, listenFile))
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("cannot read the Raft address this node listened at: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// openTransport gives the node its Raft transport: the TCP port of
// cfg.RaftAddr (recorded in listenFile), or, without an address, raft's
// in-memory transport, which a one-node cluster needs no more than.
func (n *Node) openTransport(dir string, hlog hclog.Logger) error {
	if n.cfg.RaftAddr == "" {
		_, n.trans = raft.NewInmemTransport(localAddr)
		n.client = newClient(dialer{})
		return nil
	}
	serverTLS, clientTLS, err := n.cfg.TLS.load()
	if err != nil {
		return err
	}
	if n.mux, err = listenMux(n.cfg.RaftAddr, serverTLS, n.logger); err != nil {
		return err
	}
	d := dialer{tls: clientTLS}
	n.client = newClient(d)
	n.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream:  &raftLayer{subListener: subListener{m: n.mux, conns: n.mux.raft}, dialer: d},
		MaxPool: 3,
		Timeout: 10 * time.Second,
		Logger:  hlog,
	})
	addr := n.cfg.RaftAddr
	if strings.HasSuffix(addr, ":0") { // a free port, for tests: this run's
		addr = string(n.trans.LocalAddr())
	}
	if err := os.WriteFile(filepath.Join(dir, listenFile), []byte(addr+"\n"), 0o644); err != nil {
		return fmt.Errorf("cannot record the Raft address: %w", err)
	}
	return nil
}

// readdress makes this node's entry in the Raft configuration carry the
// address its transport has now: a node that ran alone (in memory) and
// restarts with a Raft port is otherwise known by an address no peer can
// dial. Only a leader can change the configuration; it reports false when
// the change failed and should be tried again.
func (n *Node) readdress(ctx context.Context) bool {
	f := n.raft.GetConfiguration()
	if f.Error() != nil {
		return false
	}
	for _, s := range f.Configuration().Servers {
		if s.ID != raft.ServerID(n.cfg.NodeID) || s.Address == n.trans.LocalAddr() || n.raft.State() != raft.Leader {
			continue
		}
		timeout := n.cfg.ApplyTimeout
		if d, ok := ctx.Deadline(); ok {
			timeout = min(timeout, time.Until(d))
		}
		if err := n.raft.AddVoter(s.ID, n.trans.LocalAddr(), 0, timeout).Error(); err != nil {
			n.logger.Printf("cluster: cannot record this node's Raft address %s (will retry): %v", n.trans.LocalAddr(), err)
			return false
		}
		n.logger.Printf("cluster: this node's Raft address is now %s (was %s)", n.trans.LocalAddr(), s.Address)
	}
	return true
}
