package daemon

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/auth"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/daemon/integrations"
)

// Config is everything `stepd serve` is told. Each field has a flag of the
// name in its `flag` tag, an environment variable STEPD_<NAME> and a key of
// the same name in the JSON config file; a flag wins over the environment,
// which wins over the file, which wins over the default.
type Config struct {
	Listen         string        `json:"listen"`
	DataDir        string        `json:"data-dir"`
	NodeID         string        `json:"node-id"`
	RaftAddr       string        `json:"raft-addr"`
	Join           string        `json:"join"`
	Region         string        `json:"region"`
	Account        string        `json:"account"`
	LambdaEndpoint string        `json:"lambda-endpoint"`
	MaxInFlight    int           `json:"max-inflight"`
	MaxBodyBytes   int           `json:"max-body-bytes"`
	ShutdownGrace  time.Duration `json:"shutdown-grace"`
	RecentRuns     int           `json:"recent-executions"`
	// StandardRetention is how long an ended STANDARD execution keeps its
	// durable state (and its name); AWS keeps them 90 days.
	StandardRetention time.Duration `json:"standard-retention"`
	MockConfig        string        `json:"mock-config"`
	// ActivityPoll is how long GetActivityTask waits for a task (AWS: 60
	// s); ActivityPollers bounds the polls waiting at once on this node.
	ActivityPoll    time.Duration `json:"activity-poll"`
	ActivityPollers int           `json:"activity-pollers"`
	// TimeControl is -wait-time-scale, -virtual-time and -seed.
	TimeControl
	// Cluster: Raft tuning and mutual TLS between nodes (see
	// registerCluster).
	RaftHeartbeatTimeout time.Duration `json:"raft-heartbeat-timeout"`
	RaftElectionTimeout  time.Duration `json:"raft-election-timeout"`
	RaftLeaseTimeout     time.Duration `json:"raft-leader-lease-timeout"`
	RaftSnapshotEntries  uint64        `json:"raft-snapshot-threshold"`
	RaftSnapshotInterval time.Duration `json:"raft-snapshot-interval"`
	RaftTrailingLogs     uint64        `json:"raft-trailing-logs"`
	RaftSegmentBytes     int           `json:"raft-log-segment-bytes"`
	RaftCommitTimeout    time.Duration `json:"raft-commit-timeout"`
	RaftTLSCert          string        `json:"raft-tls-cert"`
	RaftTLSKey           string        `json:"raft-tls-key"`
	RaftTLSCA            string        `json:"raft-tls-ca"`
	// Integrations has no flags: it is the config file's structured
	// "integrations" object (see integrations.Config).
	Integrations integrations.Config `json:"integrations"`
	// History is the execution history's settings (history_config.go).
	History HistoryConfig `json:"history"`

	// Security settings (docs/SECURITY.md). Auth has no flags: it is the
	// config file's "auth" object (see auth.Config).
	Auth                 auth.Config   `json:"auth"`
	AllowUnauthenticated bool          `json:"allow-unauthenticated"`
	TLSCert              string        `json:"tls-cert"`
	TLSKey               string        `json:"tls-key"`
	TLSClientCA          string        `json:"tls-client-ca"`
	MaxHeaderBytes       int           `json:"max-header-bytes"`
	MaxConnections       int           `json:"max-connections"`
	ReadTimeout          time.Duration `json:"read-timeout"`
	IdleTimeout          time.Duration `json:"idle-timeout"`
}

