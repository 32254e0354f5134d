package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/stepd/stepd/internal/testpki"
)

// The cluster tests start three stepd processes on loopback, each with
// its own data directory and Raft port, and drive them with the AWS SDK.

// leaderOf finds the node the running nodes agree leads, polling until
// they do.
func leaderOf(t *testing.T, nodes []*e2eNode) *e2eNode {
	t.Helper()
	var leader *e2eNode
	waitFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		leader = nil
		ids := map[string]bool{}
		for _, n := range nodes {
			v, err := n.view()
			if err != nil {
				return err
			}
			ids[v.Node.LeaderID] = true
			if v.Node.State == "Leader" {
				leader = n
			}
		}
		if leader == nil || len(ids) != 1 {
			return fmt.Errorf("no agreed leader yet: %v", ids)
		}
		return nil
	})
	return leader
}

func others(nodes []*e2eNode, not *e2eNode) []*e2eNode {
	var out []*e2eNode
	for _, n := range nodes {
		if n != not {
			out = append(out, n)
		}
	}
	return out
}

// runs executes the machine called name on n and checks it succeeds.
func runs(ctx context.Context, n *e2eNode, name string) error {
	out, err := n.sfn.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(machineArn(name)), Input: aws.String(`{"n":1}`)})
	if err != nil {
		return fmt.Errorf("%s on %s: %w", name, n.id, err)
	}
	if out.Status != types.SyncExecutionStatusSucceeded || !strings.Contains(aws.ToString(out.Output), `"gold"`) {
		return fmt.Errorf("%s on %s: %s %s %s", name, n.id, out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	return nil
}

// createOn creates an EXPRESS Pass machine through n.
func createOn(t *testing.T, n *e2eNode, name string) {
	t.Helper()
	create(t, n.sfn, name, types.StateMachineTypeExpress, e2ePass)
}

// allHave polls until every node runs every machine in names.
func allHave(t *testing.T, nodes []*e2eNode, names []string) {
	t.Helper()
	ctx := testContext(t)
	for _, n := range nodes {
		for _, name := range names {
			waitFor(t, 10*time.Second, 2*time.Millisecond, func() error { return runs(ctx, n, name) })
		}
	}
}

// compactedTo is the highest index a node's log says it compacted its
// Raft log up to ("compacting logs: from=1 to=9").
func compactedTo(log string) uint64 {
	var max uint64
	for _, line := range strings.Split(log, "\n") {
		if _, after, ok := strings.Cut(line, "compacting logs: "); ok {
			var from, to uint64
			if _, err := fmt.Sscanf(after, "from=%d to=%d", &from, &to); err == nil && to > max {
				max = to
			}
		}
	}
	return max
}

// TestClusterCreateOnFollower: a create sent to a follower is answered
// once, runs on that follower at once (read-your-writes), and runs on
// every node shortly after; conflicts answer AWS's error from any node.
func TestClusterCreateOnFollower(t *testing.T) {
	nodes := startE2ECluster(t, 3)
	ctx := testContext(t)
	leader := leaderOf(t, nodes)
	f := others(nodes, leader)[0]
	createOn(t, f, "onFollower")
	if err := runs(ctx, f, "onFollower"); err != nil {
		t.Fatalf("the follower that took the create cannot run it at once: %v", err)
	}
	start := time.Now()
	allHave(t, nodes, []string{"onFollower"})
	t.Logf("executable on all three nodes %v after the create returned", time.Since(start))
	_, err := others(nodes, f)[0].sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("onFollower"), Definition: aws.String(e2eFail), RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeExpress,
	})
	errorAs[*types.StateMachineAlreadyExists](t, err, "onFollower")
	for _, n := range nodes {
		v, err := n.view()
		if err != nil || len(v.Members) != 3 {
			t.Fatalf("%s: members %+v, %v", n.id, v.Members, err)
		}
		for _, m := range v.Members {
			if m.APIAddr == "" {
				t.Errorf("%s: the node table lacks the API address of %s", n.id, m.ID)
			}
		}
		metrics := do(t, http.DefaultClient, http.MethodGet, n.p.url()+"/metrics", nil, nil).body
		state := "stepd_raft_state 0\n"
		if n == leader {
			state = "stepd_raft_state 2\n"
		}
		want := []string{state, "stepd_raft_term ", "stepd_raft_commit_index ", "stepd_raft_applied_index ", "stepd_raft_last_contact_seconds ", "stepd_raft_ready 1\n"}
		if n == f {
			want = append(want, "stepd_raft_apply_duration_seconds_count 1\n")
		}
		for _, w := range want {
			if !strings.Contains(metrics, w) {
				t.Errorf("%s: /metrics lacks %q", n.id, w)
			}
		}
	}
}

