// Command clusterbench measures a three-node stepd cluster on loopback:
// how soon a definition created on a follower runs on every node, how long
// a failover takes after the leader is killed with SIGKILL, and the
// execution throughput of a surviving node while the cluster elects.
//
//	go build -o /tmp/stepd . && go run ./bench/clusterbench -stepd /tmp/stepd
//
// It starts the three processes itself (each with its own data directory
// and ports), drives them over HTTP with the AWS JSON API, checks every
// answer, and prints the figures docs/BENCHMARKS.md quotes. Not part of
// the tests: it takes the machine's cores while it runs.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	passDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":{"tier":"gold"},"ResultPath":"$.class","End":true}}}`
	role    = "arn:aws:iam::123456789012:role/bench"
	arnBase = "arn:aws:states:us-east-1:123456789012:stateMachine:"
)

func main() {
	stepd := flag.String("stepd", "", "path of the stepd binary (required)")
	creates := flag.Int("creates", 200, "definitions to create for the create-to-everywhere figure")
	rounds := flag.Int("failovers", 5, "leader failovers to measure")
	workers := flag.Int("c", 16, "concurrent executions against the surviving node during a failover")
	extra := flag.String("raft-flags", "", "extra flags for every node, e.g. \"-raft-heartbeat-timeout 200ms -raft-election-timeout 200ms -raft-leader-lease-timeout 100ms\"")
	flag.Parse()
	if *stepd == "" {
		flag.Usage()
		os.Exit(2)
	}
	work, err := os.MkdirTemp("", "clusterbench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(work)
	c := &benchCluster{bin: *stepd, work: work, extra: strings.Fields(*extra)}
	defer c.stopAll()
	for i := range 3 {
		join := ""
		if i > 0 {
			join = c.nodes[0].api
		}
		c.nodes = append(c.nodes, &node{id: fmt.Sprintf("n%d", i+1), raft: freeAddr(), api: freeAddr(), dir: filepath.Join(work, fmt.Sprintf("n%d", i+1))})
		c.start(c.nodes[i], join)
	}
	fmt.Printf("three nodes on loopback; raft flags: %q\n\n", *extra)
	c.createToEverywhere(*creates)
	for r := range *rounds {
		c.failover(r+1, *workers)
	}
}

type node struct {
	id, raft, api, dir string
	cmd                *exec.Cmd
	exited             chan struct{}
}

type benchCluster struct {
	bin   string
	work  string
	extra []string
	nodes []*node
}

var client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}, Timeout: 30 * time.Second}

