package cluster

import (
	"sort"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/compile"
	"github.com/stepd/stepd/fastpath"
)

// Machine is one state machine, or one published version of it. A Machine
// reachable from a State is immutable: commands build a new one, so
// readers use it without locks. The JSON field names are those of the
// daemon's registry.json, so a data directory written before clustering
// imports unchanged.
type Machine struct {
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
	Tags        []Tag           `json:"tags,omitempty"`

	prog       *fastpath.Program
	compileErr error
}

// Program is the compiled definition, or nil when this node's compiler
// rejects it (see CompileError).
func (m *Machine) Program() *fastpath.Program { return m.prog }

// CompileError is why this node's compiler rejects a definition that was
// committed (by a node whose compiler accepted it), or nil. Such a
// machine is kept, so no committed definition is lost, but cannot run
// here.
func (m *Machine) CompileError() error { return m.compileErr }

// compile compiles the definition into m. A failure is recorded, never
// returned: every node must reach the same State whatever its compiler.
func (m *Machine) compile() {
	m.prog, m.compileErr = compile.Compile([]byte(m.Definition), compile.MachineType(m.Type))
}

// Tag is a resource tag.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Alias is a state machine alias: a name routing executions to versions.
type Alias struct {
	Arn         string    `json:"arn"`
	Name        string    `json:"name"`
	Machine     string    `json:"machine"` // name of the state machine
	Description string    `json:"description,omitempty"`
	Routing     []Route   `json:"routing"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
	Tags        []Tag     `json:"tags,omitempty"`
}

// Route is one version an alias routes to, with its weight in percent.
// The JSON names are the AWS API's.
type Route struct {
	VersionArn string `json:"stateMachineVersionArn"`
	Weight     int    `json:"weight"`
}

// Member is one node of the cluster as the node table records it.
type Member struct {
	ID       string `json:"id"`
	RaftAddr string `json:"raftAddr"`
	APIAddr  string `json:"apiAddr"`
}

// State is one immutable state of the control plane. Callers must not
// modify it or anything it points to.
type State struct {
	Machines   map[string]*Machine  // by name
	Versions   map[string]*Machine  // by version ARN
	Aliases    map[string]*Alias    // by alias ARN
	Nodes      map[string]*Member   // by node id
	Activities map[string]*Activity // by name
}

func emptyState() *State {
	return &State{Machines: map[string]*Machine{}, Versions: map[string]*Machine{}, Aliases: map[string]*Alias{}, Nodes: map[string]*Member{}, Activities: map[string]*Activity{}}
}

// clone copies the maps (not what they point to): a command changes the
// copy by replacing entries, never by modifying one in place.
func (s *State) clone() *State {
	return &State{Machines: cloneMap(s.Machines), Versions: cloneMap(s.Versions), Aliases: cloneMap(s.Aliases), Nodes: cloneMap(s.Nodes), Activities: cloneMap(s.Activities)}
}

func cloneMap[V any](m map[string]V) map[string]V {
	c := make(map[string]V, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// image is the serialised form of a State: the FSM's snapshots, and the
// daemon's registry.json from before clustering (which has no nodes and
// no applied index).
type image struct {
	Machines []*Machine `json:"machines"`
	Versions []*Machine `json:"versions"`
	Aliases  []*Alias   `json:"aliases"`
	Nodes    []*Member  `json:"nodes,omitempty"`
	// Activities is absent from images written before activities existed.
	Activities []*Activity `json:"activities,omitempty"`
	// Applied is the index of the last command the state includes.
	Applied uint64 `json:"applied,omitempty"`
}

// imageOf lists s sorted by key, so equal states encode to equal bytes.
func imageOf(s *State, applied uint64) *image {
	return &image{Machines: sortedValues(s.Machines), Versions: sortedValues(s.Versions), Aliases: sortedValues(s.Aliases), Nodes: sortedValues(s.Nodes), Activities: sortedValues(s.Activities), Applied: applied}
}

func sortedValues[V any](m map[string]V) []V {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]V, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// addTo compiles every definition of the image and adds it to s,
// skipping null entries.
func (im *image) addTo(s *State) {
	for _, m := range im.Machines {
		if m != nil {
			m.compile()
			s.Machines[m.Name] = m
		}
	}
	for _, v := range im.Versions {
		if v != nil {
			v.compile()
			s.Versions[v.Arn] = v
		}
	}
	for _, a := range im.Aliases {
		if a != nil {
			s.Aliases[a.Arn] = a
		}
	}
	for _, n := range im.Nodes {
		if n != nil {
			s.Nodes[n.ID] = n
		}
	}
	for _, a := range im.Activities {
		if a != nil {
			s.Activities[a.Name] = a
		}
	}
}
