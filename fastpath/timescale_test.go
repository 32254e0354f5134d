package fastpath

import (
	"context"
	"testing"
	"time"
)

// TestScaledClockVirtual checks that with scale 0 a sleep takes no real
// time yet, in virtual mode, moves the clock by its whole length, and
// that a branch's skipped time joins its parent's.
func TestScaledClockVirtual(t *testing.T) {
	ctx := context.Background()
	c := NewScaledClock(0, true)
	before := c.Now()
	if err := c.Sleep(ctx, 300*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := c.Now().Sub(before); got < 300*time.Second || got > 301*time.Second {
		t.Errorf("virtual time moved %v, want 300s", got)
	}
	b := c.fork()
	if err := b.Sleep(ctx, 100*time.Second); err != nil {
		t.Fatal(err)
	}
	c.join(b)
	if got := c.Now().Sub(before); got < 400*time.Second || got > 401*time.Second {
		t.Errorf("after the branch, virtual time moved %v, want 400s", got)
	}
}

// TestScaledClockReal checks that without virtual mode Now stays the
// real time however long the skipped sleeps.
func TestScaledClockReal(t *testing.T) {
	c := NewScaledClock(0, false)
	if err := c.Sleep(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(c.Now()); d > time.Minute {
		t.Errorf("clock is %v ahead, want the real time", d)
	}
}

// TestSeedRandom checks that the same seed gives the same UUIDs and
// random numbers.
func TestSeedRandom(t *testing.T) {
	defer UnseedRandom()
	draw := func() string {
		SeedRandom(42)
		u := string(AppendUUID(nil))
		v, _ := jfnRandom(nil)
		return u + " " + formatFloat(v.(float64))
	}
	if a, b := draw(), draw(); a != b {
		t.Errorf("seeded draws differ: %s and %s", a, b)
	}
	UnseedRandom()
	if a, b := string(AppendUUID(nil)), string(AppendUUID(nil)); a == b {
		t.Error("unseeded UUIDs repeat")
	}
}
