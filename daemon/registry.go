package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/daemon/history"
	"github.com/stepd/stepd/fastpath"
)

// machine is one state machine, or one published version of it, as the
// registry holds it. A machine value is immutable once published in a
// snapshot: updates build a new one, so executions read it without locks.
type machine struct {
	Arn         string          `json:"arn"`
	Name        string          `json:"name"`
	Type        string          `json:"type"`
	Definition  string          `json:"definition"`
	RoleArn     string          `json:"roleArn"`
	Created     time.Time       `json:"created"`
	Updated     time.Time       `json:"updated"`
	RevisionID  string          `json:"revisionId"`
	Description string          `json:"description,omitempty"`
	Logging     json.RawMessage `json:"logging,omitempty"`
	Tracing     json.RawMessage `json:"tracing,omitempty"`
	Version     int             `json:"version,omitempty"` // for a version: its number
	NextVersion int             `json:"nextVersion,omitempty"`
	Tags        []tag           `json:"tags,omitempty"`

	prog    *fastpath.Program
	metrics *machineMetrics
	logging history.Logging // Logging, parsed (history.go)
}

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// alias is a state machine alias: a name routing executions to versions.
type alias struct {
	Arn         string    `json:"arn"`
	Name        string    `json:"name"`
	Machine     string    `json:"machine"` // name of the state machine
	Description string    `json:"description,omitempty"`
	Routing     []route   `json:"routing"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
	Tags        []tag     `json:"tags,omitempty"`
}

type route struct {
	VersionArn string `json:"stateMachineVersionArn"`
	Weight     int    `json:"weight"`
}

// snapshot is one immutable state of the registry. Writers build a new
// one under the registry's lock and publish it with an atomic store.
type snapshot struct {
	machines map[string]*machine // by name
	versions map[string]*machine // by version ARN
	aliases  map[string]*alias   // by alias ARN
}

func (s *snapshot) clone() *snapshot {
	c := &snapshot{machines: make(map[string]*machine, len(s.machines)), versions: make(map[string]*machine, len(s.versions)), aliases: make(map[string]*alias, len(s.aliases))}
	for k, v := range s.machines {
		c.machines[k] = v
	}
	for k, v := range s.versions {
		c.versions[k] = v
	}
	for k, v := range s.aliases {
		c.aliases[k] = v
	}
	return c
}

// registry holds the control plane: state machines, versions, aliases and
// tags. Reads (every execution looks up its machine) are lock-free; writes
// are serialised and persisted to the data directory before they are
// answered, so a restart keeps them.
type registry struct {
	id   identity
	file string

	mu   sync.Mutex // serialises writers
	snap atomic.Pointer[snapshot]
}

// registryFile is the registry's file in the data directory.
const registryFile = "registry.json"

// persisted is the registry's file format.
type persisted struct {
	Machines []*machine `json:"machines"`
	Versions []*machine `json:"versions"`
	Aliases  []*alias   `json:"aliases"`
}

// openRegistry loads the registry from dataDir, compiling every
// definition again (the program format may have changed since).
func openRegistry(id identity, dataDir string) (*registry, error) {
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create the data directory: %w", err)
	}
	r := &registry{id: id, file: filepath.Join(dataDir, registryFile)}
	s := &snapshot{machines: map[string]*machine{}, versions: map[string]*machine{}, aliases: map[string]*alias{}}
	b, err := os.ReadFile(r.file)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return nil, fmt.Errorf("cannot read %s: %w", r.file, err)
	default:
		var p persisted
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("cannot parse %s: %w", r.file, err)
		}
		for _, m := range p.Machines {
			if err := m.compile(); err != nil {
				return nil, fmt.Errorf("%s: state machine %s no longer compiles: %w", r.file, m.Name, err)
			}
			s.machines[m.Name] = m
		}
		for _, v := range p.Versions {
			if err := v.compile(); err != nil {
				return nil, fmt.Errorf("%s: version %s no longer compiles: %w", r.file, v.Arn, err)
			}
			s.versions[v.Arn] = v
		}
		for _, a := range p.Aliases {
			s.aliases[a.Arn] = a
		}
	}
	r.snap.Store(s)
	return r, nil
}

func (m *machine) compile() error {
	prog, err := compile.Compile([]byte(m.Definition), compile.MachineType(m.Type))
	if err != nil {
		return err
	}
	m.prog = prog
	m.metrics = newMachineMetrics(m.Name)
	m.logging = parsedLogging(m.Logging)
	return nil
}

// update runs fn on a copy of the current snapshot and, if it succeeds,
// persists and publishes the copy.
func (r *registry) update(fn func(s *snapshot) error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.snap.Load().clone()
	if err := fn(s); err != nil {
		return err
	}
	if err := r.persist(s); err != nil {
		return apiErr("InternalFailure", "cannot persist the registry: %v", err)
	}
	r.snap.Store(s)
	return nil
}

func (r *registry) persist(s *snapshot) error {
	p := persisted{}
	for _, m := range s.machines {
		p.Machines = append(p.Machines, m)
	}
	for _, v := range s.versions {
		p.Versions = append(p.Versions, v)
	}
	for _, a := range s.aliases {
		p.Aliases = append(p.Aliases, a)
	}
	sort.Slice(p.Machines, func(i, j int) bool { return p.Machines[i].Name < p.Machines[j].Name })
	sort.Slice(p.Versions, func(i, j int) bool { return p.Versions[i].Arn < p.Versions[j].Arn })
	sort.Slice(p.Aliases, func(i, j int) bool { return p.Aliases[i].Arn < p.Aliases[j].Arn })
	b, err := json.MarshalIndent(p, "", " ")
	if err != nil {
		return err
	}
	tmp := r.file + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, r.file)
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
func (r *registry) resolve(arn string, pick func(n int) int) (resolved, *apiError) {
	s := r.snap.Load()
	name, qualifier, err := r.id.parseMachineArn(arn)
	if err != nil {
		return resolved{}, err
	}
	if qualifier == "" {
		m := s.machines[name]
		if m == nil {
			return resolved{}, apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
		}
		return resolved{m, arn}, nil
	}
	if v := s.versions[arn]; v != nil {
		return resolved{v, arn}, nil
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
					return resolved{v, arn}, nil
				}
			}
			n -= rt.Weight
		}
	}
	return resolved{}, apiErr("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
}

// parseMachineArn splits a state machine, version or alias ARN into the
// machine's name and the qualifier after it ("" for the machine itself).
func (id *identity) parseMachineArn(arn string) (name, qualifier string, err *apiError) {
	rest, ok := cutMachinePrefix(arn, id)
	if !ok || rest == "" {
		return "", "", apiErr("InvalidArn", "Invalid Arn: 'Resource type not valid in this context: %s'", arn)
	}
	name, qualifier, _ = strings.Cut(rest, ":")
	return name, qualifier, nil
}

// cutMachinePrefix cuts "arn:aws:states:<region>:<account>:stateMachine:"
// from arn without building that prefix.
func cutMachinePrefix(arn string, id *identity) (string, bool) {
	for _, part := range [...]string{"arn:aws:states:", id.region, ":", id.account, ":stateMachine:"} {
		var ok bool
		if arn, ok = strings.CutPrefix(arn, part); !ok {
			return "", false
		}
	}
	return arn, true
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

// versionArn is the ARN of version n of a machine.
func versionArn(machineArn string, n int) string { return machineArn + ":" + strconv.Itoa(n) }