// TestClusterFailover: kill -9 the leader while executions run on the
// survivors; a new leader is elected, writes continue, no execution on a
// survivor fails; a follower that was stopped misses writes (more than
// the log keeps) and catches up from a snapshot; the old leader restarts
// and catches up; no committed definition is lost.
func TestClusterFailover(t *testing.T) {
	nodes := startE2ECluster(t, 3)
	ctx := testContext(t)
	var committed []string
	add := func(n *e2eNode, name string) {
		createOn(t, n, name)
		committed = append(committed, name)
	}
	leader := leaderOf(t, nodes)
	add(leader, "before")
	allHave(t, nodes, committed)

	// A follower stops; the others take more writes than the log keeps.
	away := others(nodes, leader)[0]
	v, err := leader.view()
	if err != nil {
		t.Fatal(err)
	}
	away.kill(t)
	for i := range 20 {
		add(leader, fmt.Sprintf("while-away-%d", i))
	}
	waitFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		if to := compactedTo(leader.p.log()); to <= v.Node.CommitIndex {
			return fmt.Errorf("the leader's log is compacted up to %d, not past %d where %s stopped", to, v.Node.CommitIndex, away.id)
		}
		return nil
	})
	away.start(t, "")
	allHave(t, nodes, committed)
	if !strings.Contains(away.p.log(), "Installed remote snapshot") {
		t.Errorf("the node that was away did not catch up from a snapshot:\n%s", away.p.log())
	}

	// Executions fire at the survivors while the leader is killed.
	leader = leaderOf(t, nodes)
	survivors := others(nodes, leader)
	var (
		stop     atomic.Bool
		wg       sync.WaitGroup
		answered atomic.Int64
		failures = make(chan error, 100)
	)
	for _, s := range survivors {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := runs(ctx, s, "before"); err != nil {
					failures <- err
					return
				}
				answered.Add(1)
			}
		}()
	}
	waitFor(t, 10*time.Second, time.Millisecond, func() error {
		if answered.Load() < 100 {
			return fmt.Errorf("%d executions answered", answered.Load())
		}
		return nil
	})
	killed := time.Now()
	leader.kill(t)
	// A write sent at once, while the survivors still think the dead node
	// leads, waits for the new leader and succeeds.
	wrote := make(chan error, 1)
	go func() {
		_, err := survivors[0].sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
			Name: aws.String("during-failover"), Definition: aws.String(e2ePass), RoleArn: aws.String(e2eRole), Type: types.StateMachineTypeExpress,
		})
		wrote <- err
	}()
	newLeader := leaderOf(t, survivors)
	elected := time.Since(killed)
	if err := <-wrote; err != nil {
		t.Fatalf("a write sent during the failover: %v", err)
	}
	committed = append(committed, "during-failover")
	add(survivors[1], "after-failover")
	writable := time.Since(killed)
	stop.Store(true)
	wg.Wait()
	close(failures)
	for err := range failures {
		t.Errorf("an execution on a survivor failed during the failover: %v", err)
	}
	t.Logf("leader %s killed: %s elected after %v, first writes done after %v; %d executions answered on the survivors, none failed",
		leader.id, newLeader.id, elected, writable, answered.Load())
	if elected > 3*time.Second {
		t.Errorf("failover took %v, more than 3s", elected)
	}

	// The old leader comes back and catches up.
	leader.start(t, "")
	allHave(t, nodes, committed)
	for _, n := range nodes {
		out, err := n.sfn.ListStateMachines(ctx, &sfn.ListStateMachinesInput{MaxResults: 1000})
		if err != nil || len(out.StateMachines) != len(committed) {
			t.Errorf("%s lists %d machines (%v), want %d", n.id, len(out.StateMachines), err, len(committed))
		}
	}
}

// TestClusterRemove: `stepd remove` takes a node out through any member.
func TestClusterRemove(t *testing.T) {
	nodes := startE2ECluster(t, 3)
	cmd := exec.Command(stepdBin, "remove", "-node-id", nodes[2].id, "-api", nodes[1].p.addr)
	cmd.Env = append(os.Environ(), "STEPD_CONFIG=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("stepd remove: %v\n%s", err, out)
	}
	waitFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		v, err := nodes[0].view()
		if err == nil && len(v.Members) != 2 {
			err = fmt.Errorf("members %+v", v.Members)
		}
		return err
	})
	nodes[2].kill(t) // a removed node has shut its Raft down; only its process is left
}

