package daemon

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"

	"github.com/VictoriaMetrics/metrics"

	"github.com/stepd/stepd/cluster"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"

	"github.com/stepd/stepd/internal/awserr"
)

// machine is one state machine, or one published version of it, as this
// node runs it: the replicated definition (cluster.Machine, immutable)
// and what the daemon derives from it when it is applied (compile). A
// machine value is immutable once published in a snapshot, so executions
// read it without locks.
type machine struct {
	*cluster.Machine

	prog    *fastpath.Program
	metrics *machineMetrics
	logging history.Logging // Logging, parsed (history.go)
}

// The control plane's other records are the cluster's, unchanged.
type (
	alias = cluster.Alias
	tag   = cluster.Tag
	route = cluster.Route
)

// deriveRuntime derives the node's per-machine state from the applied
// definition: the program (compiled by the FSM on apply) and counters.
// It returns the error of a definition this node's compiler rejects; the
// machine is kept, but cannot run here.
func (m *machine) deriveRuntime() error {
	m.prog = m.Program()
	m.metrics = newMachineMetrics(m.Name)
	m.logging = parsedLogging(m.Logging)
	return m.CompileError()
}

// snapshot is one immutable view of the control plane. The registry
// derives a new one from each State the cluster's FSM applies and
// publishes it with an atomic store.
type snapshot struct {
	machines map[string]*machine // by name
	versions map[string]*machine // by version ARN
	aliases  map[string]*alias   // by alias ARN
}

// registry is the daemon's view of the replicated control plane: state
// machines, versions, aliases and tags. Reads (every execution looks up
// its machine) are lock-free; writes are cluster commands (server.propose)
// and reach the registry through sync once applied.
type registry struct {
	id   identity
	log  *log.Logger
	snap atomic.Pointer[snapshot]
}

// compileErrorsTotal counts committed definitions this node's compiler
// rejected on apply.
var compileErrorsTotal = metrics.NewCounter(`stepd_cluster_compile_errors_total`)

func newRegistry(id identity, logger *log.Logger) *registry {
	r := &registry{id: id, log: logger}
	r.snap.Store(&snapshot{machines: map[string]*machine{}, versions: map[string]*machine{}, aliases: map[string]*alias{}})
	return r
}

// sync publishes the view of st. The FSM calls it for every change, in
// order, from one goroutine; machines whose replicated record did not
// change keep their derived state.
func (r *registry) sync(st *cluster.State) {
	prev := r.snap.Load()
	r.snap.Store(&snapshot{machines: r.derive(prev.machines, st.Machines), versions: r.derive(prev.versions, st.Versions), aliases: st.Aliases})
}

func (r *registry) derive(prev map[string]*machine, from map[string]*cluster.Machine) map[string]*machine {
	out := make(map[string]*machine, len(from))
	for k, cm := range from {
		if old := prev[k]; old != nil && old.Machine == cm {
			out[k] = old
			continue
		}
		m := &machine{Machine: cm}
		if err := m.deriveRuntime(); err != nil {
			compileErrorsTotal.Inc()
			r.log.Printf("state machine %s: kept, but this node cannot run it: its definition no longer compiles: %v", cm.Arn, err)
		}
		out[k] = m
	}
	return out
}

// legacyRegistryFile is the registry's file in the data directory before
// clustering; on the first start of a cluster node it is imported and
// renamed to legacyRegistryFile + ".imported".
const legacyRegistryFile = "registry.json"

// migrateRegistry imports the pre-cluster registry.json of dataDir into
// the cluster, once: only on a node that bootstrapped a fresh cluster
// (a node that joins takes the cluster's state, and leaves the file be).
func migrateRegistry(ctx context.Context, node *cluster.Node, bootstrapped bool, dataDir string, logger *log.Logger) error {
	file := filepath.Join(dataDir, legacyRegistryFile)
	b, err := os.ReadFile(file)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("cannot read %s: %w", file, err)
	case !node.Fresh() || !bootstrapped:
		logger.Printf("%s not imported: this node did not start a new cluster", file)
		return nil
	}
	c, err := cluster.Import(b)
	if err != nil {
		return fmt.Errorf("cannot import %s: %w", file, err)
	}
	res, err := node.Propose(ctx, c)
	if err == nil && res.Err != nil {
		err = res.Err
	}
	if err != nil {
		return fmt.Errorf("cannot import %s: %w", file, err)
	}
	if err := os.Rename(file, file+".imported"); err != nil {
		return fmt.Errorf("imported %s but cannot rename it: %w", file, err)
	}
	st := node.State()
	logger.Printf("imported %s: %d state machines, %d versions, %d aliases", file, len(st.Machines), len(st.Versions), len(st.Aliases))
	return nil
}

// resolved is what an execution runs: a machine (or version) and the ARN
// it was started through.
type resolved struct {
	m   *machine
	arn string
}

// resolve finds what an ARN given to StartExecution names: a state
// machine, a version (ARN + ":<n>") or an alias (ARN + ":<name>"), in the
// last case picking a version by the alias's routing weights.
func (r *registry) resolve(arn string, pick func(n int) int) (resolved, *awserr.Error) {
	s := r.snap.Load()
	name, qualifier, err := r.id.parseMachineArn(arn)
	if err != nil {
		return resolved{}, err
	}
	if qualifier == "" {
		return runnable(s.machines[name], arn)
	}
	if v := s.versions[arn]; v != nil {
		return runnable(v, arn)
	}
	if a := s.aliases[arn]; a != nil {
		total := 0
		for _, rt := range a.Routing {
			total += rt.Weight
		}
		n := 0
		if total > 0 {
			n = pick(total)
		}
		for _, rt := range a.Routing {
			if n < rt.Weight {
				if v := s.versions[rt.VersionArn]; v != nil {
					return runnable(v, arn)
				}
			}
			n -= rt.Weight
		}
	}
	return resolved{}, awserr.MachineDoesNotExist(arn)
}

// runnable is m started through arn, or the error that says why it
// cannot run here.
func runnable(m *machine, arn string) (resolved, *awserr.Error) {
	switch {
	case m == nil:
		return resolved{}, awserr.MachineDoesNotExist(arn)
	case m.prog == nil:
		return resolved{}, awserr.New("InvalidDefinition", "Invalid State Machine Definition: this node's compiler rejects the definition of '%s': %v", arn, m.CompileError())
	}
	return resolved{m, arn}, nil
}

// validName checks AWS's rules for state machine, alias and execution
// names: 1 to 80 characters, none of white space, brackets, wildcards,
// the special characters " # % \ ^ | ~ ` $ & , ; : / or control
// characters.
func validName(name string) bool {
	if name == "" || len([]rune(name)) > 80 {
		return false
	}
	for _, r := range name {
		if r <= 0x20 || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

// newRevisionID returns a fresh revision id.
func newRevisionID() string { return string(newID(nil)) }
