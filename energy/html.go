package energy

import (
	"bytes"
	"fmt"
	"html"
	"io"
	"math"
	"strings"
)

// Chart colours: static and dynamic, then one per kind (Kinds order).
const (
	colStatic  = "#4c72b0"
	colDynamic = "#dd8452"
)

var kindColours = []string{"#4c72b0", "#64b5cd", "#8172b3", "#55a868", "#dd8452", "#c44e52", "#da8bc3", "#937860", "#8c8c8c", "#ccb974"}

func kindColour(k Kind) string {
	for i, x := range Kinds() {
		if x == k {
			return kindColours[i%len(kindColours)]
		}
	}
	return "#8c8c8c"
}

// WriteHTML writes the report as a self-contained HTML page (see
// Comparison.WriteHTML).
func (r *Report) WriteHTML(w io.Writer) error { return Compare(r).WriteHTML(w) }

// WriteHTML writes a self-contained page: the summary, three inline SVG
// charts (static and dynamic energy per system, stacked; energy by kind on
// a log scale; energy per population, stacked), then each system's tables
// with every coefficient's status and source. It needs no scripts and no
// external files, is well-formed XML (XHTML syntax), and the same reports
// give the same bytes.
func (c *Comparison) WriteHTML(w io.Writer) error {
	var b bytes.Buffer
	e := html.EscapeString
	title := "Energy of " + c.Network
	b.WriteString("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n")
	fmt.Fprintf(&b, "<title>%s</title>\n", e(title))
	b.WriteString(`<style>
body { font-family: sans-serif; margin: 2em; max-width: 78em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.2em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.2em 0.7em; text-align: left; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.status-read { color: #2a7a2a; }
.status-second-hand { color: #a66a00; }
.status-estimate { color: #b22; font-weight: bold; }
.estimate { background: #fff4e0; }
.note { color: #555; font-size: 0.9em; }
svg { display: block; margin: 0.5em 0 1.5em; }
</style>
</head>
<body>
`)
	fmt.Fprintf(&b, "<h1>%s</h1>\n", e(title))
	if len(c.Reports) == 0 {
		b.WriteString("<p>No reports.</p>\n</body>\n</html>\n")
		_, err := w.Write(b.Bytes())
		return err
	}
	r0 := c.Reports[0]
	fmt.Fprintf(&b, "<p>%s steps of %s = %s of biological time, run at real-time speed; %s. Energy = static power × run time + per-event energy × the run's event counts. Rows marked <em>estimate from event counts</em> apply a reference chip's published energies to another system's run. Status: <span class=\"status-read\">read</span> in the primary source, <span class=\"status-second-hand\">second-hand</span> (quoted by others), <span class=\"status-estimate\">estimate</span> (soma's own guess).</p>\n",
		e(formatCount(float64(r0.Steps))), e(formatSeconds(r0.Timestep)), e(formatSeconds(r0.BioTime)), e(plural(r0.Inferences, "inference")))

	b.WriteString("<h2>Summary</h2>\n<table>\n<tr><th>system</th><th>static</th><th>dynamic</th><th>total</th><th>per biological second</th><th>per inference</th><th>basis</th></tr>\n")
	for _, r := range c.Reports {
		cls := ""
		if r.Estimate {
			cls = ` class="estimate"`
		}
		fmt.Fprintf(&b, "<tr%s><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>%s</td></tr>\n",
			cls, e(r.System), e(FormatJ(r.Static)), e(FormatJ(r.Dynamic)), e(FormatJ(r.Total)), e(FormatW(r.PerBioSecond)), e(FormatJ(r.PerInference)), e(r.Basis))
	}
	b.WriteString("</table>\n")

	b.WriteString("<h2>Static and dynamic energy per system</h2>\n")
	var rows []barRow
	for _, r := range c.Reports {
		label := r.System
		if r.Estimate {
			label += " (estimate)"
		}
		rows = append(rows, barRow{label: label, segs: []seg{{r.Static, colStatic, "static"}, {r.Dynamic, colDynamic, "dynamic"}}, value: FormatJ(r.Total)})
	}
	writeStackedBars(&b, "Static and dynamic energy per system (linear scale)", rows, []seg{{0, colStatic, "static"}, {0, colDynamic, "dynamic"}})

	b.WriteString("<h2>Energy by event kind</h2>\n")
	var krows []barRow
	for _, r := range c.Reports {
		for _, t := range r.Terms {
			krows = append(krows, barRow{label: r.System + " · " + string(t.Kind), segs: []seg{{t.Energy, kindColour(t.Kind), string(t.Kind)}}, value: FormatJ(t.Energy)})
		}
	}
	writeLogBars(&b, "Energy by event kind (log scale)", krows)

	b.WriteString("<h2>Energy per population</h2>\n")
	var prows []barRow
	for _, r := range c.Reports {
		for _, p := range r.Populations {
			prows = append(prows, barRow{label: r.System + " · " + p.Name, segs: []seg{{p.Static, colStatic, "static"}, {p.Dynamic, colDynamic, "dynamic"}}, value: FormatJ(p.Total)})
		}
	}
	writeStackedBars(&b, "Energy per population, static and dynamic (linear scale)", prows, []seg{{0, colStatic, "static"}, {0, colDynamic, "dynamic"}})

	for _, r := range c.Reports {
		r.writeHTMLSection(&b)
	}
	b.WriteString("</body>\n</html>\n")
	_, err := w.Write(b.Bytes())
	return err
}

