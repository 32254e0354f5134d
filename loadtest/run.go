package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/valyala/fasthttp"
)

// Result is what a run measured (warm-up excluded).
type Result struct {
	Start    time.Time               // when the first request was due
	Measured time.Duration           // from the end of the warm-up to the last answer
	Hist     *hdrhistogram.Histogram // every measured latency, µs
	Kinds    [numKinds]int64         // measured outcomes
	Series   []Point
	Samples  [numKinds]string // the first failure of each kind, for the report
}

// Total is the number of measured requests; Failed of them did not pass
// verification.
func (r *Result) Total() (all, failed int64) { return sumKinds(&r.Kinds) }

// Rate is measured completions per second.
func (r *Result) Rate() float64 {
	all, _ := r.Total()
	if r.Measured <= 0 {
		return 0
	}
	return float64(all) / r.Measured.Seconds()
}

// runner holds what the workers share.
type runner struct {
	c       *Config
	clients []doer
	reqs    [][]*fasthttp.Request // [target][machine]
	expect  []Expect              // [machine]
	cum     []int                 // cumulative machine weights
	shards  []*shard

	start, measureStart, end time.Time
	warmSlots                int64 // open loop: slots before measuring starts
	next                     atomic.Int64
	issued                   atomic.Int64 // closed loop with -n: measured requests started

	sampleOnce [numKinds]sync.Once
	samples    [numKinds]string
}

// run drives the load c describes until the duration or count is done or
// ctx ends, printing a progress line to progress every interval (unless
// c.Quiet). Machines with an ASL file are created first.
func run(ctx context.Context, c *Config, progress io.Writer) (*Result, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := createMachines(c); err != nil {
		return nil, err
	}
	r := &runner{c: c}
	for _, addr := range c.Targets {
		r.clients = append(r.clients, newClient(c, addr))
		var row []*fasthttp.Request
		for i := range c.Machines {
			row = append(row, buildRequest(c, addr, &c.Machines[i]))
		}
		r.reqs = append(r.reqs, row)
	}
	total := 0
	for i := range c.Machines {
		r.expect = append(r.expect, c.Machines[i].expect())
		total += c.Machines[i].Weight
		r.cum = append(r.cum, total)
	}
	nShards := min(c.Conns, 4*runtime.GOMAXPROCS(0))
	for range nShards {
		r.shards = append(r.shards, &shard{h: newHist()})
	}
	if c.Rate > 0 {
		r.warmSlots = int64(math.Ceil(c.Warmup.Seconds() * c.Rate))
	}

	r.start = time.Now()
	r.measureStart = r.start.Add(c.Warmup)
	r.end = r.measureStart.Add(c.Duration)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for w := range c.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.worker(ctx, w)
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	res := r.collect(done, progress)
	res.Samples = r.samples
	return res, nil
}

// collect drains the shards every interval until done closes, building
// the series and printing progress, and returns the totals.
func (r *runner) collect(done <-chan struct{}, progress io.Writer) *Result {
	res := &Result{Start: r.start, Hist: newHist()}
	iv := &interval{h: newHist()}
	last := r.start
	tick := time.NewTimer(r.c.Interval)
	defer tick.Stop()
	for k := 1; ; k++ {
		final := false
		select {
		case <-done:
			final = true
		case <-tick.C:
			tick.Reset(time.Until(r.start.Add(time.Duration(k+1) * r.c.Interval)))
		}
		now := time.Now()
		drain(r.shards, iv)
		span := now.Sub(last)
		if now.After(r.measureStart) {
			from := last
			if from.Before(r.measureStart) {
				from = r.measureStart
			}
			p := percentiles(iv.h)
			n, failed := sumKinds(&iv.kinds)
			pt := Point{
				T:        now.Sub(r.measureStart).Seconds(),
				Seconds:  now.Sub(from).Seconds(),
				Requests: n, Errors: failed,
				P50: p.P50, P90: p.P90, P99: p.P99, Max: p.Max,
			}
			if pt.Seconds > 0 {
				pt.Rate = float64(n) / pt.Seconds
			}
			// An interval much shorter than a step (the sliver between
			// the last tick of the warm-up and its end, or the tail of the
			// requests in flight at the end) would show a misleading
			// rate: it counts in the totals but not in the series.
			if pt.Seconds >= r.c.Interval.Seconds()/2 {
				res.Series = append(res.Series, pt)
			}
			res.Hist.Merge(iv.h)
			for i, v := range iv.kinds {
				res.Kinds[i] += v
			}
			res.Measured = now.Sub(r.measureStart)
		}
		if !r.c.Quiet && progress != nil && (!final || span >= r.c.Interval/2) {
			r.printProgress(progress, now, span, iv)
		}
		last = now
		if final {
			return res
		}
	}
}

