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
	MockConfig     string        `json:"mock-config"`
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
	// "integrations" object (see Integrations).
	Integrations Integrations `json:"integrations"`
	// History is the execution history's settings (history_config.go).
	History HistoryConfig `json:"history"`

	// Security settings (docs/SECURITY.md). Auth has no flags: it is the
	// config file's "auth" object (see AuthConfig).
	Auth                 AuthConfig    `json:"auth"`
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
		History:       defaultHistoryConfig(),

		MaxHeaderBytes: 16 << 10,
		MaxConnections: 10000,
		ReadTimeout:    30 * time.Second,
		IdleTimeout:    2 * time.Minute,
	}
}

// Validate reports the first setting that cannot work.
func (c *Config) Validate() error {
	switch {
	case c.Listen == "":
		return errors.New("-listen must not be empty")
	case c.DataDir == "":
		return errors.New("-data-dir must not be empty")
	case len(c.Account) != 12 || strings.Trim(c.Account, "0123456789") != "":
		return fmt.Errorf("-account must be 12 digits, not %q", c.Account)
	case c.Region == "":
		return errors.New("-region must not be empty")
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
	c.Integrations.Lambda.Endpoint = c.LambdaEndpoint
	return c.Integrations.Validate()
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
	fs.StringVar(&c.MockConfig, "mock-config", c.MockConfig, "AWS Step Functions Local MockConfigFile; start an execution with stateMachineArn#TestCase to use a test case's mocked responses (re-read when the file changes)")
	fs.IntVar(&c.MaxInFlight, "max-inflight", c.MaxInFlight, "executions running at once; more are refused with ThrottlingException rather than queued, so latency stays bounded under overload")
	fs.IntVar(&c.MaxBodyBytes, "max-body-bytes", c.MaxBodyBytes, "largest request body; AWS allows 1 MiB definitions and 256 KiB inputs (escaped inside JSON)")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace, "on SIGTERM, how long in-flight executions may finish before the node exits")
	fs.IntVar(&c.RecentRuns, "recent-executions", c.RecentRuns, "asynchronous executions kept in memory for DescribeExecution and ListExecutions")
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
