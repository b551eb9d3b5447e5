package compiler

import (
	"fmt"
	"math"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// qsyn is one synapse after quantisation: a stored weight magnitude and its
// synapse type.
type qsyn struct {
	w   uint16
	typ uint8
}

// popQuant is a neuron population after quantisation.
type popQuant struct {
	// shift[t] turns a stored weight of type t into state bits: input =
	// W << shift. resolution[t] is one stored LSB in hardware units.
	shift      [2]uint8
	resolution [2]float64
	plastic    bool
	layout     []program.Field
	// records holds N × len(layout) words.
	records []uint32
}

type quantized struct {
	numeric program.Numeric
	pops    []*popQuant
	syn     [][]qsyn
	// Report material.
	projections []ProjectionQuant
	populations []PopulationQuant
	warnings    []string
}

// ProjectionQuant is the weight error quantisation introduced in one
// projection, relative to each weight.
type ProjectionQuant struct {
	Projection   string  `json:"projection"`
	Synapses     int     `json:"synapses"`
	MaxRelError  float64 `json:"max_rel_error"`
	MeanRelError float64 `json:"mean_rel_error"`
	Zeroed       int     `json:"rounded_to_zero"`
}

// PopulationQuant is the parameter error quantisation introduced in one
// population, and the weight scale chosen for its inputs.
type PopulationQuant struct {
	Population       string     `json:"population"`
	ThresholdRelErr  float64    `json:"threshold_rel_error"`
	DecayRelErr      float64    `json:"decay_rel_error"`
	WeightShift      [2]uint8   `json:"weight_shift"`
	WeightResolution [2]float64 `json:"weight_resolution"`
	// MaxSummedInput is the largest input one neuron can receive in one
	// step per synapse type (hardware units): what the scale must hold.
	MaxSummedInput [2]float64 `json:"max_summed_input"`
}

func numericOf(t *target.Target) program.Numeric {
	n := t.Numeric
	return program.Numeric{
		StateFrac: uint8(n.State.FracBits), StateBits: uint8(n.State.Bits),
		DecayFrac: uint8(n.Decay.FracBits), WeightBits: uint8(n.Weight.Bits),
		RingBits: uint8(t.Limits.RingBufferEntryBits),
	}
}

// maxStored is the largest stored weight magnitude: weights are magnitudes
// (the synapse type gives the sign), so a signed format loses its sign bit.
func maxStored(t *target.Target) float64 {
	bits := t.Numeric.Weight.Bits
	if t.Numeric.Weight.Kind == target.SignedFixed {
		bits--
	}
	return math.Ldexp(1, bits) - 1
}

// quantize converts parameters and weights to the target's fixed point.
// For each population and synapse type it picks the power-of-two weight
// scale as sPyNNaker does: the smallest that lets the largest possible
// summed input of one step (every synapse onto the neuron firing into the
// same ring slot, plastic ones at w_max) fit the ring-buffer entry, and the
// largest weight fit the stored weight. It reports the error introduced.
func quantize(s *state) error {
	num := numericOf(s.t)
	q := &quantized{numeric: num, pops: make([]*popQuant, len(s.net.Populations)), syn: make([][]qsyn, len(s.net.Projections))}
	s.q = q
	ringMax := math.Ldexp(1, int(num.RingBits)) - 1
	wMax := maxStored(s.t)
	// Fan-in per neuron and type.
	sums := make([][2][]float64, len(s.net.Populations))
	maxW := make([][2]float64, len(s.net.Populations))
	for i, ep := range s.exp.Populations {
		if !ep.IsSource() {
			sums[i] = [2][]float64{make([]float64, ep.Size), make([]float64, ep.Size)}
		}
	}
	for k, pr := range s.net.Projections {
		post := s.net.PopulationIndex(pr.Post)
		ep := s.exp.Populations[post]
		if pr.Plasticity != nil {
			if q.pops[post] == nil {
				q.pops[post] = &popQuant{}
			}
			q.pops[post].plastic = true
		}
		for _, syn := range s.exp.Synapses[k] {
			w := syn.Weight
			if pr.Plasticity != nil {
				w = pr.Plasticity.WMax // the ring must hold what learning can reach
			}
			eff, typ := effectiveWeight(ep, int(syn.Post), w, pr.Receptor)
			sums[post][typ][syn.Post] += eff
			maxW[post][typ] = math.Max(maxW[post][typ], eff)
		}
	}
	for i, ep := range s.exp.Populations {
		if ep.IsSource() {
			continue
		}
		pq := q.pops[i]
		if pq == nil {
			pq = &popQuant{}
			q.pops[i] = pq
		}
		rep := PopulationQuant{Population: ep.Name}
		for t := range 2 {
			maxSum := 0.0
			for _, x := range sums[i][t] {
				maxSum = math.Max(maxSum, x)
			}
			rep.MaxSummedInput[t] = maxSum
			e := -int(num.StateFrac)
			if maxSum > 0 {
				need := math.Max(maxSum/ringMax, maxW[i][t]/wMax)
				e = max(e, int(math.Ceil(math.Log2(need))))
			}
			shift := e + int(num.StateFrac)
			if limit := math.Ldexp(1, int(num.StateBits)-1-int(num.StateFrac)); maxSum >= limit {
				return fmt.Errorf("population %s: summed %s input can reach %.4g%s per step, beyond the ±%g range of %s's %s state; reduce the weights or the fan-in",
					ep.Name, typeName(ep, t), maxSum, hwUnit(ep), limit, s.t.Name, s.t.Numeric.State)
			}
			pq.shift[t] = uint8(shift)
			pq.resolution[t] = math.Ldexp(1, e)
		}
		rep.WeightShift, rep.WeightResolution = pq.shift, pq.resolution
		if err := quantizeRecords(s, i, pq, &rep); err != nil {
			return err
		}
		q.populations = append(q.populations, rep)
	}
	for k, pr := range s.net.Projections {
		post := s.net.PopulationIndex(pr.Post)
		ep := s.exp.Populations[post]
		pq := q.pops[post]
		syns := s.exp.Synapses[k]
		out := make([]qsyn, len(syns))
		rep := ProjectionQuant{Projection: pr.Name, Synapses: len(syns)}
		sumErr, counted := 0.0, 0
		for n, syn := range syns {
			eff, typ := effectiveWeight(ep, int(syn.Post), syn.Weight, pr.Receptor)
			stored := math.Round(eff / pq.resolution[typ])
			stored = math.Min(stored, wMax)
			out[n] = qsyn{w: uint16(stored), typ: uint8(typ)}
			if eff > 0 {
				rel := math.Abs(stored*pq.resolution[typ]-eff) / eff
				rep.MaxRelError = math.Max(rep.MaxRelError, rel)
				sumErr += rel
				counted++
				if stored == 0 {
					rep.Zeroed++
				}
			}
		}
		if counted > 0 {
			rep.MeanRelError = sumErr / float64(counted)
		}
		if rep.Zeroed > 0 && pr.Plasticity == nil { // plastic weights can grow from zero
			q.warnings = append(q.warnings, fmt.Sprintf("projection %s: %d of %d weights round to zero at the weight scale of %s (resolution %.3g%s); those synapses do nothing",
				pr.Name, rep.Zeroed, len(syns), ep.Name, pq.resolution[out[0].typ], hwUnit(ep)))
		}
		q.syn[k] = out
		q.projections = append(q.projections, rep)
	}
	return nil
}

func typeName(ep *ir.ExpandedPopulation, t int) string {
	if ep.Spec().SignedWeights {
		return [2]string{"positive", "negative"}[t]
	}
	return [2]string{"excitatory", "inhibitory"}[t]
}

// hwUnit is the unit of a population's input in hardware terms, with a
// leading space ("" for NIR models, which are unitless).
func hwUnit(ep *ir.ExpandedPopulation) string {
	switch ep.Model {
	case ir.IFCurrExp:
		return " nA"
	case ir.IFCurrDelta:
		return " mV"
	}
	return ""
}

// quantizeRecords turns each neuron's record into words.
func quantizeRecords(s *state, i int, pq *popQuant, rep *PopulationQuant) error {
	ep := s.exp.Populations[i]
	num := s.q.numeric
	stateMax := math.Ldexp(1, int(num.StateBits)-1-int(num.StateFrac))
	expTC := program.Decay
	if s.t.Kind == target.KindSpiNNaker {
		expTC = program.State
	}
	for j := range ep.Size {
		rec := neuronRecord(ep, j, s.dt, pq.plastic, expTC)
		if j == 0 {
			for _, f := range rec {
				pq.layout = append(pq.layout, program.Field{Name: f.name, Format: f.format})
			}
			pq.records = make([]uint32, 0, ep.Size*len(rec))
		}
		for _, f := range rec {
			var word uint32
			switch f.format {
			case program.State:
				if f.value < -stateMax || f.value >= stateMax {
					return fmt.Errorf("population %s: %s = %.6g does not fit the target's %s state (range ±%g); rescale the model",
						ep.Name, f.name, f.value, s.t.Numeric.State, stateMax)
				}
				x := math.Round(math.Ldexp(f.value, int(num.StateFrac)))
				word = uint32(int32(x))
				if f.name == "v_thresh" && f.value != 0 {
					rep.ThresholdRelErr = math.Max(rep.ThresholdRelErr, math.Abs(math.Ldexp(x, -int(num.StateFrac))-f.value)/math.Abs(f.value))
				}
				if f.name == "exp_tc" && f.value > 0 {
					rep.DecayRelErr = math.Max(rep.DecayRelErr, math.Abs(math.Ldexp(x, -int(num.StateFrac))-f.value)/f.value)
				}

			case program.Decay:
				x := math.Min(math.Round(math.Ldexp(f.value, int(num.DecayFrac))), math.Ldexp(1, int(num.DecayFrac))-1)
				word = uint32(x)
				if f.name == "exp_tc" && f.value > 0 {
					rep.DecayRelErr = math.Max(rep.DecayRelErr, math.Abs(math.Ldexp(x, -int(num.DecayFrac))-f.value)/f.value)
				}
			case program.Int:
				word = uint32(int32(f.value))
			}
			pq.records = append(pq.records, word)
		}
	}
	return nil
}

// checkQuantize: every synapse has a stored weight and every record the
// layout's length.
func checkQuantize(s *state) error {
	for k := range s.net.Projections {
		if len(s.q.syn[k]) != len(s.exp.Synapses[k]) {
			return fmt.Errorf("projection %s: %d quantised synapses for %d", s.net.Projections[k].Name, len(s.q.syn[k]), len(s.exp.Synapses[k]))
		}
	}
	for i, pq := range s.q.pops {
		if pq == nil {
			continue
		}
		if len(pq.records) != s.exp.Populations[i].Size*len(pq.layout) {
			return fmt.Errorf("population %s: %d record words", s.popName(i), len(pq.records))
		}
	}
	return nil
}
