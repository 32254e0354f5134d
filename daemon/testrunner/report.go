package testrunner

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// member is the path of member k of the object at path.
func member(path, k string) string {
	for _, r := range k {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			b, _ := json.Marshal(k)
			return path + "[" + string(b) + "]"
		}
	}
	return path + "." + k
}

// show renders a decoded value as compact JSON, shortened past 200
// bytes.
func show(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 200 {
		return string(b[:200]) + "…"
	}
	return string(b)
}

// WriteReport writes the human report of results to w: a line per case,
// and under each failure what differs and the states it went through.
// It returns how many cases failed.
func WriteReport(w io.Writer, results []Result) int {
	failed := 0
	suite := ""
	for i := range results {
		r := &results[i]
		if r.Suite != suite {
			suite = r.Suite
			fmt.Fprintf(w, "%s\n", suite)
		}
		if r.Passed() {
			fmt.Fprintf(w, "  PASS  %s (%d states in %s; %gs of virtual time)\n", r.Case, len(r.Path), round(r.Elapsed), r.Virtual.Seconds())
			continue
		}
		failed++
		fmt.Fprintf(w, "  FAIL  %s\n", r.Case)
		if r.Err != nil {
			fmt.Fprintf(w, "        %v\n", r.Err)
			continue
		}
		for _, p := range r.Problems {
			fmt.Fprintf(w, "        %s\n", p)
		}
		fmt.Fprintf(w, "        states: %s\n", pathText(r.Path))
		if r.Status == "SUCCEEDED" {
			fmt.Fprintf(w, "        output: %s\n", r.Output)
		} else {
			fmt.Fprintf(w, "        %s: %s: %s\n", r.Status, r.Error, r.Cause)
		}
	}
	fmt.Fprintf(w, "%d passed, %d failed\n", len(results)-failed, failed)
	return failed
}

// pathText renders the states passed through, marking those that failed.
func pathText(path []Step) string {
	if len(path) == 0 {
		return "(no states)"
	}
	var b strings.Builder
	for i, st := range path {
		if i > 0 {
			b.WriteString(" → ")
		}
		b.WriteString(st.State)
		switch {
		case st.Failures > 0 && st.Exited:
			fmt.Fprintf(&b, " (%d× %s, then on)", st.Failures, st.Error)
		case st.Error != "":
			b.WriteString(" ✗ " + st.Error)
		}
	}
	return b.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Microsecond)
	}
	return d
}

// The JUnit XML schema CI systems read: one testsuite per suite file.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Tests   int          `xml:"tests,attr"`
	Failed  int          `xml:"failures,attr"`
	Errors  int          `xml:"errors,attr"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name   string      `xml:"name,attr"`
	Tests  int         `xml:"tests,attr"`
	Failed int         `xml:"failures,attr"`
	Errors int         `xml:"errors,attr"`
	Time   string      `xml:"time,attr"`
	Cases  []junitCase `xml:"testcase"`

	elapsed time.Duration
}

type junitCase struct {
	Class   string        `xml:"classname,attr"`
	Name    string        `xml:"name,attr"`
	Time    string        `xml:"time,attr"`
	Failure *junitProblem `xml:"failure,omitempty"`
	Error   *junitProblem `xml:"error,omitempty"`
}

type junitProblem struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes results as JUnit XML.
func WriteJUnit(w io.Writer, results []Result) error {
	var all junitSuites
	index := map[string]int{}
	for i := range results {
		r := &results[i]
		si, ok := index[r.Suite]
		if !ok {
			si = len(all.Suites)
			index[r.Suite] = si
			all.Suites = append(all.Suites, junitSuite{Name: r.Suite})
		}
		s := &all.Suites[si]
		c := junitCase{Class: baseName(r.Suite), Name: r.Case, Time: seconds(r.Elapsed)}
		switch {
		case r.Err != nil:
			c.Error = &junitProblem{Message: r.Err.Error(), Type: "error", Text: r.Err.Error()}
			s.Errors++
			all.Errors++
		case !r.Passed():
			text := strings.Join(r.Problems, "\n") + "\nstates: " + pathText(r.Path)
			c.Failure = &junitProblem{Message: r.Problems[0], Type: "failure", Text: text}
			s.Failed++
			all.Failed++
		}
		s.Tests++
		all.Tests++
		s.elapsed += r.Elapsed
		s.Time = seconds(s.elapsed)
		s.Cases = append(s.Cases, c)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func seconds(d time.Duration) string { return fmt.Sprintf("%.3f", d.Seconds()) }
