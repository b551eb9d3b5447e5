package reference_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/ir"
)

// closedPSP is the response of a leaky membrane (time constant tauM,
// resistance r) to an exponentially decaying current that jumps to i0 at
// s = 0 and decays with tauS:
//
//	u(s) = i0·r·τs/(τs − τm)·(e^{−s/τs} − e^{−s/τm}),   τs ≠ τm
//	u(s) = i0·r·(s/τm)·e^{−s/τm},                      τs = τm
type closedPSP struct {
	i0, r, tauM, tauS float64
}

func (c closedPSP) u(s float64) float64 {
	if c.tauS == c.tauM {
		return c.i0 * c.r * s / c.tauM * math.Exp(-s/c.tauM)
	}
	// e^{−s/τs} − e^{−s/τm} = e^{−s/τm}·expm1(s(τs−τm)/(τsτm)), which keeps
	// its precision when τs and τm are close.
	return c.i0 * c.r * c.tauS / (c.tauS - c.tauM) * math.Exp(-s/c.tauM) * math.Expm1(s*(c.tauS-c.tauM)/(c.tauS*c.tauM))
}

// peak is the time and value of the PSP's extremum.
func (c closedPSP) peak() (s, u float64) {
	if c.tauS == c.tauM {
		s = c.tauM
	} else {
		s = c.tauS * c.tauM / (c.tauM - c.tauS) * math.Log(c.tauM/c.tauS)
	}
	return s, c.u(s)
}

type pspCase struct {
	name     string
	model    ir.Model
	params   map[string]float64
	receptor ir.Receptor
	w        float64
}

// closed derives the PSP's closed form and resting level from the model's
// equations, and names the recorded current variable.
func (tc pspCase) closed() (c closedPSP, rest float64, current string) {
	p := tc.params
	switch tc.model {
	case ir.IFCurrExp:
		// cm dv/dt = cm (v_rest − v)/τm + I_exc − I_inh: r = τm/cm, the
		// weight is the current jump, inhibition subtracts it.
		c = closedPSP{i0: tc.w, r: p["tau_m"] / p["cm"], tauM: p["tau_m"], tauS: p["tau_syn_E"]}
		current = "isyn_exc"
		if tc.receptor == ir.Inhibitory {
			c.tauS, c.r, current = p["tau_syn_I"], -c.r, "isyn_inh"
		}
		return c, p["v_rest"], current
	case ir.CubaLIF:
		// τs dI/dt = −I + w_in·S: a spike of weight w makes I jump by
		// w_in·w/τs; an inhibitory receptor negates the weight.
		w := tc.w
		if tc.receptor == ir.Inhibitory {
			w = -w
		}
		c = closedPSP{i0: p["w_in"] * w / p["tau_syn"], r: p["r"], tauM: p["tau_mem"], tauS: p["tau_syn"]}
		return c, p["v_leak"], "i_syn"
	}
	panic("no PSP closed form for " + string(tc.model))
}

