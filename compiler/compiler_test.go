package compiler

import (
	"bytes"
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	gocmp "github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

func loadTarget(t testing.TB, name string) *target.Target {
	t.Helper()
	tg, err := target.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

func compileForTest(t testing.TB, net *ir.Network, tg *target.Target, opts Options) (*Result, *state) {
	t.Helper()
	exp, err := ir.Expand(net)
	if err != nil {
		t.Fatal(err)
	}
	opts.Check = true
	res, s, err := compileState(exp, tg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res, s
}

// delivery is one synaptic event as the hardware would perform it: a spike
// of a pre neuron lands on a core's neuron with a type, stored weight and
// delay.
type delivery struct {
	pop, pre  int
	core      program.CoreID
	local     uint32
	typ       uint32
	weight    uint16
	delay     uint32
	plasticOK bool
}

func compareDelivery(a, b delivery) int {
	return cmp.Or(cmp.Compare(a.pop, b.pop), cmp.Compare(a.pre, b.pre), compareCore(a.core, b.core),
		cmp.Compare(a.local, b.local), cmp.Compare(a.typ, b.typ), cmp.Compare(a.weight, b.weight), cmp.Compare(a.delay, b.delay))
}

// walkProgram sends one spike from every neuron of every population
// through the program's own tables — key, router walk, population table,
// row — and lists every synaptic event that results.
func walkProgram(t testing.TB, p *program.Program, m *program.Machine) []delivery {
	t.Helper()
	var out []delivery
	for pi, pop := range p.Populations {
		for _, ci := range pop.Cores {
			src := &p.Cores[ci]
			for local := range src.N {
				key := src.Key | local
				reached, err := p.Reach(m, src.CoreID, key)
				if err != nil {
					// Packets with no row anywhere are legitimately dropped
					// at the source: only an error if some core has a row.
					if strings.Contains(err.Error(), "matches no entry on its own chip") {
						continue
					}
					t.Fatalf("population %s neuron %d: %v", pop.Name, src.Lo+local, err)
				}
				for _, id := range reached {
					dst, ok := p.Core(id)
					if !ok {
						t.Fatalf("key %08x reaches unused core %s", key, id)
					}
					if dst.Kind == program.DelayCore {
						out = append(out, walkDelay(t, p, m, dst, pi, int(src.Lo+local), local)...)
						continue
					}
					found := false
					for _, e := range dst.PopTable {
						if key&e.Mask != e.Key {
							continue
						}
						found = true
						at, ok := e.Row(key, dst.Synapses)
						if !ok {
							if e.HasRow(key&^e.Mask, dst.Synapses) || key&^e.Mask >= e.Rows {
								t.Fatalf("core %s: key %08x has no readable row in its entry of %d rows", id, key, e.Rows)
							}
							continue // a sparse entry without synapses for this neuron
						}
						header := e.Header()
						n := dst.Synapses[at]
						for _, w := range dst.Synapses[at+header : at+header+n] {
							weight, delay, typ, idx := dst.Geometry.Unpack(w)
							out = append(out, delivery{pop: pi, pre: int(src.Lo + local), core: id, local: idx, typ: typ, weight: weight, delay: delay})
						}
					}
					if !found {
						t.Fatalf("key %08x reaches core %s, which has no population-table entry for it", key, id)
					}
				}
			}
		}
	}
	slices.SortFunc(out, compareDelivery)
	return out
}

// walkDelay follows a spike through a delay-extension core: each stage it
// sends for the neuron is routed on, and its rows' delays gain the stages'
// whole rings.
func walkDelay(t testing.TB, p *program.Program, m *program.Machine, dc *program.Core, pop, pre int, local uint32) []delivery {
	var out []delivery
	d := dc.Delay
	for k := range d.Stages {
		if !d.Sends(k, local, dc.N) {
			continue
		}
		key := dc.Key | k<<dc.Geometry.IndexBits | local
		reached, err := p.Reach(m, dc.CoreID, key)
		if err != nil {
			t.Fatalf("delay core %s stage %d: %v", dc.CoreID, k, err)
		}
		for _, id := range reached {
			dst, _ := p.Core(id)
			for _, e := range dst.PopTable {
				if key&e.Mask != e.Key {
					continue
				}
				at, ok := e.Row(key, dst.Synapses)
				if !ok {
					continue
				}
				header := e.Header()
				for _, w := range dst.Synapses[at+header : at+header+dst.Synapses[at]] {
					weight, delay, typ, idx := dst.Geometry.Unpack(w)
					out = append(out, delivery{pop: pop, pre: pre, core: id, local: idx, typ: typ, weight: weight, delay: delay + (k+1)*d.Slots})
				}
			}
		}
	}
	return out
}

// expectedDeliveries lists the synaptic events the network defines, with
// weights as quantised by the compiler and placement as decided.
func expectedDeliveries(s *state) []delivery {
	var out []delivery
	for k, pr := range s.net.Projections {
		pre, post := s.net.PopulationIndex(pr.Pre), s.net.PopulationIndex(pr.Post)
		for n, syn := range s.exp.Synapses[k] {
			v := s.vertexOf(post, int(syn.Post))
			q := s.q.syn[k][n]
			out = append(out, delivery{pop: pre, pre: int(syn.Pre), core: v.id(), local: uint32(int(syn.Post) - v.lo),
				typ: uint32(q.typ), weight: q.w, delay: uint32(syn.DelaySteps(s.dt))})
		}
	}
	slices.SortFunc(out, compareDelivery)
	return out
}

// checkDeliveries is the property every compiled program must have: every
// spike reaches exactly its targets, with the right weight and delay.
func checkDeliveries(t *testing.T, res *Result, s *state) {
	t.Helper()
	got := walkProgram(t, res.Program, s.m)
	want := expectedDeliveries(s)
	if len(got) != len(want) {
		t.Fatalf("walking the program gives %d synaptic events, the network defines %d", len(got), len(want))
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("synaptic event %d: program delivers %+v, network defines %+v", i, got[i], want[i])
		}
	}
	// And the stored weights are the network's to within half a step of
	// the chosen resolution.
	for k, pr := range s.net.Projections {
		post := s.net.PopulationIndex(pr.Post)
		ep := s.exp.Populations[post]
		pq := s.q.pops[post]
		for n, syn := range s.exp.Synapses[k] {
			eff, typ := effectiveWeight(ep, int(syn.Post), syn.Weight, pr.Receptor)
			q := s.q.syn[k][n]
			if int(q.typ) != typ {
				t.Fatalf("projection %s synapse %d: type %d, want %d", pr.Name, n, q.typ, typ)
			}
			if err := math.Abs(float64(q.w)*pq.resolution[typ] - eff); err > pq.resolution[typ]/2*(1+1e-9) && float64(q.w) < maxStored(s.t) {
				t.Fatalf("projection %s synapse %d: stored %d × %g is %g off %g", pr.Name, n, q.w, pq.resolution[typ], err, eff)
			}
		}
	}
}

func TestExamplesCompile(t *testing.T) {
	files, _ := filepath.Glob("../examples/*.yaml")
	for _, f := range files {
		for _, tname := range []string{"spinn3", "spinn5", "zcu102"} {
			t.Run(filepath.Base(f)+"/"+tname, func(t *testing.T) {
				net, err := ir.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				tg := loadTarget(t, tname)
				exp, err := ir.Expand(net)
				if err != nil {
					t.Fatal(err)
				}
				res, s, err := compileState(exp, tg, Options{Check: true})
				if err != nil {
					if tname == "zcu102" && strings.Contains(err.Error(), "has no delay extension") || strings.Contains(err.Error(), "application cores") {
						return // no delay extension on the FPGA, or too big for the board: correct refusals
					}
					t.Fatal(err)
				}
				checkDeliveries(t, res, s)
			})
		}
	}
}

// randomNetwork builds a network of a few populations of mixed models and
// connectors, with delays within the on-core ring.
func randomNetwork(seed uint64) *ir.Network {
	rng := rand.New(rand.NewPCG(seed, 99))
	net := &ir.Network{Name: fmt.Sprintf("random%d", seed), Run: ir.Run{Timestep: 1e-3, Duration: 0.05, Seed: seed}}
	models := []ir.Model{ir.IFCurrExp, ir.IFCurrDelta, ir.CubaLIF, ir.LIF, ir.IF}
	npop := 2 + rng.IntN(4)
	for i := range npop {
		p := &ir.Population{Name: fmt.Sprintf("p%d", i), Size: 1 + rng.IntN(700), Params: map[string]ir.Value{}, Initial: map[string]ir.Value{}}
		switch {
		case i == 0:
			p.Model = ir.SpikeSourcePoisson
			p.Params["rate"] = ir.Scalar(20)
		default:
			p.Model = models[rng.IntN(len(models))]
			switch p.Model {
			case ir.CubaLIF:
				p.Params["tau_syn"], p.Params["tau_mem"] = ir.Scalar(5e-3), ir.Scalar(10e-3)
			case ir.LIF:
				p.Params["tau"] = ir.Scalar(10e-3)
			}
		}
		net.Populations = append(net.Populations, p)
	}
	for k := range 2 + rng.IntN(6) {
		pre := net.Populations[rng.IntN(npop)]
		post := net.Populations[1+rng.IntN(npop-1)]
		pr := &ir.Projection{Name: fmt.Sprintf("j%d", k), Pre: pre.Name, Post: post.Name, Receptor: ir.Excitatory}
		if rng.IntN(3) == 0 {
			pr.Receptor = ir.Inhibitory
		}
		switch rng.IntN(4) {
		case 0:
			pr.Connector = ir.Connector{Kind: ir.FixedProb, P: rng.Float64() * 0.2}
		case 1:
			pr.Connector = ir.Connector{Kind: ir.FixedNumberPre, N: 1 + rng.IntN(min(pre.Size, 20)), WithReplacement: true}
		case 2:
			pr.Connector = ir.Connector{Kind: ir.AllToAll, AllowSelf: true}
			if pre.Size*post.Size > 20000 {
				pr.Connector = ir.Connector{Kind: ir.FixedProb, P: 0.01}
			}
		case 3:
			if pre.Size == post.Size {
				pr.Connector = ir.Connector{Kind: ir.OneToOne}
			} else {
				pr.Connector = ir.Connector{Kind: ir.FixedProb, P: 0.05}
			}
		}
		switch post.Model {
		case ir.IFCurrExp:
			pr.Weight = ir.Value{Dist: &ir.Distribution{Kind: ir.Uniform, A: 0.01e-9, B: 1e-9}}
		case ir.IFCurrDelta:
			pr.Weight = ir.Value{Dist: &ir.Distribution{Kind: ir.Uniform, A: 0.1e-3, B: 2e-3}}
		default:
			pr.Weight = ir.Value{Dist: &ir.Distribution{Kind: ir.Uniform, A: -0.02, B: 0.02}}
			pr.Receptor = ir.Excitatory
		}
		pr.Delay = ir.Value{Dist: &ir.Distribution{Kind: ir.Uniform, A: 1e-3, B: 15e-3}}
		if rng.IntN(2) == 0 {
			// Long delays go through delay-extension cores on SpiNNaker.
			pr.Delay = ir.Value{Dist: &ir.Distribution{Kind: ir.Uniform, A: 1e-3, B: 130e-3}}
		}
		net.Projections = append(net.Projections, pr)
	}
	return net
}

// TestRandomNetworks: on randomised networks, every checker passes after
// every pass, and walking the program delivers exactly the network's
// synapses.
func TestRandomNetworks(t *testing.T) {
	for seed := range uint64(12) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			net := randomNetwork(seed)
			for _, tname := range []string{"spinn3", "zcu102"} {
				opts := Options{}
				if seed%3 == 1 {
					opts.NeuronsPerCore = 16 // many cores: more routing
				}
				exp, err := ir.Expand(net)
				if err != nil {
					t.Fatal(err)
				}
				res, s, err := compileState(exp, loadTarget(t, tname), Options{Check: true, NeuronsPerCore: opts.NeuronsPerCore})
				if err != nil {
					if strings.Contains(err.Error(), "application cores") || tname == "zcu102" && strings.Contains(err.Error(), "has no delay extension") {
						continue // too big for the board, or no delay extension: a correct refusal
					}
					t.Fatalf("%s: %v", tname, err)
				}
				checkDeliveries(t, res, s)
			}
		})
	}
}

