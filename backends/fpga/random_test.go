package fpga

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/somahw/soma/compiler"
)

// randomNetwork writes a small random network: spike sources (arrays and
// Poisson), one to three if_curr_exp populations with their own
// parameters, random connectors, weights, delays of 1…15 steps and both
// receptors, split over several engines.
func randomNetwork(seed uint64) (string, compiler.Options) {
	r := rand.New(rand.NewPCG(seed, 0x50a4))
	u := func(lo, hi float64) float64 { return lo + (hi-lo)*r.Float64() }
	var b strings.Builder
	steps := 30 + r.IntN(31)
	fmt.Fprintf(&b, "name: rnd%d\nrun: {timestep: 1ms, duration: %dms, seed: %d}\npopulations:\n", seed, steps, seed)
	var srcs, pops []string
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
		vr := u(-70, -60)
		fmt.Fprintf(&b, "  %s:\n    size: %d\n    model: if_curr_exp\n", name, 4+r.IntN(50))
		fmt.Fprintf(&b, "    params: {cm: %.2fnF, tau_m: %.1fms, tau_syn_E: %.1fms, tau_syn_I: %.1fms, v_rest: %.1fmV, v_reset: %.1fmV, v_thresh: %.1fmV, tau_refrac: %.0fms, i_offset: %.2fnA}\n",
			u(0.3, 1.5), u(5, 30), u(1, 10), u(1, 10), vr, vr-u(0, 8), vr+u(5, 15), float64(r.IntN(5)), u(0, 1.2))
		fmt.Fprintf(&b, "    initial: {v: {uniform: [%.1fmV, %.1fmV]}}\n", vr-5, vr+5)
	}
	b.WriteString("projections:\n")
	k := 0
	proj := func(pre, post string) {
		conn := []string{
			fmt.Sprintf("{type: fixed_probability, p: %.2f}", u(0.05, 0.6)),
			"{type: all_to_all}",
			fmt.Sprintf("{type: fixed_number_pre, n: %d, with_replacement: true}", 1+r.IntN(4)),
		}[r.IntN(3)]
		rec := []string{"excitatory", "inhibitory"}[r.IntN(2)]
		w := fmt.Sprintf("%.2fnA", u(0.05, 3))
		if r.IntN(2) == 0 {
			w = fmt.Sprintf("{uniform: [%.2fnA, %.2fnA]}", u(0.01, 0.5), u(0.6, 3))
		}
		d := fmt.Sprintf("%dms", 1+r.IntN(15))
		if r.IntN(2) == 0 {
			d = fmt.Sprintf("{uniform: [1ms, %dms]}", 2+r.IntN(14))
		}
		fmt.Fprintf(&b, "  j%d: {pre: %s, post: %s, connector: %s, weight: %s, delay: %s, receptor: %s}\n", k, pre, post, conn, w, d, rec)
		k++
	}
	for _, p := range pops {
		proj(srcs[r.IntN(len(srcs))], p)
		for _, q := range pops {
			if r.IntN(3) == 0 {
				proj(q, p)
			}
		}
	}
	npc := []int{0, 8, 16, 32}[r.IntN(4)]
	return b.String(), compiler.Options{NeuronsPerCore: npc}
}

// TestRandomCosim: seeded random networks run spike- and cycle-exact
// against the emulator on Icarus (60 seeds; 200 with SOMA_LONG=1).
func TestRandomCosim(t *testing.T) {
	if ok, why := Icarus.Available(); !ok {
		t.Skip(why)
	}
	seeds := 60
	if long() {
		seeds = 200
	}
	var ran, spikes, engines atomic.Int64
	t.Run("seeds", func(t *testing.T) {
		for seed := range uint64(seeds) {
			t.Run(fmt.Sprint(seed), func(t *testing.T) {
				t.Parallel()
				src, opts := randomNetwork(seed)
				p, tg := compileSrc(t, src, "zcu102", opts)
				dir := t.TempDir()
				if err := WriteArtifacts(dir, p, tg); err != nil {
					t.Fatal(err)
				}
				r, err := Simulate(context.Background(), dir, Icarus, t.TempDir())
				if err != nil {
					t.Fatal(err)
				}
				if !r.OK() {
					t.Errorf("%s\n%s", r.Summary(), src)
				}
				ran.Add(1)
				spikes.Add(int64(len(r.Spikes)))
				engines.Add(int64(len(p.Cores)))
			})
		}
	})
	t.Logf("%d seeds, %d engines, %d spikes compared", ran.Load(), engines.Load(), spikes.Load())
}
