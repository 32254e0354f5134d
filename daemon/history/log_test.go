package history

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stepd/stepd/fastpath"
)

// TestRotationAndRetention writes far more than the retention limit in
// small segments: segments rotate by size, the oldest are deleted, the
// newest executions stay readable, deleted ones are not found, and a
// reopened log finds the same executions from the segment indexes.
func TestRotationAndRetention(t *testing.T) {
	c := testConfig(t)
	c.SegmentBytes = 64 << 10
	c.MaxBytes = 256 << 10
	c.BlockBytes = 16 << 10
	l := openLog(t, c)
	var arns []string
	for round := 0; round < 20; round++ {
		arns = append(arns, fill(t, l, 50, 600, "r"+string(rune('a'+round)))...)
		l.Flush()
		if err := l.maintain(time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	segs := l.Segments()
	var total int64
	for _, s := range segs {
		total += s.Size
	}
	if len(segs) < 3 || total > c.MaxBytes+c.SegmentBytes+int64(c.BlockBytes) {
		t.Fatalf("%d segments, %d bytes: want several, at most about %d bytes", len(segs), total, c.MaxBytes)
	}
	if _, err := l.Execution(arns[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("the oldest execution: err = %v, want ErrNotFound after retention", err)
	}
	newest := arns[len(arns)-1]
	if _, err := l.Execution(newest); err != nil {
		t.Fatalf("the newest execution: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l2 := openLog(t, c)
	rec, err := l2.Execution(newest)
	if err != nil || rec.ExecutionArn != newest {
		t.Fatalf("after reopening: %v", err)
	}
	n := 0
	if err := l2.List(testMachineArn+"fill", "SUCCEEDED", func(s *Summary) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	kept := 0
	for _, s := range l2.Segments() {
		kept += s.Records
	}
	if n != kept || n == 0 || n >= len(arns) {
		t.Fatalf("List found %d executions, the segments hold %d of %d written", n, kept, len(arns))
	}
}

// TestRotationByAge: a segment older than SegmentAge is closed and a new
// one started; one older than MaxAge is deleted.
func TestRotationByAge(t *testing.T) {
	c := testConfig(t)
	c.SegmentAge = time.Minute
	c.MaxAge = time.Hour
	l := openLog(t, c)
	fill(t, l, 3, 100, "old")
	l.Flush()
	if err := l.maintain(time.Now().Add(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := len(l.Segments()); n != 2 {
		t.Fatalf("%d segments after the age limit, want 2", n)
	}
	arns := fill(t, l, 3, 100, "new")
	l.Flush()
	if err := l.maintain(time.Now().Add(90 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if segs := l.Segments(); len(segs) != 1 || segs[0].Records != 0 {
		t.Fatalf("segments 90 minutes later: %+v, want only a new, empty one", segs)
	}
	if _, err := l.Execution(arns[0]); !errors.Is(err, ErrNotFound) {
		t.Fatalf("an execution past MaxAge: err = %v", err)
	}
}

// crashCopy copies a history directory as a process kill leaves it: the
// files as they are (the staging mapping is the page cache).
func crashCopy(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "history")
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		in, err := os.Open(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out, err := os.Create(filepath.Join(dst, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(out, in); err != nil {
			t.Fatal(err)
		}
		in.Close()
		out.Close()
	}
	return dst
}

// TestRecoverFromStaging: records staged but not yet written when the
// process dies are written at the next start; a frame torn by the crash
// (its execution never answered) is dropped, and nothing after it is
// invented.
func TestRecoverFromStaging(t *testing.T) {
	c := testConfig(t)
	c.FlushInterval = time.Hour // the writer never runs on its own
	c.BlockBytes = 1 << 30
	l := openLog(t, c)
	arns := fill(t, l, 20, 300, "staged")
	dir := crashCopy(t, c.Dir)

	c2 := c
	c2.Dir = dir
	l2 := openLog(t, c2)
	for _, arn := range arns {
		if _, err := l2.Execution(arn); err != nil {
			t.Fatalf("%s not recovered: %v", arn, err)
		}
	}

	// Damage the last frame as a crash can: the records before it are
	// kept, it is dropped.
	l.mu.Lock()
	last := l.st.head
	l.mu.Unlock()
	var lastFrame uint64
	for pos := l.st.tail.Load(); pos < last; {
		_, next, err := l.st.frameAt(pos)
		if err != nil {
			t.Fatal(err)
		}
		lastFrame, pos = pos, next
	}
	at := int64(stagingHeader + lastFrame%l.st.size)
	for _, damage := range []struct {
		name  string
		bytes []byte
		at    int64
	}{
		// The kill came while the body was being copied: the commit
		// word (the frame's position) is not there yet.
		{"killed while copying", make([]byte, 8), at + 8},
		// A power loss wrote back the header's page but not the body's.
		{"body not written back", []byte{0xff}, at + frameHeader},
	} {
		torn := crashCopy(t, c.Dir)
		f, err := os.OpenFile(filepath.Join(torn, "staging"), os.O_RDWR, 0)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt(damage.bytes, damage.at); err != nil {
			t.Fatal(err)
		}
		f.Close()
		c3 := c
		c3.Dir = torn
		l3 := openLog(t, c3)
		for i, arn := range arns {
			_, err := l3.Execution(arn)
			if i < len(arns)-1 && err != nil {
				t.Fatalf("%s: %s lost: %v", damage.name, arn, err)
			}
			if i == len(arns)-1 && !errors.Is(err, ErrNotFound) {
				t.Fatalf("%s: the torn record: err = %v, want ErrNotFound", damage.name, err)
			}
		}
	}
}

// TestNoDuplicatesAfterCrashBetweenWriteAndCheckpoint: a block written
// to a segment whose checkpoint was not saved yet is not written again.
func TestNoDuplicatesAfterCrashBetweenWriteAndCheckpoint(t *testing.T) {
	c := testConfig(t)
	c.FlushInterval = time.Hour
	l := openLog(t, c)
	fill(t, l, 5, 100, "dup")
	l.mu.Lock()
	before := l.st.tail.Load()
	l.mu.Unlock()
	l.Flush()
	dir := crashCopy(t, c.Dir)
	// Roll the copy's checkpoint back to before the block.
	f, err := os.OpenFile(filepath.Join(dir, "staging"), os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ck [8]byte
	binary.LittleEndian.PutUint64(ck[:], before)
	if _, err := f.WriteAt(ck[:], 16); err != nil {
		t.Fatal(err)
	}
	f.Close()
	c2 := c
	c2.Dir = dir
	l2 := openLog(t, c2)
	n := 0
	for _, s := range l2.Segments() {
		n += s.Records
	}
	if n != 5 {
		t.Fatalf("%d records after recovery, want 5", n)
	}
}

// TestOverload: with a full staging ring, "shed" drops and counts
// records at once, "block" waits for the writer and loses nothing.
func TestOverload(t *testing.T) {
	for _, policy := range []string{"shed", "block"} {
		t.Run(policy, func(t *testing.T) {
			c := testConfig(t)
			c.Overload = policy
			c.FlushInterval = time.Hour
			c.BlockBytes = 1 << 30 // nothing but a blocked append wakes the writer
			l := openLog(t, c)
			shedBefore := recordsShed.Get()
			ev := fastpath.Event{Type: fastpath.EventExecutionStarted, ID: 1, Payload: bytes.Repeat([]byte("7"), 600)}
			n := 0
			for i := 0; i < 3000; i++ {
				rec := AcquireRecorder(Logging{LevelAll, true}, testStart)
				rec.Event(&ev)
				if rec.Finish(l, &Summary{ExecutionArn: "x", Status: fastpath.Succeeded}) {
					n++
				}
				ReleaseRecorder(rec)
			}
			shed := int(recordsShed.Get() - shedBefore)
			switch policy {
			case "shed":
				if shed == 0 || n+shed != 3000 {
					t.Fatalf("shed %d, kept %d of 3000", shed, n)
				}
			case "block":
				if shed != 0 || n != 3000 {
					t.Fatalf("shed %d, kept %d of 3000", shed, n)
				}
			}
		})
	}
}

// TestCorruptSegmentIsSetAside: a segment whose block checks out but does
// not decompress (damage no crash causes) is moved aside, and the node
// opens with the rest.
func TestCorruptSegmentIsSetAside(t *testing.T) {
	c := testConfig(t)
	l := openLog(t, c)
	arns := fill(t, l, 3, 100, "ok")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	garbage := []byte("not zstd at all")
	block := appendBlockHeader([]byte(segMagic), blockInfo{clen: uint32(len(garbage)), raw: 10,
		crc: crc32.Checksum(garbage, castagnoli), records: 1})
	bad := segName(c.Dir, 999, segSuffix)
	if err := os.WriteFile(bad, append(block, garbage...), 0o644); err != nil {
		t.Fatal(err)
	}
	l2 := openLog(t, c)
	if _, err := l2.Execution(arns[2]); err != nil {
		t.Fatalf("a good execution: %v", err)
	}
	if _, err := os.Stat(bad + ".corrupt"); err != nil {
		t.Fatalf("the damaged segment was not set aside: %v", err)
	}
}

// TestWriterFailureSheds: when the writer cannot write (here its segment
// file is closed under it, as a full disk would fail it), executions that
// wait for room in the staging ring shed their records instead of waiting
// for ever.
func TestWriterFailureSheds(t *testing.T) {
	c := testConfig(t)
	c.FlushInterval = time.Hour
	c.BlockBytes = 1 << 30
	l := openLog(t, c)
	l.file.Close()
	before := recordsShed.Get()
	done := make(chan int)
	go func() {
		ev := fastpath.Event{Type: fastpath.EventExecutionStarted, ID: 1, Payload: bytes.Repeat([]byte("7"), 600)}
		kept := 0
		for i := 0; i < 3000; i++ {
			rec := AcquireRecorder(Logging{LevelAll, true}, testStart)
			rec.Event(&ev)
			if rec.Finish(l, &Summary{ExecutionArn: "x"}) {
				kept++
			}
			ReleaseRecorder(rec)
		}
		done <- kept
	}()
	select {
	case kept := <-done:
		if shed := recordsShed.Get() - before; shed == 0 || kept+int(shed) != 3000 {
			t.Fatalf("kept %d, shed %d of 3000", kept, shed)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("executions hang while the writer fails")
	}
}
