package daemon

import (
	"flag"
	"fmt"
	"math"

	"github.com/stepd/stepd/fastpath"
)

// TimeControl is how executions experience time, for `serve` and `run`:
// Wait states and Retry back-offs take Scale times their time (0: none);
// with Virtual the time skipped still passes for the execution; Seed, when
// not 0, seeds the random values of States.UUID, $uuid, $random and Retry
// jitter. DefaultTimeControl is real time, unseeded.
type TimeControl struct {
	Scale   float64 `json:"wait-time-scale"`
	Virtual bool    `json:"virtual-time"`
	Seed    uint64  `json:"seed"`
}

// DefaultTimeControl is real time (Scale 1), unseeded.
func DefaultTimeControl() TimeControl { return TimeControl{Scale: 1} }

func (tc *TimeControl) register(fs *flag.FlagSet) {
	fs.Float64Var(&tc.Scale, "wait-time-scale", tc.Scale, "Wait states and Retry back-offs take this many times their time: 0.01 makes five minutes 3 s, 0 makes them instant (Step Functions Local's WAIT_TIME_SCALE); task timeouts do not scale")
	fs.BoolVar(&tc.Virtual, "virtual-time", tc.Virtual, "the time -wait-time-scale skips still passes for each execution: $$ times, $now(), Wait timestamps, the execution's TimeoutSeconds and history timestamps move as if it had elapsed")
	fs.Uint64Var(&tc.Seed, "seed", tc.Seed, "seed of States.UUID, States.MathRandom, $uuid, $random and Retry jitter, so that a run repeats (exactly when one execution runs at a time); 0 leaves them unseeded")
}

// Validate refuses a scale that is negative or not a number.
func (tc *TimeControl) Validate() error {
	if tc.Scale < 0 || math.IsNaN(tc.Scale) || math.IsInf(tc.Scale, 0) {
		return fmt.Errorf("-wait-time-scale %v: want a number from 0 up", tc.Scale)
	}
	return nil
}

// apply seeds the process's random values when a seed is set.
func (tc *TimeControl) apply() {
	if tc.Seed != 0 {
		fastpath.SeedRandom(tc.Seed)
	}
}

// clock returns the clock of one execution: nil (the system clock) for
// real time, else a scaled clock of its own (a virtual one keeps the
// execution's skipped time).
func (tc *TimeControl) clock() fastpath.Clock {
	if tc.Scale == 1 && !tc.Virtual {
		return nil
	}
	return fastpath.NewScaledClock(tc.Scale, tc.Virtual)
}