func statusSpan(s string) string {
	return fmt.Sprintf("<span class=\"status-%s\">%s</span>", html.EscapeString(s), html.EscapeString(s))
}

func (r *Report) writeHTMLSection(b *bytes.Buffer) {
	e := html.EscapeString
	fmt.Fprintf(b, "<h2>%s</h2>\n<p>%s<br/>", e(r.System), e(r.Description))
	if r.Estimate {
		fmt.Fprintf(b, "<strong>Estimate from event counts:</strong> %s; nothing ran on %s.", e(r.Basis), e(r.System))
	} else {
		fmt.Fprintf(b, "Basis: %s.", e(r.Basis))
	}
	if r.MachineChips > 0 {
		fmt.Fprintf(b, " Machine: %s, %s; the program uses %s on %s; its packets cross %s.",
			e(plural(r.Boards, "board")), e(plural(r.MachineChips, "chip")), e(plural(r.CoresUsed, "core")), e(plural(r.ChipsUsed, "chip")), e(plural(r.ChipsRouting, "chip")))
	}
	fmt.Fprintf(b, " Total %s = static %s + dynamic %s; %s per second of biological time; %s per inference.</p>\n",
		e(FormatJ(r.Total)), e(FormatJ(r.Static)), e(FormatJ(r.Dynamic)), e(FormatW(r.PerBioSecond)), e(FormatJ(r.PerInference)))

	b.WriteString("<table>\n<tr><th>kind</th><th>class</th><th>count</th><th>coefficient</th><th>energy</th><th>share</th><th>status</th><th>source</th></tr>\n")
	for _, t := range r.Terms {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td class=\"n\">%s</td><td>%s (%s)</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td>%s</td><td>%s</td></tr>\n",
			e(string(t.Kind)), e(string(t.Class)), e(termCount(t)), e(formatCoefficient(t.Coefficient)), e(t.Coefficient.Name), e(FormatJ(t.Energy)), e(formatShare(t.Energy, r.Total)), statusSpan(string(t.Coefficient.Status)), e(t.Coefficient.Source))
	}
	b.WriteString("</table>\n")
	var notes []string
	for _, t := range r.Terms {
		if t.Note != "" {
			notes = append(notes, string(t.Kind)+": "+t.Note)
		}
		if t.Coefficient.Note != "" {
			notes = append(notes, t.Coefficient.Name+": "+t.Coefficient.Note)
		}
	}
	for _, u := range r.Uncosted {
		notes = append(notes, fmt.Sprintf("not costed: %s %s (%s has no %s)", formatCount(float64(u.Count)), u.Kind, r.System, strings.Join(u.Tried, ", ")))
	}
	notes = append(notes, r.Notes...)
	writeNotes(b, notes)

	b.WriteString("<table>\n<tr><th>population</th><th></th><th>static</th><th>dynamic</th><th>total</th><th>share</th></tr>\n")
	for _, p := range r.Populations {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
			e(p.Name), e(p.Detail), e(FormatJ(p.Static)), e(FormatJ(p.Dynamic)), e(FormatJ(p.Total)), e(formatShare(p.Total, r.Total)))
	}
	b.WriteString("</table>\n")
	if len(r.Chips) > 0 {
		b.WriteString("<table>\n<tr><th>chip</th><th></th><th>static</th><th>dynamic</th><th>total</th><th>share</th></tr>\n")
		for _, p := range r.Chips {
			fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
				e(p.Name), e(p.Detail), e(FormatJ(p.Static)), e(FormatJ(p.Dynamic)), e(FormatJ(p.Total)), e(formatShare(p.Total, r.Total)))
		}
		b.WriteString("</table>\n")
	}
	if len(r.Measured) > 0 {
		b.WriteString("<h3>Measured whole-system figures (compare with the total, do not add)</h3>\n<table>\n<tr><th>source</th><th>applied</th><th>energy</th><th>status</th></tr>\n")
		for _, g := range r.Measured {
			fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td class=\"n\">%s</td><td>%s</td></tr>\n", e(g.Name), e(groupFormula(g.Terms)), e(FormatJ(g.Energy)), statusSpan(groupStatus(g.Terms)))
		}
		b.WriteString("</table>\n")
	}
	if a := r.ANN; a != nil {
		fmt.Fprintf(b, "<h3>SNN vs ANN (%s)</h3>\n<table>\n", e(a.System))
		fmt.Fprintf(b, "<tr><td>SNN</td><td class=\"n\">%s accumulates</td><td>× %s (%s)</td><td class=\"n\">%s</td><td>%s</td></tr>\n",
			e(formatCount(a.SNN.Count)), e(FormatJ(a.SNN.Coefficient.Value)), e(a.SNN.Coefficient.Name), e(FormatJ(a.SNN.Energy)), statusSpan(string(a.SNN.Coefficient.Status)))
		fmt.Fprintf(b, "<tr><td>ANN</td><td class=\"n\">%s MACs (%s synapses × %s steps)</td><td>× %s (%s)</td><td class=\"n\">%s</td><td>%s</td></tr>\n</table>\n",
			e(formatCount(a.ANN.Count)), e(formatCount(float64(a.Synapses))), e(formatCount(float64(a.Steps))), e(FormatJ(a.ANN.Coefficient.Value)), e(a.ANN.Coefficient.Name), e(FormatJ(a.ANN.Energy)), statusSpan(string(a.ANN.Coefficient.Status)))
		if a.Ratio > 0 {
			fmt.Fprintf(b, "<p class=\"note\">The dense ANN would spend %s× the SNN's synaptic energy. Source: %s.</p>\n", e(formatRatio(a.Ratio)), e(a.SNN.Coefficient.Source))
		}
	}
	if len(r.References) > 0 {
		b.WriteString("<h3>Reference chips: this run's event counts at their published energies (estimates, no static power)</h3>\n<table>\n<tr><th>system</th><th>energy</th><th>costed</th><th>status</th></tr>\n")
		for _, g := range r.References {
			fmt.Fprintf(b, "<tr class=\"estimate\"><td>%s</td><td class=\"n\">%s</td><td>%s</td><td>%s</td></tr>\n", e(g.Name), e(FormatJ(g.Energy)), e(groupFormula(g.Terms)), statusSpan(groupStatus(g.Terms)))
		}
		b.WriteString("</table>\n")
	}
	b.WriteString("<table>\n<tr><th>system</th><th>coefficient</th><th>value</th><th>status</th><th>source</th><th>note</th></tr>\n")
	for _, sc := range r.coefficients() {
		fmt.Fprintf(b, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td class=\"note\">%s</td></tr>\n",
			e(sc.system), e(sc.c.Name), e(formatCoefficient(sc.c)), statusSpan(string(sc.c.Status)), e(sc.c.Source), e(sc.c.Note))
	}
	b.WriteString("</table>\n")
}

