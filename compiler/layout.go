package compiler

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
)

// layout writes every core's memory: neuron records, the synaptic matrix
// (rows of packed synaptic words behind a master population table), source
// spike lists, STDP parameters and recording configuration; then the chips'
// router tables. The result is the program.
func layout(s *state) error {
	num := s.q.numeric
	p := &program.Program{
		Network: s.net.Name, Target: s.t.Name, Kind: string(s.t.Kind),
		Timestep: s.dt, Steps: uint32(s.net.Run.Steps()), Seed: s.net.Run.Seed,
		Numeric: num,
	}
	delayBits := uint8(bits.Len(uint(s.t.Limits.DelaySlots - 1)))
	// Vertices in core order; cores[v] is its index in p.Cores.
	order := slices.Clone(s.verts)
	slices.SortFunc(order, func(a, b *vertex) int { return compareCore(a.id(), b.id()) })
	index := map[*vertex]int{}
	for i, v := range order {
		index[v] = i
	}
	for i, pop := range s.net.Populations {
		pp := program.Population{Name: pop.Name, Size: uint32(pop.Size), Model: string(pop.Model), Source: pop.IsSource()}
		for _, v := range s.popVerts[i] {
			pp.Cores = append(pp.Cores, uint32(index[v]))
		}
		p.Populations = append(p.Populations, pp)
	}
	rows, err := s.buildRows(delayBits)
	if err != nil {
		return err
	}
	for _, v := range order {
		var weights []program.WeightProbe
		ep := s.exp.Populations[v.pop]
		c := program.Core{
			CoreID: v.id(), Kind: v.kind, Pop: uint32(v.pop), Lo: uint32(v.lo), N: uint32(v.n),
			Model: string(ep.Model), Key: v.key, Mask: v.mask,
		}
		switch v.kind {
		case program.SourceCore:
			c.Spikes = sourceSpikes(ep, v)
		case program.DelayCore:
			words := (v.n + 31) / 32
			send := make([]uint32, v.stages*words)
			for k, row := range v.send {
				for i, on := range row {
					if on {
						send[k*words+i/32] |= 1 << (i % 32)
					}
				}
			}
			c.Geometry = program.Geometry{DelayBits: delayBits, TypeBits: 1, IndexBits: uint8(s.keys.indexBits)}
			c.Delay = &program.DelayConfig{SourceKey: v.serves.key, SourceMask: v.serves.mask,
				Slots: uint32(s.slotDelay()), Stages: uint32(v.stages), Send: send}
		case program.NeuronCore:
			pq := s.q.pops[v.pop]
			w := len(pq.layout)
			c.Layout = pq.layout
			c.Neurons = slices.Clone(pq.records[v.lo*w : (v.lo+v.n)*w])
			c.Geometry = program.Geometry{DelayBits: rows[v].delayBits, TypeBits: 1, IndexBits: uint8(indexBits(v.n)), SynapseTypes: 2}
			c.WeightShift = []uint8{pq.shift[0], pq.shift[1]}
			c.PopTable, c.Synapses = rows[v].table, rows[v].words
			c.Plastic = rows[v].stdp
			weights = rows[v].weights
		}
		if v.kind != program.DelayCore { // a delay core re-sends spikes its source already recorded
			c.Record = s.recording(v)
			c.Record.Weights = weights
		}
		p.Cores = append(p.Cores, c)
	}
	chips := map[[2]int]bool{}
	for _, v := range s.verts {
		chips[[2]int{v.x, v.y}] = true
	}
	for c := range s.tables {
		chips[[2]int{c[0], c[1]}] = true
	}
	all := map[[2]int][]program.Route{}
	for c := range chips {
		all[c] = s.tables[c]
	}
	p.Chips = s.chipsFrom(all)
	s.prog = p
	return nil
}

// sourceSpikes lists a source vertex's spikes as (step, local index) pairs
// sorted by step then index.
func sourceSpikes(ep *ir.ExpandedPopulation, v *vertex) []uint32 {
	type sp struct{ step, idx uint32 }
	var all []sp
	for j := range v.n {
		for _, st := range ep.SpikeSteps[v.lo+j] {
			all = append(all, sp{uint32(st), uint32(j)})
		}
	}
	slices.SortFunc(all, func(a, b sp) int { return cmp.Or(cmp.Compare(a.step, b.step), cmp.Compare(a.idx, b.idx)) })
	out := make([]uint32, 0, 2*len(all))
	for _, x := range all {
		out = append(out, x.step, x.idx)
	}
	return out
}

