// Package reference is soma's float64 reference simulator: the oracle that
// quantisation error, the emulator and boards are measured against.
//
// It is clock-driven at the run's timestep and integrates every neuron model
// exactly between steps (the models are linear between spikes, so the
// closed-form solution over one step is a fixed affine map). The order of
// operations within a step, and what a spike delivers to each model, are
// written down in docs/semantics.md; this file implements that text.
package reference

import (
	"fmt"
	"math"
	"time"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/results"
)

// Options tune a run.
type Options struct {
	// Progress, if set, is called every so often with the steps done.
	Progress func(done, total int)
}

// Run simulates an expanded network for its run's duration.
func Run(e *ir.Expanded, opts Options) (*results.Result, error) {
	s, err := newSim(e)
	if err != nil {
		return nil, err
	}
	start := time.Now()
	steps := e.Net.Run.Steps()
	every := max(1, steps/200)
	for n := range steps {
		s.step(n)
		if opts.Progress != nil && (n%every == 0 || n == steps-1) {
			opts.Progress(n+1, steps)
		}
	}
	res := s.result()
	res.Timings.RunS = time.Since(start).Seconds()
	return res, nil
}

// pop is the simulation state of one population.
type pop struct {
	ep   *ir.ExpandedPopulation
	idx  int32
	spec *ir.ModelSpec
	n    int

	// State. For models with one input, iExc holds it and iInh is unused.
	v, iExc, iInh []float64
	refrac        []int32 // steps left in the refractory period

	// Per-neuron constants of the exact one-step update.
	vDecay      []float64 // e^{-dt/tau_m}; 1 for IF
	vInf        []float64 // the potential the membrane relaxes to without input
	vDrift      []float64 // IF only: r·i_offset·dt added each step
	excDecay    []float64 // e^{-dt/tau_syn_E}
	inhDecay    []float64
	excToV      []float64 // how much one unit of I_exc at the step's start moves v by its end
	inhToV      []float64
	inputScale  []float64 // what one unit of weight adds to the input variable
	thresh      []float64
	reset       []float64
	refracSteps []int32

	// Input ring buffers: ring[slot][neuron] summed weights arriving at the
	// step ≡ slot (mod len(ring)).
	ringExc, ringInh [][]float64

	// Spike sources: next index into SpikeSteps per neuron.
	cursor []int

	// fired lists the neurons that spiked in the current step.
	fired []int32
}

// plastic is the STDP state of one projection.
type plastic struct {
	proj    *ir.Projection
	rule    *ir.STDP
	post    *pop
	syn     []ir.Synapse
	weights []float64
	// Per synapse: the pre trace and the step it was last updated at.
	preTrace []float64
	preLast  []int32
	// Per post neuron: the post trace and its last update step.
	postTrace []float64
	postLast  []int32
	// byPost lists synapse indices per post neuron (CSR).
	byPostStart []int32
	byPost      []int32
	// arrivals[slot] lists synapse indices whose pre spike arrives at the
	// step ≡ slot.
	arrivals [][]int32
	delays   []int32
	decayP   func(steps int32) float64
	decayM   func(steps int32) float64
	receptor ir.Receptor
}

// outEdge is a static synapse as the sender sees it.
type outEdge struct {
	post   int32
	delay  int32
	weight float64
	inh    bool
}

type sim struct {
	net   *ir.Network
	dt    float64
	steps int
	pops  []*pop
	// out[pop][pre] lists static synapses leaving each neuron, by target pop.
	out     [][][]targetEdges
	plastic []*plastic
	// plasticByPre[pop][pre] lists (projection, synapse index) pairs.
	plasticByPre  [][][]plasticRef
	plasticByPost [][]*plastic
	ringLen       int

	spikes []results.Spike
	probes []*probeRec
}

type targetEdges struct {
	target *pop
	edges  []outEdge
}

type plasticRef struct {
	p   *plastic
	syn int32
}

type probeRec struct {
	probe   *ir.Probe
	pop     *pop
	plastic *plastic
	trace   results.Trace
	get     func(i int) float64
}

