package cluster

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fastConfig is a node on a free loopback port with timeouts for
// loopback.
func fastConfig(t *testing.T, id string, bootstrap bool) Config {
	cfg := DefaultConfig()
	cfg.NodeID, cfg.RaftAddr, cfg.DataDir, cfg.Bootstrap = id, "127.0.0.1:0", t.TempDir(), bootstrap
	cfg.HeartbeatTimeout, cfg.ElectionTimeout, cfg.LeaderLeaseTimeout = 100*time.Millisecond, 100*time.Millisecond, 50*time.Millisecond
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

// testPKI writes a CA and node certificates (for 127.0.0.1) signed by it
// to dir; other is a certificate from a different CA.
type testPKI struct {
	ca, good, other TLSFiles
}

func newTestPKI(t *testing.T) testPKI {
	dir := t.TempDir()
	caCert, caKey, caFile := writeCert(t, dir, "ca", nil, nil)
	_, _, otherCA := writeCert(t, dir, "otherca", nil, nil)
	otherCert, otherKey := parseCert(t, filepath.Join(dir, "otherca.pem")), parseKey(t, filepath.Join(dir, "otherca.key"))
	_, _, _ = writeCert(t, dir, "node", caCert, caKey)
	_, _, _ = writeCert(t, dir, "stranger", otherCert, otherKey)
	return testPKI{
		ca:    TLSFiles{CA: caFile},
		good:  TLSFiles{Cert: filepath.Join(dir, "node.pem"), Key: filepath.Join(dir, "node.key"), CA: caFile},
		other: TLSFiles{Cert: filepath.Join(dir, "stranger.pem"), Key: filepath.Join(dir, "stranger.key"), CA: otherCA},
	}
}

// writeCert writes name.pem and name.key: a CA when parent is nil, else
// a certificate for 127.0.0.1 signed by parent.
func writeCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey, string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true,
	}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA = true
	} else {
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	kb, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := filepath.Join(dir, name+".pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return cert, key, certFile
}

func parseCert(t *testing.T, file string) *x509.Certificate {
	b, _ := os.ReadFile(file)
	blk, _ := pem.Decode(b)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func parseKey(t *testing.T, file string) *ecdsa.PrivateKey {
	b, _ := os.ReadFile(file)
	blk, _ := pem.Decode(b)
	k, err := x509.ParseECPrivateKey(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
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
// table.
func TestRemoveNode(t *testing.T) {
	nodes := startCluster(t, 3, TLSFiles{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	victim := follower(t, nodes)
	if err := newClient(dialer{}).Remove(ctx, victim.RaftAddr(), victim.cfg.NodeID); err != nil {
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
