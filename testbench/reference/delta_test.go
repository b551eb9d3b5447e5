package reference_test

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/ir"
)

// deltaCase is a neuron whose input moves v at once: if_curr_delta by the
// weight (volts), NIR lif by r·w/τ, NIR if by r·w.
type deltaCase struct {
	name     string
	model    ir.Model
	params   map[string]float64
	receptor ir.Receptor
	w        float64
}

// response returns the jump one input spike causes, the membrane's time
// constant (0: no leak) and the resting level, from the models' equations.
func (tc deltaCase) response() (jump, tau, rest float64) {
	p := tc.params
	sign := 1.0
	if tc.receptor == ir.Inhibitory {
		sign = -1
	}
	switch tc.model {
	case ir.IFCurrDelta:
		return sign * tc.w, p["tau_m"], p["v_rest"]
	case ir.LIF:
		return sign * p["r"] * tc.w / p["tau"], p["tau"], p["v_leak"]
	case ir.IF:
		// No leak: v stays where it starts (v_reset here).
		return sign * p["r"] * tc.w, 0, p["v_reset"]
	}
	panic("no delta response for " + string(tc.model))
}

func (tc deltaCase) thresholdReset() (thresh, reset float64) {
	if tc.model == ir.IFCurrDelta {
		return tc.params["v_thresh"], tc.params["v_reset"]
	}
	return tc.params["v_threshold"], tc.params["v_reset"]
}

var deltaCases = []deltaCase{
	{"if_curr_delta/exc", ir.IFCurrDelta, map[string]float64{
		"cm": 1e-9, "tau_m": 20e-3, "v_rest": -65e-3, "v_reset": -70e-3, "v_thresh": -50e-3,
		"i_offset": 0, "tau_refrac": 1e-3}, ir.Excitatory, 2e-3},
	{"if_curr_delta/inh", ir.IFCurrDelta, map[string]float64{
		"cm": 1e-9, "tau_m": 20e-3, "v_rest": -65e-3, "v_reset": -70e-3, "v_thresh": -50e-3,
		"i_offset": 0, "tau_refrac": 1e-3}, ir.Inhibitory, 3e-3},
	{"lif/exc", ir.LIF, map[string]float64{
		"tau": 10e-3, "r": 2, "v_leak": 0.1, "v_threshold": 1, "v_reset": 0, "i_offset": 0, "tau_refrac": 1e-3}, ir.Excitatory, 1e-3},
	{"lif/inh", ir.LIF, map[string]float64{
		"tau": 10e-3, "r": 2, "v_leak": 0.1, "v_threshold": 1, "v_reset": 0, "i_offset": 0, "tau_refrac": 1e-3}, ir.Inhibitory, 1e-3},
	{"if/exc", ir.IF, map[string]float64{
		"r": 3, "v_threshold": 1, "v_reset": -0.2, "i_offset": 0, "tau_refrac": 1e-3}, ir.Excitatory, 0.05},
	{"if/inh", ir.IF, map[string]float64{
		"r": 3, "v_threshold": 1, "v_reset": -0.2, "i_offset": 0, "tau_refrac": 1e-3}, ir.Inhibitory, 0.05},
}

// deltaTrace is the closed-form v after input jumps arriving at the given
// steps (each at the start of its step), sampled at the end of each step.
func deltaTrace(rest, jump, tau, dt float64, arrivals []int, steps int) []float64 {
	out := make([]float64, steps)
	for n := range out {
		v := rest
		for _, a := range arrivals {
			if a > n {
				continue
			}
			d := 1.0
			if tau > 0 {
				d = math.Exp(-float64(n+1-a) * dt / tau)
			}
			v += jump * d
		}
		out[n] = v
	}
	return out
}

func compareTrace(t *testing.T, what string, got, want []float64, rel, scale float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d samples, want %d", what, len(got), len(want))
	}
	bad := 0
	for n := range got {
		if !closeTo(got[n], want[n], rel, math.Max(scale, math.Abs(want[n]))) {
			if bad++; bad <= 5 {
				t.Errorf("%s[%d] = %.15g, want %.15g (diff %.3g)", what, n, got[n], want[n], got[n]-want[n])
			}
		}
	}
	if bad > 5 {
		t.Errorf("%s: %d samples differ in all", what, bad)
	}
}