func newSim(e *ir.Expanded) (*sim, error) {
	net := e.Net
	s := &sim{net: net, dt: net.Run.Timestep, steps: net.Run.Steps()}
	// The ring must hold the longest delay plus the current slot.
	maxDelay := 1
	for i := range net.Projections {
		for _, syn := range e.Synapses[i] {
			maxDelay = max(maxDelay, syn.DelaySteps(s.dt))
		}
	}
	s.ringLen = maxDelay + 1
	for i, ep := range e.Populations {
		p, err := newPop(ep, int32(i), s.dt, s.ringLen)
		if err != nil {
			return nil, err
		}
		s.pops = append(s.pops, p)
	}
	s.out = make([][][]targetEdges, len(s.pops))
	s.plasticByPre = make([][][]plasticRef, len(s.pops))
	s.plasticByPost = make([][]*plastic, len(s.pops))
	for i, p := range s.pops {
		s.out[i] = make([][]targetEdges, p.n)
		s.plasticByPre[i] = make([][]plasticRef, p.n)
	}
	for i, pr := range net.Projections {
		pre, post := s.pops[net.PopulationIndex(pr.Pre)], s.pops[net.PopulationIndex(pr.Post)]
		syns := e.Synapses[i]
		if pr.Plasticity != nil {
			pl := newPlastic(pr, post, syns, s.dt, s.ringLen)
			s.plastic = append(s.plastic, pl)
			s.plasticByPost[post.idx] = append(s.plasticByPost[post.idx], pl)
			for k, syn := range syns {
				s.plasticByPre[pre.idx][syn.Pre] = append(s.plasticByPre[pre.idx][syn.Pre], plasticRef{pl, int32(k)})
			}
			continue
		}
		inh := pr.Receptor == ir.Inhibitory && post.spec.HasReceptors()
		for _, syn := range syns {
			lst := s.out[pre.idx][syn.Pre]
			if len(lst) == 0 || lst[len(lst)-1].target != post {
				lst = append(lst, targetEdges{target: post})
			}
			last := &lst[len(lst)-1]
			last.edges = append(last.edges, outEdge{post: syn.Post, delay: int32(syn.DelaySteps(s.dt)), weight: syn.Weight, inh: inh})
			s.out[pre.idx][syn.Pre] = lst
		}
	}
	for _, pb := range net.Probes {
		if pb.Variable == "spikes" {
			continue
		}
		rec, err := s.newProbe(pb)
		if err != nil {
			return nil, err
		}
		s.probes = append(s.probes, rec)
	}
	return s, nil
}

