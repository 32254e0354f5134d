package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stepd/stepd/internal/testpki"
)

// fastConfig is a node on a free loopback port. It keeps the default
// timeouts: shorter ones make a leader step down when a busy machine
// (go test ./... on two cores) starves it for a lease, which fails a
// write the test expects to succeed.
func fastConfig(t *testing.T, id string, bootstrap bool) Config {
	cfg := DefaultConfig()
	cfg.NodeID, cfg.RaftAddr, cfg.DataDir, cfg.Bootstrap = id, "127.0.0.1:0", t.TempDir(), bootstrap
	return cfg
}

func openNode(t *testing.T, cfg Config) *Node {
	t.Helper()
	n, err := Open(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// waitFor polls cond every few milliseconds until it holds or the
// deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// testPKI is a CA with a node certificate, and a certificate another CA
// signed.
type testPKI struct {
	good, other TLSFiles
}

func newTestPKI(t *testing.T) testPKI {
	dir := t.TempDir()
	var pki testPKI
	for _, c := range []struct {
		ca   string
		into *TLSFiles
	}{{"ca", &pki.good}, {"otherca", &pki.other}} {
		ca, err := testpki.NewCA(dir, c.ca)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ca.Issue(c.ca + "-node")
		if err != nil {
			t.Fatal(err)
		}
		*c.into = TLSFiles(f)
	}
	return pki
}

// startCluster opens a bootstrapped node and joins others to it, all with
// files as their TLS settings.
func startCluster(t *testing.T, size int, files TLSFiles) []*Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var nodes []*Node
	for i := range size {
		cfg := fastConfig(t, fmt.Sprintf("n%d", i+1), i == 0)
		cfg.TLS = files
		n := openNode(t, cfg)
		if i == 0 {
			if err := n.WaitLeader(ctx); err != nil {
				t.Fatal(err)
			}
		} else if err := n.Join(ctx, nodes[0].RaftAddr()); err != nil {
			t.Fatalf("join n%d: %v", i+1, err)
		}
		nodes = append(nodes, n)
	}
	return nodes
}

func follower(t *testing.T, nodes []*Node) *Node {
	for _, n := range nodes {
		if n.Status().State == "Follower" {
			return n
		}
	}
	t.Fatal("no follower")
	return nil
}

// TestClusterReplicatesAndForwards: a write proposed on a follower is
// forwarded to the leader, and when Propose returns the follower has
// applied it (read-your-writes); every node gets it; a conflict comes
// back as the AWS error.
func TestClusterReplicatesAndForwards(t *testing.T) {
	testCluster(t, TLSFiles{})
}

// TestClusterMutualTLS: the same over mutual TLS; and a peer whose
// certificate another CA signed can neither join nor forward writes.
func TestClusterMutualTLS(t *testing.T) {
	pki := newTestPKI(t)
	nodes := testCluster(t, pki.good)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, files := range []TLSFiles{pki.other, {}} {
		before := nodes[0].Status().Rejected
		var err error
		if files.enabled() {
			var c *Client
			if c, err = NewClient(files); err != nil {
				t.Fatal(err)
			}
			err = c.Join(ctx, nodes[0].RaftAddr(), Member{ID: "intruder", RaftAddr: "127.0.0.1:1"})
		} else { // plain TCP to a TLS port
			err = newClient(dialer{}).Join(ctx, nodes[0].RaftAddr(), Member{ID: "intruder", RaftAddr: "127.0.0.1:1"})
		}
		if err == nil {
			t.Fatalf("a peer with TLS files %+v joined", files)
		}
		waitFor(t, "the refusal to be counted", func() bool { return nodes[0].Status().Rejected > before })
	}
	// A client presenting no certificate at all fails the handshake too.
	conn, err := tls.Dial("tcp", nodes[0].RaftAddr(), &tls.Config{InsecureSkipVerify: true}) // the test is of the server's refusal
	if err == nil {
		_, err = conn.Write([]byte{protoForward})
		if err == nil {
			_, err = conn.Read(make([]byte, 1))
		}
		conn.Close()
	}
	if err == nil {
		t.Error("a client without a certificate was served")
	}
	members, _ := nodes[0].Members()
	if len(members) != 3 {
		t.Errorf("members = %+v", members)
	}
}

func testCluster(t *testing.T, files TLSFiles) []*Node {
	nodes := startCluster(t, 3, files)
	f := follower(t, nodes)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res, err := f.Propose(ctx, &CreateMachine{Machine: newMachine("m", passDef)})
	if err != nil || res.Err != nil {
		t.Fatalf("propose on a follower: %v %v", err, res.Err)
	}
	if f.State().Machines["m"] == nil {
		t.Fatal("the follower had not applied its own write when Propose returned")
	}
	for _, n := range nodes {
		waitFor(t, "the machine on "+n.cfg.NodeID, func() bool { m := n.State().Machines["m"]; return m != nil && m.Program() != nil })
	}
	res, err = f.Propose(ctx, &CreateMachine{Machine: newMachine("m", failDef)})
	if err != nil || res.Err == nil || res.Err.Code != "StateMachineAlreadyExists" {
		t.Errorf("conflicting create on a follower: %v %+v", err, res.Err)
	}
	for _, n := range nodes {
		waitFor(t, "the node table on "+n.cfg.NodeID, func() bool { return len(n.State().Nodes) == 3 })
	}
	return nodes
}

// TestRemoveNode: a removed node leaves the configuration and the node
// table, whether it is a follower (asked through itself) or the leader
// (asked through a follower).
func TestRemoveNode(t *testing.T) {
	t.Run("follower", func(t *testing.T) {
		nodes := startCluster(t, 3, TLSFiles{})
		victim := follower(t, nodes)
		testRemove(t, nodes, victim, victim)
	})
	t.Run("leader", func(t *testing.T) {
		nodes := startCluster(t, 3, TLSFiles{})
		var leader *Node
		for _, n := range nodes {
			if n.Status().State == "Leader" {
				leader = n
			}
		}
		if leader == nil {
			t.Fatal("no leader")
		}
		testRemove(t, nodes, leader, follower(t, nodes))
	})
}

// testRemove removes victim by asking via.
func testRemove(t *testing.T, nodes []*Node, victim, via *Node) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := newClient(dialer{}).Remove(ctx, via.RaftAddr(), victim.cfg.NodeID); err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		if n == victim {
			continue
		}
		waitFor(t, "the removal on "+n.cfg.NodeID, func() bool {
			members, _ := n.Members()
			return len(members) == 2 && n.State().Nodes[victim.cfg.NodeID] == nil
		})
	}
}