var pspCases = []pspCase{
	{"if_curr_exp/exc", ir.IFCurrExp, map[string]float64{
		"cm": 1e-9, "tau_m": 20e-3, "v_rest": -65e-3, "v_reset": -70e-3, "v_thresh": 0,
		"i_offset": 0, "tau_refrac": 2e-3, "tau_syn_E": 5e-3, "tau_syn_I": 10e-3}, ir.Excitatory, 1e-9},
	{"if_curr_exp/inh", ir.IFCurrExp, map[string]float64{
		"cm": 1e-9, "tau_m": 20e-3, "v_rest": -65e-3, "v_reset": -70e-3, "v_thresh": 0,
		"i_offset": 0, "tau_refrac": 2e-3, "tau_syn_E": 5e-3, "tau_syn_I": 10e-3}, ir.Inhibitory, 0.7e-9},
	{"if_curr_exp/slow_synapse", ir.IFCurrExp, map[string]float64{
		"cm": 0.5e-9, "tau_m": 8e-3, "v_rest": -60e-3, "v_reset": -70e-3, "v_thresh": 0,
		"i_offset": 0, "tau_refrac": 0, "tau_syn_E": 25e-3, "tau_syn_I": 2e-3}, ir.Excitatory, 0.3e-9},
	{"if_curr_exp/equal_tau", ir.IFCurrExp, map[string]float64{
		"cm": 1e-9, "tau_m": 10e-3, "v_rest": -65e-3, "v_reset": -70e-3, "v_thresh": 0,
		"i_offset": 0, "tau_refrac": 0, "tau_syn_E": 10e-3, "tau_syn_I": 10e-3}, ir.Excitatory, 1e-9},
	{"if_curr_exp/equal_tau_inh", ir.IFCurrExp, map[string]float64{
		"cm": 1e-9, "tau_m": 10e-3, "v_rest": -65e-3, "v_reset": -70e-3, "v_thresh": 0,
		"i_offset": 0, "tau_refrac": 0, "tau_syn_E": 5e-3, "tau_syn_I": 10e-3}, ir.Inhibitory, 1e-9},
	{"cuba_lif/exc", ir.CubaLIF, map[string]float64{
		"tau_mem": 20e-3, "tau_syn": 5e-3, "r": 2, "v_leak": 0, "v_threshold": 100, "v_reset": 0,
		"w_in": 0.5, "i_offset": 0, "tau_refrac": 0}, ir.Excitatory, 0.01},
	{"cuba_lif/inh", ir.CubaLIF, map[string]float64{
		"tau_mem": 20e-3, "tau_syn": 5e-3, "r": 2, "v_leak": 0.1, "v_threshold": 100, "v_reset": 0,
		"w_in": 0.5, "i_offset": 0, "tau_refrac": 0}, ir.Inhibitory, 0.01},
	{"cuba_lif/equal_tau", ir.CubaLIF, map[string]float64{
		"tau_mem": 4e-3, "tau_syn": 4e-3, "r": 1, "v_leak": 0, "v_threshold": 100, "v_reset": -1,
		"w_in": 1.5, "i_offset": 0, "tau_refrac": 0}, ir.Excitatory, 0.02},
}

// pspNet is a spike_source_array firing once at step 0 into one neuron,
// with a one-step delay, recording v and the synaptic current.
func pspNet(tc pspCase, dt float64, steps int) *ir.Network {
	_, rest, current := tc.closed()
	return &ir.Network{
		Name: "psp",
		Populations: []*ir.Population{
			sourceArray("src", 1, []float64{0}),
			// v starts at rest (cuba_lif's v defaults to 0, not v_leak).
			{Name: "n", Size: 1, Model: tc.model, Params: scalars(tc.params),
				Initial: map[string]ir.Value{"v": ir.Scalar(rest)}},
		},
		Projections: []*ir.Projection{oneToOne("syn", "src", "n", tc.receptor, tc.w, dt)},
		Probes: []*ir.Probe{
			{Population: "n", Variable: "spikes"},
			{Population: "n", Variable: "v", Every: 1},
			{Population: "n", Variable: current, Every: 1},
		},
		Run: ir.Run{Timestep: dt, Duration: float64(steps) * dt, Seed: 1},
	}
}

