package cluster

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// soloConfig is a node told no Raft address, in dir.
func soloConfig(id, dir string) Config {
	cfg := DefaultConfig()
	cfg.NodeID, cfg.DataDir = id, dir
	return cfg
}

func propose(t *testing.T, n *Node, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if res, err := n.Propose(ctx, &CreateMachine{Machine: newMachine(name, passDef)}); err != nil || res.Err != nil {
		t.Fatal(err, res.Err)
	}
}

// TestSoloNodesSideBySide: nodes told no Raft address open no port, so
// two with the same settings but their data directories run at once;
// each elects itself and commits, and its log segment is small.
func TestSoloNodesSideBySide(t *testing.T) {
	a := openNode(t, soloConfig("node1", t.TempDir()))
	b := openNode(t, soloConfig("node1", t.TempDir()))
	for _, n := range []*Node{a, b} {
		propose(t, n, "m")
		// Ready follows the applied index, which may trail the commit
		// index for a moment.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := n.WaitLeader(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if st := n.Status(); st.RaftAddr != "" || st.LeaderAddr != "" || st.State != "Leader" || !st.Ready {
			t.Errorf("a solo node's status: %+v", st)
		}
		if n.State().Machines["m"] == nil {
			t.Error("the write is not applied")
		}
		dir := filepath.Join(n.cfg.DataDir, "raft")
		if _, err := os.Stat(filepath.Join(dir, listenFile)); !os.IsNotExist(err) {
			t.Errorf("a node without a port recorded one: %v", err)
		}
		segs, _ := filepath.Glob(filepath.Join(dir, "wal", "*.wal"))
		for _, s := range segs {
			if fi, err := os.Stat(s); err != nil || fi.Size() > SoloSegmentBytes {
				t.Errorf("segment %s: %v, want at most %d bytes", s, fi.Size(), SoloSegmentBytes)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := a.Join(ctx, "127.0.0.1:1"); err == nil {
		t.Error("a node without a Raft address joined")
	}
}