// DefaultConfig is a single node on loopback, as a sidecar wants it.
func DefaultConfig() Config {
	raft := cluster.DefaultConfig()
	return Config{
		RaftHeartbeatTimeout: raft.HeartbeatTimeout,
		RaftElectionTimeout:  raft.ElectionTimeout,
		RaftLeaseTimeout:     raft.LeaderLeaseTimeout,
		RaftSnapshotEntries:  raft.SnapshotThreshold,
		RaftSnapshotInterval: raft.SnapshotInterval,
		RaftTrailingLogs:     raft.TrailingLogs,
		RaftSegmentBytes:     raft.LogSegmentBytes,
		RaftCommitTimeout:    raft.CommitTimeout,

		Listen:        "127.0.0.1:8083",
		DataDir:       "./stepd-data",
		NodeID:        "node1",
		Region:        "us-east-1",
		Account:       "123456789012",
		MaxInFlight:   10000,
		MaxBodyBytes:  1 << 20,
		ShutdownGrace: 30 * time.Second,
		RecentRuns:    10000,
		// AWS's retention of STANDARD executions.
		StandardRetention: 90 * 24 * time.Hour,
		ActivityPoll:      60 * time.Second,
		ActivityPollers:   1000,
		History:           defaultHistoryConfig(),
		TimeControl:       DefaultTimeControl(),

		MaxHeaderBytes: 16 << 10,
		MaxConnections: 10000,
		ReadTimeout:    30 * time.Second,
		IdleTimeout:    2 * time.Minute,
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	if err := c.TimeControl.Validate(); err != nil {
		return err
	}
	switch {
	case c.Listen == "":
		return errors.New("-listen must not be empty")
	case c.DataDir == "":
		return errors.New("-data-dir must not be empty")
	case len(c.Account) != 12 || strings.Trim(c.Account, "0123456789") != "":
		return fmt.Errorf("-account must be 12 digits, not %q", c.Account)
	case c.Region == "":
		return errors.New("-region must not be empty")
	case c.StandardRetention <= 0:
		return errors.New("-standard-retention must be positive")
	case c.ActivityPoll <= 0 || c.ActivityPoll > 5*time.Minute || c.ActivityPollers < 1:
		return errors.New("-activity-poll must be between 0 and 5m (below the 6m write timeout) and -activity-pollers at least 1")
	case c.MaxInFlight < 1:
		return errors.New("-max-inflight must be at least 1")
	case c.MaxBodyBytes < 300*1024:
		return errors.New("-max-body-bytes must leave room for a 256 KiB input (at least 307200)")
	}
	cc := c.clusterConfig()
	if err := cc.Validate(); err != nil {
		return fmt.Errorf("cluster settings (-node-id, -raft-*): %w", err)
	}
	if err := c.validateHistory(); err != nil {
		return err
	}
	if err := c.validateSecurity(); err != nil {
		return err
	}
	ic := c.integrationsConfig()
	return ic.Validate()
}

// integrationsConfig is the config of the Task integrations: the file's
// "integrations" object with -lambda-endpoint.
func (c *Config) integrationsConfig() integrations.Config {
	ic := c.Integrations
	ic.Lambda.Endpoint = c.LambdaEndpoint
	return ic
}

// register declares the serve flags on fs, with c's values as defaults.
func (c *Config) register(fs *flag.FlagSet) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "address of the API: host:port, or unix:/path/to.sock for a Unix socket")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "directory of this node's Raft log and snapshots, which hold the state machines (and later history)")
	fs.StringVar(&c.NodeID, "node-id", c.NodeID, "name of this node in its cluster; keep it across restarts")
	fs.StringVar(&c.RaftAddr, "raft-addr", c.RaftAddr, "host:port this node listens on for Raft and for writes other nodes forward, and that they dial: an address they can reach, not 0.0.0.0; keep it across restarts. Without it a node opens no Raft port (it runs alone, so several run side by side on one host), unless it has -join (then "+joinRaftAddr+") or listened before (then where it did)")
	fs.StringVar(&c.Join, "join", c.Join, "API address (host:port) of any running node of a cluster to join, on the first start of this node; without it a node starts a one-node cluster of its own")
	fs.StringVar(&c.Region, "region", c.Region, "AWS region named in ARNs")
	fs.StringVar(&c.Account, "account", c.Account, "AWS account id named in ARNs")
	fs.StringVar(&c.LambdaEndpoint, "lambda-endpoint", c.LambdaEndpoint, "base URL of an AWS Lambda Invoke API (e.g. the Lambda runtime interface emulator) that Lambda tasks call; the config file's integrations.lambda.functions overrides it per function")
	c.TimeControl.register(fs)
	fs.StringVar(&c.MockConfig, "mock-config", c.MockConfig, "AWS Step Functions Local MockConfigFile; start an execution with stateMachineArn#TestCase to use a test case's mocked responses (re-read when the file changes)")
	fs.IntVar(&c.MaxInFlight, "max-inflight", c.MaxInFlight, "executions running at once; more are refused with ThrottlingException rather than queued, so latency stays bounded under overload")
	fs.IntVar(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest request body, apart from a definition or input it carries: those are bounded as AWS bounds them (1 MiB, 256 KiB), however much JSON escaping makes of them, so a request may be larger by up to 5 bytes per byte of such a field")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "on SIGTERM, how long in-flight executions may finish before the node exits")
	fs.IntVar(&c.RecentRuns, "recent-executions", c.RecentRuns, "asynchronous EXPRESS executions kept in memory for DescribeExecution and ListExecutions")
	fs.DurationVar(&c.ActivityPoll, "activity-poll", c.ActivityPoll, "how long GetActivityTask waits for an activity task before it answers no token (AWS: 60s)")
	fs.IntVar(&c.ActivityPollers, "activity-pollers", c.ActivityPollers, "how many GetActivityTask polls may wait at once on this node; more are refused with ActivityWorkerLimitExceeded (each holds a connection)")
	fs.DurationVar(&c.StandardRetention, "standard-retention", c.StandardRetention, "how long an ended STANDARD execution keeps its durable state and history (and its name stays taken); longer keeps more in memory and in snapshots")
	c.History.register(fs)
	c.registerCluster(fs)

	fs.BoolVar(&c.AllowUnauthenticated, "allow-unauthenticated", c.AllowUnauthenticated, "serve a non-loopback -listen address without the config file's \"auth\" credentials, letting anyone who reaches it run and change state machines")
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate chain of the API listener; with -tls-key the API speaks HTTPS only, and SIGHUP re-reads both files")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key of -tls-cert")
	fs.StringVar(&c.TLSClientCA, "tls-client-ca", c.TLSClientCA, "PEM bundle of the CAs whose client certificates the API requires (mutual TLS); SIGHUP re-reads it")
	fs.IntVar(&c.MaxHeaderBytes, "max-header-bytes", c.MaxHeaderBytes, "largest request line and headers (also the per-connection read buffer); larger answer 431. Signed AWS requests need about 2 KiB")
	fs.IntVar(&c.MaxConnections, "max-connections", c.MaxConnections, "open API connections at once; more are answered 503 and closed. Each idle one costs about 30 KB")
	fs.DurationVar(&c.ReadTimeout, "read-timeout", c.ReadTimeout, "longest time to receive one request's headers and body, so a slow client cannot hold a connection (slowloris)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "longest a keep-alive connection may wait for its next request")
}

