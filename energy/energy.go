// Package energy estimates what a run cost in energy on a target: the
// event counters of an emulator run (backends/emu) multiplied by the
// target's energy coefficients (target.Target.Energy), plus static power
// over the run's time.
//
// The model (docs/energy.md):
//
//	E = Σ static power × run time + Σ per-event energy × event count
//
// where the run time is the run's wall-clock time at real-time speed, steps ×
// timestep (which is also its biological time), and the static terms are the
// boards' (or, without a board figure, every chip's) idle power and each used
// core's active power. Every coefficient is read from the target's table by
// name — the code holds names, never values — and travels into the report
// with its source and status (read, second-hand, estimate). Events the
// target has no coefficient for are listed as not costed rather than
// silently dropped.
//
// Alongside a target's estimate a report puts what the same event counts
// would cost on published reference chips (target.ReferenceEnergy: Loihi,
// TrueNorth, SpiNNaker 2, ODIN, ReckOn), the target's own whole-system
// measurements where it has them (SpiNNaker: Stromatias 2013, Sharp 2012),
// and the SNN-versus-ANN convention (E_AC per synaptic event against E_MAC
// for every synapse at every step).
//
// Sums are exact: every product and sum is done on rationals made from the
// coefficients' decimal values and rounded once to float64, so totals by
// population, by chip, by core and by kind are the same number.
package energy

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// Kind is what an energy term counts.
type Kind string

// The kinds of term, in report order: static kinds first.
const (
	// BoardIdle is the boards' measured idle power (chips included) over the run.
	BoardIdle Kind = "board idle"
	// BoxOverhead is a box's or frame's overhead power over the run (Options.Boxed).
	BoxOverhead Kind = "box overhead"
	// ChipIdle is every chip's idle power over the run, used when the
	// target has no board figure.
	ChipIdle Kind = "chip idle"
	// ActiveCores is each used core's active power over the run.
	ActiveCores Kind = "active cores"
	// PacketsRouted counts each packet once per chip (router) it passed
	// through: emu.ChipCounters.PacketsRouted.
	PacketsRouted Kind = "packets routed"
	// SynapticEvents counts synapses that received a spike.
	SynapticEvents Kind = "synaptic events"
	// NeuronUpdates counts neuron state updates (neurons × steps).
	NeuronUpdates Kind = "neuron updates"
	// SpikesSent counts spikes the cores sent (packets injected).
	SpikesSent Kind = "spikes sent"
	// SDRAMWords counts words of synaptic rows read from shared memory.
	SDRAMWords Kind = "SDRAM words"
	// STDPUpdates counts plastic weight updates.
	STDPUpdates Kind = "STDP updates"
)

// Class says whether a term is time-proportional (static: power × run time)
// or event-proportional (dynamic: energy × count).
type Class string

// Classes of term.
const (
	Static  Class = "static"
	Dynamic Class = "dynamic"
)

// rule says which coefficient names cost one kind of term, tried in order:
// target files and the reference table name the same quantity differently
// (a target's "synaptic_event", Loihi's "synaptic_spike_op", ODIN's "sop").
type rule struct {
	kind  Kind
	class Class
	names []string
	unit  target.Unit
	// what one counted unit is, for the report ("core", "packet-hop").
	unitName string
}

var rules = []rule{
	{BoardIdle, Static, []string{"board.idle_power"}, target.Watt, "board"},
	{BoxOverhead, Static, []string{"box.overhead_power"}, target.Watt, "box"},
	{ChipIdle, Static, []string{"chip.idle_power"}, target.Watt, "chip"},
	{ActiveCores, Static, []string{"core.active_power"}, target.Watt, "core"},
	{PacketsRouted, Dynamic, []string{"router.packet"}, target.Joule, "packet-hop"},
	{SynapticEvents, Dynamic, []string{"synaptic_event", "synaptic_spike_op", "synaptic_op", "sop", "e_ac"}, target.Joule, "event"},
	{NeuronUpdates, Dynamic, []string{"neuron_update", "neuron_update.active"}, target.Joule, "update"},
	{SpikesSent, Dynamic, []string{"spike", "spike.within_tile"}, target.Joule, "spike"},
	{SDRAMWords, Dynamic, []string{"sdram.word"}, target.Joule, "word"},
	{STDPUpdates, Dynamic, []string{"stdp_update", "synaptic_update"}, target.Joule, "update"},
}

