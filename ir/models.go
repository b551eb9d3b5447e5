package ir

import (
	"math"
	"sort"
)

// Model names a neuron model or spike source.
type Model string

const (
	// IFCurrExp is PyNN's IF_curr_exp: leaky integrate-and-fire with
	// exponentially decaying excitatory and inhibitory synaptic currents.
	IFCurrExp Model = "if_curr_exp"
	// IFCurrDelta is PyNN's IF_curr_delta: a spike of weight w (a voltage)
	// moves the membrane by w at once.
	IFCurrDelta Model = "if_curr_delta"
	// CubaLIF is NIR's CubaLIF: a current-based LIF with one synaptic
	// current.
	CubaLIF Model = "cuba_lif"
	// LIF is NIR's LIF (Dirac input onto the membrane).
	LIF Model = "lif"
	// IF is NIR's IF: a non-leaky integrator with threshold.
	IF Model = "if"
	// LI is NIR's LI: a non-spiking leaky integrator, used for readouts.
	LI Model = "li"
	// CubaLI is NIR's CubaLI: CubaLIF without a threshold (a readout with
	// a synaptic current).
	CubaLI Model = "cuba_li"
	// I is NIR's I: a pure integrator without threshold.
	I Model = "i"
	// Threshold is NIR's Threshold: no memory; a neuron spikes in a step
	// whose input reaches the threshold.
	Threshold Model = "threshold"
	// SpikeSourceArray emits spikes at given times.
	SpikeSourceArray Model = "spike_source_array"
	// SpikeSourcePoisson emits Poisson spike trains from a seeded generator.
	SpikeSourcePoisson Model = "spike_source_poisson"
)

// ParamSpec describes one parameter of a model.
type ParamSpec struct {
	Name     string
	Dim      Dimension
	Default  float64
	Required bool // no sensible default: the model file must give it
	Doc      string
}

// StateSpec describes one state variable of a model.
type StateSpec struct {
	Name        string
	Dim         Dimension
	Default     float64
	DefaultFrom string // the initial value defaults to this parameter
	Doc         string
}

// ModelSpec describes a model: its parameters, state and synaptic inputs.
// It is the single table the model-file decoder, Validate, the reference
// simulator and docs/model-format.md agree on.
type ModelSpec struct {
	Name    Model
	Doc     string
	Source  bool // emits spikes without input (no state, no receptors)
	Spiking bool // has a threshold (li does not)
	Params  []ParamSpec
	State   []StateSpec
	// WeightDim is the dimension of weights of projections onto this model.
	WeightDim Dimension
	// SignedWeights: the weight's sign selects its effect (NIR models, a
	// single input). Otherwise weights are magnitudes and the receptor
	// chooses excitatory or inhibitory (PyNN models).
	SignedWeights bool
}

func (m *ModelSpec) param(name string) (ParamSpec, bool) {
	for _, p := range m.Params {
		if p.Name == name {
			return p, true
		}
	}
	return ParamSpec{}, false
}

// Param returns a parameter's description.
func (m *ModelSpec) Param(name string) (ParamSpec, bool) { return m.param(name) }

// StateVar returns a state variable's description.
func (m *ModelSpec) StateVar(name string) (StateSpec, bool) {
	for _, s := range m.State {
		if s.Name == name {
			return s, true
		}
	}
	return StateSpec{}, false
}

// ParamNames lists the model's parameter names in table order.
func (m *ModelSpec) ParamNames() []string {
	out := make([]string, len(m.Params))
	for i, p := range m.Params {
		out[i] = p.Name
	}
	return out
}

// StateNames lists the model's state variable names in table order.
func (m *ModelSpec) StateNames() []string {
	out := make([]string, len(m.State))
	for i, s := range m.State {
		out[i] = s.Name
	}
	return out
}

// PyNN's defaults (pyNN.standardmodels.cells), converted to SI.
var pynnLIFParams = []ParamSpec{
	{Name: "cm", Dim: Capacitance, Default: 1e-9, Doc: "membrane capacitance"},
	{Name: "tau_m", Dim: Time, Default: 20e-3, Doc: "membrane time constant"},
	{Name: "tau_refrac", Dim: Time, Default: 0.1e-3, Doc: "refractory period (membrane clamped at v_reset)"},
	{Name: "v_rest", Dim: Voltage, Default: -65e-3, Doc: "resting potential"},
	{Name: "v_reset", Dim: Voltage, Default: -65e-3, Doc: "potential after a spike"},
	{Name: "v_thresh", Dim: Voltage, Default: -50e-3, Doc: "spike threshold"},
	{Name: "i_offset", Dim: Current, Default: 0, Doc: "constant injected current"},
}

