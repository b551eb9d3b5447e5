package fpga

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// The fit policy (docs/fpga-engine.md, "Fit"). The estimate's measured
// error against yosys, on designs of 256 to 4096 neurons: 0 for BRAM36,
// URAM288, DSP48E2 and LUTRAM cells (+6 % BRAM36 on a plastic design),
// LUTs −8 … +16 % and FFs −3 … +5 % (constants fitted on six of them).
const (
	// FitRefuse: a design whose estimate exceeds this fraction of the
	// part's capacity of any resource is refused: yosys would report it
	// over the part too, and no place and route can fit it.
	FitRefuse = 1.0
	// FitWarn: over this fraction of a resource the design is built with
	// a warning: the estimate is within its own error of the limit, and
	// Vivado needs headroom to place and route a design this full.
	FitWarn = 0.9
)

// lutsPerLUTRAMCell: a distributed-RAM cell (RAM64M8, RAM32M16) occupies
// eight SLICEM LUTs, which the part's LUT capacity includes.
const lutsPerLUTRAMCell = 8

// FitRow is one resource of a design against its part.
type FitRow struct {
	Resource string  `json:"resource"` // LUT, FF, BRAM36, URAM288, DSP48E2
	Estimate float64 `json:"estimate"` // LUT counts each LUTRAM cell as 8 LUTs
	Capacity int     `json:"capacity"`
}

