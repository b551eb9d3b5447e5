package compiler

import (
	"fmt"
	"math"
	"math/bits"
	"slices"

	"github.com/somahw/soma/program"
)

// AssumedRateHz is the firing rate the partitioner assumes for neurons when
// it estimates a core's synaptic work per step (sources' rates are known:
// their trains are drawn at expansion). The emulator reports the real
// cycle counts and any overrun.
const AssumedRateHz = 50.0

// CPUHeadroom is the share of a step's cycles the partitioner plans to use
// at the assumed rate, leaving the rest for bursts (synchronous volleys in
// a balanced network put several times the average input into one step).
const CPUHeadroom = 0.8

// fanIn holds, per neuron population, what partitioning needs to know of
// each post neuron.
type fanIn struct {
	synapses []int     // synapses onto neuron j
	events   []float64 // expected synaptic events per step onto neuron j
	packets  []float64 // expected incoming spikes per step (rows looked up), spread over j
}

// partition splits every population into per-core slices. Sources fill
// cores up to the target's sources per core; neuron populations start at
// the target's neurons per core and shrink until the slice fits every
// limit: index bits, the ring buffer, DTCM, the longest row, the SDRAM
// share of a core, and the cycle budget of a timestep. The vertex records
// which limit decided.
func partition(s *state) error {
	if err := checkDelays(s); err != nil {
		return err
	}
	fi := s.fanIns()
	// The target's default slice may need more cores than the machine has
	// while its cores could hold more (an FPGA engine takes up to 1024
	// neurons): then grow the default, unless the user fixed it.
	capacity := s.m.WorkingCores()
	start := s.t.Limits.NeuronsPerCore
	for {
		if err := s.partitionAt(fi, start); err != nil {
			return err
		}
		if len(s.verts) <= capacity || s.opts.NeuronsPerCore > 0 || start >= s.t.Limits.MaxNeuronsPerCore {
			s.addDelayVertices()
			return nil
		}
		start = min(2*start, s.t.Limits.MaxNeuronsPerCore)
	}
}

// partitionAt slices every population starting from a default slice size.
func (s *state) partitionAt(fi []*fanIn, start int) error {
	s.verts = nil
	s.popVerts = make([][]*vertex, len(s.net.Populations))
	for i, ep := range s.exp.Populations {
		size, reason := 0, ""
		kind := program.NeuronCore
		if ep.IsSource() {
			kind = program.SourceCore
			size, reason = s.t.Limits.SourcesPerCore, "sources per core"
		} else {
			var err error
			size, reason, err = s.sliceSize(i, fi[i], start)
			if err != nil {
				return err
			}
		}
		for lo := 0; lo < ep.Size; lo += size {
			v := &vertex{pop: i, lo: lo, n: min(size, ep.Size-lo), kind: kind, reason: reason}
			if ep.Size <= size {
				v.reason = "whole population"
			}
			s.estimate(v, fi[i])
			s.verts = append(s.verts, v)
			s.popVerts[i] = append(s.popVerts[i], v)
		}
	}
	return nil
}

// slotDelay is the longest delay the on-core ring holds (slots − 1: the
// slot being read is the current step; the deepest ring where rings grow
// with the delays); a delay-extension stage adds exactly this much.
func (s *state) slotDelay() int { return s.t.Limits.RingSlots() - 1 }

// split divides a delay of d steps into delay-extension stages and the
// remainder the target core's ring applies: d = stages·slotDelay + rest,
// 1 ≤ rest ≤ slotDelay.
func (s *state) split(d int) (stages, rest int) {
	D := s.slotDelay()
	stages = (d - 1) / D
	return stages, d - stages*D
}

// checkDelays refuses delays that even the delay extension cannot reach.
func checkDelays(s *state) error {
	D := s.slotDelay()
	factor := s.t.Limits.DelayExtensionFactor
	for k, pr := range s.net.Projections {
		longest := 0
		for _, syn := range s.exp.Synapses[k] {
			longest = max(longest, syn.DelaySteps(s.dt))
		}
		stages, _ := s.split(longest)
		switch {
		case stages == 0:
		case factor <= 1 && s.t.Limits.MaxDelaySlots > s.t.Limits.DelaySlots:
			return fmt.Errorf("projection %s: delay of %d ticks exceeds the %d ticks of the deepest ring a core can have on %s (limits.max_delay_slots %d; each core's ring grows to its longest delay), and %s has no delay extension; shorten the delay to %d ticks (%s) or lengthen the timestep",
				pr.Name, longest, D, s.t.Name, s.t.Limits.MaxDelaySlots, s.t.Name, D, fmtSeconds(float64(D)*s.dt))
		case factor <= 1:
			return fmt.Errorf("projection %s: delay of %d ticks exceeds the %d-tick on-core delay ring of %s, which has no delay extension; shorten the delay to %d ticks (%s) or lengthen the timestep",
				pr.Name, longest, D, s.t.Name, D, fmtSeconds(float64(D)*s.dt))
		case stages > factor:
			most := (factor + 1) * D
			return fmt.Errorf("projection %s: delay of %d ticks exceeds what %s reaches with delay extension (%d on-core + %d stages × %d = %d ticks, %s); shorten the delay or lengthen the timestep",
				pr.Name, longest, s.t.Name, D, factor, D, most, fmtSeconds(float64(most)*s.dt))
		}
	}
	return nil
}

