// Package testbench runs hardware tests: the same network on several
// engines (the float64 reference, the emulator, a board image decoded and
// emulated, a board over a serial link, the FPGA RTL) and a comparison of
// what they produced. Suites are directories of cases (suite.yaml);
// `soma test SUITE` runs them and writes JUnit XML; the Go API (Run,
// Compare, DiffSpikes) serves ordinary `go test` tests.
package testbench

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/somahw/soma/results"
)

// Kind is how two runs are compared.
type Kind string

const (
	// Exact: the same spikes, step for step.
	Exact Kind = "exact"
	// Timing: the same spikes per neuron, each within Ticks steps.
	Timing Kind = "timing"
	// Rates: each population's spike count within a relative Tolerance.
	Rates Kind = "rates"
	// Voltage: every recorded trace within an absolute Tolerance (SI).
	Voltage Kind = "voltage"
)

// Comparison is a comparison and its tolerance.
type Comparison struct {
	Kind      Kind    `yaml:"kind"`
	Ticks     int     `yaml:"ticks"`
	Tolerance float64 `yaml:"tolerance"`
}

// Diff says how two runs differ; nil means they agree.
type Diff struct {
	// FirstStep is the first step at which they differ (-1 if the
	// difference is not tied to a step, e.g. rates).
	FirstStep int
	// Lines are human-readable findings, most important first.
	Lines []string
}

func (d *Diff) Error() string { return strings.Join(d.Lines, "\n") }

// Compare checks run b against run a (the expected one).
func Compare(a, b *results.Result, c Comparison) *Diff {
	if len(a.Populations) != len(b.Populations) {
		return &Diff{FirstStep: -1, Lines: []string{fmt.Sprintf("%d populations, expected %d", len(b.Populations), len(a.Populations))}}
	}
	switch c.Kind {
	case "", Exact:
		return DiffSpikes(a, b, 0)
	case Timing:
		return DiffSpikes(a, b, c.Ticks)
	case Rates:
		return diffRates(a, b, c.Tolerance)
	case Voltage:
		return diffTraces(a, b, c.Tolerance)
	}
	return &Diff{FirstStep: -1, Lines: []string{fmt.Sprintf("unknown comparison %q", c.Kind)}}
}

// DiffSpikes compares spike trains neuron by neuron: each neuron must fire
// as often in b as in a, each spike within ticks steps of its counterpart.
// The report names the first diverging step and the neurons that differ.
func DiffSpikes(a, b *results.Result, ticks int) *Diff {
	type key struct{ pop, neuron int32 }
	trains := func(r *results.Result) map[key][]int32 {
		m := map[key][]int32{}
		for _, s := range r.Spikes {
			k := key{s.Pop, s.Neuron}
			m[k] = append(m[k], s.Step)
		}
		return m
	}
	ta, tb := trains(a), trains(b)
	var keys []key
	for k := range ta {
		keys = append(keys, k)
	}
	for k := range tb {
		if _, ok := ta[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(x, y key) int { return cmp.Or(cmp.Compare(x.pop, y.pop), cmp.Compare(x.neuron, y.neuron)) })
	first := math.MaxInt32
	type bad struct {
		k    key
		at   int32
		want []int32
		got  []int32
	}
	var bads []bad
	for _, k := range keys {
		x, y := ta[k], tb[k]
		at := int32(-1)
		for i := 0; i < max(len(x), len(y)); i++ {
			switch {
			case i >= len(x):
				at = y[i]
			case i >= len(y):
				at = x[i]
			case abs32(x[i]-y[i]) > int32(ticks):
				at = min(x[i], y[i])
			default:
				continue
			}
			break
		}
		if at >= 0 {
			bads = append(bads, bad{k, at, x, y})
			first = min(first, int(at))
		}
	}
	if len(bads) == 0 {
		return nil
	}
	slices.SortStableFunc(bads, func(x, y bad) int { return cmp.Compare(x.at, y.at) })
	d := &Diff{FirstStep: first}
	pops := map[int32]int{}
	for _, b := range bads {
		pops[b.k.pop]++
	}
	var popNames []string
	for p, n := range pops {
		popNames = append(popNames, fmt.Sprintf("%s (%d neurons)", a.Populations[p].Name, n))
	}
	slices.Sort(popNames)
	d.Lines = append(d.Lines, fmt.Sprintf("spikes first diverge at step %d (t = %s); differing: %s",
		first, fmt.Sprintf("%gs", results.RoundTime(float64(first)*a.Timestep)), strings.Join(popNames, ", ")))
	for i, b := range bads {
		if i == 5 {
			d.Lines = append(d.Lines, fmt.Sprintf("… and %d more neurons", len(bads)-5))
			break
		}
		d.Lines = append(d.Lines, fmt.Sprintf("%s[%d] from step %d: expected %s, got %s",
			a.Populations[b.k.pop].Name, b.k.neuron, b.at, steps(b.want, b.at), steps(b.got, b.at)))
	}
	return d
}

// steps prints the spike steps near step at.
func steps(xs []int32, at int32) string {
	var near []string
	for _, x := range xs {
		if x >= at-20 && len(near) < 6 {
			near = append(near, fmt.Sprint(x))
		}
	}
	if len(near) == 0 {
		return "no spike"
	}
	return "[" + strings.Join(near, " ") + "]"
}

func abs32(x int32) int32 {
	if x < 0 {
		return -x
	}
	return x
}

func diffRates(a, b *results.Result, tol float64) *Diff {
	ca, cb := a.Counts(), b.Counts()
	d := &Diff{FirstStep: -1}
	for i, p := range a.Populations {
		want, got := float64(ca[i]), float64(cb[i])
		if want == 0 && got == 0 {
			continue
		}
		if rel := math.Abs(got-want) / math.Max(want, 1); rel > tol {
			d.Lines = append(d.Lines, fmt.Sprintf("population %s: %v spikes, expected %v (%.1f%% apart, tolerance %.1f%%)", p.Name, got, want, 100*rel, 100*tol))
		}
	}
	if len(d.Lines) == 0 {
		return nil
	}
	return d
}

func diffTraces(a, b *results.Result, tol float64) *Diff {
	d := &Diff{FirstStep: math.MaxInt32}
	for _, ta := range a.Traces {
		var tb *results.Trace
		for i := range b.Traces {
			if b.Traces[i].Name == ta.Name {
				tb = &b.Traces[i]
			}
		}
		if tb == nil {
			d.Lines = append(d.Lines, fmt.Sprintf("trace %s missing", ta.Name))
			continue
		}
		if len(ta.Data) != len(tb.Data) {
			d.Lines = append(d.Lines, fmt.Sprintf("trace %s: %d values, expected %d", ta.Name, len(tb.Data), len(ta.Data)))
			continue
		}
		w := max(1, len(ta.Indices))
		for i := range ta.Data {
			if math.Abs(ta.Data[i]-tb.Data[i]) > tol {
				step := (i / w) * max(1, ta.Every)
				d.FirstStep = min(d.FirstStep, step)
				d.Lines = append(d.Lines, fmt.Sprintf("trace %s neuron %d at step %d: %.6g, expected %.6g (tolerance %g)",
					ta.Name, ta.Indices[i%w], step, tb.Data[i], ta.Data[i], tol))
				break
			}
		}
	}
	if len(d.Lines) == 0 {
		return nil
	}
	if d.FirstStep == math.MaxInt32 {
		d.FirstStep = -1
	}
	return d
}
