package history

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/VictoriaMetrics/metrics"
)

// ShipperConfig describes one shipper: where it delivers the records.
type ShipperConfig struct {
	// Name identifies the shipper and its checkpoint; it must be unique.
	Name string `json:"name"`
	// Type is "file" (JSON lines appended to Path, "-" for stdout) or
	// "http" (batches of JSON lines POSTed to URL).
	Type string `json:"type"`
	Path string `json:"path,omitempty"`
	URL  string `json:"url,omitempty"`
	// BatchBytes bounds one POST body of an HTTP shipper; 0 means 1 MiB.
	BatchBytes int `json:"batchBytes,omitempty"`
	// Timeout bounds one delivery; 0 means 10 seconds.
	Timeout Duration `json:"timeout,omitempty"`
}

// Duration is a time.Duration that JSON spells as Go does ("10s").
type Duration time.Duration

// UnmarshalJSON reads "10s" or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		v, err := time.ParseDuration(string(b[1 : len(b)-1]))
		*d = Duration(v)
		return err
	}
	var n int64
	_, err := fmt.Sscan(string(b), &n)
	*d = Duration(n)
	return err
}

// MarshalJSON writes the duration as "10s".
func (d Duration) MarshalJSON() ([]byte, error) {
	return []byte(`"` + time.Duration(d).String() + `"`), nil
}

// Validate reports what is wrong with the shipper's settings.
func (c *ShipperConfig) Validate() error {
	if c.Name == "" || filepath.Base(c.Name) != c.Name || c.Name == "." || c.Name == ".." {
		return fmt.Errorf("history shipper %q: the name must be a plain, non-empty word", c.Name)
	}
	switch c.Type {
	case "file":
		if c.Path == "" {
			return fmt.Errorf("history shipper %q: a file shipper needs a path (\"-\" for stdout)", c.Name)
		}
	case "http":
		u, err := url.Parse(c.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("history shipper %q: url must be an http or https URL, not %q", c.Name, c.URL)
		}
	default:
		return fmt.Errorf("history shipper %q: type must be file or http, not %q", c.Name, c.Type)
	}
	if c.BatchBytes < 0 || c.Timeout < 0 {
		return fmt.Errorf("history shipper %q: batchBytes and timeout must not be negative", c.Name)
	}
	return nil
}

// sink is where a shipper delivers: deliver returns how many bytes of
// batch (whole lines) the sink acknowledged, and nil once it acknowledged
// all of them.
type sink interface {
	deliver(batch []byte) (int, error)
	close() error
}

// shipper delivers the records of a Log's segments to one sink, at least
// once: its checkpoint (a Cursor saved in the history directory) moves
// past a block only after the sink acknowledged all of the block's lines,
// so after a failure or a restart it delivers again from there.
type shipper struct {
	cfg  ShipperConfig
	l    *Log
	sink sink
	cur  *Cursor
	ckpt string
	buf  []byte
	// acked is how much of the block at (ackedSeg, ackedOff) the sink
	// already acknowledged: a retry sends only the rest.
	acked    int
	ackedSeg uint64
	ackedOff int64
	stop     chan struct{}
	done     chan struct{}
	lag      *metrics.Gauge
	events   *metrics.Counter
	fails    *metrics.Counter
	skips    *metrics.Counter
}

// shipperIdle is how often an idle shipper looks for new blocks, and the
// first delay after a failed delivery (doubling up to shipperMaxBackoff).
const (
	shipperIdle       = 100 * time.Millisecond
	shipperMaxBackoff = 5 * time.Second
)

func newShipper(l *Log, c ShipperConfig) (*shipper, error) {
	sh := &shipper{cfg: c, l: l, ckpt: filepath.Join(l.dir, "shipper-"+c.Name+".ckpt"),
		stop: make(chan struct{}), done: make(chan struct{})}
	var err error
	if sh.cur, err = loadCursor(l.dir, sh.ckpt); err != nil {
		return nil, err
	}
	timeout := time.Duration(c.Timeout)
	if timeout == 0 {
		timeout = 10 * time.Second
	}
	switch c.Type {
	case "file":
		sh.sink, err = newFileSink(c.Path)
	case "http":
		batch := c.BatchBytes
		if batch == 0 {
			batch = 1 << 20
		}
		sh.sink = &httpSink{url: c.URL, batch: batch, client: &http.Client{Timeout: timeout}}
	}
	if err != nil {
		return nil, err
	}
	label := `{shipper="` + c.Name + `"}`
	sh.lag = metrics.GetOrCreateGauge("stepd_history_shipper_lag_bytes"+label, nil)
	sh.events = metrics.GetOrCreateCounter("stepd_history_shipper_events_total" + label)
	sh.fails = metrics.GetOrCreateCounter("stepd_history_shipper_failures_total" + label)
	sh.skips = metrics.GetOrCreateCounter("stepd_history_shipper_segments_skipped_total" + label)
	return sh, nil
}

