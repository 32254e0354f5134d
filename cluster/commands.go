package cluster

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"time"

	json "github.com/goccy/go-json"

	"github.com/stepd/stepd/internal/awserr"
)

// Command is one change to the control plane. The proposing node fills
// in everything Apply needs — timestamps, revision ids, the ASL source —
// so that applying it is deterministic on every node.
type Command interface {
	kind() cmdType
	apply(s *State) Result
}

// cmdType is the first byte of an encoded command. Values are part of the
// log format: never renumber or reuse one.
type cmdType byte

const (
	cmdCreateMachine cmdType = iota + 1
	cmdUpdateMachine
	cmdPutMachine
	cmdDeleteMachine
	cmdPublishVersion
	cmdDeleteVersion
	cmdCreateAlias
	cmdUpdateAlias
	cmdDeleteAlias
	cmdTag
	cmdUntag
	cmdImport
	cmdSetNode
	cmdRemoveNode
	cmdCreateActivity
	cmdDeleteActivity
)

// commands makes an empty command of each type for decoding: the dispatch
// table of Apply.
var commands = [...]func() Command{
	cmdCreateMachine:  func() Command { return new(CreateMachine) },
	cmdUpdateMachine:  func() Command { return new(UpdateMachine) },
	cmdPutMachine:     func() Command { return new(PutMachine) },
	cmdDeleteMachine:  func() Command { return new(DeleteMachine) },
	cmdPublishVersion: func() Command { return new(PublishVersion) },
	cmdDeleteVersion:  func() Command { return new(DeleteVersion) },
	cmdCreateAlias:    func() Command { return new(CreateAlias) },
	cmdUpdateAlias:    func() Command { return new(UpdateAlias) },
	cmdDeleteAlias:    func() Command { return new(DeleteAlias) },
	cmdTag:            func() Command { return new(TagResource) },
	cmdUntag:          func() Command { return new(UntagResource) },
	cmdImport:         func() Command { return new(importCommand) },
	cmdSetNode:        func() Command { return new(setNode) },
	cmdRemoveNode:     func() Command { return new(removeNode) },
	cmdCreateActivity: func() Command { return new(CreateActivity) },
	cmdDeleteActivity: func() Command { return new(DeleteActivity) },
}

// Encode returns c as a log entry: the checksummed mark, the CRC-32C
// (Castagnoli, big-endian) of the rest, then c's type byte and its JSON.
func Encode(c Command) ([]byte, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("cannot encode command %T: %w", c, err)
	}
	out := make([]byte, 5, 6+len(b))
	out[0] = checksummed
	out = append(append(out, byte(c.kind())), b...)
	binary.BigEndian.PutUint32(out[1:5], crc32.Checksum(out[5:], castagnoli))
	return out, nil
}

// checksummed is the first byte of an entry that carries a checksum. No
// command type reaches it (they stay below 0x80), so entries written
// before checksums existed (type byte first) still decode.
const checksummed = 0xC5

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrCorrupt is wrapped by the error of an entry whose checksum does not
// match its bytes: damaged on disk (or on the way), never applied.
var ErrCorrupt = errors.New("corrupt log entry")

// decode parses a log entry into its command, checking its checksum.
func decode(data []byte) (Command, error) {
	if len(data) > 0 && data[0] == checksummed {
		if len(data) < 6 || binary.BigEndian.Uint32(data[1:5]) != crc32.Checksum(data[5:], castagnoli) {
			return nil, fmt.Errorf("%w: the CRC-32C of its %d bytes does not match", ErrCorrupt, len(data))
		}
		data = data[5:]
	}
	var c Command
	switch {
	case len(data) == 0:
	case int(data[0]) < len(commands) && commands[data[0]] != nil:
		c = commands[data[0]]()
	default:
		c = newExecCommand(data[0])
	}
	if c == nil {
		return nil, fmt.Errorf("unknown command type in a log entry of %d bytes (written by a newer stepd?)", len(data))
	}
	if err := json.Unmarshal(data[1:], c); err != nil {
		return nil, fmt.Errorf("cannot decode command %T: %w", c, err)
	}
	return c, nil
}

// errorf answers a conflict Apply decided: an AWS Step Functions error,
// which the API answers as it would without a cluster.
func errorf(code, format string, args ...any) Result {
	return Result{Err: awserr.New(code, format, args...)}
}

// errMissing answers a command that lacks what it changes (a proposer's
// bug, or a forged entry): the same refusal on every node, never a panic.
func errMissing(field string) Result {
	return errorf("InternalFailure", "a command without its %s", field)
}

