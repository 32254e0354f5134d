package main

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
)

// TestTimeAxisFitsTheRun: the time axis ends where the run does (a 5 s
// run is not drawn on a 10 s axis), its ticks are round and none lies
// past the end, and the last point is drawn at the right edge.
func TestTimeAxisFitsTheRun(t *testing.T) {
	for _, tc := range []struct {
		duration, last float64
		axis           float64
		ticks          string
	}{
		{5, 5, 5, "[0 0.5 1 1.5 2 2.5 3 3.5 4 4.5 5]"},
		{5.3, 5.3, 5.3, "[0 1 2 3 4 5]"},
		{60, 60, 60, "[0 10 20 30 40 50 60]"},
		{600, 600, 600, "[0 100 200 300 400 500 600]"},
		{0.8, 0.8, 0.8, "[0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8]"},
		{3, 3.2, 3.2, "[0 0.5 1 1.5 2 2.5 3]"}, // a late last point widens the axis
		{0, 0, 1, "[0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1]"},
	} {
		rep := &Report{DurationS: tc.duration}
		if tc.last > 0 {
			rep.Series = []Point{{T: tc.last / 2, Rate: 10}, {T: tc.last, Rate: 10}}
		}
		axis := timeAxis(rep)
		var ticks []string
		for _, v := range timeTicks(axis) {
			ticks = append(ticks, fmtNum(v))
		}
		if got := "[" + strings.Join(ticks, " ") + "]"; axis != tc.axis || got != tc.ticks {
			t.Errorf("a %v s run: axis %v with ticks %s, want %v with %s", tc.duration, axis, got, tc.axis, tc.ticks)
		}
		var svg bytes.Buffer
		if err := writeChart(&svg, rep); err != nil {
			t.Fatal(err)
		}
		if right := fmt.Sprintf("%.1f,", float64(chartLeft+chartPlotW)); tc.last > 0 && !strings.Contains(svg.String(), right) {
			t.Errorf("a %v s run: no point at the right edge x=%s", tc.duration, right)
		}
	}
}