// Kinds lists every kind in report order.
func Kinds() []Kind {
	out := make([]Kind, len(rules))
	for i, r := range rules {
		out[i] = r.kind
	}
	return out
}

// Options adjust the model.
type Options struct {
	// Inferences is how many inferences the run stands for (0 means 1):
	// the report divides the total by it.
	Inferences int
	// Boxed adds the target's box.overhead_power: boards mounted in a box
	// or frame. A lone desk board does not incur it.
	Boxed bool
	// References are the reference systems costed with the run's counts;
	// nil reads target.ReferenceEnergy().
	References []target.ReferenceSystem
}

// Report is the energy estimate of one run on one system.
type Report struct {
	// System is the target's or reference system's name.
	System      string `json:"system"`
	Description string `json:"description"`
	// Estimate is set when a reference system's coefficients were applied
	// to another system's run (Basis names it): nothing ran there.
	Estimate bool   `json:"estimate_from_counts"`
	Basis    string `json:"basis"`
	Network  string `json:"network"`

	Timestep float64 `json:"timestep_s"`
	Steps    int     `json:"steps"`
	// BioTime is steps × timestep; the run's wall-clock time is the same
	// (soma's targets run in real time).
	BioTime    float64 `json:"biological_time_s"`
	Inferences int     `json:"inferences"`

	// Boards and MachineChips describe the whole machine; ChipsUsed and
	// CoresUsed what the program occupies (0 for estimates).
	Boards       int `json:"boards,omitempty"`
	MachineChips int `json:"machine_chips,omitempty"`
	ChipsUsed    int `json:"chips_used,omitempty"`
	// ChipsRouting counts the chips whose routers the run's packets crossed
	// or that hold used cores: the rows of Chips.
	ChipsRouting int `json:"chips_routing,omitempty"`
	CoresUsed    int `json:"cores_used,omitempty"`

	Total   float64 `json:"total_j"`
	Static  float64 `json:"static_j"`
	Dynamic float64 `json:"dynamic_j"`
	// PerBioSecond is the total over the biological time: the mean power.
	PerBioSecond float64 `json:"per_biological_second_w"`
	PerInference float64 `json:"per_inference_j"`

	// Terms is the breakdown by kind, in Kinds order; Uncosted the counted
	// events the system has no coefficient for.
	Terms    []Term     `json:"terms"`
	Uncosted []Uncosted `json:"uncosted,omitempty"`

	// Populations (in network order, then "(shared)"), Chips (by x, y,
	// then "(rest of machine)") and Cores (by x, y, p) each sum to Total.
	Populations []Part `json:"populations"`
	Chips       []Part `json:"chips,omitempty"`
	Cores       []Part `json:"cores,omitempty"`

	// Measured are the system's own whole-system measurements applied to
	// the counts: compare them with Total, do not add them.
	Measured []Group `json:"measured,omitempty"`
	// ANN is the SNN-versus-ANN comparison, when a reference system has E_AC and E_MAC.
	ANN *ANN `json:"ann,omitempty"`
	// References are what the counts would cost on published reference chips.
	References []Group  `json:"references,omitempty"`
	Notes      []string `json:"notes,omitempty"`
}

// Term is one kind's energy: Count × Coefficient (× Seconds for static terms).
type Term struct {
	Kind  Kind  `json:"kind"`
	Class Class `json:"class"`
	// Count is boards, chips or cores for static terms, events for dynamic ones.
	Count float64 `json:"count"`
	// Unit names one counted thing ("core", "packet-hop", "event").
	Unit        string             `json:"unit"`
	Seconds     float64            `json:"seconds,omitempty"`
	Coefficient target.Coefficient `json:"coefficient"`
	Energy      float64            `json:"energy_j"`
	// Note says how the count was made, when that is not obvious.
	Note string `json:"note,omitempty"`
}

// Uncosted is a count that no coefficient of the system prices.
type Uncosted struct {
	Kind  Kind   `json:"kind"`
	Count uint64 `json:"count"`
	// Tried are the coefficient names looked for.
	Tried []string `json:"tried"`
}

// Part is one row of a breakdown: a population, chip or core.
type Part struct {
	Name string `json:"name"`
	// Detail is the population of a core, or the cores of a population or chip.
	Detail  string  `json:"detail,omitempty"`
	Static  float64 `json:"static_j"`
	Dynamic float64 `json:"dynamic_j"`
	Total   float64 `json:"total_j"`
	// Kinds has one entry per Report.Terms entry, in the same order.
	Kinds []KindEnergy `json:"kinds"`
}