// Result is what applying a command produced, as the API needs it for
// its answer: either Err, or the fields the command sets.
type Result struct {
	Err        *awserr.Error `json:"error,omitempty"`
	Arn        string        `json:"arn,omitempty"`
	VersionArn string        `json:"versionArn,omitempty"`
	RevisionID string        `json:"revisionId,omitempty"`
	Date       time.Time     `json:"date"`              // of creation or of the update
	Created    bool          `json:"created,omitempty"` // PutMachine made a new machine
	// Index is the log index the command was committed at.
	Index uint64 `json:"index"`
}

// CreateMachine is CreateStateMachine. Machine holds the new machine, with
// Created, Updated and RevisionID set by the proposer.
type CreateMachine struct {
	Machine            *Machine `json:"machine"`
	Publish            bool     `json:"publish,omitempty"`
	VersionDescription string   `json:"versionDescription,omitempty"`
}

func (*CreateMachine) kind() cmdType { return cmdCreateMachine }

func (c *CreateMachine) apply(s *State) Result {
	if c.Machine == nil {
		return errMissing("machine")
	}
	m := *c.Machine
	if old := s.Machines[m.Name]; old != nil {
		if old.Definition == m.Definition && old.RoleArn == m.RoleArn && old.Type == m.Type {
			return Result{Arn: old.Arn, Date: old.Created} // AWS answers an identical create with the existing machine
		}
		return Result{Err: awserr.MachineAlreadyExists(m.Arn, "")}
	}
	m.NextVersion = 1
	m.compile()
	s.Machines[m.Name] = &m
	r := Result{Arn: m.Arn, Date: m.Created, RevisionID: m.RevisionID}
	if c.Publish {
		r.VersionArn = publish(s, &m, c.VersionDescription, m.Created)
	}
	return r
}

// publish adds the next version of m to s and returns its ARN.
func publish(s *State, m *Machine, description string, now time.Time) string {
	n := max(m.NextVersion, 1)
	v := *m
	v.Arn, v.Version, v.Description, v.Created, v.Tags = m.Arn+":"+fmt.Sprint(n), n, description, now, nil
	s.Versions[v.Arn] = &v
	next := *m
	next.NextVersion = n + 1
	s.Machines[m.Name] = &next
	return v.Arn
}

// UpdateMachine is UpdateStateMachine: nil fields keep their value.
type UpdateMachine struct {
	Name               string          `json:"name"`
	Arn                string          `json:"arn"`
	Definition         *string         `json:"definition,omitempty"`
	RoleArn            *string         `json:"roleArn,omitempty"`
	Logging            json.RawMessage `json:"logging,omitempty"`
	Tracing            json.RawMessage `json:"tracing,omitempty"`
	Publish            bool            `json:"publish,omitempty"`
	VersionDescription string          `json:"versionDescription,omitempty"`
	Now                time.Time       `json:"now"`
	RevisionID         string          `json:"revisionId"`
}

func (*UpdateMachine) kind() cmdType { return cmdUpdateMachine }

func (c *UpdateMachine) apply(s *State) Result {
	old := s.Machines[c.Name]
	if old == nil {
		return Result{Err: awserr.MachineDoesNotExist(c.Arn)}
	}
	m := *old
	if c.Definition != nil {
		m.Definition = *c.Definition
		m.compile()
	}
	if c.RoleArn != nil {
		m.RoleArn = *c.RoleArn
	}
	if c.Logging != nil {
		m.Logging = c.Logging
	}
	if c.Tracing != nil {
		m.Tracing = c.Tracing
	}
	m.Updated, m.RevisionID = c.Now, c.RevisionID
	s.Machines[m.Name] = &m
	r := Result{Arn: m.Arn, Date: c.Now, RevisionID: m.RevisionID}
	if c.Publish {
		r.VersionArn = publish(s, &m, c.VersionDescription, c.Now)
	}
	return r
}

// PutMachine is the REST API's PUT: it creates the machine, or replaces
// the definition of one of the same type.
type PutMachine struct {
	Machine *Machine `json:"machine"` // Created, Updated and RevisionID set
}

func (*PutMachine) kind() cmdType { return cmdPutMachine }

func (c *PutMachine) apply(s *State) Result {
	if c.Machine == nil {
		return errMissing("machine")
	}
	m := *c.Machine
	old := s.Machines[m.Name]
	if old != nil {
		if old.Type != m.Type {
			return Result{Err: awserr.MachineAlreadyExists(old.Arn, old.Type)}
		}
		def, updated, rev := m.Definition, m.Updated, m.RevisionID
		m = *old
		m.Definition, m.Updated, m.RevisionID = def, updated, rev
	} else {
		m.NextVersion = 1
	}
	m.compile()
	s.Machines[m.Name] = &m
	return Result{Arn: m.Arn, Date: m.Updated, RevisionID: m.RevisionID, Created: old == nil}
}

