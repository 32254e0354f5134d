package fastpath

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// seededSource is the process's random source after SeedRandom: one
// generator behind a lock, so that a run that makes the same draws in the
// same order sees the same numbers.
type seededSource struct {
	mu  sync.Mutex
	pcg rand.PCG
}

var seeded atomic.Pointer[seededSource]

// SeedRandom makes every random value the runtime draws afterwards —
// States.UUID, States.MathRandom without a seed, $uuid(), $random()
// without a seed, Retry jitter and generated execution names that use
// AppendUUID — come from one generator seeded with seed, so a test run is
// reproducible. It is meant for tests and `stepd test`/`run -seed`: the
// draws of executions running at the same time interleave, so only a run
// of one execution at a time repeats exactly. Safe for concurrent use.
func SeedRandom(seed uint64) {
	s := &seededSource{}
	s.pcg.Seed(seed, seed^0x9e3779b97f4a7c15)
	seeded.Store(s)
}

// UnseedRandom returns the runtime to the unseeded, non-repeating source.
func UnseedRandom() { seeded.Store(nil) }

// randUint64 draws from the seeded source if there is one, else from
// math/rand/v2's.
func randUint64() uint64 {
	if s := seeded.Load(); s != nil {
		s.mu.Lock()
		v := s.pcg.Uint64()
		s.mu.Unlock()
		return v
	}
	return rand.Uint64()
}

// randFloat64 is a number in [0, 1) from the same source as randUint64.
func randFloat64() float64 {
	return float64(randUint64()<<11>>11) / (1 << 53)
}

// randUint64N is a number in [0, n) from the same source as randUint64;
// n must be positive. The slight modulo bias does not matter for test
// data and intrinsic functions.
func randUint64N(n uint64) uint64 {
	if seeded.Load() == nil {
		return rand.Uint64N(n)
	}
	return randUint64() % n
}