type coreRows struct {
	table []program.PopEntry
	words []uint32
	stdp  *program.STDP
	// delayBits sizes the core's ring (2^delayBits slots).
	delayBits uint8
	// weights are the probed plastic synapses laid out on this core.
	weights []program.WeightProbe
}

// notePosition records where a probed plastic synapse's word went, so the
// core can sample its weight.
func (s *state) notePosition(cr *coreRows, x incoming, pos int) {
	probe, ok := s.weightProbes[x.proj]
	if !ok || (probe.Indices != nil && !probe.has[x.syn]) {
		return
	}
	name := s.net.Projections[x.proj].Name
	for i := range cr.weights {
		if cr.weights[i].Projection == name {
			cr.weights[i].Synapses = append(cr.weights[i].Synapses, uint32(x.syn))
			cr.weights[i].Words = append(cr.weights[i].Words, uint32(pos))
			return
		}
	}
	cr.weights = append(cr.weights, program.WeightProbe{Projection: name, Every: uint32(max(1, probe.Every)),
		Synapses: []uint32{uint32(x.syn)}, Words: []uint32{uint32(pos)}})
}

// weightProbe is a weights probe with its indices as a set.
type weightProbe struct {
	*ir.Probe
	has map[int32]bool
}

// incoming is one synapse as its target core stores it: the key space it
// arrives on, the pre neuron's local index there, and its word.
type incoming struct {
	key   uint32
	local uint32
	word  uint32
	proj  int32
	syn   int32 // index in the projection's expanded synapses
}

// buildRows packs each target vertex's incoming synapses into rows, one
// block of rows per key space that reaches it. Synapses are gathered per
// target in one pass (no per-row allocation), then sorted by key and pre
// neuron; within a row they keep the network's order.
func (s *state) buildRows(delayBits uint8) (map[*vertex]*coreRows, error) {
	s.weightProbes = map[int32]weightProbe{}
	for _, pb := range s.net.Probes {
		if pb.Variable != "weights" {
			continue
		}
		wp := weightProbe{Probe: pb, has: map[int32]bool{}}
		for _, i := range pb.Indices {
			wp.has[int32(i)] = true
		}
		s.weightProbes[int32(s.net.ProjectionIndex(pb.Projection))] = wp
	}
	index := make(map[*vertex]int, len(s.verts))
	for i, v := range s.verts {
		index[v] = i
	}
	// Each core's ring: the target's, or, where rings are generated per
	// program (limits.max_delay_slots), just deep enough for the longest
	// delay that reaches the core (slots ≥ delay + 1).
	ring := make([]uint8, len(s.verts))
	for i := range ring {
		ring[i] = delayBits
	}
	if s.t.Limits.MaxDelaySlots > s.t.Limits.DelaySlots {
		for k, pr := range s.net.Projections {
			post := s.net.PopulationIndex(pr.Post)
			for _, syn := range s.exp.Synapses[k] {
				_, rest := s.split(syn.DelaySteps(s.dt))
				ti := index[s.vertexOf(post, int(syn.Post))]
				ring[ti] = max(ring[ti], uint8(bits.Len(uint(rest))))
			}
		}
	}
	in := make([][]incoming, len(s.verts))
	plasticOn := make([]*ir.Projection, len(s.verts))
	maxRow := s.t.Limits.MaxRowLength
	for k, pr := range s.net.Projections {
		pre, post := s.net.PopulationIndex(pr.Pre), s.net.PopulationIndex(pr.Post)
		q := s.q.syn[k]
		for n, syn := range s.exp.Synapses[k] {
			key, a, rest := s.senderOf(pre, syn)
			b := s.vertexOf(post, int(syn.Post))
			ti := index[b]
			if pr.Plasticity != nil {
				if other := plasticOn[ti]; other != nil && !sameRule(other.Plasticity, pr.Plasticity) {
					return nil, fmt.Errorf("projections %s and %s onto %s use different STDP rules; a core holds one rule", other.Name, pr.Name, s.popName(post))
				}
				plasticOn[ti] = pr
			}
			g := program.Geometry{DelayBits: ring[ti], TypeBits: 1, IndexBits: uint8(indexBits(b.n))}
			in[ti] = append(in[ti], incoming{key: key, local: uint32(int(syn.Pre) - a.lo), proj: int32(k), syn: int32(n),
				word: g.Word(q[n].w, uint32(rest), uint32(q[n].typ), uint32(int(syn.Post)-b.lo))})
		}
	}
	out := map[*vertex]*coreRows{}
	keyMask := ^uint32(1<<s.keys.indexBits - 1)
	for ti, target := range s.verts {
		cr := &coreRows{delayBits: ring[ti]}
		out[target] = cr
		syns := in[ti]
		in[ti] = nil
		slices.SortStableFunc(syns, func(x, y incoming) int { return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.local, y.local)) })
		for start := 0; start < len(syns); {
			end := start
			for end < len(syns) && syns[end].key == syns[start].key {
				end++
			}
			blk := syns[start:end]
			start = end
			plastic := s.net.Projections[blk[0].proj].Plasticity != nil
			for _, x := range blk {
				if (s.net.Projections[x.proj].Plasticity != nil) != plastic {
					return nil, fmt.Errorf("projections %s and %s onto %s mix plastic and static synapses from the same pre-synaptic core; soma cannot lay those out in one row yet: make both plastic or both static",
						s.net.Projections[blk[0].proj].Name, s.net.Projections[x.proj].Name, s.popName(target.pop))
				}
			}
			if err := s.appendBlock(cr, blk, target, plastic, keyMask, maxRow); err != nil {
				return nil, err
			}
		}
		if pr := plasticOn[ti]; pr != nil {
			cr.stdp = s.stdpParams(pr, target)
		}
	}
	return out, nil
}