// addDelayVertices gives every vertex with delays beyond the ring a
// delay-extension vertex, as sPyNNaker does: it receives the vertex's
// spikes and re-sends each one after whole multiples of the ring, on one
// key space per stage, only for the neurons that need that stage.
func (s *state) addDelayVertices() {
	for k, pr := range s.net.Projections {
		pre := s.net.PopulationIndex(pr.Pre)
		for _, syn := range s.exp.Synapses[k] {
			stages, _ := s.split(syn.DelaySteps(s.dt))
			if stages == 0 {
				continue
			}
			v := s.vertexOf(pre, int(syn.Pre))
			dv := s.delayOf[v]
			if dv == nil {
				dv = &vertex{pop: v.pop, lo: v.lo, n: v.n, kind: program.DelayCore, serves: v, reason: "delay extension"}
				s.delayOf[v] = dv
			}
			for len(dv.send) < stages {
				dv.send = append(dv.send, make([]bool, v.n))
			}
			dv.stages = max(dv.stages, stages)
			dv.send[stages-1][int(syn.Pre)-v.lo] = true
		}
	}
	// In vertex order, so keys and placement stay deterministic.
	for _, v := range slices.Clone(s.verts) {
		if dv := s.delayOf[v]; dv != nil {
			dv.cyclesLimit = s.cyclesPerStep()
			dv.cycles = cost(s, "tick_overhead") + int64(dv.n*dv.stages)*cost(s, "spike_send")
			s.verts = append(s.verts, dv)
		}
	}
}

func fmtSeconds(x float64) string {
	switch {
	case x >= 1:
		return fmt.Sprintf("%gs", x)
	case x >= 1e-3:
		return fmt.Sprintf("%gms", math.Round(x*1e9)/1e6)
	}
	return fmt.Sprintf("%gus", math.Round(x*1e12)/1e6)
}

// rateOf is the expected spikes per step of each neuron of population i.
func (s *state) rateOf(i int) []float64 {
	ep := s.exp.Populations[i]
	out := make([]float64, ep.Size)
	steps := float64(max(1, s.net.Run.Steps()))
	for j := range out {
		if ep.IsSource() {
			out[j] = float64(len(ep.SpikeSteps[j])) / steps
		} else {
			out[j] = AssumedRateHz * s.dt
		}
	}
	return out
}

func (s *state) fanIns() []*fanIn {
	out := make([]*fanIn, len(s.net.Populations))
	rates := make([][]float64, len(s.net.Populations))
	for i, ep := range s.exp.Populations {
		rates[i] = s.rateOf(i)
		if !ep.IsSource() {
			out[i] = &fanIn{synapses: make([]int, ep.Size), events: make([]float64, ep.Size), packets: make([]float64, ep.Size)}
		}
	}
	for k, pr := range s.net.Projections {
		pre, post := s.net.PopulationIndex(pr.Pre), s.net.PopulationIndex(pr.Post)
		f := out[post]
		for _, syn := range s.exp.Synapses[k] {
			f.synapses[syn.Post]++
			f.events[syn.Post] += rates[pre][syn.Pre]
		}
		// Each pre spike costs one row lookup per post core it reaches;
		// spread that evenly over the post neurons as a per-neuron share.
		total := 0.0
		for _, r := range rates[pre] {
			total += r
		}
		for j := range f.packets {
			f.packets[j] += total / float64(len(f.packets))
		}
	}
	return out
}

func cost(s *state, name string) int64 {
	if c, ok := s.t.CycleCost(name); ok {
		return int64(c.Cycles)
	}
	return 0
}

// neuronCost is the per-neuron update cost of the population's model.
func (s *state) neuronCost(i int) int64 {
	for _, name := range []string{"neuron_update." + string(s.net.Populations[i].Model), "neuron_update.lif", "neuron_update"} {
		if c := cost(s, name); c > 0 {
			return c
		}
	}
	return 0
}

// estimate fills in a vertex's memory and cycle estimates.
func (s *state) estimate(v *vertex, f *fanIn) {
	lim := s.t.Limits
	v.cyclesLimit = s.cyclesPerStep()
	if v.kind == program.SourceCore {
		v.cycles = cost(s, "tick_overhead") + int64(v.n)*cost(s, "neuron_update.poisson_source")
		return
	}
	words := 0
	if pq := s.q.pops[v.pop]; pq != nil {
		words = len(pq.layout)
	}
	v.dtcm = int64(4*words*v.n) + 2*int64(lim.DelaySlots*lim.SynapseTypes*v.n) + int64(4*((v.n+31)/32))
	events, packets, syns := 0.0, 0.0, 0
	for j := v.lo; j < v.lo+v.n; j++ {
		events += f.events[j]
		packets += f.packets[j]
		syns += f.synapses[j]
	}
	v.sdram = 4 * int64(syns+int(math.Ceil(packets))+v.n)
	v.cycles = cost(s, "tick_overhead") + int64(v.n)*s.neuronCost(v.pop) +
		int64(math.Ceil(events))*cost(s, "synaptic_word") +
		int64(math.Ceil(packets))*(cost(s, "packet_receive")+cost(s, "row_lookup"))
}

