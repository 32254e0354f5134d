package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// soloFlag clears the harness's -raft-addr: a node told neither
// -raft-addr nor -join, as a sidecar is started.
const soloFlag = "-raft-addr="

// dirBytes is the disk space the files under dir take (holes of sparse
// files not counted), as du reports it.
func dirBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			n += diskUsage(fi)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// vmRSS is a process's resident memory, from /proc/PID/status.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(line, err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmRSS in /proc status")
	return 0
}

// createPass creates an EXPRESS Pass machine called name on p.
func createPass(t *testing.T, p *stepdProc, name string) {
	t.Helper()
	r := awsCall(t, p, "CreateStateMachine", `{"name":"`+name+`","type":"EXPRESS","roleArn":"arn:aws:iam::123456789012:role/r","definition":"{\"StartAt\":\"P\",\"States\":{\"P\":{\"Type\":\"Pass\",\"End\":true}}}"}`)
	if r.status != 200 {
		t.Fatalf("CreateStateMachine %s: %d %s", name, r.status, r.body)
	}
}

// TestSidecarsSideBySide: two nodes started with only -listen and
// -data-dir different run side by side (neither opens a Raft port), each
// serves its own machines, and each idles small: data directory at most
// 8 MB, resident memory at most 30 MB.
func TestSidecarsSideBySide(t *testing.T) {
	a := startStepd(t, soloFlag)
	b := startStepd(t, soloFlag)
	for i, p := range []*stepdProc{a, b} {
		if !strings.Contains(p.log(), "without a Raft port") {
			t.Errorf("node %d opened a Raft port:\n%s", i, p.log())
		}
		createPass(t, p, fmt.Sprintf("m%d", i))
		if r := awsCall(t, p, "StartSyncExecution", fmt.Sprintf(`{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m%d","input":"{}"}`, i)); r.status != 200 || !strings.Contains(r.body, "SUCCEEDED") {
			t.Errorf("node %d: %d %s", i, r.status, r.body)
		}
		var v raftView
		if r := do(t, http.DefaultClient, http.MethodGet, p.url()+"/cluster", nil, nil); json.Unmarshal([]byte(r.body), &v) != nil || v.Node.RaftAddr != "" || v.Node.State != "Leader" {
			t.Errorf("node %d /cluster: %s", i, r.body)
		}
	}
	if r := awsCall(t, a, "DescribeStateMachine", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:m1"}`); r.status != 400 {
		t.Errorf("node 0 has node 1's machine: %d %s", r.status, r.body)
	}
	for i, p := range []*stepdProc{a, b} {
		if n := dirBytes(t, p.dataDir); n > 8<<20 {
			t.Errorf("node %d: the data directory takes %d bytes at idle, want at most 8 MB", i, n)
		}
		if n := vmRSS(t, p.cmd.Process.Pid); n > 30<<20 {
			t.Errorf("node %d: %d bytes resident at idle, want at most 30 MB", i, n)
		}
	}
}

// TestSoloNodeLaterClusters: a node that ran alone (no Raft port) and is
// restarted with -raft-addr takes that address in its Raft
// configuration, so a second node can -join it and gets the machines
// created alone; restarted again without -raft-addr, it listens where it
// did, as its peer expects, and the two commit together again.
func TestSoloNodeLaterClusters(t *testing.T) {
	dir := t.TempDir()
	solo := startStepdIn(t, dir, soloFlag, "-node-id", "n1")
	createPass(t, solo, "alone")
	solo.stop(t)

	raftAddr := freeAddr(t)
	first := startStepdIn(t, dir, "-raft-addr", raftAddr, "-node-id", "n1")
	members := func(p *stepdProc) (raftView, error) {
		var v raftView
		r, err := tryDo(http.DefaultClient, http.MethodGet, p.url()+"/cluster", nil, nil)
		if err == nil {
			err = json.Unmarshal([]byte(r.body), &v)
		}
		return v, err
	}
	waitFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		v, err := members(first)
		if err == nil && (len(v.Members) != 1 || v.Members[0].RaftAddr != raftAddr) {
			err = fmt.Errorf("members %+v, want n1 at %s", v.Members, raftAddr)
		}
		return err
	})
	second := startStepd(t, "-raft-addr", freeAddr(t), "-node-id", "n2", "-join", first.addr)
	waitFor(t, 10*time.Second, 20*time.Millisecond, func() error {
		r := awsCall(t, second, "DescribeStateMachine", `{"stateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:alone"}`)
		if r.status != 200 {
			return fmt.Errorf("%d %s", r.status, r.body)
		}
		return nil
	})
	first.stop(t)
	again := startStepdIn(t, dir, soloFlag, "-node-id", "n1")
	if !strings.Contains(again.log(), "Raft node n1 on "+raftAddr) {
		t.Errorf("restarted without -raft-addr, the node does not listen at %s:\n%s", raftAddr, again.log())
	}
	waitFor(t, 10*time.Second, 20*time.Millisecond, func() error { return isReady(http.DefaultClient, again.url()) })
	createPass(t, again, "together") // a write needs both nodes: n2 reached n1 where it was
}

// raftView is the part of GET /cluster these tests read.
type raftView struct {
	Node struct {
		RaftAddr string `json:"raftAddr"`
		State    string `json:"state"`
	} `json:"node"`
	Members []struct {
		ID       string `json:"id"`
		RaftAddr string `json:"raftAddr"`
	} `json:"members"`
}

// diskUsage is the space a file takes on disk.
func diskUsage(fi os.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return fi.Size()
}