func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// start runs n's process and waits until it is ready.
func (c *benchCluster) start(n *node, join string) {
	args := []string{"serve", "-listen", n.api, "-raft-addr", n.raft, "-node-id", n.id, "-data-dir", n.dir, "-shutdown-grace", "2s"}
	if join != "" {
		args = append(args, "-join", join)
	}
	n.cmd = exec.Command(c.bin, append(args, c.extra...)...)
	n.cmd.Env = append(os.Environ(), "STEPD_CONFIG=")
	logf, err := os.Create(n.dir + ".log")
	if err != nil {
		log.Fatal(err)
	}
	pipe, _ := n.cmd.StderrPipe()
	if err := n.cmd.Start(); err != nil {
		log.Fatal(err)
	}
	n.exited = make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			fmt.Fprintln(logf, sc.Text())
		}
		_ = n.cmd.Wait()
		logf.Close()
		close(n.exited)
	}()
	poll(fmt.Sprintf("%s ready", n.id), 20*time.Second, func() bool {
		resp, err := client.Get("http://" + n.api + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}

func (c *benchCluster) kill(n *node) {
	_ = n.cmd.Process.Kill()
	<-n.exited
}

func (c *benchCluster) stopAll() {
	for _, n := range c.nodes {
		select {
		case <-n.exited:
		default:
			c.kill(n)
		}
	}
}

// poll checks cond every 500µs until it holds; past the deadline the
// benchmark fails.
func poll(what string, deadline time.Duration, cond func() bool) {
	end := time.Now().Add(deadline)
	for !cond() {
		if time.Now().After(end) {
			log.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

// call sends one AWS JSON 1.0 request and returns status and body.
func call(api, action, body string) (int, []byte, error) {
	req, _ := http.NewRequest(http.MethodPost, "http://"+api+"/", strings.NewReader(body))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func create(api, name string) error {
	def, _ := json.Marshal(passDef)
	status, b, err := call(api, "CreateStateMachine", `{"name":"`+name+`","type":"EXPRESS","roleArn":"`+role+`","definition":`+string(def)+`}`)
	if err == nil && status != 200 {
		err = fmt.Errorf("CreateStateMachine %s: %d %s", name, status, b)
	}
	return err
}

// execute runs the machine called name on api and reports whether it
// succeeded.
func execute(api, name string) error {
	status, b, err := call(api, "StartSyncExecution", `{"stateMachineArn":"`+arnBase+name+`","input":"{}"}`)
	if err == nil && (status != 200 || !bytes.Contains(b, []byte(`"SUCCEEDED"`))) {
		err = fmt.Errorf("%d %s", status, b)
	}
	return err
}

type view struct {
	Node struct {
		State    string `json:"state"`
		LeaderID string `json:"leaderId"`
		Term     uint64 `json:"term"`
	} `json:"node"`
}

func (n *node) view() (view, error) {
	var v view
	resp, err := client.Get("http://" + n.api + "/cluster")
	if err != nil {
		return v, err
	}
	defer resp.Body.Close()
	return v, json.NewDecoder(resp.Body).Decode(&v)
}

// leader is the node the given running nodes agree leads in a term after
// term, and that term; or nil.
func leader(nodes []*node, after uint64) (*node, uint64) {
	var l *node
	var term uint64
	ids := map[string]bool{}
	for _, n := range nodes {
		v, err := n.view()
		if err != nil {
			return nil, 0
		}
		ids[v.Node.LeaderID] = true
		if v.Node.State == "Leader" && v.Node.Term > after {
			l, term = n, v.Node.Term
		}
	}
	if len(ids) != 1 {
		return nil, 0
	}
	return l, term
}

// waitLeader waits until nodes agree on a leader elected after term.
func (c *benchCluster) waitLeader(nodes []*node, after uint64) (*node, uint64) {
	var l *node
	var term uint64
	poll("a leader", 20*time.Second, func() bool { l, term = leader(nodes, after); return l != nil })
	return l, term
}

func without(nodes []*node, not *node) []*node {
	var out []*node
	for _, n := range nodes {
		if n != not {
			out = append(out, n)
		}
	}
	return out
}

// createToEverywhere creates definitions on a follower and measures, for
// each, the time from the create's answer to the definition running on
// all three nodes.
func (c *benchCluster) createToEverywhere(count int) {
	l, _ := c.waitLeader(c.nodes, 0)
	f := without(c.nodes, l)[0]
	var took, local, all []time.Duration
	for i := range count {
		name := fmt.Sprintf("m%d", i)
		start := time.Now()
		if err := create(f.api, name); err != nil {
			log.Fatal(err)
		}
		returned := time.Now()
		took = append(took, returned.Sub(start))
		if err := execute(f.api, name); err != nil {
			log.Fatalf("read-your-writes broken on %s: %v", f.id, err)
		}
		local = append(local, time.Since(returned))
		for _, n := range c.nodes {
			poll(name+" on "+n.id, 10*time.Second, func() bool { return execute(n.api, name) == nil })
		}
		all = append(all, time.Since(returned))
	}
	fmt.Printf("CreateStateMachine on a follower (%s), forwarded:     %s\n", f.id, summary(took))
	fmt.Printf("create on a follower (%s) -> executable there:         %s\n", f.id, summary(local))
	fmt.Printf("create on a follower (%s) -> executable on all three:  %s\n\n", f.id, summary(all))
}

func summary(d []time.Duration) string {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	q := func(p float64) time.Duration { return d[int(p*float64(len(d)-1))].Round(10 * time.Microsecond) }
	return fmt.Sprintf("n=%d p50 %v  p90 %v  p99 %v  max %v", len(d), q(0.5), q(0.9), q(0.99), d[len(d)-1].Round(10*time.Microsecond))
}

// failover runs executions on one survivor while the leader is killed,
// then measures the time until the survivors agree on a new leader and
// until a write succeeds; finally it restarts the old leader.
func (c *benchCluster) failover(round, workers int) {
	l, term := c.waitLeader(c.nodes, 0)
	survivors := without(c.nodes, l)
	target := survivors[0]
	var (
		stop       atomic.Bool
		wg         sync.WaitGroup
		ok, failed atomic.Int64
		firstErr   atomic.Value
	)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				if err := execute(target.api, "m0"); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		}()
	}
	rate := func(d time.Duration) float64 {
		start := ok.Load()
		time.Sleep(d)
		return float64(ok.Load()-start) / d.Seconds()
	}
	before := rate(2 * time.Second)
	killed := time.Now()
	startOK := ok.Load()
	c.kill(l)
	newLeader, _ := c.waitLeader(survivors, term)
	elected := time.Since(killed)
	during := float64(ok.Load()-startOK) / elected.Seconds()
	if err := create(survivors[1].api, fmt.Sprintf("after-failover-%d", round)); err != nil {
		log.Fatal(err)
	}
	writable := time.Since(killed)
	after := rate(2 * time.Second)
	stop.Store(true)
	wg.Wait()
	fmt.Printf("failover %d: killed leader %s; %s elected after %v, first write committed after %v\n",
		round, l.id, newLeader.id, elected.Round(time.Millisecond), writable.Round(time.Millisecond))
	fmt.Printf("  executions on %s (%d workers): %.0f/s before, %.0f/s while electing, %.0f/s after; %d failed",
		target.id, workers, before, during, after, failed.Load())
	if e := firstErr.Load(); e != nil {
		fmt.Printf(" (first: %v)", e)
	}
	fmt.Println()
	c.start(l, "")
	poll(l.id+" caught up", 20*time.Second, func() bool { return execute(l.api, fmt.Sprintf("after-failover-%d", round)) == nil })
}
