package fpga

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/program"
)

// randomModels are the neuron models the random networks mix, with how
// often each is drawn (if_curr_exp, the commonest, twice).
var randomModels = []string{"if_curr_exp", "if_curr_exp", "if_curr_delta", "lif", "li", "cuba_lif", "cuba_li", "if", "i", "threshold"}

// randomPop writes population name's model and parameters. One population
// in five is "extreme": its potentials sit near the top or the bottom of
// the state range and its input drives them into saturation, so that the
// saturating arithmetic (fit after every operation, a wide alpha) decides
// when it fires.
func randomPop(b *strings.Builder, r *rand.Rand, name, model string, n int) {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	extreme := r.IntN(5) == 0
	refrac := float64(r.IntN(5))
	fmt.Fprintf(b, "  %s:\n    size: %d\n    model: %s\n", name, n, model)
	switch model {
	case "if_curr_exp", "if_curr_delta":
		vr := u(-70, -60)
		vt, vreset, ioff := vr+u(5, 15), vr-u(0, 8), u(0, 1.2)
		if extreme {
			vr, vt, vreset, ioff = u(1700, 1950), 2047, u(-1990, 1690), u(5, 40)
		}
		fmt.Fprintf(b, "    params: {cm: %.2fnF, tau_m: %.1fms, v_rest: %.1fmV, v_reset: %.1fmV, v_thresh: %.1fmV, tau_refrac: %.0fms, i_offset: %.2fnA",
			u(0.3, 1.5), u(5, 30), vr, vreset, vt, refrac, ioff)
		if model == "if_curr_exp" {
			fmt.Fprintf(b, ", tau_syn_E: %.1fms, tau_syn_I: %.1fms", u(1, 10), u(1, 10))
		}
		fmt.Fprintf(b, "}\n    initial: {v: {uniform: [%.1fmV, %.1fmV]}}\n", vr-5, vr+5)
	case "lif", "li", "cuba_lif", "cuba_li":
		vl := u(-0.5, 0.5)
		vt, vreset, ioff, rr, tsyn, isyn := vl+u(0.5, 2), vl-u(0, 0.5), u(0, 2), u(0.5, 2), u(2, 10), 0.0
		if extreme {
			// alpha beyond the range, a reset far from it (alpha − v
			// saturates), and a synaptic current starting at the edge
			if r.IntN(2) == 0 {
				vl, vt, vreset, ioff, rr, isyn = u(1700, 1950), 2047, u(-1990, 1690), u(100, 400), 1, u(1900, 2040)
			} else {
				vl, vt, vreset, ioff, rr, isyn = u(-1950, -1700), u(-1000, -500), -1990, u(-400, -100), 1, -u(1900, 2040)
			}
			tsyn = u(50, 200)
		}
		fmt.Fprintf(b, "    params: {r: %.3f, v_leak: %.3f, i_offset: %.3f", rr, vl, ioff)
		if model == "lif" || model == "li" {
			fmt.Fprintf(b, ", tau: %.1fms", u(5, 30))
		} else {
			win := u(0.5, 2)
			if extreme {
				// a slow current near the edge and spikes that move it
				// by ~5 … 40: its sum saturates
				win = u(200, 800)
			}
			fmt.Fprintf(b, ", tau_mem: %.1fms, tau_syn: %.1fms, w_in: %.2f", u(5, 30), tsyn, win)
		}
		if model == "lif" || model == "cuba_lif" {
			fmt.Fprintf(b, ", v_threshold: %.3f, v_reset: %.3f, tau_refrac: %.0fms", vt, vreset, refrac)
		}
		fmt.Fprintf(b, "}\n    initial: {v: {uniform: [%.3f, %.3f]}", vl-0.5, vl+0.5)
		if model == "cuba_lif" || model == "cuba_li" {
			fmt.Fprintf(b, ", i_syn: %.3f", isyn)
		}
		b.WriteString("}\n")
	case "threshold":
		vt, ioff := u(0.3, 2), u(-0.5, 0.5)
		if extreme {
			// the offset near the top: the sum saturates
			vt, ioff = 2047, u(1900, 2040)
		}
		fmt.Fprintf(b, "    params: {v_threshold: %.3f, v_reset: %.3f, i_offset: %.3f}\n", vt, -u(0, 0.5), ioff)
	case "if", "i":
		rr, ioff, vt, vreset, v0 := u(0.5, 2), u(0, 60), u(0.5, 2), -u(0, 0.5), 0.0
		if extreme {
			// drifts into saturation at the top of the range within a
			// few steps, then fires against a threshold just below it
			rr, ioff, vt, vreset, v0 = 1, u(1000, 2000), 2047, u(2000, 2040), u(1990, 2040)
		}
		fmt.Fprintf(b, "    params: {r: %.3f, i_offset: %.3f", rr, ioff)
		if model == "if" {
			fmt.Fprintf(b, ", v_threshold: %.3f, v_reset: %.3f, tau_refrac: %.0fms", vt, vreset, refrac)
		}
		fmt.Fprintf(b, "}\n    initial: {v: %.3f}\n", v0)
	}
}

