package energy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/somahw/soma/target"
)

// Comparison is the reports of one network on several systems, side by
// side: targets it ran on, and reference systems costed from a run's counts.
type Comparison struct {
	Network string    `json:"network"`
	Reports []*Report `json:"reports"`
}

// Compare gathers reports into a comparison.
func Compare(reports ...*Report) *Comparison {
	c := &Comparison{Reports: reports}
	if len(reports) > 0 {
		c.Network = reports[0].Network
	}
	return c
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error { return writeJSON(w, r) }

// WriteJSON writes the comparison as indented JSON.
func (c *Comparison) WriteJSON(w io.Writer) error { return writeJSON(w, c) }

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// WriteText writes the comparison: a summary table and a by-kind table
// across the systems, then each system's full report.
func (c *Comparison) WriteText(w io.Writer) error {
	var b bytes.Buffer
	if len(c.Reports) == 1 {
		c.Reports[0].writeText(&b)
		_, err := w.Write(b.Bytes())
		return err
	}
	if len(c.Reports) == 0 {
		fmt.Fprintln(&b, "energy: no reports")
		_, err := w.Write(b.Bytes())
		return err
	}
	r0 := c.Reports[0]
	fmt.Fprintf(&b, "energy of %s on %d systems: %s of biological time (%s steps of %s), %s\n",
		c.Network, len(c.Reports), formatSeconds(r0.BioTime), formatCount(float64(r0.Steps)), formatSeconds(r0.Timestep), plural(r0.Inferences, "inference"))
	tw := newTab(&b)
	fmt.Fprintln(tw, "  system\tstatic\tdynamic\ttotal\tper biological second\tper inference\tbasis")
	for _, r := range c.Reports {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.System, FormatJ(r.Static), FormatJ(r.Dynamic), FormatJ(r.Total),
			FormatW(r.PerBioSecond), FormatJ(r.PerInference), r.Basis)
	}
	tw.Flush()

	fmt.Fprintln(&b, "\nby kind")
	tw = newTab(&b)
	fmt.Fprint(tw, "  kind")
	for _, r := range c.Reports {
		fmt.Fprintf(tw, "\t%s", r.System)
	}
	fmt.Fprintln(tw)
	for _, k := range Kinds() {
		row := "  " + string(k)
		any := false
		for _, r := range c.Reports {
			cell := "-"
			for _, t := range r.Terms {
				if t.Kind == k {
					cell, any = FormatJ(t.Energy), true
				}
			}
			for _, u := range r.Uncosted {
				if u.Kind == k {
					cell = "not costed"
				}
			}
			row += "\t" + cell
		}
		if any {
			fmt.Fprintln(tw, row)
		}
	}
	tw.Flush()
	for _, r := range c.Reports {
		fmt.Fprintf(&b, "\n%s\n\n", strings.Repeat("─", 72))
		r.writeText(&b)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// WriteText writes the report as aligned tables.
func (r *Report) WriteText(w io.Writer) error {
	var b bytes.Buffer
	r.writeText(&b)
	_, err := w.Write(b.Bytes())
	return err
}

func newTab(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func (r *Report) writeText(b *bytes.Buffer) {
	fmt.Fprintf(b, "energy of %s on %s: %s\n", r.Network, r.System, r.Description)
	if r.Estimate {
		fmt.Fprintf(b, "  ESTIMATE: %s (nothing ran on %s)\n", r.Basis, r.System)
	} else {
		fmt.Fprintf(b, "  basis: %s\n", r.Basis)
	}
	fmt.Fprintf(b, "  run: %s steps of %s = %s of biological time; wall-clock %s at real-time speed; %s\n",
		formatCount(float64(r.Steps)), formatSeconds(r.Timestep), formatSeconds(r.BioTime), formatSeconds(r.BioTime), plural(r.Inferences, "inference"))
	if r.MachineChips > 0 {
		fmt.Fprintf(b, "  machine: %s, %s; the program uses %s on %s; its packets cross %s\n",
			plural(r.Boards, "board"), plural(r.MachineChips, "chip"), plural(r.CoresUsed, "core"), plural(r.ChipsUsed, "chip"), plural(r.ChipsRouting, "chip"))
	}
	fmt.Fprintf(b, "  total %s = static %s + dynamic %s\n", FormatJ(r.Total), FormatJ(r.Static), FormatJ(r.Dynamic))
	fmt.Fprintf(b, "  per second of biological time %s; per inference %s\n", FormatW(r.PerBioSecond), FormatJ(r.PerInference))

	fmt.Fprintln(b, "\nby kind")
	tw := newTab(b)
	fmt.Fprintln(tw, "  kind\tclass\tcount\tcoefficient\tenergy\tshare\tstatus")
	for _, t := range r.Terms {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s (%s)\t%s\t%s\t%s\n", t.Kind, t.Class, termCount(t), formatCoefficient(t.Coefficient), t.Coefficient.Name,
			FormatJ(t.Energy), formatShare(t.Energy, r.Total), t.Coefficient.Status)
	}
	fmt.Fprintf(tw, "  total\t\t\t\t%s\t\t\n", FormatJ(r.Total))
	tw.Flush()
	for _, t := range r.Terms {
		if t.Note != "" {
			fmt.Fprintf(b, "  %s: %s\n", t.Kind, t.Note)
		}
	}
	if len(r.Uncosted) > 0 {
		fmt.Fprintf(b, "  not costed (%s has no coefficient for them):\n", r.System)
		for _, u := range r.Uncosted {
			fmt.Fprintf(b, "    %s %s (looked for %s)\n", formatCount(float64(u.Count)), u.Kind, strings.Join(u.Tried, ", "))
		}
	}

	writeParts(b, "by population", "population", r.Populations, r.Total)
	if len(r.Chips) > 0 {
		writeParts(b, "by chip", "chip", r.Chips, r.Total)
	}
	if len(r.Cores) > 0 {
		writeParts(b, "by core", "core", r.Cores, r.Total)
	}

	if len(r.Measured) > 0 {
		fmt.Fprintf(b, "\nmeasured on %s hardware (whole-system figures: compare with the total, do not add)\n", r.System)
		tw = newTab(b)
		fmt.Fprintln(tw, "  source\tapplied\tenergy\tstatus")
		for _, g := range r.Measured {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", g.Name, groupFormula(g.Terms), FormatJ(g.Energy), groupStatus(g.Terms))
		}
		tw.Flush()
	}
	if a := r.ANN; a != nil {
		fmt.Fprintf(b, "\nSNN vs ANN (%s convention: %s)\n", a.System, a.SNN.Coefficient.Source)
		tw = newTab(b)
		fmt.Fprintf(tw, "  SNN\t%s accumulates (one per synaptic event)\t× %s (%s)\t= %s\t%s\n", formatCount(a.SNN.Count), FormatJ(a.SNN.Coefficient.Value), a.SNN.Coefficient.Name, FormatJ(a.SNN.Energy), a.SNN.Coefficient.Status)
		fmt.Fprintf(tw, "  ANN\t%s MACs (%s synapses × %s steps)\t× %s (%s)\t= %s\t%s\n", formatCount(a.ANN.Count), formatCount(float64(a.Synapses)), formatCount(float64(a.Steps)), FormatJ(a.ANN.Coefficient.Value), a.ANN.Coefficient.Name, FormatJ(a.ANN.Energy), a.ANN.Coefficient.Status)
		tw.Flush()
		if a.Ratio > 0 {
			fmt.Fprintf(b, "  the dense ANN would spend %s× the SNN's synaptic energy\n", formatRatio(a.Ratio))
		}
	}
	if len(r.References) > 0 {
		fmt.Fprintln(b, "\nreference chips: this run's event counts at their published energies (estimates; no static power)")
		tw = newTab(b)
		fmt.Fprintln(tw, "  system\tenergy\tcosted")
		for _, g := range r.References {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", g.Name, FormatJ(g.Energy), groupFormula(g.Terms))
		}
		tw.Flush()
		for _, g := range r.References {
			for _, t := range g.Terms {
				if t.Note != "" {
					fmt.Fprintf(b, "  %s %s: %s\n", g.Name, t.Kind, t.Note)
				}
			}
		}
	}
	if len(r.Notes) > 0 {
		fmt.Fprintln(b, "\nnotes")
		for _, n := range r.Notes {
			fmt.Fprintf(b, "  - %s\n", n)
		}
	}
	fmt.Fprintln(b, "\ncoefficients")
	tw = newTab(b)
	fmt.Fprintln(tw, "  system\tname\tvalue\tstatus\tsource")
	for _, c := range r.coefficients() {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", c.system, c.c.Name, formatCoefficient(c.c), c.c.Status, c.c.Source)
	}
	tw.Flush()
	var caveats []string
	for _, c := range r.coefficients() {
		if c.c.Note != "" {
			caveats = append(caveats, fmt.Sprintf("%s %s: %s", c.system, c.c.Name, c.c.Note))
		}
	}
	if len(caveats) > 0 {
		fmt.Fprintln(b, "  caveats:")
		for _, c := range caveats {
			fmt.Fprintf(b, "    %s\n", c)
		}
	}
}

func writeParts(b *bytes.Buffer, title, what string, parts []Part, total float64) {
	fmt.Fprintf(b, "\n%s\n", title)
	tw := newTab(b)
	fmt.Fprintf(tw, "  %s\t\tstatic\tdynamic\ttotal\tshare\n", what)
	for _, p := range parts {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", p.Name, p.Detail, FormatJ(p.Static), FormatJ(p.Dynamic), FormatJ(p.Total), formatShare(p.Total, total))
	}
	tw.Flush()
}

// termCount writes "16 cores × 1 s" or "44,000 packet-hops".
func termCount(t Term) string {
	unit := t.Unit
	if t.Count != 1 {
		unit += "s"
	}
	s := formatCount(t.Count) + " " + unit
	if t.Class == Static {
		s += " × " + formatSeconds(t.Seconds)
	}
	return s
}

// groupFormula writes a group's terms as "43 nJ × 1,000 events + …".
func groupFormula(terms []Term) string {
	parts := make([]string, len(terms))
	for i, t := range terms {
		parts[i] = fmt.Sprintf("%s × %s %s (%s, %s)", formatValue(t.Coefficient.Value, t.Coefficient.Unit), formatCount(t.Count), termWhat(t), t.Coefficient.Name, t.Coefficient.Status)
	}
	return strings.Join(parts, " + ")
}

// groupStatus is the weakest status among a group's coefficients.
func groupStatus(terms []Term) string {
	rank := map[string]int{"read": 0, "second-hand": 1, "estimate": 2}
	s := ""
	for _, t := range terms {
		if st := string(t.Coefficient.Status); s == "" || rank[st] > rank[s] {
			s = st
		}
	}
	return s
}

func formatRatio(v float64) string {
	if v >= 100 {
		return formatCount(float64(int64(v + 0.5)))
	}
	return fmt.Sprintf("%.3g", v)
}

// sourcedCoefficient is a coefficient and the system whose table holds it.
type sourcedCoefficient struct {
	system string
	c      target.Coefficient
}

// coefficients lists every coefficient the report applied, once each, in
// the order the report shows them.
func (r *Report) coefficients() []sourcedCoefficient {
	var out []sourcedCoefficient
	seen := map[string]bool{}
	addTerms := func(system string, terms []Term) {
		for _, t := range terms {
			key := system + "\x00" + t.Coefficient.Name
			if !seen[key] {
				seen[key] = true
				out = append(out, sourcedCoefficient{system, t.Coefficient})
			}
		}
	}
	addTerms(r.System, r.Terms)
	for _, g := range r.Measured {
		addTerms(r.System, g.Terms)
	}
	if r.ANN != nil {
		addTerms(r.ANN.System, []Term{r.ANN.SNN, r.ANN.ANN})
	}
	for _, g := range r.References {
		addTerms(g.Name, g.Terms)
	}
	return out
}

// termWhat names what a term counts: its kind, or its unit where the count
// is not of the kind's events (neuron-milliseconds).
func termWhat(t Term) string {
	if t.Unit == "neuron-ms" {
		return t.Unit
	}
	return string(t.Kind)
}