// TestMigrateRegistryJSON: a data directory written before clustering (a
// registry.json, no Raft state) is imported on the first start and the
// file renamed; a restart does not import it again.
func TestMigrateRegistryJSON(t *testing.T) {
	dir := t.TempDir()
	def, _ := json.Marshal(e2ePass)
	legacy := `{"machines":[{"arn":"` + machineArn("old") + `","name":"old","type":"EXPRESS","definition":` + string(def) + `,"roleArn":"` + e2eRole + `","created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z","revisionId":"r1","nextVersion":2,"tags":[{"key":"team","value":"a"}]}],
 "versions":[{"arn":"` + machineArn("old") + `:1","name":"old","type":"EXPRESS","definition":` + string(def) + `,"roleArn":"` + e2eRole + `","created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z","revisionId":"r1","version":1}],
 "aliases":[{"arn":"` + machineArn("old") + `:live","name":"live","machine":"old","routing":[{"stateMachineVersionArn":"` + machineArn("old") + `:1","weight":100}],"created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z"}]}`
	if err := os.WriteFile(filepath.Join(dir, "registry.json"), []byte(legacy), 0o644); err != nil {
		t.Fatal(err)
	}
	p := startStepdIn(t, dir)
	n := &e2eNode{id: "node1", p: p, sfn: newClient(p)}
	ctx := testContext(t)
	for _, arn := range []string{"old", "old:1", "old:live"} {
		if err := runs(ctx, n, arn); err != nil {
			t.Errorf("after the import: %v", err)
		}
	}
	tags, err := n.sfn.ListTagsForResource(ctx, &sfn.ListTagsForResourceInput{ResourceArn: aws.String(machineArn("old"))})
	if err != nil || len(tags.Tags) != 1 || aws.ToString(tags.Tags[0].Value) != "a" {
		t.Errorf("tags after the import: %+v %v", tags, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "registry.json")); !os.IsNotExist(err) {
		t.Errorf("registry.json still there after the import: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "registry.json.imported")); err != nil {
		t.Error(err)
	}
	createOn(t, n, "new")
	p.stop(t)
	p = startStepdIn(t, dir)
	n.p, n.sfn = p, newClient(p)
	for _, name := range []string{"old", "new"} {
		if err := runs(ctx, n, name); err != nil {
			t.Errorf("after a restart: %v", err)
		}
	}
	if strings.Contains(p.log(), "imported") {
		t.Errorf("imported again on a restart:\n%s", p.log())
	}
}

// TestClusterMutualTLS: nodes given certificates signed by one CA form a
// cluster over mutual TLS and replicate; a node whose certificate another
// CA signed cannot join, and the cluster counts the refusal.
func TestClusterMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, err := testpki.NewCA(dir, "ca")
	if err != nil {
		t.Fatal(err)
	}
	tlsFlags := func(f testpki.Files) []string {
		return []string{"-raft-tls-cert", f.Cert, "-raft-tls-key", f.Key, "-raft-tls-ca", f.CA}
	}
	good, err := ca.Issue("node")
	if err != nil {
		t.Fatal(err)
	}
	nodes := startE2ECluster(t, 3, tlsFlags(good)...)
	leader := leaderOf(t, nodes)
	createOn(t, others(nodes, leader)[0], "overTLS")
	allHave(t, nodes, []string{"overTLS"})

	other, err := testpki.NewCA(dir, "otherca")
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := other.Issue("stranger")
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"serve", "-listen", "127.0.0.1:0", "-data-dir", t.TempDir(), "-node-id", "stranger", "-raft-addr", freeAddr(t), "-join", nodes[0].p.addr}, tlsFlags(stranger)...)
	cmd := exec.Command(stepdBin, append(args, clusterFlags...)...)
	cmd.Env = append(os.Environ(), "STEPD_CONFIG=")
	out, err := cmd.CombinedOutput()
	if err == nil || !strings.Contains(string(out), "-join") || !strings.Contains(string(out), "certificate") {
		t.Fatalf("a node with a certificate of another CA: %v\n%s", err, out)
	}
	for _, n := range nodes {
		if v, err := n.view(); err != nil || len(v.Members) != 3 {
			t.Fatalf("%s: members %+v, %v", n.id, v.Members, err)
		}
	}
	// The refusing side may finish its half of the failed handshake just
	// after the stranger exits.
	waitFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		rejected := 0
		for _, n := range nodes {
			v, err := n.view()
			if err != nil {
				return err
			}
			rejected += v.Node.Rejected
		}
		if rejected == 0 {
			return fmt.Errorf("no node counted the refused connection")
		}
		return nil
	})
}
