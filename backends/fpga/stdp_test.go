package fpga

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// pairsNet drives four neurons with scripted teacher spikes (one-to-one,
// strong) and six scripted pre neurons onto all four through additive
// STDP with 1–3 ms delays, so that pre spikes arrive both before a post
// spike (potentiation) and after one (depression), in queues of several
// slots. Every weight is probed every step.
const pairsNet = `
name: stdp_pairs
run: {timestep: 1ms, duration: 60ms, seed: 1}
populations:
  pre: {size: 6, model: spike_source_array, spike_times: [[2ms, 20ms, 40ms], [5ms, 25ms, 27ms], [8ms, 30ms, 45ms], [12ms, 13ms], [15ms, 35ms], [18ms, 50ms]]}
  teach: {size: 4, model: spike_source_array, spike_times: [[6ms, 28ms, 44ms], [10ms, 33ms], [14ms, 42ms], [22ms, 48ms, 52ms]]}
  post:
    size: 4
    model: if_curr_exp
    params: {cm: 1nF, tau_m: 20ms, tau_syn_E: 5ms, v_rest: -65mV, v_reset: -65mV, v_thresh: -58mV, tau_refrac: 2ms}
projections:
  drive: {pre: teach, post: post, connector: one_to_one, weight: 5nA, delay: 1ms}
  plastic:
    pre: pre
    post: post
    connector: all_to_all
    weight: {uniform: [0.5nA, 1.5nA]}
    delay: {uniform: [1ms, 3ms]}
    plasticity: {type: stdp, tau_plus: 15ms, tau_minus: 25ms, a_plus: 0.2, a_minus: 0.25, w_min: 0.2nA, w_max: 2nA, weight_dependence: DEP}
probes:
  - {population: post, record: spikes}
  - {projection: plastic, record: weights, every: 1}
`

// gapNet has spike pairs more than 256 steps apart, past the end of the
// decay tables (τ = 100 ms, so the tables' last entries are far from 0):
// a post spike 300 steps after the last arrival (no potentiation), an
// arrival 300 steps after the last post spike (no depression), and a post
// trace restarted from 0 (then depressing two synapses).
const gapNet = `
name: stdp_gap
run: {timestep: 1ms, duration: 360ms, seed: 1}
populations:
  pre: {size: 3, model: spike_source_array, spike_times: [[5ms, 340ms], [5ms, 300ms], [330ms]]}
  teach: {size: 1, model: spike_source_array, spike_times: [[10ms, 320ms]]}
  post:
    size: 1
    model: if_curr_exp
    params: {cm: 1nF, tau_m: 20ms, tau_syn_E: 5ms, v_rest: -65mV, v_reset: -65mV, v_thresh: -58mV, tau_refrac: 20ms}
projections:
  drive: {pre: teach, post: post, connector: one_to_one, weight: 5nA, delay: 1ms}
  plastic:
    pre: pre
    post: post
    connector: all_to_all
    weight: 0.3nA
    delay: 1ms
    plasticity: {type: stdp, tau_plus: 100ms, tau_minus: 100ms, a_plus: 1, a_minus: 1, w_min: 0.1nA, w_max: 1nA, weight_dependence: additive}
probes:
  - {population: pre, record: spikes}
  - {population: post, record: spikes}
  - {projection: plastic, record: weights, every: 1}
`

func pairs(dep string) string { return strings.Replace(pairsNet, "DEP", dep, 1) }

// stdpShort is examples/stdp.yaml (1000 Poisson inputs onto 20 neurons,
// 20 000 plastic synapses) run for ms milliseconds, its weight probe
// sampling every step.
func stdpShort(t *testing.T, ms float64) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/stdp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "duration: 5s", "duration: "+ftoa(ms)+"ms", 1)
	if s == string(b) {
		t.Fatal("examples/stdp.yaml: no duration: 5s to shorten")
	}
	// its 100 probed weights every step, so that checkWeights compares
	// them with the emulator's
	return strings.Replace(s, "every: 100}", "every: 1}", 1)
}

// checkWeights: the design read its plastic weights back at the end of the
// run; some were potentiated and some depressed, and where the program
// probes weights every step, each equals the emulator's.
func checkWeights(t *testing.T, p *program.Program, tg *target.Target, r *SimResult) {
	t.Helper()
	up, down := checkWeightsEqual(t, p, tg, r)
	if up == 0 || down == 0 {
		t.Errorf("%d weights potentiated and %d depressed: want both", up, down)
	}
}

