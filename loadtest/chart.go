package main

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"strings"
)

// Chart geometry, in SVG user units: two panels (throughput above,
// latency below) sharing the time axis.
const (
	chartW      = 900
	chartH      = 560
	chartLeft   = 80
	chartRight  = 30
	panelH      = 190
	panel1Top   = 60
	panel2Top   = 320
	chartPlotW  = chartW - chartLeft - chartRight
	chartTicksY = 4
)

// writeChart writes a self-contained SVG of rep's series: completions per
// second, and p50 and p99 latency in milliseconds, against seconds since
// measuring began. It uses no scripts, fonts or other external assets.
func writeChart(w io.Writer, rep *Report) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<?xml version="1.0" encoding="UTF-8"?>`+"\n")
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n", chartW, chartH, chartW, chartH)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	title := fmt.Sprintf("%s loop, %s API, %d conns: %.0f req/s, p50 %s, p99 %s, %d failed",
		rep.Config.Mode, rep.Config.API, rep.Config.Conns, rep.Rate, fmtUS(rep.Latency.P50), fmtUS(rep.Latency.P99), rep.Totals.Failed)
	text(&b, chartW/2, 24, "middle", 15, title)

	xMax := timeAxis(rep)
	var rMax, lMax float64
	for _, p := range rep.Series {
		rMax = math.Max(rMax, p.Rate)
		lMax = math.Max(lMax, float64(p.P99)/1000)
	}
	rMax = niceCeil(rMax)
	lMax = niceCeil(lMax)
	x := func(t float64) float64 { return chartLeft + t/xMax*chartPlotW }

	panel(&b, panel1Top, "throughput (req/s)", rMax, xMax, x)
	panel(&b, panel2Top, "latency (ms)", lMax, xMax, x)
	series(&b, rep.Series, panel1Top, rMax, x, "#1f77b4", func(p Point) float64 { return p.Rate })
	series(&b, rep.Series, panel2Top, lMax, x, "#2ca02c", func(p Point) float64 { return float64(p.P50) / 1000 })
	series(&b, rep.Series, panel2Top, lMax, x, "#d62728", func(p Point) float64 { return float64(p.P99) / 1000 })
	// Legend of the latency panel.
	lx := float64(chartW - chartRight - 150)
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#2ca02c" stroke-width="2"/>`+"\n", lx, panel2Top-12, lx+20, panel2Top-12)
	text(&b, lx+25, panel2Top-8, "start", 12, "p50")
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#d62728" stroke-width="2"/>`+"\n", lx+70, panel2Top-12, lx+90, panel2Top-12)
	text(&b, lx+95, panel2Top-8, "start", 12, "p99")
	text(&b, chartLeft+chartPlotW/2, chartH-12, "middle", 12, "seconds since the end of the warm-up")
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// panel draws the frame, grid and axis labels of one panel.
func panel(b *bytes.Buffer, top int, label string, yMax, xMax float64, x func(float64) float64) {
	fmt.Fprintf(b, `<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>`+"\n", chartLeft, top, chartPlotW, panelH)
	text(b, chartLeft, float64(top-8), "start", 13, label)
	for i := 0; i <= chartTicksY; i++ {
		v := yMax * float64(i) / chartTicksY
		y := float64(top+panelH) - float64(panelH)*float64(i)/chartTicksY
		fmt.Fprintf(b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>`+"\n", chartLeft, y, chartLeft+chartPlotW, y)
		text(b, chartLeft-6, y+4, "end", 11, fmtNum(v))
	}
	for _, t := range timeTicks(xMax) {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#888"/>`+"\n", x(t), top+panelH, x(t), top+panelH+4)
		text(b, x(t), float64(top+panelH+17), "middle", 11, fmtNum(t))
	}
}

// timeAxis is the length of the time axis: the run's measured time (or
// its last point, if later), so the lines reach the right edge; 1 s for
// a run that measured nothing.
func timeAxis(rep *Report) float64 {
	xMax := rep.DurationS
	for _, p := range rep.Series {
		xMax = math.Max(xMax, p.T)
	}
	if xMax <= 0 || math.IsNaN(xMax) || math.IsInf(xMax, 0) {
		return 1
	}
	return xMax
}

// timeTicks are the labelled times of an axis of xMax seconds: from 0,
// a round step apart (1, 2 or 5 times a power of ten, about ten of
// them), none past the axis's end.
func timeTicks(xMax float64) []float64 {
	step := niceCeil(xMax / 10)
	var ticks []float64
	for i := 0; float64(i)*step <= xMax*(1+1e-9); i++ {
		ticks = append(ticks, float64(i)*step)
	}
	return ticks
}

// series draws one line of a panel.
func series(b *bytes.Buffer, pts []Point, top int, yMax float64, x func(float64) float64, color string, v func(Point) float64) {
	if len(pts) == 0 || yMax <= 0 {
		return
	}
	fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="2" points="`, color)
	for i, p := range pts {
		y := float64(top+panelH) - math.Min(v(p)/yMax, 1)*panelH
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(b, "%.1f,%.1f", x(p.T), y)
	}
	b.WriteString(`"/>` + "\n")
}

func text(b *bytes.Buffer, x, y float64, anchor string, size int, s string) {
	fmt.Fprintf(b, `<text x="%.1f" y="%.1f" text-anchor="%s" font-size="%d">`, x, y, anchor, size)
	_ = xml.EscapeText(b, []byte(s)) // writes to a bytes.Buffer: cannot fail
	b.WriteString("</text>\n")
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (1 for v <= 0).
func niceCeil(v float64) float64 {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p*(1+1e-9) {
			return m * p
		}
	}
	return 10 * p
}

// fmtNum prints an axis value without needless decimals: 12k, 2.5, 0.25.
func fmtNum(v float64) string {
	switch {
	case v >= 1e6:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e6), ".0") + "M"
	case v >= 1e4:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", v/1e3), ".0") + "k"
	case v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	default:
		return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.3f", v), "0"), ".")
	}
}