// KindEnergy is a part's share of one term.
type KindEnergy struct {
	Kind   Kind    `json:"kind"`
	Energy float64 `json:"energy_j"`
}

// Group is a set of terms that belong together: one reference system, or
// one measurement's coefficients.
type Group struct {
	Name        string  `json:"name"`
	Description string  `json:"description,omitempty"`
	Terms       []Term  `json:"terms"`
	Energy      float64 `json:"energy_j"`
	Note        string  `json:"note,omitempty"`
}

// ANN compares the run's synaptic events at E_AC with the equivalent dense
// ANN, which multiplies and accumulates every synapse at every step, at E_MAC.
type ANN struct {
	System   string `json:"system"`
	Synapses uint64 `json:"synapses"`
	Steps    int    `json:"steps"`
	SNN      Term   `json:"snn"`
	ANN      Term   `json:"ann"`
	// Ratio is ANN energy over SNN energy (0 when the SNN term is 0).
	Ratio float64 `json:"ratio"`
}

// Estimate builds the report of a run: p is the program that ran on t, c
// the emulator's counters of that run.
func Estimate(p *program.Program, t *target.Target, c *emu.Counters, opts Options) (*Report, error) {
	if p == nil || t == nil || c == nil {
		return nil, fmt.Errorf("energy: need a program, a target and counters")
	}
	if p.Target != "" && p.Target != t.Name {
		return nil, fmt.Errorf("energy: the program was compiled for %s, not %s", p.Target, t.Name)
	}
	refs := opts.References
	if refs == nil {
		var err error
		if refs, err = target.ReferenceEnergy(); err != nil {
			return nil, err
		}
	}
	b, err := newBuilder(p, c, opts)
	if err != nil {
		return nil, err
	}
	r := b.build(t.Name, t.Description, t.Energy, t)
	r.Basis = "emulator run on " + t.Name
	r.Measured = b.measured(t.Energy)
	for _, ref := range refs {
		if _, ok := ref.Energy.Lookup("e_mac"); ok {
			if r.ANN == nil {
				r.ANN = b.ann(ref)
			}
			continue
		}
		er := b.build(ref.Name, ref.Description, ref.Energy, nil)
		if len(er.Terms) == 0 {
			continue
		}
		r.References = append(r.References, Group{Name: ref.Name, Description: ref.Description, Terms: er.Terms, Energy: er.Total, Note: strings.Join(er.Notes, " ")})
	}
	return r, nil
}

// EstimateReference applies a reference system's coefficients to the
// counts of a run on another target (basis names it): what the same events
// would cost there. No static power is included — the reference has no
// machine to idle — and the report is marked as an estimate.
func EstimateReference(p *program.Program, ref target.ReferenceSystem, basis string, c *emu.Counters, opts Options) (*Report, error) {
	if p == nil || c == nil {
		return nil, fmt.Errorf("energy: need a program and counters")
	}
	b, err := newBuilder(p, c, opts)
	if err != nil {
		return nil, err
	}
	r := b.build(ref.Name, ref.Description, ref.Energy, nil)
	r.Estimate = true
	r.Basis = "estimate from the event counts of the " + basis + " run"
	r.Chips, r.Cores = nil, nil
	return r, nil
}

// builder holds one run's counts, indexed for attribution.
type builder struct {
	p       *program.Program
	c       *emu.Counters
	opts    Options
	seconds *big.Rat
	// cores in program order, their counters and chip index.
	cores   []program.Core
	cnt     []emu.CoreCounters
	chips   []string         // chip names "x,y", sorted by x then y
	chipOf  []int            // per core: index into chips
	routed  []uint64         // per chip: packets routed
	chipIdx map[string]int   // name → index
	totals  emu.CoreCounters // summed core counters
}

