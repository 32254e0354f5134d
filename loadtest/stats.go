package main

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Latencies are recorded in microseconds from 1 µs to 60 s with 3
// significant digits: every value is within 0.1 % of the truth, and a
// histogram takes about 200 KB whatever the number of samples.
const (
	histMinUS = 1
	histMaxUS = 60_000_000
	histSig   = 3
)

func newHist() *hdrhistogram.Histogram { return hdrhistogram.New(histMinUS, histMaxUS, histSig) }

// recordLatency records d, clamped to the histogram's range so that an
// out-of-range value (a 2-minute stall) still counts, as the maximum.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	us := d.Microseconds()
	if us < histMinUS {
		us = histMinUS
	}
	if us > histMaxUS {
		us = histMaxUS
	}
	_ = h.RecordValue(us) // in range: cannot fail
}

// Percentiles summarise a histogram, in microseconds.
type Percentiles struct {
	Count int64   `json:"count"`
	Min   int64   `json:"min_us"`
	Mean  float64 `json:"mean_us"`
	P50   int64   `json:"p50_us"`
	P90   int64   `json:"p90_us"`
	P99   int64   `json:"p99_us"`
	P999  int64   `json:"p99_9_us"`
	Max   int64   `json:"max_us"`
}

// percentiles reads h. HDR histograms report the highest value equivalent
// to the sample at a percentile, so p50 of {100 µs} reads 100 µs (to
// within 0.1 %), and the max is exact to that resolution.
func percentiles(h *hdrhistogram.Histogram) Percentiles {
	if h.TotalCount() == 0 {
		return Percentiles{}
	}
	v := h.ValueAtPercentilesSlice([]float64{50, 90, 99, 99.9})
	return Percentiles{
		Count: h.TotalCount(),
		Min:   h.Min(),
		Mean:  h.Mean(),
		P50:   v[0],
		P90:   v[1],
		P99:   v[2],
		P999:  v[3],
		Max:   h.Max(),
	}
}

// shard collects the samples of some workers between two drains. Workers
// are spread over a few shards so that they rarely wait for each other's
// lock, while the collector merges a bounded number of histograms each
// interval whatever -c is.
type shard struct {
	mu      sync.Mutex
	h       *hdrhistogram.Histogram // measured latencies since the last drain
	kinds   [numKinds]int64         // measured outcomes since the last drain
	warm    int64                   // warm-up completions since the last drain
	warmErr int64                   // of which failed
	_       [64]byte                // keeps shards on separate cache lines
}

func (s *shard) record(lat time.Duration, k kind, measured bool) {
	s.mu.Lock()
	if measured {
		recordLatency(s.h, lat)
		s.kinds[k]++
	} else {
		s.warm++
		if k != kindOK {
			s.warmErr++
		}
	}
	s.mu.Unlock()
}

// interval is what the shards gathered since the previous drain.
type interval struct {
	h       *hdrhistogram.Histogram
	kinds   [numKinds]int64
	warm    int64
	warmErr int64
}

// drain moves every shard's samples into iv (whose histogram it resets
// first).
func drain(shards []*shard, iv *interval) {
	iv.h.Reset()
	iv.kinds = [numKinds]int64{}
	iv.warm, iv.warmErr = 0, 0
	for _, s := range shards {
		s.mu.Lock()
		iv.h.Merge(s.h)
		s.h.Reset()
		for k, n := range s.kinds {
			iv.kinds[k] += n
		}
		s.kinds = [numKinds]int64{}
		iv.warm += s.warm
		iv.warmErr += s.warmErr
		s.warm, s.warmErr = 0, 0
		s.mu.Unlock()
	}
}

func sumKinds(k *[numKinds]int64) (all, failed int64) {
	for i, n := range k {
		all += n
		if kind(i) != kindOK {
			failed += n
		}
	}
	return all, failed
}

// Point is one interval of the per-second series.
type Point struct {
	T        float64 `json:"t_s"`      // end of the interval, seconds since measuring began
	Seconds  float64 `json:"span_s"`   // length of the interval (the last one may be short)
	Requests int64   `json:"requests"` // completed in the interval
	Errors   int64   `json:"errors"`
	Rate     float64 `json:"rate"` // completed per second
	P50      int64   `json:"p50_us"`
	P90      int64   `json:"p90_us"`
	P99      int64   `json:"p99_us"`
	Max      int64   `json:"max_us"`
}
