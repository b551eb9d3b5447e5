package fpga

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// uramNet has one engine whose synaptic matrix (100 × 60 all-to-all, over
// 6000 words) is big enough to go to URAM on a part that has it.
const uramNet = `
name: big_rows
run: {timestep: 1ms, duration: 20ms, seed: 5}
populations:
  src: {size: 100, model: spike_source_poisson, params: {rate: 80Hz}}
  exc:
    size: 60
    model: if_curr_exp
    params: {cm: 1nF, tau_m: 20ms, tau_syn_E: 5ms, tau_syn_I: 5ms, v_rest: -65mV, v_reset: -70mV, v_thresh: -55mV, tau_refrac: 2ms}
projections:
  in: {pre: src, post: exc, connector: {type: all_to_all}, weight: {uniform: [0.01nA, 0.3nA]}, delay: {uniform: [1ms, 9ms]}}
`

// modelsNet has one population of every neuron model the engine
// implements, driven by Poisson sources, with projections between models.
const modelsNet = `
name: models
run: {timestep: 1ms, duration: 60ms, seed: 7}
populations:
  src: {size: 20, model: spike_source_poisson, params: {rate: 100Hz}}
  x: {size: 10, model: if_curr_exp, params: {cm: 1nF, tau_m: 20ms, v_rest: -65mV, v_reset: -70mV, v_thresh: -55mV, tau_refrac: 2ms, i_offset: 0.4nA}}
  d: {size: 10, model: if_curr_delta, params: {cm: 1nF, tau_m: 20ms, v_rest: -65mV, v_reset: -70mV, v_thresh: -55mV, tau_refrac: 3ms, i_offset: 0.3nA}}
  l: {size: 10, model: lif, params: {tau: 10ms, r: 1, v_leak: 0, v_threshold: 1, v_reset: 0, tau_refrac: 2ms, i_offset: 0.5}}
  li: {size: 5, model: li, params: {tau: 10ms, r: 1, v_leak: 0, i_offset: 0.2}}
  c: {size: 10, model: cuba_lif, params: {tau_syn: 5ms, tau_mem: 10ms, r: 1, v_leak: 0, v_threshold: 1, v_reset: 0, tau_refrac: 1ms, i_offset: 1.5}}
  cl: {size: 5, model: cuba_li, params: {tau_syn: 5ms, tau_mem: 10ms}}
  f: {size: 10, model: if, params: {r: 1, v_threshold: 1, v_reset: 0, tau_refrac: 2ms, i_offset: 20}}
  i: {size: 5, model: i, params: {r: 1, i_offset: 3}}
  t: {size: 8, model: threshold, params: {v_threshold: 0.4, v_reset: 0, i_offset: 0.1}}
projections:
  ax: {pre: src, post: x, connector: {type: fixed_probability, p: 0.3}, weight: 1nA, delay: {uniform: [1ms, 5ms]}}
  a: {pre: src, post: d, connector: {type: fixed_probability, p: 0.3}, weight: 4mV, delay: {uniform: [1ms, 5ms]}}
  b: {pre: src, post: l, connector: {type: fixed_probability, p: 0.3}, weight: {uniform: [-0.002, 0.006]}, delay: 2ms}
  b2: {pre: src, post: li, connector: {type: fixed_probability, p: 0.3}, weight: {uniform: [-0.002, 0.006]}, delay: 2ms}
  e: {pre: src, post: c, connector: {type: fixed_probability, p: 0.3}, weight: {uniform: [-0.001, 0.004]}, delay: 3ms}
  e2: {pre: src, post: cl, connector: {type: fixed_probability, p: 0.3}, weight: {uniform: [-0.001, 0.004]}, delay: 3ms}
  g: {pre: src, post: f, connector: {type: fixed_probability, p: 0.3}, weight: {uniform: [-0.1, 0.3]}, delay: 1ms}
  g2: {pre: src, post: i, connector: {type: fixed_probability, p: 0.3}, weight: {uniform: [-0.1, 0.3]}, delay: 1ms}
  h: {pre: src, post: t, connector: {type: fixed_probability, p: 0.3}, weight: {uniform: [-0.1, 0.3]}, delay: 1ms}
  r1: {pre: l, post: d, connector: {type: all_to_all}, weight: 1mV, delay: 1ms, receptor: inhibitory}
  r2: {pre: d, post: c, connector: {type: all_to_all}, weight: -0.002, delay: 4ms}
  r3: {pre: t, post: x, connector: {type: all_to_all}, weight: 0.5nA, delay: 2ms, receptor: inhibitory}
  r4: {pre: f, post: t, connector: {type: fixed_probability, p: 0.5}, weight: 0.2, delay: 3ms}
`

