package energy

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math/big"
	"path/filepath"
	"strings"
	"testing"

	"github.com/somahw/soma/internal/golden"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// coef is a coefficient for hand-built tables.
func coef(name string, v float64, u target.Unit) target.Coefficient {
	return target.Coefficient{Name: name, Value: v, Unit: u, Source: "test source " + name, Status: target.StatusRead}
}

// handTarget is a 2×2-chip grid with the given energy table.
func handTarget(table ...target.Coefficient) *target.Target {
	return &target.Target{
		Name: "hand", Description: "hand-built target", Kind: target.KindSpiNNaker,
		Machine: target.Machine{Layout: target.LayoutGrid, Width: 2, Height: 2, CoresPerChip: 18, MonitorCoresPerChip: 1},
		Energy:  table,
	}
}

// handRun is a program of three cores on two chips (populations a: two
// cores on chip 0,0; b: one core on chip 1,0) and its counters.
func handRun(steps uint32, timestep float64) (*program.Program, *emu.Counters) {
	p := &program.Program{
		Network: "hand", Target: "hand", Timestep: timestep, Steps: steps,
		Populations: []program.Population{{Name: "a", Size: 20, Cores: []uint32{0, 1}}, {Name: "b", Size: 5, Cores: []uint32{2}}},
		Cores: []program.Core{
			{CoreID: program.CoreID{X: 0, Y: 0, P: 1}, Kind: program.NeuronCore, Pop: 0, N: 10},
			{CoreID: program.CoreID{X: 0, Y: 0, P: 2}, Kind: program.NeuronCore, Pop: 0, Lo: 10, N: 10},
			{CoreID: program.CoreID{X: 1, Y: 0, P: 1}, Kind: program.NeuronCore, Pop: 1, N: 5},
		},
	}
	c := &emu.Counters{
		Steps: int(steps),
		Cores: []emu.CoreCounters{
			{Core: "0,0,1", Population: "a", SynapticEvents: 600_000, NeuronUpdates: 10 * uint64(steps), SpikesSent: 30, SDRAMWords: 1000, STDPUpdates: 7},
			{Core: "0,0,2", Population: "a", SynapticEvents: 300_000, NeuronUpdates: 10 * uint64(steps), SpikesSent: 20, SDRAMWords: 500},
			{Core: "1,0,1", Population: "b", SynapticEvents: 100_000, NeuronUpdates: 5 * uint64(steps), SpikesSent: 10},
		},
		Chips: []emu.ChipCounters{{Chip: "0,0", PacketsRouted: 100}, {Chip: "1,0", PacketsRouted: 50}, {Chip: "0,1", PacketsRouted: 3}},
	}
	return p, c
}

var noRefs = Options{References: []target.ReferenceSystem{}}

type termFig struct {
	Kind   Kind
	Count  float64
	Energy float64
}

func terms(r *Report) []termFig {
	var out []termFig
	for _, t := range r.Terms {
		out = append(out, termFig{t.Kind, t.Count, t.Energy})
	}
	return out
}

