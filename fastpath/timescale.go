package fastpath

import (
	"context"
	"sync"
	"time"
)

// ScaledClock is the clock of -wait-time-scale: a Wait state or a Retry
// back-off of d takes Scale×d of real time (0: no real waiting at all).
// With Virtual set, the time skipped still passes for the execution: its
// Now runs ahead of the real clock by every part of a sleep that was
// skipped, so $$.State.EnteredTime, $now(), Wait timestamps, the
// execution's own TimeoutSeconds and history timestamps move as if the
// full time had elapsed. Without Virtual, Now is the real time.
//
// A ScaledClock belongs to one execution (its skipped time is that
// execution's); concurrent branches get their own through fork. Safe for
// concurrent use.
type ScaledClock struct {
	scale   float64
	virtual bool
	mu      sync.Mutex
	ahead   time.Duration // skipped time so far, with virtual
}

// NewScaledClock returns a clock whose sleeps take scale times their
// length; virtual says whether skipped time still passes for Now.
func NewScaledClock(scale float64, virtual bool) *ScaledClock {
	return &ScaledClock{scale: scale, virtual: virtual}
}

// Now returns the real time, plus the skipped time in virtual mode.
func (c *ScaledClock) Now() time.Time {
	c.mu.Lock()
	ahead := c.ahead
	c.mu.Unlock()
	return time.Now().Add(ahead)
}

// Sleep sleeps for scale×d of real time, or until ctx ends; in virtual
// mode the rest of d is added to the clock's lead.
func (c *ScaledClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	real := time.Duration(float64(d) * c.scale)
	if err := (SystemClock{}).Sleep(ctx, real); err != nil {
		return err
	}
	if c.virtual && real < d {
		c.mu.Lock()
		c.ahead += d - real
		c.mu.Unlock()
	}
	return nil
}

// fork returns a clock for one concurrent branch, starting with this
// clock's lead.
func (c *ScaledClock) fork() Clock {
	c.mu.Lock()
	defer c.mu.Unlock()
	return &ScaledClock{scale: c.scale, virtual: c.virtual, ahead: c.ahead}
}

// join takes on the lead of a branch if it is larger: the branch's
// waits overlapped this clock's time, as in real time.
func (c *ScaledClock) join(branch Clock) {
	b := branch.(*ScaledClock)
	b.mu.Lock()
	ahead := b.ahead
	b.mu.Unlock()
	c.mu.Lock()
	if ahead > c.ahead {
		c.ahead = ahead
	}
	c.mu.Unlock()
}