// TestCosim runs compiled networks on the simulators and checks spikes and
// per-step cycles equal the emulator's exactly.
func TestCosim(t *testing.T) {
	synfire := func(ms float64) func(t *testing.T) (string, string, compiler.Options) {
		return func(t *testing.T) (string, string, compiler.Options) {
			// 1 ms steps: the chain's 2–10 ms delays fit the 16-slot ring
			return synfireAt(t, 1, ms), "zcu102", compiler.Options{}
		}
	}
	// 0.5 ms steps: delays of 4–20 ticks; the engines of g3 (16 ticks)
	// and g6 (20 ticks) get 32-slot rings (TestRingDepth)
	synfireLong := func(ms float64) func(t *testing.T) (string, string, compiler.Options) {
		return func(t *testing.T) (string, string, compiler.Options) {
			return synfireAt(t, 0.5, ms), "zcu102", compiler.Options{}
		}
	}
	synfireAsWritten := func(ms float64) func(t *testing.T) (string, string, compiler.Options) {
		return func(t *testing.T) (string, string, compiler.Options) {
			return synfireAt(t, 0.1, ms), "zcu102", compiler.Options{}
		}
	}
	stdpExampleOn := func(ms float64, tname string) func(t *testing.T) (string, string, compiler.Options) {
		return func(t *testing.T) (string, string, compiler.Options) {
			return stdpShort(t, ms), tname, compiler.Options{}
		}
	}
	stdpExample := func(ms float64) func(t *testing.T) (string, string, compiler.Options) {
		return stdpExampleOn(ms, "zcu102")
	}
	fixed := func(src, tname string) func(t *testing.T) (string, string, compiler.Options) {
		return func(*testing.T) (string, string, compiler.Options) { return src, tname, compiler.Options{} }
	}
	tests := []struct {
		name  string
		sim   Simulator
		long  bool
		net   func(t *testing.T) (string, string, compiler.Options)
		uram  bool
		check func(t *testing.T, dir string)
		// plastic: the design reads its plastic weights back (checkWeights)
		plastic bool
	}{
		{name: "small/icarus", sim: Icarus, net: fixed(small, "zcu102")},
		{name: "small/verilator", sim: Verilator, net: fixed(small, "zcu102")},
		{name: "models/icarus", sim: Icarus, net: fixed(modelsNet, "zcu102"), check: spikesPerModel},
		{name: "models/verilator", sim: Verilator, net: fixed(modelsNet, "zcu102")},
		{name: "synfire-40ms/icarus", sim: Icarus, net: synfire(40)},
		{name: "synfire-120ms/icarus", sim: Icarus, long: true, net: synfire(120)},
		{name: "synfire-0.5ms-70ms/icarus", sim: Icarus, net: synfireLong(70), check: fires("g3", "g4", "g6")},
		// 0.1 ms, as the example is written: 20–100-tick delays, rings of up to 128 slots
		{name: "synfire-0.1ms-50ms/verilator", sim: Verilator, net: synfireAsWritten(50), check: fires("g3", "g4")},
		{name: "synfire-0.1ms-120ms/verilator", sim: Verilator, long: true, net: synfireAsWritten(120), check: fires("g3", "g6", "g9")},
		{name: "synfire-0.5ms-120ms/icarus", sim: Icarus, long: true, net: synfireLong(120), check: fires("g3", "g6", "g9")},
		{name: "synfire-0.5ms-120ms/verilator", sim: Verilator, long: true, net: synfireLong(120), check: fires("g3", "g6", "g9")},
		{name: "uram/zcu104/icarus", sim: Icarus, net: fixed(uramNet, "zcu104"), uram: true},
		{name: "uram-as-bram/zcu102/icarus", sim: Icarus, net: fixed(uramNet, "zcu102")},
		// STDP: scripted pre/post pairs (additive, multiplicative) and
		// examples/stdp.yaml shortened (20 000 plastic synapses)
		{name: "stdp-pairs-additive/icarus", sim: Icarus, net: fixed(pairs("additive"), "zcu102"), plastic: true},
		{name: "stdp-pairs-additive/verilator", sim: Verilator, long: true, net: fixed(pairs("additive"), "zcu102"), plastic: true},
		{name: "stdp-pairs-multiplicative/icarus", sim: Icarus, net: fixed(pairs("multiplicative"), "zcu102"), plastic: true},
		{name: "stdp-pairs-multiplicative/verilator", sim: Verilator, net: fixed(pairs("multiplicative"), "zcu102"), plastic: true},
		{name: "stdp-gap/icarus", sim: Icarus, net: fixed(gapNet, "zcu102"), plastic: true},
		{name: "stdp-example-40ms/icarus", sim: Icarus, net: stdpExample(40), plastic: true},
		{name: "stdp-example-60ms/verilator", sim: Verilator, net: stdpExample(60), plastic: true},
		{name: "stdp-example-40ms/zcu104/icarus", sim: Icarus, net: stdpExampleOn(40, "zcu104"), uram: true, plastic: true},
		{name: "stdp-example-300ms/verilator", sim: Verilator, long: true, net: stdpExample(300), plastic: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.long && !long() {
				t.Skip("long co-simulation; run with SOMA_LONG=1")
			}
			if ok, why := tc.sim.Available(); !ok {
				t.Skip(why)
			}
			t.Parallel()
			src, tname, opts := tc.net(t)
			p, tg := compileSrc(t, src, tname, opts)
			d, err := Build(p, tg)
			if err != nil {
				t.Fatal(err)
			}
			uram := false
			for _, e := range d.Engines {
				uram = uram || e.SynURAM
			}
			if uram != tc.uram {
				t.Errorf("URAM synapse memory: %v, want %v", uram, tc.uram)
			}
			dir := t.TempDir()
			if err := WriteArtifacts(dir, p, tg); err != nil {
				t.Fatal(err)
			}
			r, err := Simulate(context.Background(), dir, tc.sim, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			if !r.OK() {
				t.Error(r.Summary())
			}
			if r.ExpectedSpikes == 0 {
				t.Error("the emulator expects no spikes: the test compares nothing")
			}
			// The throughput model bounds the design's measured step length.
			m, err := ReadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			bound := m.Throughput.BusyCycles + m.Throughput.BarrierCycles
			for step, c := range r.StepCycles {
				if uint64(c) > bound {
					t.Errorf("step %d took %d cycles, over the throughput model's bound %d", step, c, bound)
					break
				}
			}
			if tc.check != nil {
				tc.check(t, dir)
			}
			if tc.plastic {
				checkWeights(t, p, tg, r)
			}
			t.Logf("%d engines: %s; worst step %d cycles (bound %d)", len(d.Engines), r.Summary(), slices.Max(r.StepCycles), bound)
		})
	}
}

