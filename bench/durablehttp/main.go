// Command durablehttp measures durable STANDARD executions over HTTP
// against a running stepd (bench/durable_http.sh runs it):
//
//	durablehttp -addr HOST:PORT throughput [-n 20000] [-c 32]
//	    creates a 3-Pass STANDARD machine, starts n executions from c
//	    concurrent clients (each StartExecution answered once durable) and
//	    waits until all have succeeded: starts/s and executions/s.
//	durablehttp -addr HOST:PORT park [-n 10000] [-c 32]
//	    starts n executions that wait an hour, and returns once all are
//	    parked.
//	durablehttp -addr HOST:PORT[,HOST:PORT...] await-parked [-n 10000]
//	    polls /metrics (of each address: the survivors of a cluster)
//	    until n executions are parked again on one of them, printing how
//	    long since it started.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

const (
	role      = "arn:aws:iam::123456789012:role/bench"
	threePass = `{"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},"B":{"Type":"Pass","Next":"C"},"C":{"Type":"Pass","End":true}}}`
	waitHour  = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":3600,"End":true}}}`
)

var (
	addr   = flag.String("addr", "127.0.0.1:8083", "stepd's API address")
	n      = flag.Int("n", 20000, "executions")
	conns  = flag.Int("c", 32, "concurrent clients")
	client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
)

func main() {
	flag.Parse()
	var err error
	switch flag.Arg(0) {
	case "throughput":
		err = throughput()
	case "park":
		err = park()
	case "await-parked":
		err = awaitParked()
	default:
		err = fmt.Errorf("usage: durablehttp [-addr A] [-n N] [-c C] throughput|park|await-parked")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "durablehttp:", err)
		os.Exit(1)
	}
}

// call sends one AWS JSON 1.0 request and fails unless it answers 200.
func call(action string, body any) ([]byte, error) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", "http://"+*addr+"/", bytes.NewReader(b))
	req.Header.Set("X-Amz-Target", "AWSStepFunctions."+action)
	req.Header.Set("Content-Type", "application/x-amz-json-1.0")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != 200 {
		err = fmt.Errorf("%s: %d %s", action, resp.StatusCode, out)
	}
	return out, err
}

func create(name, def string) (string, error) {
	out, err := call("CreateStateMachine", map[string]string{"name": name, "definition": def, "roleArn": role, "type": "STANDARD"})
	if err != nil {
		return "", err
	}
	var r struct {
		Arn string `json:"stateMachineArn"`
	}
	return r.Arn, json.Unmarshal(out, &r)
}

// startAll starts *n executions of machine from *conns clients and
// returns how long that took.
func startAll(machine string) (time.Duration, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	var firstErr atomic.Value
	start := time.Now()
	for range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(*n) {
				if _, err := call("StartExecution", map[string]string{"stateMachineArn": machine, "input": `{"x":1}`}); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// metric reads the sum of the /metrics samples whose line starts with
// prefix.
func metric(prefix string) (float64, error) { return metricAt(*addr, prefix) }

// metricAt is metric of the node at addr.
func metricAt(addr, prefix string) (float64, error) {
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	sum := 0.0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			return 0, err
		}
		sum += v
	}
	return sum, sc.Err()
}

// waitMetric polls until the metric reaches want.
func waitMetric(prefix string, want float64) error {
	deadline := time.Now().Add(10 * time.Minute)
	for {
		v, err := metric(prefix)
		if err == nil && v >= want {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s is %v, want %v (%v)", prefix, v, want, err)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func throughput() error {
	machine, err := create("threepass", threePass)
	if err != nil {
		return err
	}
	const done = `stepd_executions_total{state_machine="threepass",status="SUCCEEDED"}`
	before, err := metric(done)
	if err != nil {
		return err
	}
	commits0, _ := metric("stepd_durable_checkpoints_total")
	records0, _ := metric("stepd_durable_records_total")
	start := time.Now()
	took, err := startAll(machine)
	if err != nil {
		return err
	}
	if err := waitMetric(done, before+float64(*n)); err != nil {
		return err
	}
	all := time.Since(start)
	commits, _ := metric("stepd_durable_checkpoints_total")
	records, _ := metric("stepd_durable_records_total")
	fmt.Printf("%d STANDARD 3-Pass executions from %d clients: started in %v (%.0f starts/s), all succeeded after %v: %.0f executions/s; %.0f checkpoints/s, %.0f records/s\n",
		*n, *conns, took.Round(time.Millisecond), float64(*n)/took.Seconds(), all.Round(time.Millisecond), float64(*n)/all.Seconds(),
		(commits-commits0)/all.Seconds(), (records-records0)/all.Seconds())
	return nil
}

func park() error {
	machine, err := create("waithour", waitHour)
	if err != nil {
		return err
	}
	took, err := startAll(machine)
	if err != nil {
		return err
	}
	if err := waitMetric("stepd_durable_parked", float64(*n)); err != nil {
		return err
	}
	fmt.Printf("%d executions started in %v and parked\n", *n, took.Round(time.Millisecond))
	return nil
}

func awaitParked() error {
	start := time.Now()
	deadline := start.Add(10 * time.Minute)
	for {
		for _, a := range strings.Split(*addr, ",") {
			if v, err := metricAt(a, "stepd_durable_parked"); err == nil && v >= float64(*n) {
				fmt.Printf("%d executions parked again on %s %v after polling began\n", *n, a, time.Since(start).Round(time.Millisecond))
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%d executions not parked again on any of %s after 10 minutes", *n, *addr)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