func newBuilder(p *program.Program, c *emu.Counters, opts Options) (*builder, error) {
	if !(p.Timestep > 0) {
		return nil, fmt.Errorf("energy: program %s has no timestep", p.Network)
	}
	b := &builder{p: p, c: c, opts: opts, chipIdx: map[string]int{}}
	b.seconds = new(big.Rat).Mul(rat(p.Timestep), new(big.Rat).SetInt64(int64(c.Steps)))
	byName := map[string]emu.CoreCounters{}
	for _, cc := range c.Cores {
		byName[cc.Core] = cc
	}
	if len(byName) != len(c.Cores) {
		return nil, fmt.Errorf("energy: the counters list a core twice")
	}
	type xy struct{ x, y int }
	chipSet := map[xy]bool{}
	for _, pc := range p.Cores {
		cc, ok := byName[pc.CoreID.String()]
		if !ok {
			return nil, fmt.Errorf("energy: core %s of the program has no counters: were the counters made by a run of this program?", pc.CoreID)
		}
		delete(byName, pc.CoreID.String())
		b.cores = append(b.cores, pc)
		b.cnt = append(b.cnt, cc)
		chipSet[xy{int(pc.X), int(pc.Y)}] = true
	}
	if len(byName) > 0 {
		names := make([]string, 0, len(byName))
		for n := range byName {
			names = append(names, n)
		}
		slices.Sort(names)
		return nil, fmt.Errorf("energy: the counters have cores the program does not use (%s): were the counters made by a run of this program?", strings.Join(names, ", "))
	}
	routed := map[xy]uint64{}
	for _, ch := range c.Chips {
		var x, y int
		if _, err := fmt.Sscanf(ch.Chip, "%d,%d", &x, &y); err != nil {
			return nil, fmt.Errorf("energy: chip counters name %q: want x,y", ch.Chip)
		}
		chipSet[xy{x, y}] = true
		routed[xy{x, y}] += ch.PacketsRouted
	}
	keys := make([]xy, 0, len(chipSet))
	for k := range chipSet {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b xy) int { return cmp.Or(cmp.Compare(a.x, b.x), cmp.Compare(a.y, b.y)) })
	for i, k := range keys {
		name := fmt.Sprintf("%d,%d", k.x, k.y)
		b.chips = append(b.chips, name)
		b.chipIdx[name] = i
		b.routed = append(b.routed, routed[k])
	}
	for _, pc := range b.cores {
		b.chipOf = append(b.chipOf, b.chipIdx[fmt.Sprintf("%d,%d", pc.X, pc.Y)])
	}
	b.totals = c.Totals()
	return b, nil
}

// coreCount returns a core counter of the given kind.
func coreCount(cc emu.CoreCounters, k Kind) uint64 {
	switch k {
	case SynapticEvents:
		return cc.SynapticEvents
	case NeuronUpdates:
		return cc.NeuronUpdates
	case SpikesSent:
		return cc.SpikesSent
	case SDRAMWords:
		return cc.SDRAMWords
	case STDPUpdates:
		return cc.STDPUpdates
	}
	return 0
}

// lookup finds the first of a rule's coefficients with the rule's unit.
func lookup(table target.EnergyTable, r rule) (target.Coefficient, bool) {
	for _, n := range r.names {
		if c, ok := table.Lookup(n); ok && c.Unit == r.unit {
			return c, true
		}
	}
	return target.Coefficient{}, false
}

// acc accumulates one breakdown row exactly.
type acc struct {
	name, detail string
	kinds        []*big.Rat // per term
}

// shared names the population row of energy no population owns.
const (
	sharedRow = "(shared)"
	restRow   = "(rest of machine)"
)

