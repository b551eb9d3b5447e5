package compiler

import (
	"math"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
)

// fieldValue is one word of a neuron record before quantisation, in the
// model's hardware units: mV, nA, MΩ for PyNN models (as sPyNNaker), the
// model's own units for NIR models; decays as fractions; integers as steps.
type fieldValue struct {
	name   string
	format program.FieldFormat
	value  float64
}

// Unit scales from SI to the hardware units of PyNN models.
const (
	toMV   = 1e3
	toNA   = 1e9
	toMOhm = 1e-6
)

// neuronRecord lists the words of neuron i of a population: parameters,
// precomputed per-step constants and initial state. The emulator reads the
// record by field name (program.Core.Layout), so the order here is the
// layout, and the docs (docs/program.md) list it.
//
// expTC is the format of the membrane decay: sPyNNaker keeps exp_TC as an
// s16.15 REAL (so SpiNNaker targets do too, to reproduce its runs bit for
// bit); the FPGA engines use their decay format.
func neuronRecord(ep *ir.ExpandedPopulation, i int, dt float64, plastic bool, expTC program.FieldFormat) []fieldValue {
	p := func(name string) float64 { return ep.Params[name][i] }
	init := func(name string) float64 { return ep.Initial[name][i] }
	decay := func(tau float64) float64 { return math.Exp(-dt / tau) }
	refract := func() []fieldValue {
		steps := 0.0
		if tr, ok := ep.Params["tau_refrac"]; ok {
			steps = math.Round(tr[i] / dt)
		}
		return []fieldValue{{"refract_steps", program.Int, steps}, {"refract_timer", program.Int, 0}}
	}
	var out []fieldValue
	switch ep.Model {
	case ir.IFCurrExp, ir.IFCurrDelta:
		r := p("tau_m") / p("cm")
		out = []fieldValue{
			{"v", program.State, init("v") * toMV},
			{"v_rest", program.State, p("v_rest") * toMV},
			{"v_reset", program.State, p("v_reset") * toMV},
			{"v_thresh", program.State, p("v_thresh") * toMV},
			{"r_membrane", program.State, r * toMOhm},
			{"exp_tc", expTC, decay(p("tau_m"))},
			{"i_offset", program.State, p("i_offset") * toNA},
		}
		out = append(out, refract()...)
		if ep.Model == ir.IFCurrExp {
			te, ti := p("tau_syn_E"), p("tau_syn_I")
			out = append(out,
				fieldValue{"isyn_exc", program.State, init("isyn_exc") * toNA},
				fieldValue{"isyn_inh", program.State, init("isyn_inh") * toNA},
				fieldValue{"exc_decay", program.Decay, decay(te)},
				// init scales a step's summed input so that the
				// exponential current it starts has the right charge
				// over the step (sPyNNaker's synapse_types_exponential).
				fieldValue{"exc_init", program.Decay, te / dt * (1 - decay(te))},
				fieldValue{"inh_decay", program.Decay, decay(ti)},
				fieldValue{"inh_init", program.Decay, ti / dt * (1 - decay(ti))},
			)
		}
	case ir.CubaLIF, ir.CubaLI:
		out = []fieldValue{
			{"v", program.State, init("v")},
			{"v_leak", program.State, p("v_leak")},
			{"r", program.State, p("r")},
			{"exp_tc", expTC, decay(p("tau_mem"))},
			{"i_offset", program.State, p("i_offset")},
		}
		if ep.Model == ir.CubaLIF {
			out = append(out,
				fieldValue{"v_reset", program.State, p("v_reset")},
				fieldValue{"v_thresh", program.State, p("v_threshold")})
			out = append(out, refract()...)
		}
		out = append(out,
			fieldValue{"i_syn", program.State, init("i_syn")},
			fieldValue{"syn_decay", program.Decay, decay(p("tau_syn"))})
	case ir.LIF, ir.LI:
		out = []fieldValue{
			{"v", program.State, init("v")},
			{"v_leak", program.State, p("v_leak")},
			{"r", program.State, p("r")},
			{"exp_tc", expTC, decay(p("tau"))},
			{"i_offset", program.State, p("i_offset")},
		}
		if ep.Model == ir.LIF {
			out = append(out,
				fieldValue{"v_reset", program.State, p("v_reset")},
				fieldValue{"v_thresh", program.State, p("v_threshold")})
			out = append(out, refract()...)
		}
	case ir.Threshold:
		out = []fieldValue{
			{"v", program.State, init("v")},
			{"v_reset", program.State, p("v_reset")},
			{"v_thresh", program.State, p("v_threshold")},
			{"i_offset", program.State, p("i_offset")},
		}
	case ir.IF, ir.I:
		out = []fieldValue{
			{"v", program.State, init("v")},
			{"r", program.State, p("r")},
			{"i_offset", program.State, p("i_offset")},
			// IF has no leak: a constant input moves v by r·i_offset·dt
			// each step (dt in seconds, NIR's time unit).
			{"drift", program.State, p("r") * p("i_offset") * dt},
		}
		if ep.Model == ir.IF {
			out = append(out,
				fieldValue{"v_reset", program.State, p("v_reset")},
				fieldValue{"v_thresh", program.State, p("v_threshold")})
			out = append(out, refract()...)
		}
	}
	if plastic {
		out = append(out,
			fieldValue{"post_trace", program.State, 0},
			fieldValue{"post_last", program.Int, 0})
	}
	return out
}

// effectiveWeight converts an expanded synapse's weight onto post neuron j
// into what one spike adds to the neuron's input variable, in hardware
// units, and picks its synapse type (0 excitatory, 1 inhibitory). PyNN
// models: the receptor decides; NIR models: the sign does, and the model's
// input scaling (r/τ for Dirac inputs, w_in/τ_syn for cuba_lif, see
// docs/semantics.md) is folded in here so the core only adds.
func effectiveWeight(post *ir.ExpandedPopulation, j int, w float64, receptor ir.Receptor) (float64, int) {
	p := func(name string) float64 { return post.Params[name][j] }
	switch post.Model {
	case ir.IFCurrExp:
		return w * toNA, typeOf(receptor)
	case ir.IFCurrDelta:
		return w * toMV, typeOf(receptor)
	case ir.CubaLIF, ir.CubaLI:
		w *= p("w_in") / p("tau_syn")
	case ir.LIF, ir.LI:
		w *= p("r") / p("tau")
	case ir.IF, ir.I:
		w *= p("r")
	}
	if w < 0 {
		return -w, 1
	}
	return w, 0
}

func typeOf(r ir.Receptor) int {
	if r == ir.Inhibitory {
		return 1
	}
	return 0
}