func writeNotes(b *bytes.Buffer, notes []string) {
	if len(notes) == 0 {
		return
	}
	b.WriteString("<ul class=\"note\">\n")
	for _, n := range notes {
		fmt.Fprintf(b, "<li>%s</li>\n", html.EscapeString(n))
	}
	b.WriteString("</ul>\n")
}

// seg is one coloured segment of a bar.
type seg struct {
	v      float64
	colour string
	name   string
}

// barRow is one horizontal bar: a label, its segments, and the value
// printed after it.
type barRow struct {
	label string
	segs  []seg
	value string
}

// Chart geometry, in SVG user units.
const (
	chartLabelW = 220.0
	chartBarW   = 480.0
	chartValueW = 110.0
	chartRowH   = 22.0
	chartTop    = 28.0
)

func svgOpen(b *bytes.Buffer, title string, height float64) {
	width := chartLabelW + chartBarW + chartValueW
	fmt.Fprintf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" font-family=\"sans-serif\" font-size=\"12\">\n",
		width, height, width, height)
	fmt.Fprintf(b, "<title>%s</title>\n", html.EscapeString(title))
	fmt.Fprintf(b, "<text x=\"0\" y=\"16\" font-weight=\"bold\">%s</text>\n", html.EscapeString(title))
}

func svgRowLabel(b *bytes.Buffer, i int, label, value string, end float64) {
	y := chartTop + float64(i)*chartRowH
	fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", chartLabelW-6, y+15, html.EscapeString(label))
	fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", end+4, y+15, html.EscapeString(value))
}

