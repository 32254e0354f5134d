package main

import (
	"math"
	"testing"
	"time"
)

// within reports whether got is within the histogram's resolution (3
// significant digits: 0.1 %, plus one unit) of want.
func within(got, want int64) bool {
	return math.Abs(float64(got-want)) <= float64(want)/1000+1
}

func TestPercentiles(t *testing.T) {
	h := newHist()
	for v := int64(1); v <= 10000; v++ { // 1 µs .. 10 ms, uniform
		recordLatency(h, time.Duration(v)*time.Microsecond)
	}
	p := percentiles(h)
	for _, c := range []struct {
		name      string
		got, want int64
	}{
		{"count", p.Count, 10000},
		{"min", p.Min, 1},
		{"p50", p.P50, 5000},
		{"p90", p.P90, 9000},
		{"p99", p.P99, 9900},
		{"p99.9", p.P999, 9990},
		{"max", p.Max, 10000},
	} {
		if !within(c.got, c.want) {
			t.Errorf("%s = %d, want %d (within 0.1%%)", c.name, c.got, c.want)
		}
	}
	if math.Abs(p.Mean-5000.5) > 5 {
		t.Errorf("mean = %v, want 5000.5", p.Mean)
	}
}

func TestPercentilesSkewed(t *testing.T) {
	// 990 fast requests and 10 that stalled: p99 is still fast, p99.9
	// and max show the stall.
	h := newHist()
	for range 990 {
		recordLatency(h, 200*time.Microsecond)
	}
	for range 10 {
		recordLatency(h, 2*time.Second)
	}
	p := percentiles(h)
	if !within(p.P50, 200) || !within(p.P99, 200) {
		t.Errorf("p50 %d, p99 %d: want 200", p.P50, p.P99)
	}
	if !within(p.P999, 2_000_000) || !within(p.Max, 2_000_000) {
		t.Errorf("p99.9 %d, max %d: want 2000000", p.P999, p.Max)
	}
}

func TestRecordLatencyClamps(t *testing.T) {
	h := newHist()
	recordLatency(h, 0)
	recordLatency(h, 10*time.Minute) // beyond 60 s: counted as the maximum
	p := percentiles(h)
	if p.Count != 2 || p.Min != histMinUS || !within(p.Max, histMaxUS) {
		t.Errorf("got %+v", p)
	}
	if e := percentiles(newHist()); e != (Percentiles{}) {
		t.Errorf("empty histogram: %+v", e)
	}
}

func TestDrainMergesShards(t *testing.T) {
	shards := []*shard{{h: newHist()}, {h: newHist()}}
	shards[0].record(100*time.Microsecond, kindOK, true)
	shards[1].record(300*time.Microsecond, kindThrottled, true)
	shards[1].record(time.Millisecond, kindTransport, false) // warm-up
	iv := &interval{h: newHist()}
	drain(shards, iv)
	if all, failed := sumKinds(&iv.kinds); all != 2 || failed != 1 || iv.warm != 1 || iv.warmErr != 1 {
		t.Errorf("all %d failed %d warm %d warmErr %d", all, failed, iv.warm, iv.warmErr)
	}
	if p := percentiles(iv.h); p.Count != 2 || !within(p.Max, 300) {
		t.Errorf("merged %+v", p)
	}
	drain(shards, iv)
	if all, _ := sumKinds(&iv.kinds); all != 0 || iv.h.TotalCount() != 0 || iv.warm != 0 {
		t.Errorf("second drain not empty: %d %d", all, iv.h.TotalCount())
	}
}