// cyclesPerStep is the core's budget: clock × timestep.
func (s *state) cyclesPerStep() int64 {
	return int64(float64(s.t.Machine.ClockHz) * s.dt)
}

// sliceSize finds the largest slice size, from the default down, at which
// every slice of population i fits; reason names the limit that decided.
func (s *state) sliceSize(i int, f *fanIn, start int) (int, string, error) {
	lim := s.t.Limits
	ep := s.exp.Populations[i]
	n := start
	reason := "neurons per core"
	if start > lim.NeuronsPerCore {
		reason = fmt.Sprintf("neurons per core, raised from %d to fit the machine", lim.NeuronsPerCore)
	}
	if s.opts.NeuronsPerCore > 0 {
		if s.opts.NeuronsPerCore > lim.MaxNeuronsPerCore {
			return 0, "", fmt.Errorf("--neurons-per-core %d exceeds %d, the most a %s core holds", s.opts.NeuronsPerCore, lim.MaxNeuronsPerCore, s.t.Name)
		}
		n, reason = s.opts.NeuronsPerCore, "--neurons-per-core"
	}
	n = min(n, ep.Size)
	dtcm := s.m.DTCMBytes
	sdramShare := int64(0)
	if s.m.SDRAMBytes > 0 {
		sdramShare = s.m.SDRAMBytes / int64(max(1, s.m.Cores-s.m.FirstCore))
	}
	budget := int64(float64(s.cyclesPerStep()) * CPUHeadroom)
	for ; n >= 1; n-- {
		failed := ""
		if lim.DelaySlots*lim.SynapseTypes*n > lim.RingBufferEntries {
			failed = fmt.Sprintf("ring buffer (%d slots × %d types × neurons ≤ %d entries)", lim.DelaySlots, lim.SynapseTypes, lim.RingBufferEntries)
		}
		for lo := 0; lo < ep.Size && failed == ""; lo += n {
			v := &vertex{pop: i, lo: lo, n: min(n, ep.Size-lo), kind: program.NeuronCore}
			s.estimate(v, f)
			switch {
			case dtcm > 0 && v.dtcm > dtcm:
				failed = fmt.Sprintf("DTCM (%d bytes needed of %d)", v.dtcm, dtcm)
			case sdramShare > 0 && v.sdram > sdramShare:
				failed = fmt.Sprintf("SDRAM share of a core (%d bytes needed of %d)", v.sdram, sdramShare)
			case budget > 0 && v.cycles > budget:
				failed = fmt.Sprintf("CPU time per step (about %d cycles of the %d planned, %.0f%% of %d, at %.0f Hz assumed firing)",
					v.cycles, budget, 100*CPUHeadroom, s.cyclesPerStep(), AssumedRateHz)
			}
		}
		if failed == "" {
			// Balance: as many cores as size n needs, evenly filled
			// (100 neurons at 86 a core become 50 + 50, not 86 + 14).
			cores := (ep.Size + n - 1) / n
			return (ep.Size + cores - 1) / cores, reason, nil
		}
		reason = failed
		if n == 1 {
			return 0, "", fmt.Errorf("population %s: even one neuron per core exceeds the %s on %s; reduce its fan-in or lengthen the timestep", ep.Name, failed, s.t.Name)
		}
		// Shrink geometrically while far off, then step down.
		if n > 32 {
			n = n * 7 / 8
		}
	}
	return 0, "", fmt.Errorf("population %s: no slice size fits", ep.Name)
}

// indexBits is the bits needed to number n neurons (at least 1).
func indexBits(n int) int { return max(1, bits.Len(uint(n-1))) }

// checkPartition: slices tile each population exactly, and none is larger
// than a core holds.
func checkPartition(s *state) error {
	for i, vs := range s.popVerts {
		next := 0
		for _, v := range vs {
			if v.lo != next || v.n < 1 {
				return fmt.Errorf("population %s: slice [%d, %d) after %d", s.popName(i), v.lo, v.lo+v.n, next)
			}
			if v.kind == program.NeuronCore && v.n > s.t.Limits.MaxNeuronsPerCore {
				return fmt.Errorf("population %s: slice of %d exceeds %d neurons per core", s.popName(i), v.n, s.t.Limits.MaxNeuronsPerCore)
			}
			next += v.n
		}
		if next != s.net.Populations[i].Size {
			return fmt.Errorf("population %s: slices cover %d of %d", s.popName(i), next, s.net.Populations[i].Size)
		}
	}
	return nil
}