func (r *runner) printProgress(w io.Writer, now time.Time, span time.Duration, iv *interval) {
	n, failed := sumKinds(&iv.kinds)
	elapsed := now.Sub(r.start).Seconds()
	if now.Before(r.measureStart) || n == 0 && iv.warm > 0 {
		fmt.Fprintf(w, "%6.1fs warm-up %9.0f req/s  errors %d\n", elapsed, float64(iv.warm+n)/span.Seconds(), iv.warmErr+failed)
	}
	if n > 0 {
		p := percentiles(iv.h)
		fmt.Fprintf(w, "%6.1fs %9.0f req/s  errors %d (throttled %d)  p50 %s  p99 %s\n", elapsed,
			float64(n)/span.Seconds(), failed, iv.kinds[kindThrottled], fmtUS(p.P50), fmtUS(p.P99))
	}
}

// worker runs requests until the run ends. In the closed loop it sends the
// next request as soon as the previous one is answered; in the open loop
// it takes the next due slot of the shared schedule, waits for its time
// if it is early, and measures from the time the slot was due.
func (r *runner) worker(ctx context.Context, w int) {
	c := r.c
	sh := r.shards[w%len(r.shards)]
	rnd := rand.New(rand.NewPCG(uint64(w), uint64(r.start.UnixNano())))
	reqs := make([][]*fasthttp.Request, len(r.reqs))
	for t, row := range r.reqs {
		reqs[t] = make([]*fasthttp.Request, len(row))
		for m, tmpl := range row {
			reqs[t][m] = new(fasthttp.Request)
			tmpl.CopyTo(reqs[t][m])
		}
	}
	resp := new(fasthttp.Response)
	rr := w // round robin over targets, starting at different ones
	var interval time.Duration
	if c.Rate > 0 {
		interval = time.Duration(float64(time.Second) / c.Rate)
	}
	for ctx.Err() == nil {
		var due time.Time
		var measured bool
		if c.Rate > 0 {
			i := r.next.Add(1) - 1
			due = r.start.Add(time.Duration(i) * interval)
			measured = i >= r.warmSlots
			if c.Count > 0 && i >= r.warmSlots+c.Count || c.Count == 0 && !due.Before(r.end) {
				return
			}
			if d := time.Until(due); d > 0 {
				sleepCtx(ctx, d)
			}
		} else {
			due = time.Now()
			measured = !due.Before(r.measureStart)
			if c.Count == 0 && !due.Before(r.end) {
				return
			}
			if measured && c.Count > 0 && r.issued.Add(1) > c.Count {
				return
			}
		}
		t := rr % len(reqs)
		rr++
		m := r.pick(rnd)
		req := reqs[t][m]
		// PipelineClient takes the request body (it swaps it into its own
		// copy), so it is put back before every request. SetBodyRaw does
		// not copy: every worker points at the template's body, which no
		// one writes.
		req.SetBodyRaw(r.reqs[t][m].Body())
		err := r.clients[t].DoTimeout(req, resp, c.Timeout)
		lat := time.Since(due)
		k := kindTransport
		if err == nil {
			k = verify(c.API, &r.expect[m], resp.StatusCode(), resp.Header.Peek("X-Amzn-ErrorType"), resp.Body())
		}
		if k != kindOK {
			r.sample(k, err, resp)
		}
		sh.record(lat, k, measured)
	}
}

// pick chooses a machine by weight.
func (r *runner) pick(rnd *rand.Rand) int {
	if len(r.cum) == 1 {
		return 0
	}
	x := rnd.IntN(r.cum[len(r.cum)-1])
	for i, c := range r.cum {
		if x < c {
			return i
		}
	}
	panic("BUG: weight out of range")
}

// sample keeps the first failure of each kind, to show what went wrong.
func (r *runner) sample(k kind, err error, resp *fasthttp.Response) {
	r.sampleOnce[k].Do(func() {
		if err != nil {
			r.samples[k] = err.Error()
			return
		}
		body := resp.Body()
		if k == kindExecStatus || k == kindOutput {
			// Show the fields that explain it rather than the ARNs.
			var parts []byte
			for _, f := range []string{"status", "error", "cause", "output"} {
				if v, ok := topLevelField(body, []byte(f)); ok {
					parts = fmt.Appendf(parts, "%s=%s ", f, v)
				}
			}
			if len(parts) > 0 {
				body = parts
			}
		}
		if len(body) > 300 {
			body = body[:300]
		}
		r.samples[k] = fmt.Sprintf("HTTP %d: %s", resp.StatusCode(), body)
	})
}

func sleepCtx(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

// fmtUS prints a latency in µs with a readable unit.
func fmtUS(us int64) string {
	switch {
	case us < 1000:
		return fmt.Sprintf("%dµs", us)
	case us < 1_000_000:
		return fmt.Sprintf("%.2fms", float64(us)/1000)
	default:
		return fmt.Sprintf("%.2fs", float64(us)/1e6)
	}
}
