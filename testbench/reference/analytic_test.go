package reference_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/ir"
)

// closedLIF is the closed-form trajectory of a leaky (tau > 0) or
// non-leaky (tau == 0) integrate-and-fire neuron under a constant input,
// starting from reset at t = 0.
type closedLIF struct {
	tau    float64 // membrane time constant; 0 for IF
	vInf   float64 // the potential it relaxes to (leaky models)
	slope  float64 // dv/dt (IF)
	thresh float64
	reset  float64
	refrac float64 // seconds
}

// v is the potential a time t after leaving reset.
func (c closedLIF) v(t float64) float64 {
	if c.tau == 0 {
		return c.reset + c.slope*t
	}
	return c.vInf + (c.reset-c.vInf)*math.Exp(-t/c.tau)
}

// crossing is the time from reset to threshold.
func (c closedLIF) crossing() float64 {
	if c.tau == 0 {
		return (c.thresh - c.reset) / c.slope
	}
	return c.tau * math.Log((c.vInf-c.reset)/(c.vInf-c.thresh))
}

// closedFor derives the closed form from a model's parameters as written
// in its equations (ir/models.go), independently of reference.go.
func closedFor(model ir.Model, p map[string]float64) closedLIF {
	switch model {
	case ir.IFCurrExp, ir.IFCurrDelta:
		r := p["tau_m"] / p["cm"]
		return closedLIF{tau: p["tau_m"], vInf: p["v_rest"] + r*p["i_offset"],
			thresh: p["v_thresh"], reset: p["v_reset"], refrac: p["tau_refrac"]}
	case ir.LIF:
		return closedLIF{tau: p["tau"], vInf: p["v_leak"] + p["r"]*p["i_offset"],
			thresh: p["v_threshold"], reset: p["v_reset"], refrac: p["tau_refrac"]}
	case ir.CubaLIF:
		// tau_mem dv/dt = (v_leak - v) + r (I + i_offset) with I = 0.
		return closedLIF{tau: p["tau_mem"], vInf: p["v_leak"] + p["r"]*p["i_offset"],
			thresh: p["v_threshold"], reset: p["v_reset"], refrac: p["tau_refrac"]}
	case ir.IF:
		return closedLIF{slope: p["r"] * p["i_offset"],
			thresh: p["v_threshold"], reset: p["v_reset"], refrac: p["tau_refrac"]}
	}
	panic("closedFor: no closed form for " + string(model))
}

var constantCurrentCases = []struct {
	name   string
	model  ir.Model
	params map[string]float64
}{
	{"if_curr_exp/refrac2ms", ir.IFCurrExp, map[string]float64{
		"cm": 1e-9, "tau_m": 20e-3, "v_rest": -65e-3, "v_reset": -70e-3, "v_thresh": -50e-3,
		"i_offset": 1e-9, "tau_refrac": 2e-3, "tau_syn_E": 5e-3, "tau_syn_I": 5e-3}},
	{"if_curr_exp/norefrac", ir.IFCurrExp, map[string]float64{
		"cm": 0.25e-9, "tau_m": 10e-3, "v_rest": -60e-3, "v_reset": -65e-3, "v_thresh": -52e-3,
		"i_offset": 0.5e-9, "tau_refrac": 0, "tau_syn_E": 3e-3, "tau_syn_I": 7e-3}},
	{"if_curr_delta", ir.IFCurrDelta, map[string]float64{
		"cm": 1e-9, "tau_m": 15e-3, "v_rest": -65e-3, "v_reset": -68e-3, "v_thresh": -55e-3,
		"i_offset": 0.8e-9, "tau_refrac": 1e-3}},
	{"lif/unit", ir.LIF, map[string]float64{
		"tau": 10e-3, "r": 1, "v_leak": 0, "v_threshold": 1, "v_reset": 0, "i_offset": 1.5, "tau_refrac": 1e-3}},
	{"lif/offset_leak", ir.LIF, map[string]float64{
		"tau": 5e-3, "r": 2, "v_leak": -0.2, "v_threshold": 1, "v_reset": -0.5, "i_offset": 0.9, "tau_refrac": 0}},
	{"cuba_lif", ir.CubaLIF, map[string]float64{
		"tau_mem": 8e-3, "tau_syn": 3e-3, "r": 1.5, "v_leak": 0, "v_threshold": 1, "v_reset": 0,
		"w_in": 1, "i_offset": 1, "tau_refrac": 0.5e-3}},
	{"if/unit", ir.IF, map[string]float64{
		"r": 2, "v_threshold": 1, "v_reset": 0, "i_offset": 37, "tau_refrac": 1e-3}},
	{"if/negative_reset", ir.IF, map[string]float64{
		"r": 0.5, "v_threshold": 0.8, "v_reset": -0.1, "i_offset": 130, "tau_refrac": 0.3e-3}},
}

