package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	json "github.com/goccy/go-json"
	"github.com/valyala/fasthttp"

	"github.com/stepd/stepd/cluster"

	"github.com/stepd/stepd/internal/awserr"
)

// openCluster opens this node's cluster member feeding reg, joins the
// cluster at cfg.Join on a first start, waits (a bounded time) for a
// leader, and imports a pre-cluster registry.json.
func openCluster(ctx context.Context, cfg Config, reg *registry, logger *log.Logger) (*cluster.Node, error) {
	cc := cfg.clusterConfig()
	cc.Logger, cc.OnChange = logger, reg.sync
	node, err := cluster.Open(cc)
	if err != nil {
		return nil, fmt.Errorf("cannot start the cluster node: %w", err)
	}
	clusterNode.Store(node)
	ctx, cancel := context.WithTimeout(ctx, startupWait)
	defer cancel()
	if cfg.Join != "" && node.Fresh() {
		if err := joinVia(ctx, node, cfg.Join); err != nil {
			node.Close()
			return nil, err
		}
		logger.Printf("joined the cluster of %s", cfg.Join)
	}
	if err := node.WaitLeader(ctx); errors.Is(err, cluster.ErrCorrupt) {
		node.Close()
		return nil, err
	} else if err != nil {
		logger.Printf("serving without a leader for now: %v", err)
		return node, nil
	}
	if err := migrateRegistry(ctx, node, cfg.Join == "", cfg.DataDir, logger); err != nil {
		node.Close()
		return nil, err
	}
	return node, nil
}

// apiURL is the base URL of a node's API given as host:port or as a URL.
func apiURL(addr string) string {
	if strings.Contains(addr, "://") {
		return strings.TrimSuffix(addr, "/")
	}
	return "http://" + addr
}

// clusterView is what GET /cluster answers: this node's Raft state and
// the members.
type clusterView struct {
	Node    cluster.Status   `json:"node"`
	Members []cluster.Member `json:"members"`
}

// fetchClusterView asks the node whose API is at apiAddr for its view.
func fetchClusterView(ctx context.Context, apiAddr string) (clusterView, error) {
	var v clusterView
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL(apiAddr)+"/cluster", nil)
	if err != nil {
		return v, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return v, fmt.Errorf("cannot reach %s: %w", apiAddr, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("status %d: %s", resp.StatusCode, b)
	}
	if err == nil {
		err = json.Unmarshal(b, &v)
	}
	if err != nil {
		return v, fmt.Errorf("cannot read the cluster of %s: %w", apiAddr, err)
	}
	return v, nil
}

// joinVia adds node to the cluster of the node whose API is at apiAddr,
// trying again until ctx ends while that node is not up yet (nodes of a
// new cluster are often started together).
func joinVia(ctx context.Context, node *cluster.Node, apiAddr string) error {
	wait := 50 * time.Millisecond
	for {
		v, err := fetchClusterView(ctx, apiAddr)
		if err == nil && v.Node.RaftAddr == "" {
			return fmt.Errorf("-join %s: that node has no Raft port; restart it with -raft-addr to let others join it", apiAddr)
		}
		if err == nil {
			if err := node.Join(ctx, v.Node.RaftAddr); err != nil {
				return fmt.Errorf("-join %s: %w", apiAddr, err)
			}
			return nil
		}
		select {
		case <-time.After(wait):
			wait = min(2*wait, time.Second)
		case <-ctx.Done():
			return fmt.Errorf("-join: %w", err)
		}
	}
}

// propose commits a change to the control plane (forwarded to the leader
// when this node is not the leader) and returns once this node has
// applied it. A conflict decided on apply answers its AWS error; a change
// that could not be committed answers ServiceUnavailable.
func (s *server) propose(c cluster.Command) (cluster.Result, *awserr.Error) {
	ctx, cancel := context.WithTimeout(s.ctx, cluster.DefaultConfig().ApplyTimeout)
	defer cancel()
	start := time.Now()
	res, err := s.node.Propose(ctx, c)
	raftApplyDuration.UpdateDuration(start)
	switch {
	case err != nil:
		return res, awserr.New("ServiceUnavailable", "The change could not be committed to the cluster: %v", err)
	case res.Err != nil:
		return res, awserr.New(res.Err.Code, "%s", res.Err.Message)
	}
	return res, nil
}

// handleCluster answers GET /cluster: this node's Raft state and the
// members, as JSON.
func (s *server) handleCluster(ctx *fasthttp.RequestCtx) {
	v := clusterView{Node: s.node.Status()}
	var err error
	if v.Members, err = s.node.Members(); err != nil {
		ctx.SetStatusCode(fasthttp.StatusServiceUnavailable)
		ctx.SetBodyString(err.Error() + "\n")
		return
	}
	b, _ := json.Marshal(v)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
}

// clusterNode is the node /metrics reports on: the last one opened.
var clusterNode atomic.Pointer[cluster.Node]

// raftStates numbers Raft's states for the stepd_raft_state gauge.
var raftStates = map[string]float64{"Follower": 0, "Candidate": 1, "Leader": 2, "Shutdown": 3}

func raftGauge(name string, f func(st cluster.Status) float64) *metrics.Gauge {
	return metrics.NewGauge(name, func() float64 {
		n := clusterNode.Load()
		if n == nil {
			return 0
		}
		return f(n.Status())
	})
}

// Raft's state in /metrics.
var (
	_ = raftGauge(`stepd_raft_state`, func(st cluster.Status) float64 { return raftStates[st.State] }) // 0 follower, 1 candidate, 2 leader, 3 shutdown
	_ = raftGauge(`stepd_raft_term`, func(st cluster.Status) float64 { return float64(st.Term) })
	_ = raftGauge(`stepd_raft_commit_index`, func(st cluster.Status) float64 { return float64(st.CommitIndex) })
	_ = raftGauge(`stepd_raft_applied_index`, func(st cluster.Status) float64 { return float64(st.AppliedIndex) })
	_ = raftGauge(`stepd_raft_last_contact_seconds`, func(st cluster.Status) float64 { return lastContactSeconds(st.LastContact) })
	_ = raftGauge(`stepd_raft_ready`, func(st cluster.Status) float64 { return boolGauge(st.Ready) })

	raftApplyDuration = newDurationHistogram(`stepd_raft_apply_duration_seconds`)
)

// The rejected connections are a counter, which the metrics package
// makes only of its own counts: written here.
func init() {
	metrics.RegisterMetricsWriter(func(w io.Writer) {
		if n := clusterNode.Load(); n != nil {
			metrics.WriteCounterUint64(w, `stepd_raft_rejected_connections_total`, n.Status().Rejected)
		}
	})
}

// lastContactSeconds is the time since the leader was last heard: 0 on
// the leader, -1 before any contact.
func lastContactSeconds(d time.Duration) float64 {
	if d < 0 {
		return -1
	}
	return d.Seconds()
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