// DeleteMachine is DeleteStateMachine: the machine, its versions and its
// aliases go. Deleting a machine that is gone already succeeds.
type DeleteMachine struct {
	Name string `json:"name"`
}

func (*DeleteMachine) kind() cmdType { return cmdDeleteMachine }

func (c *DeleteMachine) apply(s *State) Result {
	delete(s.Machines, c.Name)
	for arn, v := range s.Versions {
		if v.Name == c.Name {
			delete(s.Versions, arn)
		}
	}
	for arn, a := range s.Aliases {
		if a.Machine == c.Name {
			delete(s.Aliases, arn)
		}
	}
	return Result{}
}

// PublishVersion is PublishStateMachineVersion. RevisionID, when set, is
// the revision the caller expects to publish.
type PublishVersion struct {
	Name        string    `json:"name"`
	Arn         string    `json:"arn"`
	RevisionID  string    `json:"revisionId,omitempty"`
	Description string    `json:"description,omitempty"`
	Now         time.Time `json:"now"`
}

func (*PublishVersion) kind() cmdType { return cmdPublishVersion }

func (c *PublishVersion) apply(s *State) Result {
	cur := s.Machines[c.Name]
	if cur == nil {
		return Result{Err: awserr.MachineDoesNotExist(c.Arn)}
	}
	if c.RevisionID != "" && c.RevisionID != cur.RevisionID {
		return errorf("ConflictException", "Failed to publish the State Machine version for revision %s. The current State Machine revision is %s.", c.RevisionID, cur.RevisionID)
	}
	for _, v := range s.Versions { // publishing an unchanged revision again returns its version
		if v.Name == cur.Name && v.RevisionID == cur.RevisionID {
			return Result{VersionArn: v.Arn, Date: v.Created}
		}
	}
	return Result{VersionArn: publish(s, cur, c.Description, c.Now), Date: c.Now}
}

// DeleteVersion is DeleteStateMachineVersion. Deleting a missing version
// succeeds, as in AWS.
type DeleteVersion struct {
	Arn string `json:"arn"`
}

func (*DeleteVersion) kind() cmdType { return cmdDeleteVersion }

func (c *DeleteVersion) apply(s *State) Result {
	for _, a := range s.Aliases {
		for _, rt := range a.Routing {
			if rt.VersionArn == c.Arn {
				return errorf("ConflictException", "Version %s can not be deleted, since it is referenced by alias %s.", c.Arn, a.Arn)
			}
		}
	}
	delete(s.Versions, c.Arn)
	return Result{}
}

// checkRouting validates an alias's routing: one or two existing
// versions of the machine, weights adding up to 100.
func checkRouting(s *State, machineName string, routing []Route) *Result {
	fail := func(r Result) *Result { return &r }
	if len(routing) == 0 || len(routing) > 2 {
		return fail(errorf("ValidationException", "The routing configuration must contain one or two versions"))
	}
	total := 0
	for _, rt := range routing {
		v := s.Versions[rt.VersionArn]
		if v == nil || v.Name != machineName {
			return fail(Result{Err: awserr.ResourceNotFound(rt.VersionArn)})
		}
		if rt.Weight < 0 || rt.Weight > 100 {
			return fail(errorf("ValidationException", "Routing weights must be between 0 and 100"))
		}
		total += rt.Weight
	}
	if total != 100 {
		return fail(errorf("ValidationException", "The weights of the routing configuration must add up to 100"))
	}
	return nil
}

// CreateAlias is CreateStateMachineAlias.
type CreateAlias struct {
	Alias *Alias `json:"alias"` // Created and Updated set
}

func (*CreateAlias) kind() cmdType { return cmdCreateAlias }

func (c *CreateAlias) apply(s *State) Result {
	if c.Alias == nil {
		return errMissing("alias")
	}
	a := *c.Alias
	if r := checkRouting(s, a.Machine, a.Routing); r != nil {
		return *r
	}
	if s.Aliases[a.Arn] != nil {
		return errorf("ConflictException", "Alias already exists: '%s'", a.Arn)
	}
	s.Aliases[a.Arn] = &a
	return Result{Arn: a.Arn, Date: a.Created}
}

// UpdateAlias is UpdateStateMachineAlias: nil fields keep their value.
type UpdateAlias struct {
	Arn         string    `json:"arn"`
	Description *string   `json:"description,omitempty"`
	Routing     []Route   `json:"routing,omitempty"`
	Now         time.Time `json:"now"`
}

func (*UpdateAlias) kind() cmdType { return cmdUpdateAlias }