// constantCurrentNet is one neuron starting at v_reset, driven only by
// i_offset, recording v (when recordV) and spikes.
func constantCurrentNet(model ir.Model, params map[string]float64, dt float64, steps int, recordV bool) *ir.Network {
	net := &ir.Network{
		Name: "constant_current",
		Populations: []*ir.Population{{
			Name: "n", Size: 1, Model: model, Params: scalars(params),
			Initial: map[string]ir.Value{"v": ir.Scalar(params["v_reset"])},
		}},
		Probes: []*ir.Probe{{Population: "n", Variable: "spikes"}},
		Run:    ir.Run{Timestep: dt, Duration: float64(steps) * dt, Seed: 1},
	}
	if recordV {
		net.Probes = append(net.Probes, &ir.Probe{Population: "n", Variable: "v", Every: 1})
	}
	return net
}

// TestConstantCurrentClosedForm checks the membrane trace and spike steps
// of a neuron under a constant current against the closed form over
// several periods: the crossing takes C = ceil(T/dt) steps, the spike is
// recorded at the step whose integration crosses, the refractory period
// clamps v at v_reset for round(tau_refrac/dt) steps, then the closed form
// restarts from v_reset.
func TestConstantCurrentClosedForm(t *testing.T) {
	const rel = 1e-9
	for _, tc := range constantCurrentCases {
		for _, dt := range []float64{0.1e-3, 0.025e-3} {
			t.Run(fmt.Sprintf("%s/dt=%gms", tc.name, dt*1e3), func(t *testing.T) {
				c := closedFor(tc.model, tc.params)
				T := c.crossing()
				// Rounding noise must not be able to move the crossing into
				// another step: keep T/dt well away from an integer.
				if d := fracDistance(T / dt); d < 1e-3 {
					t.Fatalf("T/dt = %.9f is within %g of an integer; pick other parameters", T/dt, d)
				}
				C := int(math.Ceil(T / dt))
				R := int(math.Round(c.refrac / dt))
				P := R + C
				steps := 4*P + C/2
				res := run(t, constantCurrentNet(tc.model, tc.params, dt, steps, true))

				var want []int32
				for s := C - 1; s < steps; s += P {
					want = append(want, int32(s))
				}
				if diff := cmp.Diff(want, spikeSteps(res, 0, 0)); diff != "" {
					t.Errorf("spike steps (T = %.6g ms, C = %d, R = %d) (-want +got):\n%s", T*1e3, C, R, diff)
				}

				v := column(trace(t, res, "n.v"), 0)
				if len(v) != steps {
					t.Fatalf("got %d samples of v, want %d", len(v), steps)
				}
				scale := math.Abs(c.thresh - c.reset)
				bad := 0
				for n, got := range v {
					// Sample n is v at t_{n+1}. Within a cycle of P steps
					// (phase j), the first R steps are refractory, the last
					// one fires; in between the closed form runs from reset.
					j := (n + R) % P
					wantV := c.reset
					if j >= R && j < P-1 {
						wantV = c.v(float64(j-R+1) * dt)
					}
					if !closeTo(got, wantV, rel, math.Max(math.Abs(wantV), scale)) {
						if bad++; bad <= 5 {
							t.Errorf("v[%d] = %.15g, want %.15g (diff %.3g)", n, got, wantV, got-wantV)
						}
					}
				}
				if bad > 5 {
					t.Errorf("... %d samples differ in all", bad)
				}
			})
		}
	}
}

// TestConstantCurrentPeriodConverges checks that at dt = 1 µs the firing
// period measured from the spike steps is within dt/T (relative) of the
// continuous-time period T + tau_refrac.
func TestConstantCurrentPeriodConverges(t *testing.T) {
	const dt = 1e-6
	for _, tc := range constantCurrentCases {
		t.Run(tc.name, func(t *testing.T) {
			c := closedFor(tc.model, tc.params)
			T := c.crossing()
			period := T + c.refrac
			steps := int(math.Ceil(3.5 * period / dt))
			res := run(t, constantCurrentNet(tc.model, tc.params, dt, steps, false))
			sp := spikeSteps(res, 0, 0)
			if len(sp) < 3 {
				t.Fatalf("got %d spikes in %d steps, want at least 3", len(sp), steps)
			}
			tol := dt / T
			first := float64(sp[0]+1) * dt // the crossing happens by the end of the spike's step
			if e := math.Abs(first-T) / T; e > tol {
				t.Errorf("first spike after %.9g s, closed form %.9g s: relative error %.3g > %.3g", first, T, e, tol)
			}
			for k := 1; k < len(sp); k++ {
				got := float64(sp[k]-sp[k-1]) * dt
				if e := math.Abs(got-period) / period; e > tol {
					t.Errorf("period %d = %.9g s, closed form T + tau_refrac = %.9g s: relative error %.3g > %.3g", k, got, period, e, tol)
				}
			}
		})
	}
}