// appendBlock lays out the rows of one key space on a core, padded to the
// longest row or behind a row directory, whichever takes fewer words.
func (s *state) appendBlock(cr *coreRows, blk []incoming, target *vertex, plastic bool, keyMask uint32, maxRow int) error {
	header := 1
	if plastic {
		header = 3
	}
	// One row per neuron of the sending vertex.
	rows := s.senderByKey[blk[0].key].v.n
	lengths := make([]int, rows)
	longest := 0
	for _, x := range blk {
		lengths[x.local]++
		if lengths[x.local] > maxRow {
			pr := s.net.Projections[x.proj]
			return fmt.Errorf("projection %s: neuron %d of %s has more than %d synapses onto the %d neurons of %s on one core (the most a row holds on %s); split the post population (--neurons-per-core) or reduce fan-out",
				pr.Name, s.senderByKey[x.key].v.lo+int(x.local), pr.Pre, maxRow, target.n, s.popName(target.pop), s.t.Name)
		}
		longest = max(longest, lengths[x.local])
	}
	nonEmpty := 0
	for _, n := range lengths {
		if n > 0 {
			nonEmpty++
		}
	}
	padded := rows * (header + longest)
	bitmap := (rows + 31) / 32
	sparse := bitmap + nonEmpty*(1+header) + len(blk)
	e := program.PopEntry{Key: blk[0].key, Mask: keyMask, Start: uint32(len(cr.words)), Rows: uint32(rows), Plastic: plastic}
	base := len(cr.words)
	if padded <= sparse {
		e.Stride = uint32(header + longest)
		cr.words = slices.Grow(cr.words, padded)
		cr.words = cr.words[:base+padded]
		clear(cr.words[base:])
		next := make([]int, rows) // words written per row so far
		for _, x := range blk {
			at := base + int(x.local)*(header+longest)
			cr.words[at+header+next[x.local]] = x.word
			s.notePosition(cr, x, at+header+next[x.local])
			next[x.local]++
		}
		for r := range rows {
			cr.words[base+r*(header+longest)] = uint32(lengths[r])
		}
	} else {
		cr.words = slices.Grow(cr.words, sparse)
		cr.words = cr.words[:base+sparse]
		clear(cr.words[base:])
		off := bitmap + nonEmpty
		starts := make([]int, rows)
		k := 0
		for r := range rows {
			if lengths[r] == 0 {
				continue
			}
			cr.words[base+r/32] |= 1 << (r % 32)
			cr.words[base+bitmap+k] = uint32(off)
			cr.words[base+off] = uint32(lengths[r])
			starts[r] = base + off + header
			off += header + lengths[r]
			k++
		}
		for _, x := range blk {
			cr.words[starts[x.local]] = x.word
			s.notePosition(cr, x, starts[x.local])
			starts[x.local]++
		}
	}
	cr.table = append(cr.table, e)
	return nil
}