func newPop(ep *ir.ExpandedPopulation, idx int32, dt float64, ringLen int) (*pop, error) {
	p := &pop{ep: ep, idx: idx, spec: ep.Spec(), n: ep.Size}
	if p.spec.Source {
		p.cursor = make([]int, p.n)
		return p, nil
	}
	n := p.n
	par := ep.Params
	p.v = append([]float64(nil), ep.Initial["v"]...)
	p.iExc = make([]float64, n)
	p.iInh = make([]float64, n)
	p.refrac = make([]int32, n)
	p.vDecay, p.vInf, p.vDrift = make([]float64, n), make([]float64, n), make([]float64, n)
	p.excDecay, p.inhDecay = make([]float64, n), make([]float64, n)
	p.excToV, p.inhToV = make([]float64, n), make([]float64, n)
	p.inputScale = make([]float64, n)
	p.thresh, p.reset = make([]float64, n), make([]float64, n)
	p.refracSteps = make([]int32, n)
	p.ringExc = makeRing(ringLen, n)
	if p.spec.HasReceptors() {
		p.ringInh = makeRing(ringLen, n)
	}
	for i := range n {
		switch p.spec.Name {
		case ir.IFCurrExp, ir.IFCurrDelta:
			tm, cm := par["tau_m"][i], par["cm"][i]
			r := tm / cm
			p.vDecay[i] = math.Exp(-dt / tm)
			p.vInf[i] = par["v_rest"][i] + r*par["i_offset"][i]
			p.thresh[i], p.reset[i] = par["v_thresh"][i], par["v_reset"][i]
			p.inputScale[i] = 1
			if p.spec.Name == ir.IFCurrExp {
				te, ti := par["tau_syn_E"][i], par["tau_syn_I"][i]
				p.excDecay[i], p.inhDecay[i] = math.Exp(-dt/te), math.Exp(-dt/ti)
				p.excToV[i] = synToV(r, tm, te, dt)
				p.inhToV[i] = synToV(r, tm, ti, dt)
				p.iExc[i], p.iInh[i] = ep.Initial["isyn_exc"][i], ep.Initial["isyn_inh"][i]
			}
		case ir.CubaLIF, ir.CubaLI:
			tm, ts, r := par["tau_mem"][i], par["tau_syn"][i], par["r"][i]
			p.vDecay[i] = math.Exp(-dt / tm)
			p.vInf[i] = par["v_leak"][i] + r*par["i_offset"][i]
			p.excDecay[i] = math.Exp(-dt / ts)
			// tau_mem dv/dt = (v_leak - v) + r I: an input current I moves v
			// like a PyNN current with R = r and cm = tau_mem / r.
			p.excToV[i] = synToV(r, tm, ts, dt)
			p.inputScale[i] = par["w_in"][i] / ts
			p.thresh[i] = math.Inf(1)
			if p.spec.Name == ir.CubaLIF {
				p.thresh[i], p.reset[i] = par["v_threshold"][i], par["v_reset"][i]
			}
			p.iExc[i] = ep.Initial["i_syn"][i]
		case ir.LIF, ir.LI:
			tau, r := par["tau"][i], par["r"][i]
			p.vDecay[i] = math.Exp(-dt / tau)
			p.vInf[i] = par["v_leak"][i] + r*par["i_offset"][i]
			p.inputScale[i] = r / tau
			if p.spec.Name == ir.LIF {
				p.thresh[i], p.reset[i] = par["v_threshold"][i], par["v_reset"][i]
			} else {
				p.thresh[i] = math.Inf(1)
			}
		case ir.Threshold:
			p.vDecay[i] = 0
			p.inputScale[i] = 1
			p.vInf[i] = par["i_offset"][i]
			p.thresh[i], p.reset[i] = par["v_threshold"][i], par["v_reset"][i]
		case ir.IF, ir.I:
			r := par["r"][i]
			p.vDecay[i] = 1
			p.vDrift[i] = r * par["i_offset"][i] * dt
			p.inputScale[i] = r
			p.thresh[i] = math.Inf(1)
			if p.spec.Name == ir.IF {
				p.thresh[i], p.reset[i] = par["v_threshold"][i], par["v_reset"][i]
			}
		default:
			return nil, fmt.Errorf("reference: population %s: model %s is not simulated", ep.Name, p.spec.Name)
		}
		if tr, ok := par["tau_refrac"]; ok {
			p.refracSteps[i] = int32(math.Round(tr[i] / dt))
		}
	}
	return p, nil
}

// synToV is the change of v over one step of length dt caused by a unit
// exponential current present at the step's start, for a membrane with
// resistance r and time constant tm and a synapse with time constant ts:
// the integral of e^{-s/ts} through the membrane's impulse response.
func synToV(r, tm, ts, dt float64) float64 {
	// ts/(ts-tm)·(e^{-dt/ts} - e^{-dt/tm}) rewritten as
	// (dt/tm)·e^{-dt/tm}·expm1(x)/x with x = dt(ts-tm)/(ts·tm): the direct
	// form cancels catastrophically when ts ≈ tm, this one tends smoothly
	// to the ts = tm limit r·(dt/tm)·e^{-dt/tm}.
	x := dt * (ts - tm) / (ts * tm)
	ratio := 1.0
	if x != 0 {
		ratio = math.Expm1(x) / x
	}
	return r * dt / tm * math.Exp(-dt/tm) * ratio
}

func makeRing(slots, n int) [][]float64 {
	r := make([][]float64, slots)
	for i := range r {
		r[i] = make([]float64, n)
	}
	return r
}