// Models is the table of every model soma knows.
var Models = map[Model]*ModelSpec{
	IFCurrExp: {
		Name:    IFCurrExp,
		Doc:     "PyNN IF_curr_exp: cm dv/dt = cm (v_rest - v)/tau_m + I_exc - I_inh + i_offset; tau_syn dI/dt = -I; a spike adds its weight to I",
		Spiking: true,
		Params: append(append([]ParamSpec(nil), pynnLIFParams...),
			ParamSpec{Name: "tau_syn_E", Dim: Time, Default: 5e-3, Doc: "excitatory synaptic time constant"},
			ParamSpec{Name: "tau_syn_I", Dim: Time, Default: 5e-3, Doc: "inhibitory synaptic time constant"}),
		State: []StateSpec{
			{Name: "v", Dim: Voltage, DefaultFrom: "v_rest", Doc: "membrane potential"},
			{Name: "isyn_exc", Dim: Current, Doc: "excitatory synaptic current"},
			{Name: "isyn_inh", Dim: Current, Doc: "inhibitory synaptic current (a magnitude, subtracted)"},
		},
		WeightDim: Current,
	},
	IFCurrDelta: {
		Name:    IFCurrDelta,
		Doc:     "PyNN IF_curr_delta: cm dv/dt = cm (v_rest - v)/tau_m + i_offset; a spike moves v by ±weight at once",
		Spiking: true,
		Params:  append([]ParamSpec(nil), pynnLIFParams...),
		State: []StateSpec{
			{Name: "v", Dim: Voltage, DefaultFrom: "v_rest", Doc: "membrane potential"},
		},
		WeightDim: Voltage,
	},
	CubaLIF: {
		Name:    CubaLIF,
		Doc:     "NIR CubaLIF: tau_syn dI/dt = -I + w_in S(t); tau_mem dv/dt = (v_leak - v) + r (I + i_offset)",
		Spiking: true,
		Params: []ParamSpec{
			{Name: "tau_syn", Dim: Time, Required: true, Doc: "synaptic time constant"},
			{Name: "tau_mem", Dim: Time, Required: true, Doc: "membrane time constant"},
			{Name: "r", Dim: Dimensionless, Default: 1, Doc: "membrane resistance"},
			{Name: "v_leak", Dim: Dimensionless, Default: 0, Doc: "leak potential"},
			{Name: "v_threshold", Dim: Dimensionless, Default: 1, Doc: "spike threshold"},
			{Name: "v_reset", Dim: Dimensionless, Default: 0, Doc: "potential after a spike"},
			{Name: "w_in", Dim: Dimensionless, Default: 1, Doc: "input weight onto the synaptic current"},
			{Name: "i_offset", Dim: Dimensionless, Default: 0, Doc: "constant input added to the synaptic current's output"},
			{Name: "tau_refrac", Dim: Time, Default: 0, Doc: "refractory period"},
		},
		State: []StateSpec{
			{Name: "v", Dim: Dimensionless, Doc: "membrane potential"},
			{Name: "i_syn", Dim: Dimensionless, Doc: "synaptic current"},
		},
		WeightDim:     Dimensionless,
		SignedWeights: true,
	},
	LIF: {
		Name:    LIF,
		Doc:     "NIR LIF: tau dv/dt = (v_leak - v) + r (I(t) + i_offset), input spikes are Dirac currents",
		Spiking: true,
		Params: []ParamSpec{
			{Name: "tau", Dim: Time, Required: true, Doc: "membrane time constant"},
			{Name: "r", Dim: Dimensionless, Default: 1, Doc: "membrane resistance"},
			{Name: "v_leak", Dim: Dimensionless, Default: 0, Doc: "leak potential"},
			{Name: "v_threshold", Dim: Dimensionless, Default: 1, Doc: "spike threshold"},
			{Name: "v_reset", Dim: Dimensionless, Default: 0, Doc: "potential after a spike"},
			{Name: "i_offset", Dim: Dimensionless, Default: 0, Doc: "constant input current"},
			{Name: "tau_refrac", Dim: Time, Default: 0, Doc: "refractory period"},
		},
		State:         []StateSpec{{Name: "v", Dim: Dimensionless, Doc: "membrane potential"}},
		WeightDim:     Dimensionless,
		SignedWeights: true,
	},
	IF: {
		Name:    IF,
		Doc:     "NIR IF: dv/dt = r (I(t) + i_offset), input spikes are Dirac currents (time in seconds)",
		Spiking: true,
		Params: []ParamSpec{
			{Name: "r", Dim: Dimensionless, Default: 1, Doc: "input resistance"},
			{Name: "v_threshold", Dim: Dimensionless, Default: 1, Doc: "spike threshold"},
			{Name: "v_reset", Dim: Dimensionless, Default: 0, Doc: "potential after a spike"},
			{Name: "i_offset", Dim: Dimensionless, Default: 0, Doc: "constant input current"},
			{Name: "tau_refrac", Dim: Time, Default: 0, Doc: "refractory period"},
		},
		State:         []StateSpec{{Name: "v", Dim: Dimensionless, Doc: "membrane potential"}},
		WeightDim:     Dimensionless,
		SignedWeights: true,
	},
	LI: {
		Name: LI,
		Doc:  "NIR LI: tau dv/dt = (v_leak - v) + r (I(t) + i_offset); never spikes (a readout)",
		Params: []ParamSpec{
			{Name: "tau", Dim: Time, Required: true, Doc: "membrane time constant"},
			{Name: "r", Dim: Dimensionless, Default: 1, Doc: "membrane resistance"},
			{Name: "v_leak", Dim: Dimensionless, Default: 0, Doc: "leak potential"},
			{Name: "i_offset", Dim: Dimensionless, Default: 0, Doc: "constant input current"},
		},
		State:         []StateSpec{{Name: "v", Dim: Dimensionless, Doc: "membrane potential"}},
		WeightDim:     Dimensionless,
		SignedWeights: true,
	},
	CubaLI: {
		Name: CubaLI,
		Doc:  "NIR CubaLI: tau_syn dI/dt = -I + w_in S(t); tau_mem dv/dt = (v_leak - v) + r (I + i_offset); never spikes",
		Params: []ParamSpec{
			{Name: "tau_syn", Dim: Time, Required: true, Doc: "synaptic time constant"},
			{Name: "tau_mem", Dim: Time, Required: true, Doc: "membrane time constant"},
			{Name: "r", Dim: Dimensionless, Default: 1, Doc: "membrane resistance"},
			{Name: "v_leak", Dim: Dimensionless, Default: 0, Doc: "leak potential"},
			{Name: "w_in", Dim: Dimensionless, Default: 1, Doc: "input weight onto the synaptic current"},
			{Name: "i_offset", Dim: Dimensionless, Default: 0, Doc: "constant input added to the synaptic current's output"},
		},
		State: []StateSpec{
			{Name: "v", Dim: Dimensionless, Doc: "membrane potential"},
			{Name: "i_syn", Dim: Dimensionless, Doc: "synaptic current"},
		},
		WeightDim:     Dimensionless,
		SignedWeights: true,
	},
	I: {
		Name: I,
		Doc:  "NIR I: dv/dt = r (I(t) + i_offset); never spikes",
		Params: []ParamSpec{
			{Name: "r", Dim: Dimensionless, Default: 1, Doc: "input resistance"},
			{Name: "i_offset", Dim: Dimensionless, Default: 0, Doc: "constant input current"},
		},
		State:         []StateSpec{{Name: "v", Dim: Dimensionless, Doc: "integrated input"}},
		WeightDim:     Dimensionless,
		SignedWeights: true,
	},
	Threshold: {
		Name:    Threshold,
		Doc:     "NIR Threshold: v = this step's input + i_offset; spikes when v ≥ v_threshold; keeps nothing between steps",
		Spiking: true,
		Params: []ParamSpec{
			{Name: "v_threshold", Dim: Dimensionless, Default: 1, Doc: "spike threshold"},
			{Name: "v_reset", Dim: Dimensionless, Default: 0, Doc: "value after a spike (the next step's input replaces it)"},
			{Name: "i_offset", Dim: Dimensionless, Default: 0, Doc: "constant input added every step"},
		},
		State:         []StateSpec{{Name: "v", Dim: Dimensionless, Doc: "this step's input"}},
		WeightDim:     Dimensionless,
		SignedWeights: true,
	},
	SpikeSourceArray: {
		Name:   SpikeSourceArray,
		Doc:    "emits spikes at the times given per neuron (spike_times)",
		Source: true,
	},
	SpikeSourcePoisson: {
		Name:   SpikeSourcePoisson,
		Doc:    "Poisson spike trains: in each step a neuron fires with probability rate·dt, drawn from the run seed",
		Source: true,
		Params: []ParamSpec{
			{Name: "rate", Dim: Frequency, Default: 1, Doc: "mean firing rate"},
			{Name: "start", Dim: Time, Default: 0, Doc: "time the source starts firing"},
			{Name: "duration", Dim: Time, Default: math.Inf(1), Doc: "how long it fires (default: to the end of the run)"},
		},
	},
}

// ModelNames lists every model name, sorted.
func ModelNames() []string {
	out := make([]string, 0, len(Models))
	for m := range Models {
		out = append(out, string(m))
	}
	sort.Strings(out)
	return out
}

// HasReceptors reports whether the model distinguishes excitatory and
// inhibitory inputs with separate state.
func (m *ModelSpec) HasReceptors() bool { return !m.SignedWeights && !m.Source }