// build costs the counts with one energy table. t is the target the run
// was on (nil for a reference system: no static terms, no machine).
func (b *builder) build(name, desc string, table target.EnergyTable, t *target.Target) *Report {
	inf := max(b.opts.Inferences, 1)
	r := &Report{
		System: name, Description: desc, Network: b.p.Network,
		Timestep: b.p.Timestep, Steps: b.c.Steps, BioTime: ratFloat(b.seconds), Inferences: inf,
	}
	if t != nil {
		r.Boards = max(t.Machine.Boards, 1)
		r.MachineChips = t.NumChips()
		r.ChipsRouting = len(b.chips)
		r.CoresUsed = len(b.cores)
		seen := map[int]bool{}
		for _, ci := range b.chipOf {
			seen[ci] = true
		}
		r.ChipsUsed = len(seen)
	}
	// Breakdown rows, filled term by term.
	pops := make([]*acc, len(b.p.Populations)+1)
	popCores := make([]int, len(b.p.Populations))
	for _, pc := range b.cores {
		if int(pc.Pop) < len(popCores) {
			popCores[pc.Pop]++
		}
	}
	for i, pp := range b.p.Populations {
		pops[i] = &acc{name: pp.Name, detail: plural(popCores[i], "core")}
	}
	pops[len(pops)-1] = &acc{name: sharedRow, detail: "board, idle chips, routers"}
	chips := make([]*acc, len(b.chips)+1)
	chipCores := make([]int, len(b.chips))
	for _, ci := range b.chipOf {
		chipCores[ci]++
	}
	for i, n := range b.chips {
		chips[i] = &acc{name: n, detail: plural(chipCores[i], "core")}
	}
	chips[len(chips)-1] = &acc{name: restRow}
	cores := make([]*acc, len(b.cores))
	for i, pc := range b.cores {
		cores[i] = &acc{name: pc.CoreID.String(), detail: b.popName(pc.Pop) + " (" + pc.Kind.String() + ")"}
	}
	all := slices.Concat(pops, chips, cores)
	zero := func() {
		for _, a := range all {
			a.kinds = append(a.kinds, new(big.Rat))
		}
	}
	add := func(a *acc, e *big.Rat) {
		k := a.kinds[len(a.kinds)-1]
		k.Add(k, e)
	}
	var terms []*big.Rat
	var static, dynamic big.Rat

	_, hasBoard := lookup(table, rules[0])
	for _, ru := range rules {
		if ru.class == Static && t == nil {
			continue
		}
		if ru.kind == ChipIdle && hasBoard {
			if c, ok := lookup(table, ru); ok {
				r.Notes = append(r.Notes, fmt.Sprintf("%s (%s per chip) is not added: %s is the whole board's measured idle power, its chips included", c.Name, formatValue(c.Value, c.Unit), "board.idle_power"))
			}
			continue
		}
		coef, ok := lookup(table, ru)
		if ru.kind == BoxOverhead && ok && !b.opts.Boxed {
			r.Notes = append(r.Notes, fmt.Sprintf("%s (%s) is not added: a lone board; boards in a box or frame incur it (Options.Boxed, --boxed)", coef.Name, formatValue(coef.Value, coef.Unit)))
			continue
		}
		if ru.class == Dynamic && b.count(ru.kind) == 0 {
			continue // nothing happened: no term, nothing uncosted
		}
		if !ok {
			if ru.class == Dynamic {
				if n := b.count(ru.kind); n > 0 {
					r.Uncosted = append(r.Uncosted, Uncosted{Kind: ru.kind, Count: n, Tried: ru.names})
				}
			}
			continue
		}
		zero()
		v := rat(coef.Value)
		term := Term{Kind: ru.kind, Class: ru.class, Unit: ru.unitName, Coefficient: coef}
		if base, ok := strings.CutSuffix(coef.Name, ".active"); ok {
			if in, ok := table.Lookup(base + ".inactive"); ok {
				term.Note = fmt.Sprintf("every update costed as active (%s): the counters do not tell active from inactive updates (%s), so this is an upper bound",
					formatValue(coef.Value, coef.Unit), formatValue(in.Value, in.Unit))
			}
		}
		var e big.Rat
		perTime := new(big.Rat).Mul(v, b.seconds) // static: one unit over the run
		switch ru.kind {
		case BoardIdle:
			term.Count = float64(r.Boards)
			e.Mul(perTime, intRat(uint64(r.Boards)))
			add(pops[len(pops)-1], &e)
			add(chips[len(chips)-1], &e)
			term.Note = "the whole board idle, its chips included"
		case BoxOverhead:
			term.Count = 1
			e.Set(perTime)
			add(pops[len(pops)-1], &e)
			add(chips[len(chips)-1], &e)
		case ChipIdle:
			term.Count = float64(r.MachineChips)
			e.Mul(perTime, intRat(uint64(r.MachineChips)))
			add(pops[len(pops)-1], &e)
			for i := range b.chips {
				add(chips[i], perTime)
			}
			rest := r.MachineChips - len(b.chips)
			if rest < 0 {
				rest = 0
				r.Notes = append(r.Notes, "the run used chips outside the target's chip list")
			}
			add(chips[len(chips)-1], new(big.Rat).Mul(perTime, intRat(uint64(rest))))
			term.Note = "every chip of the machine, used or not"
			if rest+len(b.chips) != r.MachineChips {
				// Keep the chip rows summing to the term.
				e.Mul(perTime, intRat(uint64(rest+len(b.chips))))
				term.Count = float64(rest + len(b.chips))
			}
		case ActiveCores:
			term.Count = float64(len(b.cores))
			e.Mul(perTime, intRat(uint64(len(b.cores))))
			for i, pc := range b.cores {
				add(pops[b.popIndex(pc.Pop, len(pops))], perTime)
				add(chips[b.chipOf[i]], perTime)
				add(cores[i], perTime)
			}
			term.Note = "application cores the program uses (neuron, source and delay cores); monitor cores idle with their chip"
		case PacketsRouted:
			var n uint64
			for i, k := range b.routed {
				n += k
				ce := new(big.Rat).Mul(v, intRat(k))
				add(chips[i], ce)
				add(pops[len(pops)-1], ce)
			}
			term.Count = float64(n)
			e.Mul(v, intRat(n))
			term.Note = "each packet once per chip (router) it passed through, the source chip included"
		default:
			var n uint64
			for i, pc := range b.cores {
				k := coreCount(b.cnt[i], ru.kind)
				n += k
				ce := new(big.Rat).Mul(v, intRat(k))
				add(pops[b.popIndex(pc.Pop, len(pops))], ce)
				add(chips[b.chipOf[i]], ce)
				add(cores[i], ce)
			}
			term.Count = float64(n)
			e.Mul(v, intRat(n))
		}
		if ru.class == Static {
			term.Seconds = ratFloat(b.seconds)
			static.Add(&static, &e)
		} else {
			dynamic.Add(&dynamic, &e)
		}
		term.Energy = ratFloat(&e)
		r.Terms = append(r.Terms, term)
		terms = append(terms, new(big.Rat).Set(&e))
	}
	var total big.Rat
	total.Add(&static, &dynamic)
	r.Static, r.Dynamic, r.Total = ratFloat(&static), ratFloat(&dynamic), ratFloat(&total)
	r.PerInference = ratFloat(new(big.Rat).Quo(&total, intRat(uint64(inf))))
	if b.seconds.Sign() > 0 {
		r.PerBioSecond = ratFloat(new(big.Rat).Quo(&total, b.seconds))
	}
	r.Populations = b.parts(pops, r.Terms, true)
	if t != nil {
		r.Chips = b.parts(chips, r.Terms, true)
		r.Cores = b.parts(cores, r.Terms, false)
	}
	return r
}