// spikesPerModel: in modelsNet every spiking model fires (the emulator's
// expectation; the co-simulation has matched it).
func spikesPerModel(t *testing.T, dir string) {
	want, err := readExpectedSpikes(filepath.Join(dir, ExpectedSpikesFile))
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]int{}
	for _, s := range want {
		fired[s.Pop]++
	}
	for _, pop := range []string{"x", "d", "l", "c", "f", "t"} {
		if fired[pop] == 0 {
			t.Errorf("population %s never fires: the test does not cover its model", pop)
		}
	}
	t.Logf("spikes per population: %v", fired)
}

// fires: every neuron of each population fires in the emulator's
// expectation (the synfire chain's volley reached it), so the
// co-simulation compares the spikes that crossed the population's input
// delays.
func fires(pops ...string) func(t *testing.T, dir string) {
	return func(t *testing.T, dir string) {
		want, err := readExpectedSpikes(filepath.Join(dir, ExpectedSpikesFile))
		if err != nil {
			t.Fatal(err)
		}
		fired := map[string]map[int]bool{}
		for _, s := range want {
			if fired[s.Pop] == nil {
				fired[s.Pop] = map[int]bool{}
			}
			fired[s.Pop][s.Neuron] = true
		}
		for _, pop := range pops {
			if len(fired[pop]) != 100 {
				t.Errorf("%d of the 100 neurons of %s fire: the volley did not cross its delays", len(fired[pop]), pop)
			}
		}
	}
}

