package fpga

import (
	"fmt"
	"math/big"

	"github.com/somahw/soma/program"
)

// STDPEngine is what a neuron engine with plastic synapses adds
// (docs/fpga-engine.md, "STDP"): the rule's constants, the shapes of the
// STDP memories, and how they are addressed.
type STDPEngine struct {
	// The rule (program.STDP): amplitudes (s16.15), weight bounds in
	// stored units, weight dependence.
	APlus, AMinus  int32
	WMin, WMax     int
	Multiplicative bool
	// Decay tables: entries (a trace that is LutLen or more steps old is
	// 0) and index bits.
	LutPLen, LutPAW int
	LutMLen, LutMAW int
	// Plastic words: PL of them. plist lists their word addresses in
	// synapses grouped by post neuron; pidx gives each neuron its range
	// {lo, hi} of plist (PLAW bits each).
	PL, PLDepth, PLAW int
	// Pre traces: one {trace, last arrival} per synaptic-matrix word from
	// PreBase on (PreDepth words, PreAW address bits).
	PreBase, PreDepth, PreAW int
	// Pending arrivals: PQSlots (2^PQSB) queues of PQDepth word
	// addresses each (the arrivals of one step are at most PL), counted
	// by PQCW-bit counters; PQAW address bits in all.
	PQSlots, PQSB, PQDepth, PQAW, PQCW int
	// Potentiation queue: one {neuron, lo, hi} per spiking neuron with
	// plastic synapses (PotW bits, N deep).
	PotW int
}

// STDP pipeline drains (docs/fpga-engine.md, "STDP"): cycles after the
// last arrival or potentiation issued until its last write, and the one
// cycle between the update pipeline's last write and the first
// potentiation.
const (
	stdpDrain = 8
	potStart  = 1
)