// checkWeightsEqual compares the design's final plastic weights with the
// emulator's (those the program probes every step) and with the initial
// ones: how many went up and how many down.
func checkWeightsEqual(t *testing.T, p *program.Program, tg *target.Target, r *SimResult) (up, down int) {
	t.Helper()
	if len(r.Weights) == 0 {
		t.Fatal("the simulation printed no plastic weights")
	}
	final := map[[2]int]uint32{}
	for _, w := range r.Weights {
		c := &p.Cores[w.Engine]
		g := c.Geometry
		ws := g.IndexBits + g.TypeBits + g.DelayBits
		before, after := c.Synapses[w.Addr]>>ws, w.Word>>ws
		if c.Synapses[w.Addr]&(1<<ws-1) != w.Word&(1<<ws-1) {
			t.Errorf("engine %d word %d: delay, type or index changed: %08x → %08x", w.Engine, w.Addr, c.Synapses[w.Addr], w.Word)
		}
		switch {
		case after > before:
			up++
		case after < before:
			down++
		}
		final[[2]int{w.Engine, w.Addr}] = after
	}
	t.Logf("%d plastic weights: %d potentiated, %d depressed", len(r.Weights), up, down)
	// The emulator's weights at the last step, from every-step probes.
	e, err := emu.New(p, program.NewMachine(tg), emu.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := e.Run()
	if err != nil {
		t.Fatal(err)
	}
	compared := 0
	for ci := range p.Cores {
		c := &p.Cores[ci]
		for _, wp := range c.Record.Weights {
			if wp.Every != 1 {
				continue
			}
			var tr *struct {
				idx  []int
				data []float64
			}
			for k := range res.Traces {
				if res.Traces[k].Name == wp.Projection+".weights" {
					tr = &struct {
						idx  []int
						data []float64
					}{res.Traces[k].Indices, res.Traces[k].Data}
				}
			}
			if tr == nil {
				t.Fatalf("no trace %s.weights", wp.Projection)
			}
			last := tr.data[len(tr.data)-len(tr.idx):]
			g := c.Geometry
			ws := g.IndexBits + g.TypeBits + g.DelayBits
			for k, syn := range wp.Synapses {
				word := c.Synapses[wp.Words[k]]
				typ := word >> g.IndexBits & (1<<g.TypeBits - 1)
				// the trace's unit: A for if_curr_exp, V for if_curr_delta (nA, mV in hardware)
				hw := map[string]float64{"if_curr_exp": 1e-9, "if_curr_delta": 1e-3}[c.Model]
				if hw == 0 {
					hw = 1
				}
				lsb := math.Ldexp(1, int(c.WeightShift[typ])-int(p.Numeric.StateFrac)) * hw
				col := -1
				for j, x := range tr.idx {
					if x == int(syn) {
						col = j
					}
				}
				want := uint32(math.Round(last[col] / lsb))
				got, ok := final[[2]int{ci, int(wp.Words[k])}]
				if !ok {
					t.Errorf("engine %d: no final weight for word %d", ci, wp.Words[k])
					continue
				}
				if got != want {
					t.Errorf("synapse %d (engine %d word %d): RTL weight %d, emulator %d (initial %d)", syn, ci, wp.Words[k], got, want, word>>ws)
				}
				compared++
			}
		}
	}
	if compared > 0 {
		t.Logf("%d final weights compared with the emulator's", compared)
	}
	return up, down
}

// randomPlasticNetwork is a small random network with STDP: spike sources,
// one to three populations of if_curr_exp or if_curr_delta neurons split
// over engines, each projection plastic (one rule per network, additive
// or multiplicative, drawn amplitudes, time constants and bounds) or
// static, with random connectors, receptors and delays of 1…15 steps.
// Every plastic weight is probed every step.
func randomPlasticNetwork(seed uint64) (string, compiler.Options) {
	r := rand.New(rand.NewPCG(seed, 0x57d9))
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	var b strings.Builder
	steps := 30 + r.IntN(31)
	fmt.Fprintf(&b, "name: stdp%d\nrun: {timestep: 1ms, duration: %dms, seed: %d}\npopulations:\n", seed, steps, seed)
	var srcs, pops []string
	model := map[string]string{}
	for i := range 1 + r.IntN(2) {
		name := fmt.Sprintf("s%d", i)
		srcs = append(srcs, name)
		fmt.Fprintf(&b, "  %s: {size: %d, model: spike_source_poisson, params: {rate: %.0fHz}}\n", name, 3+r.IntN(30), u(20, 150))
	}
	for i := range 1 + r.IntN(3) {
		name := fmt.Sprintf("p%d", i)
		pops = append(pops, name)
		model[name] = []string{"if_curr_exp", "if_curr_exp", "if_curr_delta"}[r.IntN(3)]
		randomPop(&b, r, name, model[name], 4+r.IntN(28))
	}
	// a core holds one rule: one per post population, bounds included
	rule := map[string]string{}
	scale := map[string][3]float64{} // weights drawn in [lo, mid] and [mid, hi]
	for _, p := range pops {
		unit, lo, hi := "nA", 0.05, 3.0
		if model[p] == "if_curr_delta" {
			unit, lo, hi = "mV", 0.5, 8
		}
		mid := u(lo, hi) / 2
		scale[p] = [3]float64{lo, mid, hi}
		rule[p] = fmt.Sprintf("{type: stdp, tau_plus: %.0fms, tau_minus: %.0fms, a_plus: %.3f, a_minus: %.3f, weight_dependence: %s, w_min: %.2f%s, w_max: %.2f%s}",
			u(5, 40), u(5, 40), u(0.02, 0.4), u(0.02, 0.4), []string{"additive", "multiplicative"}[r.IntN(2)],
			u(0, lo), unit, u(hi, 1.5*hi), unit)
	}
	b.WriteString("projections:\n")
	var plastic []string
	hasRule := map[string]bool{}
	k := 0
	proj := func(pre, post string) {
		conn := []string{
			fmt.Sprintf("{type: fixed_probability, p: %.2f}", u(0.1, 0.7)),
			"{type: all_to_all}",
			fmt.Sprintf("{type: fixed_number_pre, n: %d, with_replacement: true}", 1+r.IntN(4)),
		}[r.IntN(3)]
		unit := "nA"
		if model[post] == "if_curr_delta" {
			unit = "mV"
		}
		sc := scale[post]
		rec := []string{"excitatory", "inhibitory"}[r.IntN(4)/3]
		d := fmt.Sprintf("%dms", 1+r.IntN(15))
		if r.IntN(2) == 0 {
			d = fmt.Sprintf("{uniform: [1ms, %dms]}", 2+r.IntN(14))
		}
		name := fmt.Sprintf("j%d", k)
		k++
		w0, w1 := u(sc[0], sc[1]), u(sc[1], sc[2])
		fmt.Fprintf(&b, "  %s: {pre: %s, post: %s, connector: %s, weight: {uniform: [%.2f%s, %.2f%s]}, delay: %s, receptor: %s",
			name, pre, post, conn, w0, unit, w1, unit, d, rec)
		// one plastic projection per post population (the compiler takes
		// two rules written apart as different even when equal)
		if !hasRule[post] && (k == 1 || r.IntN(4) != 0) {
			hasRule[post] = true
			plastic = append(plastic, name)
			fmt.Fprintf(&b, ",\n      plasticity: %s", rule[post])
		}
		b.WriteString("}\n")
	}
	for _, p := range pops {
		proj(srcs[r.IntN(len(srcs))], p)
		for _, q := range pops {
			if r.IntN(3) == 0 {
				proj(q, p)
			}
		}
	}
	b.WriteString("probes:\n")
	for _, p := range append(srcs, pops...) {
		fmt.Fprintf(&b, "  - {population: %s, record: spikes}\n", p)
	}
	for _, p := range plastic {
		fmt.Fprintf(&b, "  - {projection: %s, record: weights, every: 1}\n", p)
	}
	npc := []int{0, 8, 16}[r.IntN(3)]
	return b.String(), compiler.Options{NeuronsPerCore: npc}
}

// TestRandomSTDPCosim: seeded random plastic networks run spike-, cycle-
// and weight-exact against the emulator on Icarus (8 seeds; 60 with
// SOMA_LONG=1).
func TestRandomSTDPCosim(t *testing.T) {
	if ok, why := Icarus.Available(); !ok {
		t.Skip(why)
	}
	seeds := 8
	if long() {
		seeds = 60
	}
	for seed := range uint64(seeds) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			t.Parallel()
			src, opts := randomPlasticNetwork(seed)
			p, tg := compileSrc(t, src, "zcu102", opts)
			plastic := false
			for _, c := range p.Cores {
				plastic = plastic || c.Plastic != nil
			}
			if !plastic {
				t.Skip("no plastic projection drawn")
			}
			r := cosim(t, p, tg, Icarus)
			if !r.OK() {
				t.Errorf("%s\n%s", r.Summary(), src)
			}
			checkWeightsEqual(t, p, tg, r)
		})
	}
}