func newPlastic(pr *ir.Projection, post *pop, syns []ir.Synapse, dt float64, ringLen int) *plastic {
	pl := &plastic{
		proj: pr, rule: pr.Plasticity, post: post, syn: syns,
		weights:   make([]float64, len(syns)),
		preTrace:  make([]float64, len(syns)),
		preLast:   make([]int32, len(syns)),
		postTrace: make([]float64, post.n),
		postLast:  make([]int32, post.n),
		arrivals:  make([][]int32, ringLen),
		delays:    make([]int32, len(syns)),
		receptor:  pr.Receptor,
	}
	tp, tm := pr.Plasticity.TauPlus, pr.Plasticity.TauMinus
	pl.decayP = func(k int32) float64 { return math.Exp(-float64(k) * dt / tp) }
	pl.decayM = func(k int32) float64 { return math.Exp(-float64(k) * dt / tm) }
	counts := make([]int32, post.n+1)
	for k, s := range syns {
		pl.weights[k] = s.Weight
		pl.delays[k] = int32(s.DelaySteps(dt))
		counts[s.Post+1]++
	}
	for i := 1; i <= post.n; i++ {
		counts[i] += counts[i-1]
	}
	pl.byPostStart = counts
	pl.byPost = make([]int32, len(syns))
	fill := append([]int32(nil), counts[:post.n]...)
	for k, s := range syns {
		pl.byPost[fill[s.Post]] = int32(k)
		fill[s.Post]++
	}
	return pl
}

// step advances the whole network by one timestep n (from t_n to t_{n+1}).
func (s *sim) step(n int) {
	slot := n % s.ringLen
	// 1. Plastic synapses whose pre spike arrives now deliver their current
	// weight, then are depressed by the post trace (pre-after-post).
	for _, pl := range s.plastic {
		for _, k := range pl.arrivals[slot] {
			pl.deliver(k, slot)
			pl.depress(k, int32(n))
		}
		pl.arrivals[slot] = pl.arrivals[slot][:0]
	}
	// 2–4. Every population takes its input, integrates and fires.
	for _, p := range s.pops {
		p.fired = p.fired[:0]
		if p.spec.Source {
			p.emitSource(int32(n))
			continue
		}
		p.update(slot)
	}
	// 5. Spikes are recorded, sent, and potentiate plastic synapses.
	for _, p := range s.pops {
		for _, i := range p.fired {
			s.spikes = append(s.spikes, results.Spike{Pop: p.idx, Neuron: i, Step: int32(n)})
			for _, te := range s.out[p.idx][i] {
				t := te.target
				for _, e := range te.edges {
					ring := t.ringExc
					if e.inh {
						ring = t.ringInh
					}
					ring[(n+int(e.delay))%s.ringLen][e.post] += e.weight
				}
			}
			for _, ref := range s.plasticByPre[p.idx][i] {
				pl := ref.p
				at := (n + int(pl.delays[ref.syn])) % s.ringLen
				pl.arrivals[at] = append(pl.arrivals[at], ref.syn)
			}
		}
		for _, pl := range s.plasticByPost[p.idx] {
			for _, j := range p.fired {
				pl.potentiate(j, int32(n))
			}
		}
	}
	s.record(n)
}