// randomWeight is a projection's weight onto a population of model m: a
// current (nA) for if_curr_exp, a voltage jump (mV) for if_curr_delta, a
// signed number for the NIR models (the sign picks the synapse type),
// scaled so that one spike moves v or the current by ~0.05 … 1.
func randomWeight(r *rand.Rand, m string) (w, receptor string) {
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	rec := []string{"excitatory", "inhibitory"}[r.IntN(2)]
	var unit string
	var lo, hi float64
	switch m {
	case "if_curr_exp":
		unit, lo, hi = "nA", 0.05, 3
	case "if_curr_delta":
		unit, lo, hi = "mV", 0.5, 8
	case "lif", "li":
		lo, hi = 0.001, 0.02
	case "cuba_lif", "cuba_li":
		lo, hi = 0.0005, 0.004
	case "if", "i":
		lo, hi = 0.05, 0.5
	case "threshold":
		lo, hi = 0.1, 1
	}
	if unit == "" {
		// NIR: signed weights, no receptor
		rec = ""
		if r.IntN(2) == 0 {
			return fmt.Sprintf("%.4f", u(lo, hi)*[]float64{1, -1}[r.IntN(2)]), rec
		}
		return fmt.Sprintf("{uniform: [%.4f, %.4f]}", -u(0, hi/2), u(lo, hi)), rec
	}
	if r.IntN(2) == 0 {
		return fmt.Sprintf("%.2f%s", u(lo, hi), unit), rec
	}
	return fmt.Sprintf("{uniform: [%.2f%s, %.2f%s]}", lo/5, unit, u(hi/5, hi), unit), rec
}

// spiking reports whether a model fires (only those can be projection
// sources).
func spiking(m string) bool { return m != "li" && m != "cuba_li" && m != "i" }

