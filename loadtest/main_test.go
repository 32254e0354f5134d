package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseFlags(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.json")
	if err := os.WriteFile(in, []byte("{\n  \"order\": {\"total\": 150}\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, files, err := parseFlags([]string{
		"-targets", "127.0.0.1:1, 127.0.0.1:2", "-api", "rest", "-machine", "tiny=3,medium",
		"-input", "@" + in, "-input", `medium={"m":true}`, "-expect-output", `tiny={"total":150}`,
		"-expect-status", "medium=FAILED", "-create", "tiny=tiny.asl.json",
		"-c", "16", "-rate", "500", "-d", "3s", "-warmup", "1s", "-report", "r.json", "-chart", "c.svg",
	}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.Targets, " ") != "127.0.0.1:1 127.0.0.1:2" || c.API != APIREST || c.Conns != 16 || c.Rate != 500 ||
		c.Duration != 3*time.Second || c.Warmup != time.Second || files.report != "r.json" || files.chart != "c.svg" {
		t.Errorf("config %+v files %+v", c, files)
	}
	tiny, medium := c.Machines[0], c.Machines[1]
	if tiny.Name != "tiny" || tiny.Weight != 3 || tiny.Input != `{"order":{"total":150}}` || tiny.Create != "tiny.asl.json" ||
		tiny.expect() != (Expect{Status: "SUCCEEDED", Output: `{"total":150}`}) {
		t.Errorf("tiny %+v %+v", tiny, tiny.Expect)
	}
	if medium.Name != "medium" || medium.Weight != 1 || medium.Input != `{"m":true}` || medium.expect() != (Expect{Status: "FAILED"}) {
		t.Errorf("medium %+v %+v", medium, medium.Expect)
	}
}

func TestParseFlagsErrors(t *testing.T) {
	for _, args := range [][]string{
		{"-machine", "tiny=0"},
		{"-machine", "tiny,tiny"},
		{"-input", "nonsense"},
		{"-input", "@/does/not/exist"},
		{"-expect-status", "DONE"},
		{"-expect-status", "other=FAILED"},
		{"-create", "other=x.json"},
		{"-api", "grpc"},
		{"-c", "0"},
		{"-d", "0s"},
		{"-targets", "localhost"},
		{"-mix", "m.json", "-machine", "tiny"},
		{"extra"},
	} {
		if _, _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}

func TestReadMix(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("medium.input.json", `{ "x": [1, 2] }`)
	write("mix.json", `[
	  {"name": "tiny", "weight": 3, "input": {"order": {"total": 150}}, "expect_output": {"total": 150}},
	  {"name": "medium", "input_file": "medium.input.json", "create": "medium.asl.json", "expect_status": "FAILED"}
	]`)
	ms, err := readMix(filepath.Join(dir, "mix.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].Weight != 3 || ms[0].Input != `{"order":{"total":150}}` || ms[0].expect().Output != `{"total":150}` ||
		ms[1].Weight != 1 || ms[1].Input != `{"x":[1,2]}` || ms[1].Create != filepath.Join(dir, "medium.asl.json") || ms[1].expect().Status != "FAILED" {
		t.Errorf("%+v", ms)
	}
	write("bad.json", `[{"name": "tiny", "wieght": 3}]`)
	if _, err := readMix(filepath.Join(dir, "bad.json")); err == nil {
		t.Error("unknown field accepted")
	}
}

// TestMainArgs runs the command end to end against a loopback server: flags,
// progress, summary, report and chart files, exit status.
func TestMainArgs(t *testing.T) {
	addr := startServer(t, fakeStepd)
	dir := t.TempDir()
	var stdout, stderr strings.Builder
	code := mainArgs([]string{"-targets", addr, "-machine", "tiny=3,fails", "-expect-status", "fails=FAILED",
		"-input", `{"a":1}`, "-expect-output", `tiny={"a":1}`, "-c", "2", "-d", "1200ms", "-pipeline", "2",
		"-report", filepath.Join(dir, "r.json"), "-chart", filepath.Join(dir, "c.svg")}, &stdout, &stderr)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "failed 0") || !strings.Contains(stdout.String(), "p99.9") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	if !strings.Contains(stderr.String(), "req/s  errors 0 (throttled 0)  p50") {
		t.Errorf("no progress line:\n%s", stderr.String())
	}
	svg, err := os.ReadFile(filepath.Join(dir, "c.svg"))
	if err != nil {
		t.Fatal(err)
	}
	checkSVG(t, svg)
	if _, err := os.Stat(filepath.Join(dir, "r.json")); err != nil {
		t.Error(err)
	}

	// Failures make the exit status 1 and are listed with a sample.
	stdout.Reset()
	code = mainArgs([]string{"-targets", addr, "-machine", "fails", "-c", "1", "-n", "5", "-q"}, &stdout, io.Discard)
	if code != exitFailed || !strings.Contains(stdout.String(), "execution_status  5   first: HTTP 200: status=\"FAILED\"") {
		t.Errorf("exit %d\n%s", code, stdout.String())
	}
	if code := mainArgs([]string{"-c", "0"}, io.Discard, io.Discard); code != exitUsage {
		t.Errorf("bad flag: exit %d", code)
	}
}