// loadConfig resolves the configuration from args, the environment and
// the config file that -config (or STEPD_CONFIG) names.
func loadConfig(args []string, getenv func(string) string, fs *flag.FlagSet) (Config, error) {
	c := DefaultConfig()
	configFile := fs.String("config", "", "JSON file of settings, keys named as the flags; flags and STEPD_* variables win over it")
	c.register(fs)
	if _, err := parseInterspersed(fs, args); err != nil {
		return c, err
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *configFile == "" {
		*configFile = getenv("STEPD_CONFIG")
	}
	if *configFile != "" {
		b, err := os.ReadFile(*configFile)
		if err != nil {
			return c, fmt.Errorf("cannot read the config file: %w", err)
		}
		var file map[string]json.RawMessage
		if err := json.Unmarshal(b, &file); err != nil {
			return c, fmt.Errorf("cannot parse the config file %s: %w", *configFile, err)
		}
		for name, raw := range file {
			// The objects without flags. A misspelt field is an error, as a
			// misspelt setting is: a secret field must not leave a key
			// without one, nor a shipper field a shipper misdirected.
			if obj, ok := map[string]any{"history": &c.History, "auth": &c.Auth, "integrations": &c.Integrations}[name]; ok {
				dec := json.NewDecoder(bytes.NewReader(raw))
				dec.DisallowUnknownFields()
				if err := dec.Decode(obj); err != nil {
					return c, fmt.Errorf("config file %s: %s: %w", *configFile, name, err)
				}
				continue
			}
			f := fs.Lookup(name)
			if f == nil || name == "config" {
				return c, fmt.Errorf("config file %s: unknown setting %q", *configFile, name)
			}
			if set[name] || getenv(envName(name)) != "" {
				continue
			}
			var v any
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.UseNumber()
			if err := dec.Decode(&v); err != nil {
				return c, err
			}
			if err := f.Value.Set(fmt.Sprint(v)); err != nil {
				return c, fmt.Errorf("config file %s: %s: %w", *configFile, name, err)
			}
		}
	}
	if err := envDefaults(fs, getenv); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// errOpenAPI is Validate's answer for a non-loopback listener without
// credentials.
var errOpenAPI = errors.New("-listen is not a loopback address and the config file has no \"auth\" keys or tokens: anyone who can reach the node could run and change its state machines; configure auth, or pass -allow-unauthenticated to accept that")

// validateSecurity checks the security settings of c (Validate calls it).
func (c *Config) validateSecurity() error {
	switch {
	case c.MaxHeaderBytes < 4<<10:
		return errors.New("-max-header-bytes must be at least 4096: signed AWS requests carry about 2 KiB of headers")
	case c.MaxConnections < 1:
		return errors.New("-max-connections must be at least 1")
	case c.ReadTimeout <= 0:
		return errors.New("-read-timeout must be positive")
	case c.IdleTimeout <= 0:
		return errors.New("-idle-timeout must be positive")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("-tls-cert and -tls-key go together")
	case c.TLSClientCA != "" && c.TLSCert == "":
		return errors.New("-tls-client-ca needs -tls-cert and -tls-key")
	case !c.Auth.Enabled() && !c.AllowUnauthenticated && !auth.IsLoopback(c.Listen):
		return errOpenAPI
	}
	return c.Auth.Validate()
}

// registerCluster declares the flags of Raft's tuning and TLS.
func (c *Config) registerCluster(fs *flag.FlagSet) {
	fs.DurationVar(&c.RaftHeartbeatTimeout, "raft-heartbeat-timeout", c.RaftHeartbeatTimeout, "how long a follower waits without hearing from the leader before calling an election; a failover takes about this plus -raft-election-timeout, so lower means faster failover but more spurious elections on a slow network")
	fs.DurationVar(&c.RaftElectionTimeout, "raft-election-timeout", c.RaftElectionTimeout, "how long a candidate waits for votes; at least -raft-heartbeat-timeout")
	fs.DurationVar(&c.RaftLeaseTimeout, "raft-leader-lease-timeout", c.RaftLeaseTimeout, "how long a leader stays leader without hearing from a quorum; at most -raft-heartbeat-timeout")
	fs.Uint64Var(&c.RaftSnapshotEntries, "raft-snapshot-threshold", c.RaftSnapshotEntries, "Raft log entries after which a snapshot is taken and older entries dropped (checked every 500ms; a node holding many executions waits for half as many entries as it holds); lower keeps the log a restart replays short, higher writes snapshots less often")
	fs.DurationVar(&c.RaftSnapshotInterval, "raft-snapshot-interval", c.RaftSnapshotInterval, "how often Raft itself checks -raft-snapshot-threshold, besides the node's own check every 500ms")
	fs.Uint64Var(&c.RaftTrailingLogs, "raft-trailing-logs", c.RaftTrailingLogs, "log entries kept after a snapshot, so a follower a little behind catches up from the log instead of a whole snapshot")
	fs.IntVar(&c.RaftSegmentBytes, "raft-log-segment-bytes", c.RaftSegmentBytes, "size of the Raft log's segment files; a segment is deleted once a snapshot covers all of it, so smaller segments free disk sooner, larger ones let a lagging node catch up from the log rather than a snapshot")
	fs.DurationVar(&c.RaftCommitTimeout, "raft-commit-timeout", c.RaftCommitTimeout, "how long an idle leader waits before sending followers the commit index: a change runs on every node within about this much of being committed; lower costs one small message per follower this often")
	fs.StringVar(&c.RaftTLSCert, "raft-tls-cert", c.RaftTLSCert, "PEM certificate of this node for mutual TLS on the Raft port (Raft and forwarded writes); with -raft-tls-key and -raft-tls-ca, every node must present a certificate the CA signed")
	fs.StringVar(&c.RaftTLSKey, "raft-tls-key", c.RaftTLSKey, "PEM private key of -raft-tls-cert")
	fs.StringVar(&c.RaftTLSCA, "raft-tls-ca", c.RaftTLSCA, "PEM CA certificate that signs every node's -raft-tls-cert")
}

// clusterConfig is the cluster node's configuration from c; the caller
// sets Logger and OnChange.
func (c *Config) clusterConfig() cluster.Config {
	cc := cluster.DefaultConfig()
	cc.NodeID, cc.RaftAddr, cc.APIAddr, cc.DataDir = c.NodeID, c.RaftAddr, c.Listen, c.DataDir
	if c.Join != "" && cc.RaftAddr == "" {
		cc.RaftAddr = joinRaftAddr
	}
	cc.Bootstrap = c.Join == ""
	cc.TLS = cluster.TLSFiles{Cert: c.RaftTLSCert, Key: c.RaftTLSKey, CA: c.RaftTLSCA}
	cc.HeartbeatTimeout, cc.ElectionTimeout, cc.LeaderLeaseTimeout = c.RaftHeartbeatTimeout, c.RaftElectionTimeout, c.RaftLeaseTimeout
	cc.SnapshotThreshold, cc.SnapshotInterval, cc.TrailingLogs = c.RaftSnapshotEntries, c.RaftSnapshotInterval, c.RaftTrailingLogs
	cc.LogSegmentBytes, cc.CommitTimeout = c.RaftSegmentBytes, c.RaftCommitTimeout
	return cc
}

// joinRaftAddr is the Raft address of a node told -join without
// -raft-addr: the port next to the API's default.
const joinRaftAddr = "127.0.0.1:8084"

// startupWait bounds how long a node waits at start for a leader (and to
// catch up) before it serves anyway with the definitions it holds:
// /readyz tells the difference.
const startupWait = 10 * time.Second

// HistoryConfig is the execution history's part of Config. Its settings
// have -history-* flags (and STEPD_HISTORY_* variables, and keys of the
// same names in the config file); the shippers have no flags: they are the
// config file's structured "history" object:
//
//	{"history": {"shippers": [
//	    {"name": "local", "type": "file", "path": "/var/log/stepd/history.jsonl"},
//	    {"name": "collector", "type": "http", "url": "http://127.0.0.1:9880/logs"}]}}
type HistoryConfig struct {
	StagingBytes int                     `json:"-"`
	SegmentBytes int64                   `json:"-"`
	SegmentAge   time.Duration           `json:"-"`
	MaxBytes     int64                   `json:"-"`
	MaxAge       time.Duration           `json:"-"`
	Overload     string                  `json:"-"`
	Shippers     []history.ShipperConfig `json:"shippers"`
}

// defaultHistoryConfig takes the history package's defaults.
func defaultHistoryConfig() HistoryConfig {
	d := history.DefaultConfig("")
	return HistoryConfig{StagingBytes: d.StagingBytes, SegmentBytes: d.SegmentBytes, SegmentAge: d.SegmentAge,
		MaxBytes: d.MaxBytes, MaxAge: d.MaxAge, Overload: d.Overload}
}

// register declares the -history-* flags.
func (h *HistoryConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&h.StagingBytes, "history-staging-bytes", h.StagingBytes, "size of the memory-mapped staging file that executions copy their history into before answering; when the writer falls this far behind, -history-overload applies")
	fs.Int64Var(&h.SegmentBytes, "history-segment-bytes", h.SegmentBytes, "start a new history segment file when the current one reaches this size")
	fs.DurationVar(&h.SegmentAge, "history-segment-age", h.SegmentAge, "start a new history segment file when the current one is this old")
	fs.Int64Var(&h.MaxBytes, "history-max-bytes", h.MaxBytes, "delete the oldest history segments while all of them take more than this (0: no limit)")
	fs.DurationVar(&h.MaxAge, "history-max-age", h.MaxAge, "delete history segments older than this (0: no limit)")
	fs.StringVar(&h.Overload, "history-overload", h.Overload, "when the history writer cannot keep up: block (executions wait: no history lost, latency grows) or shed (executions go on: records dropped and counted in stepd_history_records_shed_total)")
}

// historyConfig is the history package's Config for the directory dir.
func (c *Config) historyConfig(dir string) history.Config {
	hc := history.DefaultConfig(dir)
	h := c.History
	hc.StagingBytes, hc.SegmentBytes, hc.SegmentAge, hc.MaxBytes, hc.MaxAge, hc.Overload, hc.Shippers =
		h.StagingBytes, h.SegmentBytes, h.SegmentAge, h.MaxBytes, h.MaxAge, h.Overload, h.Shippers
	return hc
}

// validateHistory checks the history settings.
func (c *Config) validateHistory() error {
	hc := c.historyConfig(c.DataDir)
	if err := hc.Validate(); err != nil {
		return fmt.Errorf("history: %w", err)
	}
	return nil
}