// Fraction is the estimate's share of the capacity (+Inf if the part
// has none and the design needs some).
func (r FitRow) Fraction() float64 {
	if r.Capacity == 0 {
		if r.Estimate == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return r.Estimate / float64(r.Capacity)
}

// fitRows is the estimate against the part's capacity, per resource.
func fitRows(u Utilisation, res target.Resources) []FitRow {
	return []FitRow{
		{"LUT", float64(u.LUTs + lutsPerLUTRAMCell*u.LUTRAM), res.LUTs},
		{"FF", float64(u.FFs), res.FFs},
		{"BRAM36", u.BRAM36, res.BRAM36},
		{"URAM288", float64(u.URAM), res.URAM288},
		{"DSP48E2", float64(u.DSP), res.DSP48E2},
	}
}

// FitError is the refusal of a design that cannot fit its part: which
// resources, estimate against capacity, which populations use most of
// them, and what to change.
type FitError struct {
	Network, Target, Part string
	// Over are the resources over FitRefuse of the capacity.
	Over []FitRow
	msg  string
}

func (e *FitError) Error() string { return e.msg }

// Check builds the design of program p for target t and checks that its
// estimated utilisation (Estimate) fits the part (FitRefuse, FitWarn).
// It returns the design and a warning per resource over FitWarn, or a
// *FitError. Every FPGA output goes through it: WriteArtifacts calls it,
// and soma compile calls it for every FPGA target before writing
// anything, so a design that cannot fit is refused before yosys runs.
func Check(p *program.Program, t *target.Target) (*Design, []string, error) {
	d, err := Build(p, t)
	if err != nil {
		return nil, nil, err
	}
	rows := fitRows(Estimate(d), d.Capacity)
	var over []FitRow
	for _, r := range rows {
		if r.Fraction() > FitRefuse {
			over = append(over, r)
		}
	}
	if len(over) == 0 {
		return d, fitWarnings(d, rows), nil
	}
	return nil, nil, &FitError{Network: d.Network, Target: t.Name, Part: t.FPGA.Part, Over: over, msg: refusal(p, d, t, over)}
}

// fitWarnings is a warning per resource over FitWarn (and within
// FitRefuse) of the part.
func fitWarnings(d *Design, rows []FitRow) []string {
	var out []string
	for _, r := range rows {
		if f := r.Fraction(); f > FitWarn && f <= FitRefuse {
			out = append(out, fmt.Sprintf("%s on %s (%s): the estimate uses %s of %d %s (%.0f%%): within the estimate's error of the part's capacity, and place and route needs headroom; check with soma fpga report (yosys) and Vivado",
				d.Network, d.Target, d.Part, num(r.Estimate), r.Capacity, r.Resource, 100*f))
		}
	}
	return out
}

func num(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }

// refusal writes the FitError text.
func refusal(p *program.Program, d *Design, t *target.Target, over []FitRow) string {
	var b strings.Builder
	var parts []string
	for _, r := range over {
		parts = append(parts, fmt.Sprintf("%s %s > %d (%.0f%%)", r.Resource, num(r.Estimate), r.Capacity, 100*r.Fraction()))
	}
	fmt.Fprintf(&b, "%s does not fit %s (%s): estimated %s; soma refuses a design over %.0f%% of any resource of its part (docs/fpga-engine.md, \"Fit\")",
		d.Network, t.Name, t.FPGA.Part, strings.Join(parts, ", "), 100*FitRefuse)
	shares := estimateShares(d)
	for _, r := range over {
		fmt.Fprintf(&b, "\n  %s by population: %s", r.Resource, byPopulation(d, shares, r.Resource))
	}
	b.WriteString("\n  to make it fit, change one of:")
	b.WriteString("\n  - the part: " + otherParts(p, d, t, over))
	b.WriteString("\n  - the neurons per engine, " + perEngineHint(d, t, over))
	b.WriteString("\n  - the network: " + networkHint(shares, over, t.Limits.DelaySlots))
	return b.String()
}

// amount is a share's use of a fit resource.
func (s share) amount(resource string) float64 {
	switch resource {
	case "LUT":
		return s.lut + float64(lutsPerLUTRAMCell*s.lutram)
	case "FF":
		return s.ff
	case "BRAM36":
		return s.bram
	case "URAM288":
		return float64(s.uram)
	case "DSP48E2":
		return float64(s.dsp)
	}
	return 0
}

type amountOf struct {
	name string
	x    float64
}

// sortAmounts sorts largest first, then by name.
func sortAmounts(a []amountOf) {
	slices.SortFunc(a, func(x, y amountOf) int {
		return cmp.Or(cmp.Compare(y.x, x.x), cmp.Compare(x.name, y.name))
	})
}

// byPopulation lists the populations that use most of a resource, each
// with its engines and its largest memories or logic.
func byPopulation(d *Design, shares []share, resource string) string {
	type pop struct {
		total   float64
		engines []int
		what    map[string]float64
	}
	pops := map[string]*pop{}
	var names []string
	// block RAM comes in halves (RAMB18E2); the rest in whole cells
	round1 := math.Round
	if resource == "BRAM36" {
		round1 = func(x float64) float64 { return math.Round(2*x) / 2 }
	}
	for _, s := range shares {
		x := s.amount(resource)
		if x == 0 {
			continue
		}
		name := "(router and barrier)"
		if s.engine >= 0 {
			name = d.Engines[s.engine].Pop
		}
		p := pops[name]
		if p == nil {
			p = &pop{what: map[string]float64{}}
			pops[name] = p
			names = append(names, name)
		}
		p.total += x
		p.what[s.what] += x
		if s.engine >= 0 && !slices.Contains(p.engines, s.engine) {
			p.engines = append(p.engines, s.engine)
		}
	}
	var order []amountOf
	for _, n := range names {
		order = append(order, amountOf{n, pops[n].total})
	}
	sortAmounts(order)
	const most = 3
	var out []string
	rest, restN := 0.0, 0
	for i, o := range order {
		if i >= most {
			rest += o.x
			restN++
			continue
		}
		p := pops[o.name]
		var what []amountOf
		for w, x := range p.what {
			what = append(what, amountOf{w, x})
		}
		sortAmounts(what)
		var ws []string
		for _, w := range what {
			ws = append(ws, fmt.Sprintf("%s %s", w.name, num(round1(w.x))))
		}
		desc := strings.Join(ws, ", ")
		if len(p.engines) == 0 {
			out = append(out, fmt.Sprintf("%s %s", o.name, num(round1(o.x))))
			continue
		}
		{
			neurons := 0
			for _, e := range p.engines {
				neurons += d.Engines[e].N
			}
			desc = fmt.Sprintf("%s, %d neurons: %s", engineList(p.engines), neurons, desc)
		}
		out = append(out, fmt.Sprintf("%s %s (%s)", o.name, num(round1(o.x)), desc))
	}
	if restN > 0 {
		out = append(out, fmt.Sprintf("%d more %s %s", restN, plural(restN, "population"), num(round1(rest))))
	}
	return strings.Join(out, "; ")
}

func plural(n int, s string) string {
	if n == 1 {
		return s
	}
	return s + "s"
}

// engineList names engines: "engine e2", "engines e0–e3", "engines e0, e4".
func engineList(es []int) string {
	if len(es) == 1 {
		return fmt.Sprintf("engine e%d", es[0])
	}
	if es[len(es)-1]-es[0] == len(es)-1 {
		return fmt.Sprintf("engines e%d–e%d", es[0], es[len(es)-1])
	}
	var s []string
	for _, e := range es {
		s = append(s, fmt.Sprintf("e%d", e))
	}
	return "engines " + strings.Join(s, ", ")
}

// otherParts lists the FPGA targets on which the same engines fit, with
// their use of the resources that overflow here.
func otherParts(p *program.Program, d *Design, t *target.Target, over []FitRow) string {
	var fits []string
	for _, name := range target.Names() {
		if name == t.Name {
			continue
		}
		t2, err := target.Load(name)
		if err != nil || t2.Kind != target.KindFPGA || t2.FPGA == nil || len(p.Cores) > t2.AppCores() {
			continue
		}
		d2, err := build(p, t2)
		if err != nil {
			continue
		}
		rows := fitRows(Estimate(d2), t2.FPGA.Resources)
		ok := true
		var use []string
		for _, r := range rows {
			ok = ok && r.Fraction() <= FitRefuse
			uramNow := r.Resource == "URAM288" && r.Estimate > 0
			if slices.ContainsFunc(over, func(o FitRow) bool { return o.Resource == r.Resource }) || uramNow {
				use = append(use, fmt.Sprintf("%s of %d %s", num(r.Estimate), r.Capacity, r.Resource))
			}
		}
		if ok {
			s := fmt.Sprintf("--target %s (%s", name, strings.Join(use, ", "))
			if slices.ContainsFunc(d2.Engines, func(e *Engine) bool { return e.SynURAM }) {
				s += ": synapse memories in URAM"
			}
			fits = append(fits, s+")")
		}
	}
	if len(fits) == 0 {
		return fmt.Sprintf("no FPGA target soma knows holds these %d engines (soma targets lists them)", len(d.Engines))
	}
	return fmt.Sprintf("the same %d engines fit %s", len(d.Engines), strings.Join(fits, " and "))
}

// perEngineHint says what the compiler's neurons-per-engine knob
// (--neurons-per-core, compiler.Options.NeuronsPerCore) does for these
// resources: logic and DSPs are per engine, so fewer, larger engines
// save them; block memories grow with neurons and synapses, not engines,
// so moving neurons between engines saves only the padding of engines
// whose size is not a power of two.
func perEngineHint(d *Design, t *target.Target, over []FitRow) string {
	largest, engines, padded := 0, 0, 0
	for _, e := range d.Engines {
		if e.Source {
			continue
		}
		engines++
		largest = max(largest, e.N)
		if e.N != 1<<e.IB {
			padded++
		}
	}
	logic := slices.ContainsFunc(over, func(r FitRow) bool { return r.Resource == "LUT" || r.Resource == "FF" || r.Resource == "DSP48E2" })
	memory := slices.ContainsFunc(over, func(r FitRow) bool { return r.Resource == "BRAM36" || r.Resource == "URAM288" })
	maxN := t.Limits.MaxNeuronsPerCore
	var s []string
	if logic {
		if largest < maxN && engines > 1 {
			s = append(s, fmt.Sprintf("raise it (at most %d on %s): every neuron engine costs about %.0f LUTs, %.0f FFs and its model's DSP48E2s besides %.2f LUTs and %.2f FFs per neuron, so fewer, larger engines need less logic",
				maxN, t.Name, estNeuron.lut, estNeuron.ff, estNeuron.lutPerNeuron, estNeuron.ffPerNeuron))
		} else {
			s = append(s, "the engines are already as few as the network allows")
		}
	}
	if memory {
		if padded > 0 {
			pow := 1 << bits.Len(uint(largest-1))
			s = append(s, fmt.Sprintf("%d engines hold a number of neurons that is not a power of two and their rings and queues are padded to the next one; slices of %d (or %d) neurons waste none",
				padded, pow/2, pow))
		} else {
			s = append(s, "it does not shrink block memories, which grow with neurons, synapses and delays, not with engines")
		}
	}
	return fmt.Sprintf("--neurons-per-core (the largest engine holds %d; %d of %d engines in use): %s",
		largest, len(d.Engines), t.AppCores(), strings.Join(s, "; "))
}

// networkHint names, per overflowing resource, the memories or logic
// that use most of it and how the network could use less.
func networkHint(shares []share, over []FitRow, minSlots int) string {
	why := map[string]string{
		"synapses":           "fewer synapses",
		"ring buffers":       "shorter delays, a longer timestep or fewer neurons: an engine's rings hold 2^k ≥ its longest delay + 1 slots (at least " + strconv.Itoa(minSlots) + ") of both synapse types for each of its 2^IndexBits neurons",
		"state":              "fewer neurons",
		"inbox":              "fewer keys routed to an engine: its inbox holds every key that reaches it",
		"logic":              "fewer engines",
		"router and barrier": "fewer engines and router entries",
		"parameters":         "uniform neuron parameters: varying ones become LUT logic",
		"row directory":      "fewer source neurons projecting onto an engine: the row directory becomes LUT logic",
		"spike list":         "fewer stimulus spikes",
		"population table":   "fewer populations projecting onto an engine",
	}
	var lines []string
	for _, r := range over {
		total := map[string]float64{}
		for _, s := range shares {
			total[s.what] += s.amount(r.Resource)
		}
		var top []amountOf
		for w, x := range total {
			if x > 0 {
				top = append(top, amountOf{w, x})
			}
		}
		sortAmounts(top)
		var s []string
		for _, x := range top[:min(2, len(top))] {
			s = append(s, fmt.Sprintf("%s %.0f%% (%s)", x.name, 100*x.x/r.Estimate, why[x.name]))
		}
		lines = append(lines, fmt.Sprintf("of the %s, %s", r.Resource, strings.Join(s, ", ")))
	}
	return strings.Join(lines, "; ") + "; or fewer neurons"
}