// TestTermArithmetic checks each kind of term against hand-computed
// values. Coefficients are taken as the decimals written in the table, so
// the products are exact: 1,000,000 events at 80 pJ are 80 µJ, not 80 µJ
// less an ulp.
func TestTermArithmetic(t *testing.T) {
	// handRun counts, in total: 1,000,000 synaptic events, 25 neurons ×
	// steps updates, 60 spikes, 1,500 SDRAM words, 7 STDP updates, 153
	// packet-hops; 3 cores on 2 chips of a 4-chip machine.
	tests := []struct {
		name     string
		table    []target.Coefficient
		steps    uint32
		timestep float64
		opts     Options
		want     []termFig
		total    float64
	}{
		{
			name:  "synaptic events at 80 pJ",
			table: []target.Coefficient{coef("synaptic_event", 80e-12, target.Joule)},
			steps: 1000, timestep: 1e-3,
			want:  []termFig{{SynapticEvents, 1_000_000, 80e-6}},
			total: 80e-6,
		},
		{
			name:  "board idle over 10,000 steps of 0.1 ms is one second",
			table: []target.Coefficient{coef("board.idle_power", 26.84, target.Watt)},
			steps: 10000, timestep: 1e-4,
			want:  []termFig{{BoardIdle, 1, 26.84}},
			total: 26.84,
		},
		{
			name: "chip idle counts every chip of the machine, used or not",
			table: []target.Coefficient{
				coef("chip.idle_power", 0.35, target.Watt),
				coef("core.active_power", 0.034, target.Watt),
			},
			steps: 2000, timestep: 1e-3,
			// 4 chips × 0.35 W × 2 s = 2.8 J; 3 cores × 0.034 W × 2 s = 0.204 J.
			want:  []termFig{{ChipIdle, 4, 2.8}, {ActiveCores, 3, 0.204}},
			total: 3.004,
		},
		{
			name: "board idle replaces chip idle; box overhead only when boxed",
			table: []target.Coefficient{
				coef("board.idle_power", 3.56, target.Watt),
				coef("box.overhead_power", 5.04, target.Watt),
				coef("chip.idle_power", 0.35, target.Watt),
			},
			steps: 500, timestep: 1e-3,
			opts: Options{Boxed: true, References: []target.ReferenceSystem{}},
			// 0.5 s: 1.78 J + 2.52 J.
			want:  []termFig{{BoardIdle, 1, 1.78}, {BoxOverhead, 1, 2.52}},
			total: 4.3,
		},
		{
			name:  "router energy per packet per chip traversed",
			table: []target.Coefficient{coef("router.packet", 1e-9, target.Joule)},
			steps: 100, timestep: 1e-3,
			want:  []termFig{{PacketsRouted, 153, 153e-9}},
			total: 153e-9,
		},
		{
			name: "every per-event kind",
			table: []target.Coefficient{
				coef("neuron_update", 30e-12, target.Joule),
				coef("spike", 2e-12, target.Joule),
				coef("sdram.word", 1e-12, target.Joule),
				coef("stdp_update", 120e-12, target.Joule),
			},
			steps: 100, timestep: 1e-3,
			// 2,500 updates × 30 pJ = 75 nJ; 60 × 2 pJ = 120 pJ; 1,500 × 1 pJ = 1.5 nJ; 7 × 120 pJ = 840 pJ.
			want:  []termFig{{NeuronUpdates, 2500, 75e-9}, {SpikesSent, 60, 120e-12}, {SDRAMWords, 1500, 1.5e-9}, {STDPUpdates, 7, 840e-12}},
			total: 77.46e-9,
		},
		{
			name:  "a coefficient with the wrong unit is not used",
			table: []target.Coefficient{coef("synaptic_event", 3.5e-9, target.Second)},
			steps: 100, timestep: 1e-3,
			want:  nil,
			total: 0,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, c := handRun(tc.steps, tc.timestep)
			opts := tc.opts
			if opts.References == nil {
				opts = noRefs
			}
			r, err := Estimate(p, handTarget(tc.table...), c, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, terms(r)); diff != "" {
				t.Errorf("terms (-want +got):\n%s", diff)
			}
			if r.Total != tc.total {
				t.Errorf("total %v, want exactly %v", r.Total, tc.total)
			}
			checkConsistent(t, r)
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		v    float64
		f    func(float64) string
		want string
	}{
		{80e-6, FormatJ, "80 µJ"},
		{1e6 * 80e-12, FormatJ, "80 µJ"},
		{26.84, FormatJ, "26.84 J"},
		{0.034, FormatW, "34 mW"},
		{0.9999999, FormatJ, "1 J"},
		{12345, FormatJ, "12.35 kJ"},
		{9e-13, FormatJ, "900 fJ"},
		{0, FormatJ, "0 J"},
		{1774576, formatCount, "1,774,576"},
		{2.5, formatCount, "2.5"},
	}
	for _, tc := range tests {
		if got := tc.f(tc.v); got != tc.want {
			t.Errorf("format(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

// TestBreakdown checks who gets what: cores their active power and their
// events, chips their cores and their routers, and the shared rows what no
// population or chip owns.
func TestBreakdown(t *testing.T) {
	p, c := handRun(1000, 1e-3) // 1 s
	tg := handTarget(
		coef("board.idle_power", 2, target.Watt),
		coef("core.active_power", 0.5, target.Watt),
		coef("router.packet", 1e-9, target.Joule),
		coef("synaptic_event", 1e-9, target.Joule),
	)
	r, err := Estimate(p, tg, c, noRefs)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		Name            string
		Static, Dynamic float64
	}
	rows := func(parts []Part) []row {
		var out []row
		for _, p := range parts {
			out = append(out, row{p.Name, p.Static, p.Dynamic})
		}
		return out
	}
	approx := cmpopts.EquateApprox(1e-12, 0)
	wantPops := []row{{"a", 1, 900e-6}, {"b", 0.5, 100e-6}, {"(shared)", 2, 153e-9}}
	if diff := cmp.Diff(wantPops, rows(r.Populations), approx); diff != "" {
		t.Errorf("populations (-want +got):\n%s", diff)
	}
	wantChips := []row{{"0,0", 1, 900e-6 + 100e-9}, {"0,1", 0, 3e-9}, {"1,0", 0.5, 100e-6 + 50e-9}, {"(rest of machine)", 2, 0}}
	if diff := cmp.Diff(wantChips, rows(r.Chips), approx); diff != "" {
		t.Errorf("chips (-want +got):\n%s", diff)
	}
	wantCores := []row{{"0,0,1", 0.5, 600e-6}, {"0,0,2", 0.5, 300e-6}, {"1,0,1", 0.5, 100e-6}}
	if diff := cmp.Diff(wantCores, rows(r.Cores), approx); diff != "" {
		t.Errorf("cores (-want +got):\n%s", diff)
	}
	if got, want := r.PerBioSecond, r.Total; got != want {
		t.Errorf("per biological second %v, want %v over 1 s", got, want)
	}
	var un []Kind
	for _, u := range r.Uncosted {
		un = append(un, u.Kind)
	}
	if diff := cmp.Diff([]Kind{NeuronUpdates, SpikesSent, SDRAMWords, STDPUpdates}, un); diff != "" {
		t.Errorf("uncosted (-want +got):\n%s", diff)
	}
	checkConsistent(t, r)
}

func TestInferences(t *testing.T) {
	p, c := handRun(1000, 1e-3)
	tg := handTarget(coef("board.idle_power", 3, target.Watt))
	r, err := Estimate(p, tg, c, Options{Inferences: 4, References: []target.ReferenceSystem{}})
	if err != nil {
		t.Fatal(err)
	}
	if r.PerInference != 0.75 || r.Inferences != 4 {
		t.Errorf("per inference %v over %d inferences, want 0.75 J over 4", r.PerInference, r.Inferences)
	}
}

func TestReferencesAndANN(t *testing.T) {
	refs, err := target.ReferenceEnergy()
	if err != nil {
		t.Fatal(err)
	}
	p, c := handRun(1000, 1e-3)
	// One packed synapse per row: two rows on core 0,0,1.
	p.Cores[0].PopTable = []program.PopEntry{{Key: 0x100, Mask: 0xffffff00, Start: 0, Stride: 2, Rows: 2}}
	p.Cores[0].Synapses = []uint32{1, 0xdead, 1, 0xbeef}
	r, err := Estimate(p, handTarget(), c, Options{References: refs})
	if err != nil {
		t.Fatal(err)
	}
	if r.ANN == nil {
		t.Fatal("no SNN-vs-ANN comparison")
	}
	// SNN: 1,000,000 events × 0.9 pJ = 0.9 µJ; ANN: 2 synapses × 1000 steps × 4.6 pJ = 9.2 nJ.
	got := []float64{float64(r.ANN.Synapses), r.ANN.SNN.Energy, r.ANN.ANN.Energy}
	if diff := cmp.Diff([]float64{2, 0.9e-6, 9.2e-9}, got); diff != "" {
		t.Errorf("ANN comparison (-want +got):\n%s", diff)
	}
	energies := map[string]float64{}
	for _, g := range r.References {
		energies[g.Name] = g.Energy
	}
	// Loihi: 1e6 × 23.6 pJ + 25,000 × 81 pJ + 60 × 1.7 pJ + 7 × 120 pJ.
	want := map[string]float64{
		"loihi":      23.6e-6 + 2.025e-6 + 102e-12 + 840e-12,
		"truenorth":  26e-6,
		"spinnaker2": 10e-6,
		"odin":       12.7e-6,
		"reckon":     5.3e-6,
	}
	if diff := cmp.Diff(want, energies, cmpopts.EquateApprox(1e-12, 0)); diff != "" {
		t.Errorf("reference estimates (-want +got):\n%s", diff)
	}
	for _, ref := range refs {
		if ref.Name != "loihi" {
			continue
		}
		er, err := EstimateReference(p, ref, "hand", c, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if !er.Estimate || er.Total != energies["loihi"] || er.Static != 0 || er.Chips != nil {
			t.Errorf("loihi estimate: estimate=%v total=%v static=%v chips=%v; want an estimate of %v with no static or chips", er.Estimate, er.Total, er.Static, er.Chips, energies["loihi"])
		}
		checkConsistent(t, er)
	}
}

func TestMeasuredGroups(t *testing.T) {
	p, c := handRun(1000, 1e-3)
	tg := handTarget(
		target.Coefficient{Name: "measured.synaptic_event", Value: 8e-9, Unit: target.Joule, Source: "Stromatias", Status: target.StatusSecondHand},
		target.Coefficient{Name: "measured.psp", Value: 43e-9, Unit: target.Joule, Source: "Sharp", Status: target.StatusRead},
		target.Coefficient{Name: "measured.neuron", Value: 100e-9, Unit: target.Joule, Source: "Sharp", Status: target.StatusRead},
	)
	r, err := Estimate(p, tg, c, noRefs)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, g := range r.Measured {
		got[g.Name] = g.Energy
	}
	// Sharp: 25,000 neuron updates of 1 ms = 25,000 neuron-ms × 100 nJ = 2.5 mJ, + 1e6 × 43 nJ = 43 mJ.
	want := map[string]float64{"Stromatias": 8e-3, "Sharp": 45.5e-3}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("measured groups (-want +got):\n%s", diff)
	}
	if r.Total != 0 {
		t.Errorf("measured figures were added to the total: %v", r.Total)
	}
}

func TestErrors(t *testing.T) {
	p, c := handRun(100, 1e-3)
	c.Cores = c.Cores[:2]
	if _, err := Estimate(p, handTarget(), c, noRefs); err == nil || !strings.Contains(err.Error(), "1,0,1") {
		t.Errorf("missing core counters: err = %v, want one naming core 1,0,1", err)
	}
	p, c = handRun(100, 1e-3)
	c.Cores = append(c.Cores, emu.CoreCounters{Core: "1,1,3"})
	if _, err := Estimate(p, handTarget(), c, noRefs); err == nil || !strings.Contains(err.Error(), "1,1,3") {
		t.Errorf("extra core counters: err = %v, want one naming core 1,1,3", err)
	}
	p, c = handRun(100, 1e-3)
	p.Target = "other"
	if _, err := Estimate(p, handTarget(), c, noRefs); err == nil {
		t.Error("a program for another target was accepted")
	}
}

// checkConsistent checks that every breakdown sums to the total and every
// part's kinds to the terms: exactly where the report says so.
func checkConsistent(t *testing.T, r *Report) {
	t.Helper()
	approx := cmpopts.EquateApprox(1e-12, 1e-300)
	sum := func(fs ...float64) float64 {
		s := new(big.Rat)
		for _, f := range fs {
			s.Add(s, new(big.Rat).SetFloat64(f))
		}
		v, _ := s.Float64()
		return v
	}
	var st, dy []float64
	for _, tm := range r.Terms {
		if tm.Class == Static {
			st = append(st, tm.Energy)
		} else {
			dy = append(dy, tm.Energy)
		}
	}
	if diff := cmp.Diff([]float64{r.Static, r.Dynamic, r.Total}, []float64{sum(st...), sum(dy...), sum(r.Static, r.Dynamic)}, approx); diff != "" {
		t.Errorf("static, dynamic, total vs the sums of the terms (-report +sums):\n%s", diff)
	}
	check := func(what string, parts []Part, want float64) {
		var tot []float64
		perKind := make([][]float64, len(r.Terms))
		for _, p := range parts {
			tot = append(tot, p.Total)
			if diff := cmp.Diff(p.Total, sum(p.Static, p.Dynamic), approx); diff != "" {
				t.Errorf("%s %s: total is not static + dynamic:\n%s", what, p.Name, diff)
			}
			for j, k := range p.Kinds {
				if k.Kind != r.Terms[j].Kind {
					t.Fatalf("%s %s: kind %d is %s, want %s", what, p.Name, j, k.Kind, r.Terms[j].Kind)
				}
				perKind[j] = append(perKind[j], k.Energy)
			}
		}
		if diff := cmp.Diff(want, sum(tot...), approx); diff != "" {
			t.Errorf("%s: parts do not sum to the total (-want +got):\n%s", what, diff)
		}
		if what == "cores" {
			return
		}
		for j, tm := range r.Terms {
			if diff := cmp.Diff(tm.Energy, sum(perKind[j]...), approx); diff != "" {
				t.Errorf("%s: the parts' %s do not sum to the term (-term +sum):\n%s", what, tm.Kind, diff)
			}
		}
	}
	check("populations", r.Populations, r.Total)
	if r.Chips != nil {
		check("chips", r.Chips, r.Total)
	}
	if r.Cores != nil {
		// Cores hold exactly what the real populations hold.
		var popTotal []float64
		for _, p := range r.Populations {
			if p.Name != sharedRow {
				popTotal = append(popTotal, p.Total)
			}
		}
		check("cores", r.Cores, sum(popTotal...))
	}
}

// compileRun compiles testdata/small.yaml for a target and runs it.
func compileRun(t *testing.T, name string) (*program.Program, *target.Target, *emu.Counters, *ir.Network) {
	t.Helper()
	net, err := ir.ReadFile(filepath.Join("testdata", "small.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := compiler.Compile(net, tg, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e, err := emu.New(comp.Program, program.NewMachine(tg), emu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := e.Run()
	if err != nil {
		t.Fatal(err)
	}
	return comp.Program, tg, c, net
}

// smallComparison is the golden comparison: small.yaml on spinn3 and
// zcu102, and Loihi costed from the spinn3 run.
func smallComparison(t *testing.T) *Comparison {
	t.Helper()
	refs, err := target.ReferenceEnergy()
	if err != nil {
		t.Fatal(err)
	}
	var reports []*Report
	var basis *program.Program
	var basisCnt *emu.Counters
	for _, name := range []string{"spinn3", "zcu102"} {
		p, tg, c, net := compileRun(t, name)
		r, err := Estimate(p, tg, c, Options{References: refs})
		if err != nil {
			t.Fatal(err)
		}
		checkConsistent(t, r)
		exp, err := ir.Expand(net)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := Synapses(p), uint64(exp.NumSynapses()); got != want {
			t.Errorf("%s: Synapses = %d, want the network's %d", name, got, want)
		}
		if r.ANN == nil || r.ANN.Synapses != Synapses(p) {
			t.Errorf("%s: ANN comparison missing or with the wrong synapse count", name)
		}
		reports = append(reports, r)
		if basis == nil {
			basis, basisCnt = p, c
		}
	}
	for _, ref := range refs {
		if ref.Name == "loihi" {
			r, err := EstimateReference(basis, ref, "spinn3", basisCnt, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkConsistent(t, r)
			reports = append(reports, r)
		}
	}
	return Compare(reports...)
}

func TestGoldenText(t *testing.T) {
	c := smallComparison(t)
	var b bytes.Buffer
	if err := c.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "small.txt"), "small.txt", b.Bytes())
}

// TestGoldenHand is a golden report that depends on nothing but this
// package: the hand-built run on a hand-built table.
func TestGoldenHand(t *testing.T) {
	p, c := handRun(1000, 1e-3)
	tg := handTarget(
		coef("chip.idle_power", 0.35, target.Watt),
		coef("core.active_power", 0.034, target.Watt),
		coef("router.packet", 1e-9, target.Joule),
		coef("synaptic_event", 80e-12, target.Joule),
		target.Coefficient{Name: "neuron_update", Value: 30e-12, Unit: target.Joule, Per: "neuron per tick", Source: "soma estimate", Status: target.StatusEstimate, Note: "a guess"},
	)
	r, err := Estimate(p, tg, c, noRefs)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	golden.Check(t, filepath.Join("testdata", "hand.txt"), "hand.txt", b.Bytes())
}

func TestJSONRoundTrip(t *testing.T) {
	c := smallComparison(t)
	var b bytes.Buffer
	if err := c.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Comparison
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(c, &back); diff != "" {
		t.Errorf("JSON round trip (-want +got):\n%s", diff)
	}
}

func TestHTML(t *testing.T) {
	c := smallComparison(t)
	var a, b bytes.Buffer
	if err := c.WriteHTML(&a); err != nil {
		t.Fatal(err)
	}
	if err := smallComparison(t).WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two HTML pages of the same runs differ")
	}
	page := a.String()
	// The whole page is well-formed XML, and so is each SVG on its own.
	wellFormed(t, "page", page)
	svgs := 0
	for rest := page; ; {
		i := strings.Index(rest, "<svg")
		if i < 0 {
			break
		}
		j := strings.Index(rest[i:], "</svg>")
		if j < 0 {
			t.Fatal("an <svg> is not closed")
		}
		wellFormed(t, "svg", rest[i:i+j+len("</svg>")])
		svgs++
		rest = rest[i+j:]
	}
	if svgs != 3 {
		t.Errorf("%d SVG charts, want 3", svgs)
	}
	for _, bad := range []string{"<script", "http://", "https://", "<link", "src="} {
		if strings.Contains(strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, ""), bad) {
			t.Errorf("page has %q: not self-contained", bad)
		}
	}
	for _, want := range []string{"estimate from the event counts of the spinn3 run", "status-estimate", "board.idle_power", "Davies et al. 2018"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
}

func wellFormed(t *testing.T, what, s string) {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	for {
		_, err := d.Token()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", what, err)
		}
	}
}