func (c *UpdateAlias) apply(s *State) Result {
	old := s.Aliases[c.Arn]
	if old == nil {
		return Result{Err: awserr.ResourceNotFound(c.Arn)}
	}
	a := *old
	if c.Routing != nil {
		if r := checkRouting(s, a.Machine, c.Routing); r != nil {
			return *r
		}
		a.Routing = c.Routing
	}
	if c.Description != nil {
		a.Description = *c.Description
	}
	a.Updated = c.Now
	s.Aliases[a.Arn] = &a
	return Result{Arn: a.Arn, Date: c.Now}
}

// DeleteAlias is DeleteStateMachineAlias.
type DeleteAlias struct {
	Arn string `json:"arn"`
}

func (*DeleteAlias) kind() cmdType { return cmdDeleteAlias }

func (c *DeleteAlias) apply(s *State) Result {
	delete(s.Aliases, c.Arn)
	return Result{}
}

// MaxTags is AWS's limit of tags on one resource.
const MaxTags = 50

// Taggable names what a tag command changes: a state machine (Qualified
// false, by Name), an alias (Qualified true, by Arn) or an activity
// (Activity true, by Name).
type Taggable struct {
	Arn       string `json:"arn"`
	Name      string `json:"name"`
	Qualified bool   `json:"qualified,omitempty"`
	Activity  bool   `json:"activity,omitempty"`
}

// withTags replaces the tags of what t names with fn's result.
func (t *Taggable) withTags(s *State, fn func([]Tag) ([]Tag, *Result)) Result {
	if t.Activity {
		return t.activityTags(s, fn)
	}
	if !t.Qualified {
		if old := s.Machines[t.Name]; old != nil {
			m := *old
			tags, r := fn(m.Tags)
			if r != nil {
				return *r
			}
			m.Tags = tags
			s.Machines[m.Name] = &m
			return Result{}
		}
	} else if old := s.Aliases[t.Arn]; old != nil {
		a := *old
		tags, r := fn(a.Tags)
		if r != nil {
			return *r
		}
		a.Tags = tags
		s.Aliases[a.Arn] = &a
		return Result{}
	}
	return Result{Err: awserr.ResourceNotFound(t.Arn)}
}

// TagResource is TagResource: Tags replace the values of existing keys.
type TagResource struct {
	Taggable
	Tags []Tag `json:"tags"`
}

func (*TagResource) kind() cmdType { return cmdTag }

func (c *TagResource) apply(s *State) Result {
	return c.withTags(s, func(old []Tag) ([]Tag, *Result) {
		out := append([]Tag(nil), old...)
		for _, add := range c.Tags {
			found := false
			for i := range out {
				if out[i].Key == add.Key {
					out[i].Value, found = add.Value, true
				}
			}
			if !found {
				out = append(out, add)
			}
		}
		if len(out) > MaxTags {
			r := errorf("TooManyTags", "Too many tags: a resource can have at most %d", MaxTags)
			return nil, &r
		}
		return out, nil
	})
}

// UntagResource is UntagResource.
type UntagResource struct {
	Taggable
	Keys []string `json:"keys"`
}

func (*UntagResource) kind() cmdType { return cmdUntag }

func (c *UntagResource) apply(s *State) Result {
	return c.withTags(s, func(old []Tag) ([]Tag, *Result) {
		var out []Tag
		for _, t := range old {
			keep := true
			for _, k := range c.Keys {
				keep = keep && t.Key != k
			}
			if keep {
				out = append(out, t)
			}
		}
		return out, nil
	})
}

// Import is the command that adds the content of a pre-cluster
// registry.json (its machines, versions and aliases) to the state.
func Import(registryJSON []byte) (Command, error) {
	c := &importCommand{}
	if err := json.Unmarshal(registryJSON, &c.image); err != nil {
		return nil, fmt.Errorf("cannot parse the registry: %w", err)
	}
	return c, nil
}

// importCommand adds a whole image to the state: the migration of a
// pre-cluster registry.json.
type importCommand struct {
	image
}

func (*importCommand) kind() cmdType { return cmdImport }

func (c *importCommand) apply(s *State) Result {
	c.image.Nodes, c.image.Applied = nil, 0
	c.addTo(s)
	return Result{}
}

// setNode records a member in the node table.
type setNode struct {
	Member
}

func (*setNode) kind() cmdType { return cmdSetNode }

func (c *setNode) apply(s *State) Result {
	m := c.Member
	s.Nodes[m.ID] = &m
	return Result{}
}

// removeNode drops a member from the node table.
type removeNode struct {
	ID string `json:"id"`
}

func (*removeNode) kind() cmdType { return cmdRemoveNode }

func (c *removeNode) apply(s *State) Result {
	delete(s.Nodes, c.ID)
	return Result{}
}