// parts turns accumulators into rows; dropEmpty drops a synthetic last
// row that holds nothing.
func (b *builder) parts(accs []*acc, terms []Term, dropEmpty bool) []Part {
	out := make([]Part, 0, len(accs))
	for i, a := range accs {
		var s, d, t big.Rat
		p := Part{Name: a.name, Detail: a.detail, Kinds: make([]KindEnergy, len(terms))}
		for j, term := range terms {
			p.Kinds[j] = KindEnergy{Kind: term.Kind, Energy: ratFloat(a.kinds[j])}
			if term.Class == Static {
				s.Add(&s, a.kinds[j])
			} else {
				d.Add(&d, a.kinds[j])
			}
		}
		t.Add(&s, &d)
		if dropEmpty && i == len(accs)-1 && t.Sign() == 0 && (a.name == sharedRow || a.name == restRow) {
			continue
		}
		p.Static, p.Dynamic, p.Total = ratFloat(&s), ratFloat(&d), ratFloat(&t)
		out = append(out, p)
	}
	return out
}

func (b *builder) popName(i uint32) string {
	if int(i) < len(b.p.Populations) {
		return b.p.Populations[i].Name
	}
	return fmt.Sprintf("population %d", i)
}

// popIndex returns the population row of a core; out-of-range indices
// (a malformed program) go to the shared row so nothing is lost.
func (b *builder) popIndex(i uint32, rows int) int {
	if int(i) < rows-1 {
		return int(i)
	}
	return rows - 1
}

// count is the run's total of a dynamic kind.
func (b *builder) count(k Kind) uint64 {
	if k == PacketsRouted {
		var n uint64
		for _, x := range b.routed {
			n += x
		}
		return n
	}
	return coreCount(b.totals, k)
}