// stdpTableLen is how many steps the trace decay tables cover: past it a
// trace is below 2^-16 of a spike's contribution for the slowest rule soma
// accepts here and is treated as 0.
const stdpTableLen = 256

func (s *state) stdpParams(pr *ir.Projection, target *vertex) *program.STDP {
	r := pr.Plasticity
	num := s.q.numeric
	pq := s.q.pops[target.pop]
	ep := s.exp.Populations[target.pop]
	// Weight bounds in stored units of the synapse type the projection
	// uses (its first synapse decides; a projection has one receptor).
	typ := typeOf(pr.Receptor)
	res := pq.resolution[typ]
	toStored := func(w float64) float64 {
		eff, _ := effectiveWeight(ep, target.lo, w, ir.Excitatory)
		return eff / res
	}
	table := func(tau float64) []uint32 {
		out := make([]uint32, stdpTableLen)
		for k := range out {
			out[k] = uint32(math.Min(math.Round(math.Ldexp(math.Exp(-float64(k)*s.dt/tau), int(num.DecayFrac))), math.Ldexp(1, int(num.DecayFrac))-1))
		}
		return out
	}
	st := &program.STDP{
		TauPlusDecay: table(r.TauPlus), TauMinusDecay: table(r.TauMinus),
		Multiplicative: r.Dependence == ir.Multiplicative,
		WMin:           uint16(math.Round(toStored(r.WMin))), WMax: uint16(math.Min(math.Round(toStored(r.WMax)), maxStored(s.t))),
	}
	// The amplitudes are S1615 on every target (program.STDP), whatever
	// the state format: the core's rounding step (docs/semantics.md,
	// STDP) takes two S1615 factors.
	fix := func(x float64) int32 { return int32(math.Round(math.Ldexp(x, program.STDPFrac))) }
	if st.Multiplicative {
		st.APlus, st.AMinus = fix(r.APlus), fix(r.AMinus)
	} else {
		st.APlus, st.AMinus = fix(r.APlus*toStored(r.WMax)), fix(r.AMinus*toStored(r.WMax))
	}
	return st
}

// sameRule reports whether two STDP rules are the same rule, wherever in
// the model file each is written.
func sameRule(a, b *ir.STDP) bool {
	x, y := *a, *b
	x.Pos, y.Pos = ir.Pos{}, ir.Pos{}
	return x == y
}

// recording translates the probes into one core's recording config.
func (s *state) recording(v *vertex) program.Record {
	var rec program.Record
	pop := s.net.Populations[v.pop]
	inSlice := func(indices []int) []uint32 {
		var out []uint32
		if indices == nil {
			for j := range v.n {
				out = append(out, uint32(j))
			}
			return out
		}
		for _, i := range indices {
			if i >= v.lo && i < v.lo+v.n {
				out = append(out, uint32(i-v.lo))
			}
		}
		return out
	}
	anySpikeProbe := false
	for _, pb := range s.net.Probes {
		if pb.Variable == "spikes" {
			anySpikeProbe = true
		}
	}
	for _, pb := range s.net.Probes {
		if pb.Population != pop.Name {
			continue
		}
		local := inSlice(pb.Indices)
		if pb.Variable == "spikes" {
			if rec.Spikes == nil {
				rec.Spikes = make([]uint32, (v.n+31)/32)
			}
			for _, j := range local {
				rec.Spikes[j/32] |= 1 << (j % 32)
			}
			continue
		}
		if len(local) > 0 {
			rec.Vars = append(rec.Vars, program.RecordVar{Field: pb.Variable, Every: uint32(max(1, pb.Every)), Indices: local})
		}
	}
	if !anySpikeProbe { // no spike probe at all: record everything (as the reference does)
		rec.Spikes = make([]uint32, (v.n+31)/32)
		for j := range v.n {
			rec.Spikes[j/32] |= 1 << (j % 32)
		}
	}
	return rec
}

// verify runs the program's own invariant checks.
func verify(s *state) error {
	return s.prog.Verify(s.m)
}
