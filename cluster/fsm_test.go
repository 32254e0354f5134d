package cluster

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	json "github.com/goccy/go-json"
	"github.com/hashicorp/raft"
)

const (
	testArn = "arn:aws:states:us-east-1:123456789012:stateMachine:"
	passDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`
	failDef = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E"}}}`
)

var t0 = time.Date(2026, 11, 21, 8, 0, 0, 123456789, time.UTC)

func newMachine(name, def string) *Machine {
	return &Machine{Arn: testArn + name, Name: name, Type: "EXPRESS", Definition: def, RoleArn: "arn:aws:iam::123456789012:role/r", Created: t0, Updated: t0, RevisionID: "rev-" + name}
}

// testLog is a sequence of commands touching every command type.
func testLog(t *testing.T) [][]byte {
	t.Helper()
	desc := "new"
	cmds := []Command{
		&CreateMachine{Machine: newMachine("a", passDef), Publish: true, VersionDescription: "v1"},
		&CreateMachine{Machine: newMachine("b", failDef)},
		&UpdateMachine{Name: "a", Arn: testArn + "a", Definition: ptr(failDef), Now: t0.Add(time.Second), RevisionID: "rev-a2"},
		&PublishVersion{Name: "a", Arn: testArn + "a", Now: t0.Add(2 * time.Second)},
		&CreateAlias{Alias: &Alias{Arn: testArn + "a:live", Name: "live", Machine: "a", Routing: []Route{{testArn + "a:1", 90}, {testArn + "a:2", 10}}, Created: t0, Updated: t0}},
		&UpdateAlias{Arn: testArn + "a:live", Description: &desc, Now: t0.Add(3 * time.Second)},
		&TagResource{Taggable: Taggable{Arn: testArn + "a", Name: "a"}, Tags: []Tag{{"k", "v"}, {"k2", "v2"}}},
		&UntagResource{Taggable: Taggable{Arn: testArn + "a", Name: "a"}, Keys: []string{"k2"}},
		&TagResource{Taggable: Taggable{Arn: testArn + "a:live", Name: "a", Qualified: true}, Tags: []Tag{{"team", "x"}}},
		&PutMachine{Machine: newMachine("c", passDef)},
		&setNode{Member{ID: "n1", RaftAddr: "127.0.0.1:1", APIAddr: "127.0.0.1:2"}},
		&DeleteMachine{Name: "b"},
		&CreateActivity{Activity: &Activity{Arn: testActivityArn + "w", Name: "w", Created: t0}},
		&TagResource{Taggable: Taggable{Arn: testActivityArn + "w", Name: "w", Activity: true}, Tags: []Tag{{"k", "v"}}},
		&CreateActivity{Activity: &Activity{Arn: testActivityArn + "gone", Name: "gone", Created: t0}},
		&DeleteActivity{Name: "gone"},
	}
	var out [][]byte
	for _, c := range cmds {
		b, err := Encode(c)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func ptr[T any](v T) *T { return &v }

func applyAll(t *testing.T, f *fsm, entries [][]byte) {
	t.Helper()
	for i, data := range entries {
		res := f.Apply(&raft.Log{Index: uint64(i + 1), Type: raft.LogCommand, Data: data}).(*Result)
		if res.Err != nil {
			t.Fatalf("entry %d: %v", i+1, res.Err)
		}
	}
}

func encodeState(t *testing.T, f *fsm) string {
	t.Helper()
	b, err := json.Marshal(imageOf(f.state.Load(), f.appliedIndex()))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// memSink is a raft.SnapshotSink in memory.
type memSink struct{ bytes.Buffer }

func (*memSink) ID() string    { return "mem" }
func (*memSink) Cancel() error { return nil }
func (*memSink) Close() error  { return nil }

// TestSnapshotRestoreRoundTrip: a state persisted and restored into a
// fresh FSM is the same state, programs compiled again, and the applied
// index comes along.
func TestSnapshotRestoreRoundTrip(t *testing.T) {
	f := newFSM(nil)
	applyAll(t, f, testLog(t))
	snap, err := f.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	var seen *State
	g := newFSM(func(s *State) { seen = s })
	if err := g.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	if a, b := encodeState(t, f), encodeState(t, g); a != b {
		t.Fatalf("restored state differs:\n%s\n%s", a, b)
	}
	if seen != g.state.Load() {
		t.Error("OnChange did not see the restored state")
	}
	if g.appliedIndex() != uint64(len(testLog(t))) {
		t.Errorf("applied index after restore = %d", g.appliedIndex())
	}
	for name, m := range g.state.Load().Machines {
		if m.Program() == nil {
			t.Errorf("machine %s not compiled after restore: %v", name, m.CompileError())
		}
	}
	if v := g.state.Load().Versions[testArn+"a:2"]; v == nil || v.Definition != failDef || v.Program() == nil {
		t.Errorf("version 2 after restore: %+v", v)
	}
}

// TestApplyIsDeterministic: two FSMs applying the same log reach the same
// bytes: everything Apply uses is in the entries.
func TestApplyIsDeterministic(t *testing.T) {
	entries := testLog(t)
	f, g := newFSM(nil), newFSM(nil)
	applyAll(t, f, entries)
	applyAll(t, g, entries)
	if a, b := encodeState(t, f), encodeState(t, g); a != b {
		t.Fatalf("states differ:\n%s\n%s", a, b)
	}
	st := f.state.Load()
	if a := st.Machines["a"]; a.NextVersion != 3 || a.RevisionID != "rev-a2" || !a.Updated.Equal(t0.Add(time.Second)) || len(a.Tags) != 1 {
		t.Errorf("machine a = %+v", a)
	}
	if st.Machines["b"] != nil || len(st.Nodes) != 1 || st.Aliases[testArn+"a:live"].Description != "new" {
		t.Errorf("state = %+v", st)
	}
}

// TestApplyDecidesConflicts: conflicts are decided inside Apply, answer
// AWS's error, and leave the state as it was.
func TestApplyDecidesConflicts(t *testing.T) {
	f := newFSM(nil)
	applyAll(t, f, testLog(t))
	before := encodeState(t, f)
	for _, tc := range []struct {
		c    Command
		code string
	}{
		{&CreateMachine{Machine: newMachine("a", passDef)}, "StateMachineAlreadyExists"},
		{&UpdateMachine{Name: "gone", Arn: testArn + "gone", Now: t0}, "StateMachineDoesNotExist"},
		{&PublishVersion{Name: "a", Arn: testArn + "a", RevisionID: "stale", Now: t0}, "ConflictException"},
		{&DeleteVersion{Arn: testArn + "a:1"}, "ConflictException"},
		{&CreateAlias{Alias: &Alias{Arn: testArn + "a:live", Name: "live", Machine: "a", Routing: []Route{{testArn + "a:1", 100}}}}, "ConflictException"},
		{&CreateAlias{Alias: &Alias{Arn: testArn + "a:x", Name: "x", Machine: "a", Routing: []Route{{testArn + "a:9", 100}}}}, "ResourceNotFound"},
		{&CreateAlias{Alias: &Alias{Arn: testArn + "a:x", Name: "x", Machine: "a", Routing: []Route{{testArn + "a:1", 50}}}}, "ValidationException"},
		{&UpdateAlias{Arn: testArn + "a:none", Now: t0}, "ResourceNotFound"},
		{&PutMachine{Machine: &Machine{Arn: testArn + "a", Name: "a", Type: "STANDARD", Definition: passDef}}, "StateMachineAlreadyExists"},
		{&TagResource{Taggable: Taggable{Arn: testArn + "gone", Name: "gone"}, Tags: []Tag{{"k", "v"}}}, "ResourceNotFound"},
		{&TagResource{Taggable: Taggable{Arn: testArn + "a", Name: "a"}, Tags: manyTags(MaxTags)}, "TooManyTags"},
	} {
		data, err := Encode(tc.c)
		if err != nil {
			t.Fatal(err)
		}
		res := f.Apply(&raft.Log{Index: 100, Type: raft.LogCommand, Data: data}).(*Result)
		if res.Err == nil || res.Err.Code != tc.code {
			t.Errorf("%T: got %+v, want %s", tc.c, res.Err, tc.code)
		}
	}
	if after := encodeState(t, f); strings.Replace(after, `"applied":100`, fmt.Sprintf(`"applied":%d`, len(testLog(t))), 1) != before {
		t.Errorf("a refused command changed the state:\n%s\n%s", before, after)
	}
	// An identical create answers the existing machine, not a conflict.
	data, _ := Encode(&CreateMachine{Machine: &Machine{Arn: testArn + "c", Name: "c", Type: "EXPRESS", Definition: passDef, RoleArn: "arn:aws:iam::123456789012:role/r", Created: t0.Add(time.Hour)}})
	if res := f.Apply(&raft.Log{Index: 101, Data: data}).(*Result); res.Err != nil || !res.Date.Equal(t0) {
		t.Errorf("identical create: %+v", res)
	}
}

func manyTags(n int) []Tag {
	var tags []Tag
	for i := range n {
		tags = append(tags, Tag{Key: "t" + string(rune('A'+i%26)) + string(rune('a'+i/26)), Value: "v"})
	}
	return tags
}

// TestUnknownCommandChangesNothing: an entry written by a newer stepd (an
// unknown type), garbage, or a command without what it creates is
// answered with an error on every node alike, never a panic.
func TestUnknownCommandChangesNothing(t *testing.T) {
	f := newFSM(nil)
	for _, data := range [][]byte{nil, {0}, {200, '{', '}'}, {byte(cmdCreateMachine), 'x'},
		[]byte("\x01{}"), []byte("\x03{\"machine\":null}"), []byte("\x07{}")} {
		res := f.Apply(&raft.Log{Index: 1, Data: data}).(*Result)
		if res.Err == nil || res.Err.Code != "InternalFailure" {
			t.Errorf("%q: %+v", data, res)
		}
	}
	if len(f.state.Load().Machines) != 0 {
		t.Error("state changed")
	}
}

// TestDefinitionThatNoLongerCompiles: a committed definition that this
// node's compiler rejects (a newer compiler, or a proposer that skipped
// validation) is kept and reported, survives a snapshot, and crashes
// nothing.
func TestDefinitionThatNoLongerCompiles(t *testing.T) {
	f := newFSM(nil)
	bad := `{"StartAt":"Missing","States":{"P":{"Type":"Pass","End":true}}}`
	data, _ := Encode(&CreateMachine{Machine: newMachine("bad", bad), Publish: true})
	if res := f.Apply(&raft.Log{Index: 1, Data: data}).(*Result); res.Err != nil {
		t.Fatalf("apply: %v", res.Err)
	}
	for _, m := range []*Machine{f.state.Load().Machines["bad"], f.state.Load().Versions[testArn+"bad:1"]} {
		if m == nil || m.Program() != nil || m.CompileError() == nil || m.Definition != bad {
			t.Fatalf("kept machine = %+v", m)
		}
	}
	snap, _ := f.Snapshot()
	var sink memSink
	if err := snap.Persist(&sink); err != nil {
		t.Fatal(err)
	}
	g := newFSM(nil)
	if err := g.Restore(io.NopCloser(&sink)); err != nil {
		t.Fatal(err)
	}
	if m := g.state.Load().Machines["bad"]; m == nil || m.CompileError() == nil || m.Definition != bad {
		t.Fatalf("after restore: %+v", m)
	}
}

// TestImportLegacyRegistry: the daemon's pre-cluster registry.json
// imports as a command.
func TestImportLegacyRegistry(t *testing.T) {
	legacy := `{"machines":[{"arn":"` + testArn + `m","name":"m","type":"EXPRESS","definition":` + string(must(json.Marshal(passDef))) + `,"roleArn":"r","created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z","revisionId":"x","nextVersion":2,"tags":[{"key":"k","value":"v"}]}],
		"versions":[{"arn":"` + testArn + `m:1","name":"m","type":"EXPRESS","definition":` + string(must(json.Marshal(passDef))) + `,"roleArn":"r","created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z","revisionId":"x","version":1}],
		"aliases":[{"arn":"` + testArn + `m:live","name":"live","machine":"m","routing":[{"stateMachineVersionArn":"` + testArn + `m:1","weight":100}],"created":"2026-01-02T03:04:05Z","updated":"2026-01-02T03:04:05Z"}]}`
	c, err := Import([]byte(legacy))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := Encode(c)
	f := newFSM(nil)
	if res := f.Apply(&raft.Log{Index: 1, Data: data}).(*Result); res.Err != nil {
		t.Fatal(res.Err)
	}
	st := f.state.Load()
	if m := st.Machines["m"]; m == nil || m.Program() == nil || m.NextVersion != 2 || m.Tags[0].Value != "v" {
		t.Errorf("machine = %+v", m)
	}
	if st.Versions[testArn+"m:1"].Program() == nil || st.Aliases[testArn+"m:live"] == nil {
		t.Errorf("state = %+v", st)
	}
	if _, err := Import([]byte("{")); err == nil {
		t.Error("a broken registry.json must be refused")
	}
	c, err = Import([]byte(`{"machines":[null],"versions":[null],"aliases":[null]}`))
	if err != nil {
		t.Fatal(err)
	}
	data, _ = Encode(c)
	if res := newFSM(nil).Apply(&raft.Log{Index: 1, Data: data}).(*Result); res.Err != nil {
		t.Errorf("null entries: %v", res.Err)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}