// writeStackedBars draws rows of stacked segments on one linear scale.
func writeStackedBars(b *bytes.Buffer, title string, rows []barRow, legend []seg) {
	maxV := 0.0
	for _, r := range rows {
		s := 0.0
		for _, sg := range r.segs {
			s += math.Max(sg.v, 0)
		}
		maxV = math.Max(maxV, s)
	}
	height := chartTop + float64(len(rows))*chartRowH + 40
	svgOpen(b, title, height)
	for i, r := range rows {
		x := chartLabelW
		y := chartTop + float64(i)*chartRowH
		for _, sg := range r.segs {
			wd := 0.0
			if maxV > 0 && sg.v > 0 {
				// Keep any nonzero segment visible.
				wd = math.Max(sg.v/maxV*chartBarW, 0.5)
			}
			if wd > 0 {
				fmt.Fprintf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>\n",
					x, y+3, wd, chartRowH-6, sg.colour, html.EscapeString(r.label+" "+sg.name+": "+FormatJ(sg.v)))
			}
			x += wd
		}
		svgRowLabel(b, i, r.label, r.value, x)
	}
	axisY := chartTop + float64(len(rows))*chartRowH + 4
	fmt.Fprintf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", chartLabelW, axisY, chartLabelW+chartBarW, axisY)
	fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\">0</text>\n", chartLabelW, axisY+14)
	fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", chartLabelW+chartBarW, axisY+14, html.EscapeString(FormatJ(maxV)))
	lx := chartLabelW + 80
	for _, l := range legend {
		fmt.Fprintf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"10\" height=\"10\" fill=\"%s\"/>\n", lx, axisY+5, l.colour)
		fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\">%s</text>\n", lx+14, axisY+14, html.EscapeString(l.name))
		lx += 90
	}
	b.WriteString("</svg>\n")
}

// writeLogBars draws one bar per row on a shared log scale, whole decades
// from below the smallest to above the largest value.
func writeLogBars(b *bytes.Buffer, title string, rows []barRow) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		if v := r.segs[0].v; v > 0 {
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	height := chartTop + float64(len(rows))*chartRowH + 40
	svgOpen(b, title, height)
	if math.IsInf(lo, 1) {
		fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\">no energy to show</text>\n</svg>\n", chartLabelW, chartTop+15)
		return
	}
	d0, d1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if d1 <= d0 {
		d1 = d0 + 1
	}
	scale := func(v float64) float64 { return (math.Log10(v) - d0) / (d1 - d0) * chartBarW }
	axisY := chartTop + float64(len(rows))*chartRowH + 4
	for d := d0; d <= d1; d++ {
		x := chartLabelW + (d-d0)/(d1-d0)*chartBarW
		fmt.Fprintf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", x, chartTop, x, axisY)
		if int(d-d0)%max(1, int((d1-d0)/6+0.5)) == 0 || d == d1 {
			fmt.Fprintf(b, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, axisY+14, html.EscapeString(FormatJ(math.Pow(10, d))))
		}
	}
	for i, r := range rows {
		sg := r.segs[0]
		y := chartTop + float64(i)*chartRowH
		wd := 0.0
		if sg.v > 0 {
			wd = math.Max(scale(sg.v), 0.5)
		}
		if wd > 0 {
			fmt.Fprintf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"><title>%s</title></rect>\n",
				chartLabelW, y+3, wd, chartRowH-6, sg.colour, html.EscapeString(r.label+": "+FormatJ(sg.v)))
		}
		svgRowLabel(b, i, r.label, r.value, chartLabelW+wd)
	}
	fmt.Fprintf(b, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n", chartLabelW, axisY, chartLabelW+chartBarW, axisY)
	b.WriteString("</svg>\n")
}