// update applies the input due this step, integrates one step exactly,
// then checks the threshold.
func (p *pop) update(slot int) {
	ringE := p.ringExc[slot]
	var ringI []float64
	if p.ringInh != nil {
		ringI = p.ringInh[slot]
	}
	model := p.spec.Name
	for i := range p.n {
		in := ringE[i]
		ringE[i] = 0
		inh := 0.0
		if ringI != nil {
			inh = ringI[i]
			ringI[i] = 0
		}
		refractory := p.refrac[i] > 0
		switch model {
		case ir.IFCurrExp:
			p.iExc[i] += in
			p.iInh[i] += inh
		case ir.CubaLIF, ir.CubaLI:
			p.iExc[i] += in * p.inputScale[i]
		case ir.IFCurrDelta:
			// Delta inputs arriving during the refractory period are lost,
			// as in NEST's iaf_psc_delta and sPyNNaker.
			if !refractory {
				p.v[i] += in - inh
			}
		case ir.Threshold:
			// No memory: this step's input is the value.
			p.v[i] = in
		default: // lif, if, li: a Dirac current moves v at once.
			if !refractory {
				p.v[i] += in * p.inputScale[i]
			}
		}
		if refractory {
			p.refrac[i]--
			p.v[i] = p.reset[i]
		} else {
			v := p.vInf[i] + (p.v[i]-p.vInf[i])*p.vDecay[i] + p.vDrift[i]
			if model == ir.Threshold {
				v = p.v[i] + p.vInf[i] // input + i_offset, kept for this step only
			}
			switch model {
			case ir.IFCurrExp:
				v += p.excToV[i]*p.iExc[i] - p.inhToV[i]*p.iInh[i]
			case ir.CubaLIF, ir.CubaLI:
				v += p.excToV[i] * p.iExc[i]
			}
			p.v[i] = v
		}
		switch model {
		case ir.IFCurrExp:
			p.iExc[i] *= p.excDecay[i]
			p.iInh[i] *= p.inhDecay[i]
		case ir.CubaLIF, ir.CubaLI:
			p.iExc[i] *= p.excDecay[i]
		}
		if !refractory && p.v[i] >= p.thresh[i] {
			p.v[i] = p.reset[i]
			p.refrac[i] = p.refracSteps[i]
			p.fired = append(p.fired, int32(i))
		}
	}
}

func (p *pop) emitSource(n int32) {
	for i := range p.n {
		steps := p.ep.SpikeSteps[i]
		c := p.cursor[i]
		for c < len(steps) && steps[c] < n {
			c++
		}
		if c < len(steps) && steps[c] == n {
			p.fired = append(p.fired, int32(i))
			c++
		}
		p.cursor[i] = c
	}
}

func (pl *plastic) deliver(k int32, slot int) {
	s := pl.syn[k]
	w := pl.weights[k]
	post := pl.post
	switch {
	case !post.spec.HasReceptors():
		post.ringExc[slot][s.Post] += w
	case pl.receptor == ir.Inhibitory:
		post.ringInh[slot][s.Post] += w
	default:
		post.ringExc[slot][s.Post] += w
	}
}

// depress applies a pre spike arriving at step n to synapse k: the post
// trace (decayed to n) depresses the weight, then the pre trace jumps.
func (pl *plastic) depress(k, n int32) {
	s := pl.syn[k]
	r := pl.rule
	j := s.Post
	y := pl.postTrace[j] * pl.decayM(n-pl.postLast[j])
	w := pl.weights[k]
	f := r.WMax
	if r.Dependence == ir.Multiplicative {
		f = w - r.WMin
	}
	pl.weights[k] = clamp(w-r.AMinus*f*y, r.WMin, r.WMax)
	pl.preTrace[k] = pl.preTrace[k]*pl.decayP(n-pl.preLast[k]) + 1
	pl.preLast[k] = n
}

// potentiate applies a post spike of neuron j at step n: every synapse onto
// j is potentiated by its pre trace, then the post trace jumps.
func (pl *plastic) potentiate(j, n int32) {
	r := pl.rule
	for _, k := range pl.byPost[pl.byPostStart[j]:pl.byPostStart[j+1]] {
		x := pl.preTrace[k] * pl.decayP(n-pl.preLast[k])
		w := pl.weights[k]
		f := r.WMax
		if r.Dependence == ir.Multiplicative {
			f = r.WMax - w
		}
		pl.weights[k] = clamp(w+r.APlus*f*x, r.WMin, r.WMax)
	}
	pl.postTrace[j] = pl.postTrace[j]*pl.decayM(n-pl.postLast[j]) + 1
	pl.postLast[j] = n
}

func clamp(x, lo, hi float64) float64 { return math.Min(math.Max(x, lo), hi) }