// TestDeterministic: the same network and seed compile to byte-identical
// programs at GOMAXPROCS 1 and 2.
func TestDeterministic(t *testing.T) {
	net, err := ir.ReadFile("../examples/cuba.yaml")
	if err != nil {
		t.Fatal(err)
	}
	tg := loadTarget(t, "spinn5")
	encode := func() []byte {
		res, err := Compile(net, tg, Options{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := program.Encode(res.Program)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	prev := runtime.GOMAXPROCS(1)
	a := encode()
	runtime.GOMAXPROCS(2)
	b := encode()
	runtime.GOMAXPROCS(prev)
	if !bytes.Equal(a, b) {
		t.Fatal("compiled programs differ between GOMAXPROCS 1 and 2")
	}
	// And the program survives its own serialisation.
	p, err := program.Decode(a)
	if err != nil {
		t.Fatal(err)
	}
	c, err := program.Encode(p)
	if err != nil || !bytes.Equal(a, c) {
		t.Fatalf("Encode(Decode(b)) differs from b: %v", err)
	}
}

// TestLimitErrors: networks that do not fit fail at compile time, naming
// the element, the limit and what to change.
func TestLimitErrors(t *testing.T) {
	for _, tc := range []struct {
		name, model, target string
		opts                Options
		want                string
	}{
		{"too many cores", `
run: {timestep: 1ms, duration: 10ms}
populations:
  big: {size: 20000, model: if_curr_exp}
`, "spinn3", Options{}, "the network needs 79 cores; spinn3 has 68 application cores (4 chips × 17); use a larger machine or put more neurons on a core"},
		{"long delay", `
run: {timestep: 1ms, duration: 10ms}
populations:
  a: {size: 10, model: if_curr_exp}
projections:
  slow: {pre: a, post: a, connector: all_to_all, weight: 1nA, delay: 400ms}
`, "zcu102", Options{}, "projection slow: delay of 400 ticks exceeds the 255 ticks of the deepest ring a core can have on zcu102 (limits.max_delay_slots 256; each core's ring grows to its longest delay), and zcu102 has no delay extension; shorten the delay to 255 ticks (255ms) or lengthen the timestep"},
		{"delay beyond extension", `
run: {timestep: 1ms, duration: 10ms}
populations:
  a: {size: 10, model: if_curr_exp}
projections:
  slow: {pre: a, post: a, connector: all_to_all, weight: 1nA, delay: 200ms}
`, "spinn5", Options{}, "projection slow: delay of 200 ticks exceeds what spinn5 reaches with delay extension (15 on-core + 8 stages × 15 = 135 ticks, 135ms); shorten the delay or lengthen the timestep"},
		{"row too long", `
run: {timestep: 1ms, duration: 10ms}
populations:
  a: {size: 2, model: if_curr_exp}
  b: {size: 200, model: if_curr_exp}
projections:
  dense: {pre: a, post: b, connector: {type: fixed_number_post, n: 300, with_replacement: true}, weight: 0.1nA}
`, "spinn5", Options{}, "projection dense: neuron 0 of a has more than 256 synapses onto the 200 neurons of b on one core (the most a row holds on spinn5); split the post population (--neurons-per-core) or reduce fan-out"},
		{"neurons per core", `
run: {timestep: 1ms, duration: 10ms}
populations:
  a: {size: 10, model: if_curr_exp}
`, "spinn5", Options{NeuronsPerCore: 300}, "--neurons-per-core 300 exceeds 256, the most a spinn5 core holds"},
		{"input too large", `
run: {timestep: 1ms, duration: 10ms}
populations:
  a: {size: 100, model: if_curr_exp}
projections:
  huge: {pre: a, post: a, connector: all_to_all, weight: 1000nA}
`, "spinn5", Options{}, "population a: summed excitatory input can reach 9.9e+04 nA per step, beyond the ±65536 range of spinn5's s16.15 state; reduce the weights or the fan-in"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			net, err := ir.Parse("t.yaml", []byte(tc.model))
			if err != nil {
				t.Fatal(err)
			}
			_, err = Compile(net, loadTarget(t, tc.target), tc.opts)
			if err == nil {
				t.Fatal("compiled; want an error")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error:\n  %v\nwant it to contain:\n  %s", err, tc.want)
			}
		})
	}
}

// TestPartitionReason: a fine timestep makes CPU time the deciding limit,
// and the report says so.
func TestPartitionReason(t *testing.T) {
	net, err := ir.ReadFile("../examples/cuba.yaml")
	if err != nil {
		t.Fatal(err)
	}
	res, s := compileForTest(t, net, loadTarget(t, "spinn5"), Options{})
	for _, p := range res.Report.Populations {
		if !strings.HasPrefix(p.DecidedBy, "CPU time per step") {
			t.Errorf("population %s: decided by %q, want CPU time at a 0.1 ms step", p.Population, p.DecidedBy)
		}
	}
	for _, v := range s.verts {
		if v.cycles > v.cyclesLimit {
			t.Errorf("core %v: estimated %d cycles over the %d budget", v.id(), v.cycles, v.cyclesLimit)
		}
	}
	if diff := gocmp.Diff(len(s.verts), res.Report.Cores); diff != "" {
		t.Error(diff)
	}
}

// TestDeadHardware: dead chips, cores and links listed in the target are
// never used, and routes go around dead links.
func TestDeadHardware(t *testing.T) {
	tg := loadTarget(t, "spinn5")
	tg.Machine.DeadChips = [][2]int{{1, 0}}
	tg.Machine.DeadCores = [][3]int{{0, 0, 3}, {0, 1, 1}}
	tg.Machine.DeadLinks = [][3]int{{0, 0, 1}} // 0,0 NE ↔ 1,1 SW
	net := randomNetwork(5)
	exp, err := ir.Expand(net)
	if err != nil {
		t.Fatal(err)
	}
	res, s, err := compileState(exp, tg, Options{Check: true, NeuronsPerCore: 8})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range res.Program.Cores {
		switch {
		case c.X == 1 && c.Y == 0:
			t.Errorf("core %s is on the dead chip 1,0", c.CoreID)
		case c.CoreID == program.CoreID{X: 0, Y: 0, P: 3} || c.CoreID == program.CoreID{X: 0, Y: 1, P: 1}:
			t.Errorf("dead core %s used", c.CoreID)
		}
	}
	for _, ch := range res.Program.Chips {
		if ch.X == 0 && ch.Y == 0 {
			for _, r := range ch.Routes {
				if r.Dest&(1<<1) != 0 {
					t.Errorf("chip 0,0 routes %08x over its dead NE link", r.Key)
				}
			}
		}
	}
	checkDeliveries(t, res, s)
}

// TestTriad: a network spread over a triad of SpiNN-5 boards routes over
// the torus's wrap-around links correctly.
func TestTriad(t *testing.T) {
	for seed := range uint64(4) {
		net := randomNetwork(100 + seed)
		exp, err := ir.Expand(net)
		if err != nil {
			t.Fatal(err)
		}
		res, s, err := compileState(exp, loadTarget(t, "spinn5x3"), Options{Check: true, NeuronsPerCore: 2})
		if err != nil {
			if strings.Contains(err.Error(), "application cores") {
				continue
			}
			t.Fatal(err)
		}
		checkDeliveries(t, res, s)
	}
}

// TestCompression: with a router far smaller than the tables, compress
// merges entries until they fit, the checker proves every key routes as
// before, and walking the program still delivers every synapse; when even
// full merging cannot fit, the error says which chip and how many entries.
func TestCompression(t *testing.T) {
	net, err := ir.Parse("c.yaml", []byte(`
run: {timestep: 1ms, duration: 10ms, seed: 3}
populations:
  a: {size: 256, model: if_curr_exp}
  b: {size: 256, model: if_curr_exp}
projections:
  ab: {pre: a, post: b, connector: {type: fixed_probability, p: 0.2}, weight: 0.1nA}
  ba: {pre: b, post: a, connector: {type: fixed_probability, p: 0.2}, weight: 0.1nA}
`))
	if err != nil {
		t.Fatal(err)
	}
	tg := loadTarget(t, "spinn3")
	tg.Router.Entries = 1 + 12 // 12 usable entries
	res, s := compileForTest(t, net, tg, Options{NeuronsPerCore: 16})
	compressed := 0
	for _, r := range res.Report.Routers {
		if r.After < r.Before {
			compressed++
		}
		if r.After > 12 {
			t.Errorf("chip %s: %d entries after compression, limit 12", r.Chip, r.After)
		}
	}
	if compressed == 0 {
		t.Fatal("no table needed compression; the test does not exercise it")
	}
	checkDeliveries(t, res, s)

	tg.Router.Entries = 1 + 1
	_, err = Compile(net, tg, Options{NeuronsPerCore: 16})
	if err == nil || !strings.Contains(err.Error(), "router entries after compression") || !strings.Contains(err.Error(), "its router holds 1") {
		t.Errorf("want a router-overflow error, got %v", err)
	}
}

// TestSTDPRegion: a plastic projection's rule reaches its target core in
// fixed point on every kind of target: decay tables start at (nearly) 1
// and fall with τ, the additive amplitudes are A±·w_max in stored weight
// units as S1615 (whatever the target's state format: FPGA targets have
// 12 fraction bits), and the bounds are the stored w_min and w_max.
func TestSTDPRegion(t *testing.T) {
	net, err := ir.ReadFile("../examples/stdp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tname := range []string{"spinn5", "zcu102"} {
		t.Run(tname, func(t *testing.T) {
			res, s := compileForTest(t, net, loadTarget(t, tname), Options{})
			var core *program.Core
			for i := range res.Program.Cores {
				if res.Program.Cores[i].Plastic != nil {
					core = &res.Program.Cores[i]
				}
			}
			if core == nil {
				t.Fatal("no core holds the plastic projection")
			}
			rule := net.Projection("plastic").Plasticity
			pq := s.q.pops[core.Pop]
			wmax := rule.WMax * 1e9 / pq.resolution[0] // stored units (nA / resolution)
			st := core.Plastic
			if st.Multiplicative {
				t.Error("additive rule compiled as multiplicative")
			}
			if got, want := int(st.WMax), int(math.Round(wmax)); got != want {
				t.Errorf("WMax = %d, want %d", got, want)
			}
			for name, a := range map[string][2]float64{"APlus": {float64(st.APlus), rule.APlus}, "AMinus": {float64(st.AMinus), rule.AMinus}} {
				if got, want := a[0]/(1<<15), a[1]*wmax; math.Abs(got-want) > 1.0/(1<<15)+1e-9*want {
					t.Errorf("%s = %g stored units, want %g", name, got, want)
				}
			}
			frac := int(res.Program.Numeric.DecayFrac)
			for k, tau := range map[int]float64{0: rule.TauPlus, 20: rule.TauPlus, 100: rule.TauPlus} {
				got := math.Ldexp(float64(st.TauPlusDecay[k]), -frac)
				if want := math.Exp(-float64(k) * s.dt / tau); math.Abs(got-want) > math.Ldexp(1, -frac) {
					t.Errorf("TauPlusDecay[%d] = %g, want %g", k, got, want)
				}
			}
			for _, e := range core.PopTable {
				if !e.Plastic {
					t.Errorf("entry %08x of the plastic core is not plastic", e.Key)
				}
			}
		})
	}
}

// TestSameSTDPRuleTwice: two projections onto one population with the
// same rule, written out twice in the file, share a core; different rules
// are refused.
func TestSameSTDPRuleTwice(t *testing.T) {
	src := func(aMinus string) string {
		return `
name: twice
run: {timestep: 1ms, duration: 10ms}
populations:
  a: {size: 10, model: spike_source_poisson, params: {rate: 10Hz}}
  b: {size: 10, model: spike_source_poisson, params: {rate: 10Hz}}
  n: {size: 10, model: if_curr_exp}
projections:
  pa: {pre: a, post: n, connector: all_to_all, weight: 0.1nA, delay: 1ms,
       plasticity: {type: stdp, tau_plus: 20ms, tau_minus: 20ms, a_plus: 0.05, a_minus: 0.06, w_min: 0nA, w_max: 0.2nA, weight_dependence: additive}}
  pb: {pre: b, post: n, connector: all_to_all, weight: 0.1nA, delay: 1ms,
       plasticity: {type: stdp, tau_plus: 20ms, tau_minus: 20ms, a_plus: 0.05, a_minus: ` + aMinus + `, w_min: 0nA, w_max: 0.2nA, weight_dependence: additive}}
`
	}
	tg := loadTarget(t, "spinn3")
	net, err := ir.Parse("twice.yaml", []byte(src("0.06")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Compile(net, tg, Options{}); err != nil {
		t.Fatalf("the same rule twice: %v", err)
	}
	net, err = ir.Parse("twice.yaml", []byte(src("0.07")))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Compile(net, tg, Options{})
	if want := "projections pa and pb onto n use different STDP rules; a core holds one rule"; err == nil || err.Error() != want {
		t.Fatalf("different rules: %v, want %q", err, want)
	}
}