// synfireAt is examples/synfire.yaml with timestep dt and duration ms.
func synfireAt(t *testing.T, dt, ms float64) string {
	t.Helper()
	b, err := os.ReadFile("../../examples/synfire.yaml")
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Replace(string(b), "duration: 120ms", "duration: "+ftoa(ms)+"ms", 1)
	return strings.Replace(s, "timestep: 0.1ms", "timestep: "+ftoa(dt)+"ms", 1)
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// TestBuildErrors: what the RTL does not implement is an error that names
// it. A plastic network builds; programs and cost tables the plastic
// engine cannot run (changed after compiling) are refused.
func TestBuildErrors(t *testing.T) {
	const plastic = `
name: m
run: {timestep: 1ms, duration: 5ms}
populations:
  s: {size: 4, model: spike_source_poisson, params: {rate: 10Hz}}
  a: {size: 4, model: if_curr_exp}
projections:
  p: {pre: s, post: a, connector: all_to_all, weight: 0.1nA, delay: 1ms,
      plasticity: {type: stdp, tau_plus: 20ms, tau_minus: 20ms, a_plus: 0.05, a_minus: 0.06, w_min: 0nA, w_max: 0.2nA, weight_dependence: additive}}
`
	// onPlastic changes the plastic core of a compiled program.
	onPlastic := func(f func(c *program.Core)) func(*program.Program, *target.Target) {
		return func(p *program.Program, _ *target.Target) {
			for i := range p.Cores {
				if p.Cores[i].Plastic != nil {
					f(&p.Cores[i])
				}
			}
		}
	}
	// firstPlastic returns the word address of the core's first plastic synapse.
	firstPlastic := func(c *program.Core) int {
		for _, e := range c.PopTable {
			if at, ok := e.Row(e.Key, c.Synapses); ok && e.Plastic {
				return int(at + e.Header())
			}
		}
		panic("no plastic row")
	}
	cost := func(name string, cycles float64) func(*program.Program, *target.Target) {
		return func(_ *program.Program, tg *target.Target) {
			for i := range tg.Cycles {
				if tg.Cycles[i].Name == name {
					tg.Cycles[i].Cycles = cycles
				}
			}
		}
	}
	tests := []struct {
		name, src, target string
		mutate            func(*program.Program, *target.Target)
		want              string // "": builds
	}{
		{"stdp", plastic, "zcu102", nil, ""},
		{"stdp-cost", plastic, "zcu102", cost("stdp_update", 2), "1 cycle per plastic synapse update"},
		{"stdp-tick", plastic, "zcu102", cost("tick_overhead", 20), "below the 26 an engine with plastic synapses needs"},
		{"stdp-static-tick", small, "zcu102", cost("tick_overhead", 20), ""},
		{"stdp-delay-0", plastic, "zcu102", onPlastic(func(c *program.Core) {
			g := c.Geometry
			c.Synapses[firstPlastic(c)] &^= (1<<g.DelayBits - 1) << (g.IndexBits + g.TypeBits)
		}), "has delay 0; the engine takes plastic delays of 1 step or more"},
		{"stdp-wide-weight", plastic, "zcu102", onPlastic(func(c *program.Core) {
			c.Synapses[firstPlastic(c)] |= 1 << 31
		}), "wider than 8 bits"},
		{"stdp-no-post-trace", plastic, "zcu102", onPlastic(func(c *program.Core) {
			for k := range c.Layout {
				if c.Layout[k].Name == "post_trace" {
					c.Layout[k].Name = "trace"
				}
			}
		}), "plastic synapses but no post_trace in the neuron record"},
		{"spinnaker", small, "spinn3", nil, "the FPGA backend needs an fpga target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net, err := ir.Parse("t.yaml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			tg, err := target.Load(tc.target)
			if err != nil {
				t.Fatal(err)
			}
			comp, err := compiler.Compile(net, tg, compiler.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.mutate != nil {
				tc.mutate(comp.Program, tg)
			}
			d, err := Build(comp.Program, tg)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Build: %v", err)
			case tc.want == "" && tc.name == "stdp" && !d.Engines[1].Plastic:
				t.Error("the plastic engine is not marked plastic")
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Build: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestArtifacts: the directory holds what the manifest lists, the .coe
// files are well formed, and the output is byte-identical run to run.
func TestArtifacts(t *testing.T) {
	p, tg := compileSrc(t, small, "zcu102", compiler.Options{})
	a, b := t.TempDir(), t.TempDir()
	for _, dir := range []string{a, b} {
		if err := WriteArtifacts(dir, p, tg); err != nil {
			t.Fatal(err)
		}
	}
	m, err := ReadManifest(a)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range m.Files {
		x, err := os.ReadFile(filepath.Join(a, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		y, _ := os.ReadFile(filepath.Join(b, f.Name))
		if string(x) != string(y) {
			t.Errorf("%s differs between two runs", f.Name)
		}
		if strings.HasSuffix(f.Name, ".coe") && (!strings.HasPrefix(string(x), "memory_initialization_radix=16;\nmemory_initialization_vector=\n") || !strings.HasSuffix(string(x), ";\n")) {
			t.Errorf("%s: not a .coe file:\n%s", f.Name, x)
		}
	}
	if got, want := len(m.Engines), len(p.Cores); got != want {
		t.Errorf("%d engines, want %d", got, want)
	}
}

// TestParseYosysStat reads synth_xilinx's stat output into resources.
func TestParseYosysStat(t *testing.T) {
	stat := `
=== soma_top ===

   Number of cells:               2355
     BUFG                            1
     CARRY4                        159
     DSP48E2                         7
     FDRE                          722
     FDSE                          131
     LUT2                          475
     LUT6                          203
     MUXF7                          57
     RAM32M16                       11
     RAM64X1D                        2
     RAMB18E2                        3
     RAMB36E2                        2
     URAM288                         4
     SRL16E                         46
`
	u, err := ParseYosysStat(strings.NewReader(stat))
	if err != nil {
		t.Fatal(err)
	}
	got := [7]float64{float64(u.LUTs), float64(u.FFs), u.BRAM36, float64(u.URAM), float64(u.DSP), float64(u.LUTRAM), float64(u.SRL)}
	want := [7]float64{678, 853, 3.5, 4, 7, 13, 46}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}

// TestSynthCache: yosys's figures kept in the design folder are used
// while the design is unchanged (no yosys on PATH: it is not run), and a
// changed memory image or --rerun sends Synthesize back to yosys.
func TestSynthCache(t *testing.T) {
	p, tg := compileSrc(t, small, "zcu102", compiler.Options{})
	dir := t.TempDir()
	if err := WriteArtifacts(dir, p, tg); err != nil {
		t.Fatal(err)
	}
	hash, err := DesignHash(dir)
	if err != nil {
		t.Fatal(err)
	}
	stat := "\n=== soma_top ===\n     LUT6                          203\n     FDRE                          722\n     RAMB36E2                        2\n"
	if err := os.WriteFile(filepath.Join(dir, SynthFile), []byte("# soma: yosys stat of design "+hash+"\n"+stat), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", t.TempDir()) // no yosys
	u, cached, err := SynthesizeCached(context.Background(), dir, false)
	if err != nil || !cached {
		t.Fatalf("unchanged design: cached %v, err %v; want the kept figures", cached, err)
	}
	if got := [3]float64{float64(u.LUTs), float64(u.FFs), u.BRAM36}; got != [3]float64{203, 722, 2} {
		t.Errorf("kept figures read as %v", got)
	}
	if _, _, err := SynthesizeCached(context.Background(), dir, true); err == nil || !strings.Contains(err.Error(), "yosys not found") {
		t.Errorf("rerun: %v; want an attempt to run yosys", err)
	}
	mems, _ := filepath.Glob(filepath.Join(dir, "*.mem"))
	if len(mems) == 0 {
		t.Fatal("no memory images")
	}
	if err := os.WriteFile(mems[0], []byte("0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := SynthesizeCached(context.Background(), dir, false); err == nil || !strings.Contains(err.Error(), "yosys not found") {
		t.Errorf("changed design: %v; want an attempt to run yosys", err)
	}
}

// TestReport synthesizes the small design with yosys and checks the
// figures are there (slow: behind -short).
func TestReport(t *testing.T) {
	if !long() {
		t.Skip("yosys synthesis takes ~20 s; run with SOMA_LONG=1")
	}
	if _, err := exec.LookPath("yosys"); err != nil {
		t.Skip("yosys not found on PATH")
	}
	p, tg := compileSrc(t, small, "zcu102", compiler.Options{})
	dir := t.TempDir()
	if err := WriteArtifacts(dir, p, tg); err != nil {
		t.Fatal(err)
	}
	u, err := Synthesize(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	if u.LUTs == 0 || u.FFs == 0 || u.DSP == 0 || u.BRAM36+float64(u.LUTRAM) == 0 {
		t.Errorf("implausible utilisation %+v", u)
	}
	m, _ := ReadManifest(dir)
	var b strings.Builder
	if err := WriteReport(&b, u, tg, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "need the vendor tools") {
		t.Errorf("report does not say timing needs the vendor tools:\n%s", b.String())
	}
	t.Log(b.String())
}