func (s *sim) newProbe(pb *ir.Probe) (*probeRec, error) {
	rec := &probeRec{probe: pb}
	every := max(1, pb.Every)
	if pb.Variable == "weights" {
		var pl *plastic
		for _, cand := range s.plastic {
			if cand.proj.Name == pb.Projection {
				pl = cand
			}
		}
		if pl == nil {
			return nil, fmt.Errorf("reference: probe on weights of %s: the projection is not plastic, so its weights never change", pb.Projection)
		}
		idx := pb.Indices
		if idx == nil {
			idx = seq(len(pl.syn))
		}
		for _, k := range idx {
			if k >= len(pl.syn) {
				return nil, fmt.Errorf("reference: probe on weights of %s: synapse %d does not exist (%d synapses)", pb.Projection, k, len(pl.syn))
			}
		}
		rec.plastic = pl
		rec.get = func(k int) float64 { return pl.weights[k] }
		post := s.net.Population(pl.proj.Post)
		rec.trace = results.Trace{Name: pb.Projection + ".weights", Population: pb.Projection, Variable: "weights",
			Unit: post.Spec().WeightDim.SIUnit(), Indices: idx, Every: every}
		return rec, nil
	}
	p := s.pops[s.net.PopulationIndex(pb.Population)]
	rec.pop = p
	idx := pb.Indices
	if idx == nil {
		idx = seq(p.n)
	}
	st, _ := p.spec.StateVar(pb.Variable)
	switch pb.Variable {
	case "v":
		rec.get = func(i int) float64 { return p.v[i] }
	case "isyn_exc", "i_syn":
		rec.get = func(i int) float64 { return p.iExc[i] }
	case "isyn_inh":
		rec.get = func(i int) float64 { return p.iInh[i] }
	default:
		return nil, fmt.Errorf("reference: cannot record %s of %s", pb.Variable, pb.Population)
	}
	rec.trace = results.Trace{Name: pb.Population + "." + pb.Variable, Population: pb.Population, Variable: pb.Variable,
		Unit: st.Dim.SIUnit(), Indices: idx, Every: every}
	return rec, nil
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// record samples the probes at the end of step n.
func (s *sim) record(n int) {
	for _, r := range s.probes {
		if n%r.trace.Every != 0 {
			continue
		}
		for _, i := range r.trace.Indices {
			r.trace.Data = append(r.trace.Data, r.get(i))
		}
	}
}

func (s *sim) result() *results.Result {
	res := &results.Result{
		Engine:   "reference",
		Network:  s.net.Name,
		Timestep: s.dt,
		Steps:    s.steps,
		Spikes:   s.spikes,
	}
	for _, p := range s.pops {
		res.Populations = append(res.Populations, results.Population{Name: p.ep.Name, Size: p.n, Model: string(p.spec.Name)})
	}
	res.Spikes = filterRecorded(s.net, res.Spikes)
	for _, r := range s.probes {
		res.Traces = append(res.Traces, r.trace)
	}
	res.Sort()
	return res
}

// filterRecorded keeps the spikes of neurons with a spike probe (the whole
// population, or the probe's indices), so a run's outputs are what the
// model file asked for (boards record only those). A network without any
// spike probe records every population.
func filterRecorded(net *ir.Network, spikes []results.Spike) []results.Spike {
	want := map[int32]map[int32]bool{} // nil inner map: every neuron
	for _, pb := range net.Probes {
		if pb.Variable != "spikes" {
			continue
		}
		pop := int32(net.PopulationIndex(pb.Population))
		if pb.Indices == nil {
			want[pop] = nil
			continue
		}
		if m, seen := want[pop]; seen && m == nil {
			continue
		}
		if want[pop] == nil {
			want[pop] = map[int32]bool{}
		}
		for _, i := range pb.Indices {
			want[pop][int32(i)] = true
		}
	}
	if len(want) == 0 {
		return spikes
	}
	kept := spikes[:0]
	for _, sp := range spikes {
		if m, ok := want[sp.Pop]; ok && (m == nil || m[sp.Neuron]) {
			kept = append(kept, sp)
		}
	}
	return kept
}