// TestDeltaSynapseJump checks that an input spike arriving at step a moves
// v by the model's jump at the start of step a (so sample a already shows
// it, decayed over one step), and nothing before.
func TestDeltaSynapseJump(t *testing.T) {
	const dt = 0.1e-3
	const steps = 300
	for _, tc := range deltaCases {
		t.Run(tc.name, func(t *testing.T) {
			jump, tau, rest := tc.response()
			// Spikes emitted at steps 10 and 40, delay 1: arrivals 11, 41.
			net := &ir.Network{
				Name: "delta",
				Populations: []*ir.Population{
					sourceArray("src", 1, []float64{10 * dt, 40 * dt}),
					{Name: "n", Size: 1, Model: tc.model, Params: scalars(tc.params),
						Initial: map[string]ir.Value{"v": ir.Scalar(rest)}},
				},
				Projections: []*ir.Projection{oneToOne("syn", "src", "n", tc.receptor, tc.w, dt)},
				Probes: []*ir.Probe{
					{Population: "n", Variable: "spikes"},
					{Population: "n", Variable: "v", Every: 1},
				},
				Run: ir.Run{Timestep: dt, Duration: steps * dt, Seed: 1},
			}
			res := run(t, net)
			if len(res.Spikes) != 0 {
				t.Fatalf("the neuron fired: %v", res.Spikes)
			}
			got := column(trace(t, res, "n.v"), 0)
			want := deltaTrace(rest, jump, tau, dt, []int{11, 41}, steps)
			compareTrace(t, "v", got, want, 1e-12, math.Abs(jump))
		})
	}
}

// TestDeltaInputLostWhileRefractory makes the neuron fire at step 1 with a
// strong input, then sends weak inputs arriving during the refractory
// period (lost) and at the first step after it (counted).
func TestDeltaInputLostWhileRefractory(t *testing.T) {
	const dt = 0.1e-3
	const steps = 200
	for _, tc := range deltaCases {
		if tc.receptor != ir.Excitatory {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			jump, tau, rest := tc.response()
			thresh, reset := tc.thresholdReset()
			R := int(math.Round(tc.params["tau_refrac"] / dt))
			// The kick moves v twice the way to threshold, so it still
			// crosses after one step of decay.
			kick := 2 * (thresh - rest) / jump * tc.w
			// Refractory steps are 2..R+1; the weak source's inputs arrive
			// at 2, 5, R+1 (lost) and R+2 (counted).
			weak := []float64{1 * dt, 4 * dt, float64(R) * dt, float64(R+1) * dt}
			net := &ir.Network{
				Name: "refractory",
				Populations: []*ir.Population{
					sourceArray("kick", 1, []float64{0}),
					sourceArray("weak", 1, weak),
					{Name: "n", Size: 1, Model: tc.model, Params: scalars(tc.params),
						Initial: map[string]ir.Value{"v": ir.Scalar(rest)}},
				},
				Projections: []*ir.Projection{
					oneToOne("kick", "kick", "n", ir.Excitatory, kick, dt),
					oneToOne("weak", "weak", "n", tc.receptor, tc.w, dt),
				},
				Probes: []*ir.Probe{
					{Population: "n", Variable: "spikes"},
					{Population: "n", Variable: "v", Every: 1},
				},
				Run: ir.Run{Timestep: dt, Duration: steps * dt, Seed: 1},
			}
			res := run(t, net)
			if diff := cmp.Diff([]int32{1}, spikeSteps(res, 2, 0)); diff != "" {
				t.Fatalf("spike steps (-want +got):\n%s", diff)
			}
			got := column(trace(t, res, "n.v"), 0)
			// From step R+2 on, v relaxes from reset (plus the one counted
			// jump) towards rest.
			want := make([]float64, steps)
			want[0] = rest // no input yet
			for n := 1; n <= R+1; n++ {
				want[n] = reset
			}
			for n := R + 2; n < steps; n++ {
				k := float64(n-R-1) * dt
				if tau == 0 {
					want[n] = reset + jump
				} else {
					want[n] = rest + (reset+jump-rest)*math.Exp(-k/tau)
				}
			}
			compareTrace(t, "v", got, want, 1e-12, math.Abs(thresh-reset))
		})
	}
}