// buildPlastic adds the STDP memories of a neuron engine with plastic
// rows: the post traces (the neuron records' post_trace, post_last), the
// pre traces (zero), the pending-arrival queues (empty), the two decay
// tables and the list of each neuron's plastic synapses, built here as the
// emulator builds it at load (backends/emu initPlastic).
func (e *Engine) buildPlastic(c *program.Core, num program.Numeric) error {
	st := c.Plastic
	g := c.Geometry
	iMask := uint32(1)<<g.IndexBits - 1
	dShift, dMask := g.IndexBits+g.TypeBits, uint32(1)<<g.DelayBits-1
	wShift := g.IndexBits + g.TypeBits + g.DelayBits
	wBits := uint(num.WeightBits)
	if int(st.WMax) >= 1<<wBits || int(st.WMin) >= 1<<wBits {
		return fmt.Errorf("core %s (population %s): STDP weight bounds [%d, %d] do not fit %d weight bits", c.CoreID, e.Pop, st.WMin, st.WMax, wBits)
	}
	if len(st.TauPlusDecay) == 0 || len(st.TauMinusDecay) == 0 {
		return fmt.Errorf("core %s (population %s): STDP decay tables are empty", c.CoreID, e.Pop)
	}
	lut := func(name string, xs []uint32) (*Memory, error) {
		m := &Memory{Name: e.Prefix + "_" + name, Role: "STDP trace decay e^{-k·dt/τ} (ROM, u0." + fmt.Sprint(num.DecayFrac) + ")",
			Width: int(num.DecayFrac), Depth: len(xs)}
		for k, x := range xs {
			if x >= 1<<num.DecayFrac {
				return nil, fmt.Errorf("core %s (population %s): STDP decay table %s[%d] = %d does not fit %d bits", c.CoreID, e.Pop, name, k, x, num.DecayFrac)
			}
			m.Words = append(m.Words, new(big.Int).SetUint64(uint64(x)))
		}
		return m, nil
	}
	lutP, err := lut("lut_plus", st.TauPlusDecay)
	if err != nil {
		return err
	}
	lutM, err := lut("lut_minus", st.TauMinusDecay)
	if err != nil {
		return err
	}
	// The plastic words onto each neuron, in the emulator's order
	// (population-table entries, rows, words).
	post := make([][]uint32, e.N)
	lo, hi, longest := uint32(len(c.Synapses)), uint32(0), uint32(0)
	for _, p := range c.PlasticWords() {
		w := c.Synapses[p]
		if w>>wShift>>wBits != 0 {
			return fmt.Errorf("core %s (population %s): plastic synapse at word %d has a weight of %d, wider than %d bits", c.CoreID, e.Pop, p, w>>wShift, wBits)
		}
		i := w & iMask
		if int(i) >= e.N {
			return fmt.Errorf("core %s (population %s): plastic synapse at word %d targets neuron %d of %d", c.CoreID, e.Pop, p, i, e.N)
		}
		d := w >> dShift & dMask
		if d == 0 {
			return fmt.Errorf("core %s (population %s): plastic synapse at word %d has delay 0; the engine takes plastic delays of 1 step or more", c.CoreID, e.Pop, p)
		}
		post[i] = append(post[i], p)
		lo, hi, longest = min(lo, p), max(hi, p), max(longest, d)
	}
	s := &STDPEngine{APlus: st.APlus, AMinus: st.AMinus, WMin: int(st.WMin), WMax: int(st.WMax), Multiplicative: st.Multiplicative,
		LutPLen: len(st.TauPlusDecay), LutPAW: clog2(len(st.TauPlusDecay)),
		LutMLen: len(st.TauMinusDecay), LutMAW: clog2(len(st.TauMinusDecay))}
	for _, ps := range post {
		s.PL += len(ps)
	}
	if s.PL == 0 {
		lo, hi, longest = 0, 0, 1
	}
	s.PLAW = clog2(s.PL + 1)
	s.PLDepth = max(1, s.PL)
	s.PreBase, s.PreDepth = int(lo), int(hi-lo)+1
	s.PreAW = clog2(s.PreDepth)
	// Pending arrivals: a queue per slot of the shallowest power-of-two
	// ring that holds the longest plastic delay.
	s.PQSlots, s.PQSB = 2, 1
	for s.PQSlots <= int(longest) {
		s.PQSlots, s.PQSB = s.PQSlots*2, s.PQSB+1
	}
	s.PQDepth = max(1, s.PL)
	s.PQAW = clog2(s.PQSlots * s.PQDepth)
	s.PQCW = clog2(s.PQDepth + 1)
	s.PotW = e.IB + 2*s.PLAW

	plist := &Memory{Name: e.Prefix + "_plist", Role: "STDP: word addresses of the plastic synapses, grouped by post neuron (ROM)",
		Width: e.SynAW, Kind: "bram"}
	pidx := &Memory{Name: e.Prefix + "_pidx", Role: "STDP: each neuron's range {lo, hi} of plist (ROM)", Width: 2 * s.PLAW, Depth: e.N}
	at := 0
	for _, ps := range post {
		pidx.Words = append(pidx.Words, new(big.Int).SetUint64(uint64(at)<<s.PLAW|uint64(at+len(ps))))
		for _, p := range ps {
			plist.Words = append(plist.Words, new(big.Int).SetUint64(uint64(p)))
		}
		at += len(ps)
	}
	if len(plist.Words) == 0 {
		plist.Words = append(plist.Words, new(big.Int))
	}
	plist.Depth = len(plist.Words)
	// Post traces from the neuron records.
	w := len(c.Layout)
	col := func(name string) (int, error) {
		for k, f := range c.Layout {
			if f.Name == name {
				return k, nil
			}
		}
		return 0, fmt.Errorf("core %s (population %s): plastic synapses but no %s in the neuron record", c.CoreID, e.Pop, name)
	}
	kt, err := col("post_trace")
	if err != nil {
		return err
	}
	kl, err := col("post_last")
	if err != nil {
		return err
	}
	postM := &Memory{Name: e.Prefix + "_post", Role: "STDP post trace per neuron {trace (s16.15), last spike step}", Width: 64, Depth: e.N}
	for i := range e.N {
		postM.Words = append(postM.Words, new(big.Int).SetUint64(uint64(c.Neurons[i*w+kt])<<32|uint64(c.Neurons[i*w+kl])))
	}
	for _, m := range []*Memory{plist, pidx, postM, lutP, lutM} {
		m.Kind = kindFor(m.Bits())
	}
	e.Plastic, e.STDP = true, s
	e.Memories = append(e.Memories, postM, pidx, plist, lutP, lutM,
		&Memory{Name: e.Prefix + "_pre", Role: "STDP pre trace per plastic word {trace (s16.15), last arrival step} (zero at start, no file)",
			Width: 64, Depth: s.PreDepth, Kind: kindFor(64 * s.PreDepth)},
		&Memory{Name: e.Prefix + "_pending", Role: "STDP pending arrivals: per slot, the word addresses due then (empty at start, no file)",
			Width: e.SynAW, Depth: s.PQSlots * s.PQDepth, Kind: kindFor(e.SynAW * s.PQSlots * s.PQDepth)},
		&Memory{Name: e.Prefix + "_potq", Role: "STDP potentiation queue {neuron, lo, hi} of one step (no file)",
			Width: s.PotW, Depth: e.N, Kind: kindFor(s.PotW * e.N)},
	)
	return nil
}