// run ships until close.
func (sh *shipper) run() {
	defer close(sh.done)
	backoff := shipperIdle
	for {
		acked := sh.acked
		moved, err := sh.step()
		wait := time.Duration(0)
		switch {
		case err != nil:
			sh.fails.Inc()
			if sh.acked > acked { // the sink took part of it: it is up again
				backoff = shipperIdle
			}
			sh.l.logger.Printf("history shipper %s: %v (retrying in %v)", sh.cfg.Name, err, backoff)
			wait = backoff
			backoff = min(backoff*2, shipperMaxBackoff)
		case !moved:
			wait, backoff = shipperIdle, shipperIdle
		default:
			backoff = shipperIdle
		}
		sh.lag.Set(float64(sh.cur.lag()))
		if wait == 0 {
			select {
			case <-sh.stop:
				return
			default:
				continue
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-sh.stop:
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// step delivers the next block, if there is one, and saves the
// checkpoint after it.
func (sh *shipper) step() (bool, error) {
	skipped := sh.cur.Skipped
	defer func() { sh.skips.Add(sh.cur.Skipped - skipped) }() // also when the delivery failed
	seg, off := sh.cur.Segment, sh.cur.Offset
	if seg != sh.ackedSeg || off != sh.ackedOff {
		sh.acked, sh.ackedSeg, sh.ackedOff = 0, seg, off
	}
	var n int
	moved, err := sh.cur.Next(func(raw []byte) error {
		var err error
		if sh.buf, n, err = AppendLines(sh.buf[:0], raw); err != nil {
			return err
		}
		if sh.acked > len(sh.buf) || (sh.cur.Segment != seg) {
			sh.acked = 0
		}
		acked, err := sh.sink.deliver(sh.buf[sh.acked:])
		sh.acked += acked
		return err
	})
	if err != nil || !moved {
		return false, err
	}
	sh.acked = 0
	sh.events.Add(n)
	return true, sh.cur.save(sh.ckpt)
}

// close stops the shipper; what it has not delivered it delivers after
// the next start.
func (sh *shipper) close() {
	close(sh.stop)
	<-sh.done
	if err := sh.sink.close(); err != nil {
		sh.l.logger.Printf("history shipper %s: %v", sh.cfg.Name, err)
	}
}

// fileSink appends JSON lines to a file, or writes them to stdout.
type fileSink struct {
	f    *os.File
	sync bool
}

func newFileSink(path string) (*fileSink, error) {
	if path == "-" {
		return &fileSink{f: os.Stdout}, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	return &fileSink{f: f, sync: true}, nil
}

func (s *fileSink) deliver(batch []byte) (int, error) {
	if _, err := s.f.Write(batch); err != nil {
		return 0, err
	}
	if s.sync {
		if err := s.f.Sync(); err != nil {
			return 0, err
		}
	}
	return len(batch), nil
}

func (s *fileSink) close() error {
	if s.f == os.Stdout {
		return nil
	}
	return s.f.Close()
}

// httpSink POSTs JSON lines (Content-Type application/x-ndjson) in bodies
// of at most batch bytes, cut at line ends; any 2xx answer acknowledges a
// body.
type httpSink struct {
	url    string
	batch  int
	client *http.Client
}

func (s *httpSink) deliver(lines []byte) (int, error) {
	acked := 0
	for len(lines) > 0 {
		n := len(lines)
		if n > s.batch {
			n = bytes.LastIndexByte(lines[:s.batch], '\n') + 1
			if n == 0 { // one line longer than a batch: send it alone
				if n = bytes.IndexByte(lines, '\n') + 1; n == 0 {
					n = len(lines)
				}
			}
		}
		if err := s.post(lines[:n]); err != nil {
			return acked, err
		}
		acked += n
		lines = lines[n:]
	}
	return acked, nil
}

func (s *httpSink) post(body []byte) error {
	resp, err := s.client.Post(s.url, "application/x-ndjson", bytes.NewReader(body))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return errors.New("POST " + s.url + ": " + resp.Status)
	}
	return nil
}

func (s *httpSink) close() error {
	s.client.CloseIdleConnections()
	return nil
}