// TestExponentialSynapsePSP checks the membrane and synaptic current after
// one input spike against the closed form at every sample. The spike is
// emitted at step 0 with a one-step delay, so the current jumps at t_1 and
// sample n (the state at t_{n+1}) lies s = n·dt after the jump.
func TestExponentialSynapsePSP(t *testing.T) {
	const rel = 1e-9
	const dt = 0.1e-3
	for _, tc := range pspCases {
		t.Run(tc.name, func(t *testing.T) {
			c, rest, current := tc.closed()
			sPeak, uPeak := c.peak()
			steps := int(5 * max(c.tauM, c.tauS) / dt)
			res := run(t, pspNet(tc, dt, steps))
			if len(res.Spikes) != 0 {
				t.Fatalf("the neuron fired: %v", res.Spikes)
			}
			if (uPeak > 0) != (tc.receptor == ir.Excitatory) {
				t.Fatalf("closed-form peak %g at %g s has the wrong sign for a %s input", uPeak, sPeak, tc.receptor)
			}
			v := column(trace(t, res, "n.v"), 0)
			cur := column(trace(t, res, "n."+current), 0)
			if len(v) != steps || len(cur) != steps {
				t.Fatalf("got %d samples of v and %d of %s, want %d", len(v), len(cur), current, steps)
			}
			badV, badI := 0, 0
			for n := range steps {
				s := float64(n) * dt
				wantV := rest + c.u(s)
				// Relative to the PSP's height, which is stricter than
				// relative to |v|.
				if !closeTo(v[n], wantV, rel, math.Abs(uPeak)) {
					if badV++; badV <= 5 {
						t.Errorf("v[%d] = %.15g, want %.15g (u diff %.3g of peak %.3g)", n, v[n], wantV, v[n]-wantV, uPeak)
					}
				}
				// The recorded current is a magnitude for if_curr_exp's
				// inhibitory input and signed for cuba_lif.
				i0 := math.Abs(c.i0)
				if tc.model == ir.CubaLIF {
					i0 = c.i0
				}
				wantI := 0.0
				if n >= 1 {
					wantI = i0 * math.Exp(-s/c.tauS)
				}
				if !closeTo(cur[n], wantI, rel, math.Abs(i0)) {
					if badI++; badI <= 5 {
						t.Errorf("%s[%d] = %.15g, want %.15g", current, n, cur[n], wantI)
					}
				}
			}
		})
	}
}

// TestExponentialSynapsePeak checks at dt = 1 µs that the discrete trace
// peaks within one step of the closed form's s* and that its height is
// within 1e-6 (relative) of the closed form's.
func TestExponentialSynapsePeak(t *testing.T) {
	const dt = 1e-6
	for _, tc := range pspCases {
		t.Run(tc.name, func(t *testing.T) {
			c, rest, _ := tc.closed()
			sPeak, uPeak := c.peak()
			steps := int(math.Ceil(1.5 * sPeak / dt))
			res := run(t, pspNet(tc, dt, steps))
			v := column(trace(t, res, "n.v"), 0)
			best, bestN := 0.0, -1
			for n, x := range v {
				if u := math.Abs(x - rest); u > best {
					best, bestN = u, n
				}
			}
			got := float64(bestN) * dt
			if math.Abs(got-sPeak) > dt {
				t.Errorf("peak at s = %.9g s, closed form s* = %.9g s: more than one step (%g s) apart", got, sPeak, dt)
			}
			if h := v[bestN] - rest; math.Abs(h-uPeak) > 1e-6*math.Abs(uPeak) {
				t.Errorf("peak height %.12g, closed form %.12g: relative error %.3g > 1e-6", h, uPeak, math.Abs(h-uPeak)/math.Abs(uPeak))
			}
		})
	}
}