// randomNetwork writes a small random network: spike sources (arrays and
// Poisson), one to three neuron populations of models drawn from
// randomModels with their own parameters, random connectors, weights,
// delays of 1…15 steps and both synapse types, split over several
// engines.
func randomNetwork(seed uint64) (string, compiler.Options) {
	r := rand.New(rand.NewPCG(seed, 0x50a4))
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	var b strings.Builder
	steps := 30 + r.IntN(31)
	fmt.Fprintf(&b, "name: rnd%d\nrun: {timestep: 1ms, duration: %dms, seed: %d}\npopulations:\n", seed, steps, seed)
	var srcs, pops []string
	model := map[string]string{}
	for i := range 1 + r.IntN(2) {
		name := fmt.Sprintf("s%d", i)
		srcs = append(srcs, name)
		n := 3 + r.IntN(30)
		if r.IntN(2) == 0 {
			fmt.Fprintf(&b, "  %s: {size: %d, model: spike_source_poisson, params: {rate: %.0fHz}}\n", name, n, u(20, 250))
		} else {
			times := []string{"0ms"}
			at := 0
			for range 1 + r.IntN(6) {
				at += 1 + r.IntN(steps/3)
				if at >= steps-1 {
					break
				}
				times = append(times, fmt.Sprintf("%dms", at))
			}
			fmt.Fprintf(&b, "  %s: {size: %d, model: spike_source_array, spike_times: [%s]}\n", name, n, strings.Join(times, ", "))
		}
	}
	for i := range 1 + r.IntN(3) {
		name := fmt.Sprintf("p%d", i)
		pops = append(pops, name)
		model[name] = randomModels[r.IntN(len(randomModels))]
		randomPop(&b, r, name, model[name], 4+r.IntN(50))
	}
	b.WriteString("projections:\n")
	k := 0
	proj := func(pre, post string) {
		conn := []string{
			fmt.Sprintf("{type: fixed_probability, p: %.2f}", u(0.05, 0.6)),
			"{type: all_to_all}",
			fmt.Sprintf("{type: fixed_number_pre, n: %d, with_replacement: true}", 1+r.IntN(4)),
		}[r.IntN(3)]
		w, rec := randomWeight(r, model[post])
		d := fmt.Sprintf("%dms", 1+r.IntN(15))
		if r.IntN(2) == 0 {
			d = fmt.Sprintf("{uniform: [1ms, %dms]}", 2+r.IntN(14))
		}
		fmt.Fprintf(&b, "  j%d: {pre: %s, post: %s, connector: %s, weight: %s, delay: %s", k, pre, post, conn, w, d)
		if rec != "" {
			fmt.Fprintf(&b, ", receptor: %s", rec)
		}
		b.WriteString("}\n")
		k++
	}
	for _, p := range pops {
		proj(srcs[r.IntN(len(srcs))], p)
		for _, q := range pops {
			if spiking(model[q]) && r.IntN(3) == 0 {
				proj(q, p)
			}
		}
	}
	npc := []int{0, 8, 16, 32}[r.IntN(4)]
	return b.String(), compiler.Options{NeuronsPerCore: npc}
}

// TestRandomCosim: seeded random networks of mixed models run spike- and
// cycle-exact against the emulator on Icarus (60 seeds; 200 with
// SOMA_LONG=1). Every model must be drawn, and every spiking model must
// fire, or the run does not cover it.
func TestRandomCosim(t *testing.T) {
	if ok, why := Icarus.Available(); !ok {
		t.Skip(why)
	}
	seeds := 60
	if long() {
		seeds = 200
	}
	var ran, spikes, engines atomic.Int64
	var mu sync.Mutex
	modelEngines, modelSpikes := map[string]int{}, map[string]int{}
	t.Run("seeds", func(t *testing.T) {
		for seed := range uint64(seeds) {
			t.Run(fmt.Sprint(seed), func(t *testing.T) {
				t.Parallel()
				src, opts := randomNetwork(seed)
				p, tg := compileSrc(t, src, "zcu102", opts)
				r := cosim(t, p, tg, Icarus)
				if !r.OK() {
					t.Errorf("%s\n%s", r.Summary(), src)
				}
				ran.Add(1)
				spikes.Add(int64(len(r.Spikes)))
				engines.Add(int64(len(p.Cores)))
				popModel := map[string]string{}
				mu.Lock()
				defer mu.Unlock()
				for _, c := range p.Cores {
					if c.Kind == program.NeuronCore {
						modelEngines[c.Model]++
						popModel[p.Populations[c.Pop].Name] = c.Model
					}
				}
				for _, s := range r.Spikes {
					if m, ok := popModel[s.Pop]; ok {
						modelSpikes[m]++
					}
				}
			})
		}
	})
	var cov []string
	for _, m := range supportedModels {
		cov = append(cov, fmt.Sprintf("%s %d/%d", m, modelEngines[m], modelSpikes[m]))
		switch {
		case modelEngines[m] == 0:
			t.Errorf("no engine of model %s in %d seeds", m, seeds)
		case spiking(m) && modelSpikes[m] == 0:
			t.Errorf("model %s never fired in %d seeds", m, seeds)
		}
	}
	t.Logf("%d seeds, %d engines, %d spikes compared; engines/spikes per model: %s", ran.Load(), engines.Load(), spikes.Load(), strings.Join(cov, ", "))
}