// TestConfigValidate: settings that cannot work are refused.
func TestConfigValidate(t *testing.T) {
	for _, tc := range []struct {
		change func(*Config)
		want   string
	}{
		{func(c *Config) { c.NodeID = "" }, "node id"},
		{func(c *Config) { c.RaftAddr = "0.0.0.0:8084" }, "wildcard"},
		{func(c *Config) { c.RaftAddr = "nohost" }, "host:port"},
		{func(c *Config) { c.LeaderLeaseTimeout = time.Hour }, "lease"},
		{func(c *Config) { c.TLS.Cert = "x" }, "all three"},
	} {
		cfg := DefaultConfig()
		cfg.DataDir = "d"
		tc.change(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", cfg, err, tc.want)
		}
	}
	if _, err := Open(Config{}); err == nil {
		t.Error("an empty config opened")
	}
}

// TestReadyNeedsALeader: a node that has not joined any cluster is not
// ready; once it joins and has caught up, it is, and stays so when its
// leader goes away.
func TestReadyNeedsALeader(t *testing.T) {
	nodes := startCluster(t, 1, TLSFiles{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := nodes[0].Propose(ctx, &CreateMachine{Machine: newMachine("m", passDef)}); err != nil || res.Err != nil {
		t.Fatal(err, res.Err)
	}
	lone := openNode(t, fastConfig(t, "lone", false))
	if lone.Ready() || lone.Status().LeaderID != "" {
		t.Fatalf("a node of no cluster is ready: %+v", lone.Status())
	}
	if err := lone.Join(ctx, nodes[0].RaftAddr()); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the joined node to be ready", lone.Ready)
	if lone.State().Machines["m"] == nil {
		t.Error("ready before it applied what was committed before it joined")
	}
	nodes[0].Close()
	if !lone.Ready() {
		t.Error("readiness is not kept once reached")
	}
}