// TestExponentialSynapseNearlyEqualTaus checks the PSP when tau_syn and
// tau_m differ by a relative 1e-11 to 1e-6: the exact update's factor
// τs/(τs−τm)·(e^{−dt/τs} − e^{−dt/τm}) must not lose its precision to
// cancellation on the way to the τs = τm limit.
func TestExponentialSynapseNearlyEqualTaus(t *testing.T) {
	const rel = 1e-9
	const dt = 0.1e-3
	for _, eps := range []float64{1e-6, 1e-8, 1e-10, 1e-11} {
		t.Run(fmt.Sprintf("eps=%g", eps), func(t *testing.T) {
			tc := pspCase{"near", ir.IFCurrExp, map[string]float64{
				"cm": 1e-9, "tau_m": 10e-3, "v_rest": -65e-3, "v_reset": -70e-3, "v_thresh": 0,
				"i_offset": 0, "tau_refrac": 0, "tau_syn_E": 10e-3 * (1 + eps), "tau_syn_I": 5e-3}, ir.Excitatory, 1e-9}
			c, rest, _ := tc.closed()
			_, uPeak := c.peak()
			steps := int(5 * c.tauM / dt)
			res := run(t, pspNet(tc, dt, steps))
			v := column(trace(t, res, "n.v"), 0)
			worst, worstN := 0.0, 0
			for n := range steps {
				if d := math.Abs(v[n] - (rest + c.u(float64(n)*dt))); d > worst {
					worst, worstN = d, n
				}
			}
			if worst > rel*math.Abs(uPeak) {
				t.Errorf("v differs from the closed form by up to %.3g of the PSP height (at sample %d), want ≤ %g", worst/math.Abs(uPeak), worstN, rel)
			}
		})
	}
}

// TestExpSynapseCurrentDuringRefractory checks that for if_curr_exp an
// input arriving during the refractory period is not lost: the synaptic
// current jumps and decays as usual while v is clamped at v_reset, and
// when the refractory period ends v integrates from v_reset with the
// current that is left. The neuron starts just above threshold, so it
// fires at step 0 and is refractory for steps 1..R; the input arrives at
// step 2.
func TestExpSynapseCurrentDuringRefractory(t *testing.T) {
	const dt = 0.1e-3
	const steps = 400
	const w = 2e-9
	params := map[string]float64{
		"cm": 1e-9, "tau_m": 20e-3, "v_rest": -65e-3, "v_reset": -70e-3, "v_thresh": -50e-3,
		"i_offset": 0, "tau_refrac": 2e-3, "tau_syn_E": 5e-3, "tau_syn_I": 5e-3}
	R := int(math.Round(params["tau_refrac"] / dt))
	net := &ir.Network{
		Name: "refractory_exp",
		Populations: []*ir.Population{
			sourceArray("src", 1, []float64{dt}),
			{Name: "n", Size: 1, Model: ir.IFCurrExp, Params: scalars(params),
				Initial: map[string]ir.Value{"v": ir.Scalar(params["v_thresh"] + 1e-3)}},
		},
		Projections: []*ir.Projection{oneToOne("syn", "src", "n", ir.Excitatory, w, dt)},
		Probes: []*ir.Probe{
			{Population: "n", Variable: "spikes"},
			{Population: "n", Variable: "v", Every: 1},
			{Population: "n", Variable: "isyn_exc", Every: 1},
		},
		Run: ir.Run{Timestep: dt, Duration: steps * dt, Seed: 1},
	}
	res := run(t, net)
	if diff := cmp.Diff([]int32{0}, spikeSteps(res, 1, 0)); diff != "" {
		t.Fatalf("spike steps (-want +got):\n%s", diff)
	}
	tauM, tauS, rest, reset := params["tau_m"], params["tau_syn_E"], params["v_rest"], params["v_reset"]
	wantI := make([]float64, steps)
	wantV := make([]float64, steps)
	// The current when integration resumes at t_{R+1}.
	psp := closedPSP{i0: w * math.Exp(-float64(R+1-2)*dt/tauS), r: tauM / params["cm"], tauM: tauM, tauS: tauS}
	for n := range steps {
		if n >= 2 {
			wantI[n] = w * math.Exp(-float64(n+1-2)*dt/tauS)
		}
		wantV[n] = reset
		if n > R {
			s := float64(n-R) * dt
			wantV[n] = rest + (reset-rest)*math.Exp(-s/tauM) + psp.u(s)
		}
	}
	compareTrace(t, "isyn_exc", column(trace(t, res, "n.isyn_exc"), 0), wantI, 1e-12, w)
	compareTrace(t, "v", column(trace(t, res, "n.v"), 0), wantV, 1e-9, math.Abs(reset-rest))
}