// measured applies a target's whole-system measurements ("measured.*"
// coefficients), one group per source: figures from one paper go together,
// figures from different papers are never mixed.
func (b *builder) measured(table target.EnergyTable) []Group {
	var groups []Group
	var sums []*big.Rat
	for _, c := range table {
		if !strings.HasPrefix(c.Name, "measured.") || c.Unit != target.Joule {
			continue
		}
		term := Term{Class: Dynamic, Coefficient: c}
		var count *big.Rat
		switch c.Name {
		case "measured.synaptic_event", "measured.psp":
			term.Kind, term.Unit = SynapticEvents, "event"
			count = intRat(b.totals.SynapticEvents)
			if c.Name == "measured.psp" {
				term.Note = "one post-synaptic potential per synaptic event"
			}
		case "measured.neuron":
			// Per neuron per millisecond: neuron updates × timestep / 1 ms.
			term.Kind, term.Unit = NeuronUpdates, "neuron-ms"
			count = new(big.Rat).Mul(intRat(b.totals.NeuronUpdates), rat(b.p.Timestep))
			count.Quo(count, big.NewRat(1, 1000))
			term.Note = "neuron updates × timestep, in neuron-milliseconds"
		default:
			continue
		}
		e := new(big.Rat).Mul(rat(c.Value), count)
		term.Count = ratFloat(count)
		term.Energy = ratFloat(e)
		i := slices.IndexFunc(groups, func(g Group) bool { return g.Name == c.Source })
		if i < 0 {
			groups = append(groups, Group{Name: c.Source})
			sums = append(sums, new(big.Rat))
			i = len(groups) - 1
		}
		groups[i].Terms = append(groups[i].Terms, term)
		sums[i].Add(sums[i], e)
		if c.Note != "" && groups[i].Note == "" {
			groups[i].Note = c.Note
		}
	}
	for i := range groups {
		groups[i].Energy = ratFloat(sums[i])
	}
	return groups
}

// ann builds the SNN-versus-ANN comparison from a reference system with
// e_ac and e_mac.
func (b *builder) ann(ref target.ReferenceSystem) *ANN {
	eac, ok1 := ref.Energy.Lookup("e_ac")
	emac, ok2 := ref.Energy.Lookup("e_mac")
	if !ok1 || !ok2 {
		return nil
	}
	syn := Synapses(b.p)
	a := &ANN{System: ref.Name, Synapses: syn, Steps: b.c.Steps}
	snn := new(big.Rat).Mul(rat(eac.Value), intRat(b.totals.SynapticEvents))
	ops := new(big.Rat).Mul(intRat(syn), intRat(uint64(b.c.Steps)))
	ann := new(big.Rat).Mul(rat(emac.Value), ops)
	a.SNN = Term{Kind: SynapticEvents, Class: Dynamic, Unit: "accumulate", Count: float64(b.totals.SynapticEvents), Coefficient: eac, Energy: ratFloat(snn),
		Note: "one accumulate per synaptic event"}
	a.ANN = Term{Kind: "multiply-accumulates", Class: Dynamic, Unit: "MAC", Count: ratFloat(ops), Coefficient: emac, Energy: ratFloat(ann),
		Note: "the same connectivity as a dense ANN: every synapse at every step"}
	if snn.Sign() > 0 {
		a.Ratio = ratFloat(new(big.Rat).Quo(ann, snn))
	}
	return a
}

// Synapses counts the synapses packed in a program: the lengths of every
// row of every core's synaptic matrix (a synapse reached through a delay
// core sits in exactly one row too, so none is counted twice).
func Synapses(p *program.Program) uint64 {
	var n uint64
	for _, c := range p.Cores {
		for _, e := range c.PopTable {
			for i := uint32(0); i < e.Rows; i++ {
				if !e.HasRow(i, c.Synapses) {
					continue
				}
				at, ok := e.Row(e.Key|i, c.Synapses)
				if !ok || int(at) >= len(c.Synapses) {
					continue
				}
				n += uint64(c.Synapses[at])
			}
		}
	}
	return n
}

// rat is a float64's shortest decimal form as an exact rational: the
// coefficient as written in the target file (8e-11), not its binary
// approximation, so that 1e6 × 80 pJ is 80 µJ exactly.
func rat(v float64) *big.Rat {
	r, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'g', -1, 64))
	if !ok {
		return new(big.Rat)
	}
	return r
}

func intRat(n uint64) *big.Rat { return new(big.Rat).SetFrac(new(big.Int).SetUint64(n), big.NewInt(1)) }

func ratFloat(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
