package reference_test

import (
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/ir"
)

// The STDP tests drive one plastic synapse pre → post. The pre spikes come
// from a spike_source_array; the post neuron (if_curr_delta) is forced to
// fire by a strong input from a second source ("drive", delay 1 step), so
// a drive spike at step k makes post fire at k+1. The plastic weight is far
// too small to make post fire by itself.
//
// Conventions (reference.go): a pre spike counts at its arrival step
// (emission + delay); a pre arrival and a post spike in the same step pair
// as pre-before-post with Δt = 0.
const (
	stdpDt       = 0.1e-3
	stdpTauPlus  = 16.8e-3
	stdpTauMinus = 33.7e-3
)

func stdpNet(rule ir.STDP, w0 float64, preEmit []int, preDelay int, drive []int, steps int) *ir.Network {
	toTimes := func(steps []int) []float64 {
		out := []float64{}
		for _, s := range steps {
			out = append(out, float64(s)*stdpDt)
		}
		return out
	}
	plastic := oneToOne("plastic", "pre", "post", ir.Excitatory, w0, float64(preDelay)*stdpDt)
	plastic.Plasticity = &rule
	return &ir.Network{
		Name: "stdp",
		Populations: []*ir.Population{
			sourceArray("pre", 1, toTimes(preEmit)),
			sourceArray("drive", 1, toTimes(drive)),
			deltaNeuron("post", 1),
		},
		Projections: []*ir.Projection{
			oneToOne("drive", "drive", "post", ir.Excitatory, 30e-3, stdpDt),
			plastic,
		},
		Probes: []*ir.Probe{
			{Population: "post", Variable: "spikes"},
			{Population: "post", Variable: "v", Every: 1},
			{Projection: "plastic", Variable: "weights", Every: 1},
		},
		Run: ir.Run{Timestep: stdpDt, Duration: float64(steps) * stdpDt, Seed: 1},
	}
}

func additive(aPlus, aMinus, wMin, wMax float64) ir.STDP {
	return ir.STDP{TauPlus: stdpTauPlus, TauMinus: stdpTauMinus, APlus: aPlus, AMinus: aMinus,
		WMin: wMin, WMax: wMax, Dependence: ir.Additive}
}

func multiplicative(aPlus, aMinus, wMin, wMax float64) ir.STDP {
	r := additive(aPlus, aMinus, wMin, wMax)
	r.Dependence = ir.Multiplicative
	return r
}

// pot and dep are the pair-rule factors for Δt steps.
func pot(dSteps int) float64 { return math.Exp(-float64(dSteps) * stdpDt / stdpTauPlus) }
func dep(dSteps int) float64 { return math.Exp(-float64(dSteps) * stdpDt / stdpTauMinus) }

// weightChange is the weight from step Step on (sampled at the end of it).
type weightChange struct {
	Step int
	W    float64
}

func TestSTDPPairs(t *testing.T) {
	const (
		wMax = 2e-3
		w0   = 1e-3
	)
	tests := []struct {
		name     string
		rule     ir.STDP
		w0       float64
		preEmit  []int
		preDelay int
		drive    []int // post fires one step later
		want     []weightChange
	}{
		{
			// Pre arrives at 13, post fires at 31: Δt = 18 steps.
			name: "additive/pre_before_post", rule: additive(0.05, 0.06, 0, wMax), w0: w0,
			preEmit: []int{10}, preDelay: 3, drive: []int{30},
			want: []weightChange{{31, w0 + 0.05*wMax*pot(18)}},
		},
		{
			// Post fires at 11, pre arrives at 22: Δt = 11 steps.
			name: "additive/post_before_pre", rule: additive(0.05, 0.06, 0, wMax), w0: w0,
			preEmit: []int{20}, preDelay: 2, drive: []int{10},
			want: []weightChange{{22, w0 - 0.06*wMax*dep(11)}},
		},
		{
			// Arrival and post spike both at step 31: pre-before-post, Δt = 0.
			name: "additive/same_step", rule: additive(0.05, 0.06, 0, wMax), w0: w0,
			preEmit: []int{28}, preDelay: 3, drive: []int{30},
			want: []weightChange{{31, w0 + 0.05*wMax}},
		},
		{
			// Emitted at 30 (before post fires at 31) but arriving at 35:
			// the pair is post-before-pre with Δt = 4 steps.
			name: "additive/delay_sets_pre_time", rule: additive(0.05, 0.06, 0, wMax), w0: w0,
			preEmit: []int{30}, preDelay: 5, drive: []int{30},
			want: []weightChange{{35, w0 - 0.06*wMax*dep(4)}},
		},
		{
			// All-to-all pairing: arrivals at 13 and 20 both pair with the
			// post spike at 31.
			name: "additive/two_pre_one_post", rule: additive(0.05, 0.06, 0, wMax), w0: w0,
			preEmit: []int{12, 19}, preDelay: 1, drive: []int{30},
			want: []weightChange{{31, w0 + 0.05*wMax*(pot(18)+pot(11))}},
		},
		{
			// Pre at 13, post at 31 (potentiation), pre at 40 (depression
			// by the post trace, Δt = 9 steps).
			name: "additive/pre_post_pre", rule: additive(0.05, 0.06, 0, wMax), w0: w0,
			preEmit: []int{12, 39}, preDelay: 1, drive: []int{30},
			want: []weightChange{
				{31, w0 + 0.05*wMax*pot(18)},
				{40, w0 + 0.05*wMax*pot(18) - 0.06*wMax*dep(9)},
			},
		},
		{
			// Two post spikes (11, 21) before one pre arrival at 30.
			name: "additive/two_post_one_pre", rule: additive(0.05, 0.06, 0, wMax), w0: w0,
			preEmit: []int{28}, preDelay: 2, drive: []int{10, 20},
			want: []weightChange{{30, w0 - 0.06*wMax*(dep(19)+dep(9))}},
		},
		{
			name: "multiplicative/pre_before_post", rule: multiplicative(0.1, 0.12, 0.2e-3, wMax), w0: 0.5e-3,
			preEmit: []int{10}, preDelay: 3, drive: []int{30},
			want: []weightChange{{31, 0.5e-3 + 0.1*(wMax-0.5e-3)*pot(18)}},
		},
		{
			name: "multiplicative/post_before_pre", rule: multiplicative(0.1, 0.12, 0.2e-3, wMax), w0: 0.5e-3,
			preEmit: []int{20}, preDelay: 2, drive: []int{10},
			want: []weightChange{{22, 0.5e-3 - 0.12*(0.5e-3-0.2e-3)*dep(11)}},
		},
		{
			// Multiplicative updates compound: the depression at 40 scales
			// with the weight the potentiation at 31 left.
			name: "multiplicative/pre_post_pre", rule: multiplicative(0.1, 0.12, 0.2e-3, wMax), w0: 0.5e-3,
			preEmit: []int{12, 39}, preDelay: 1, drive: []int{30},
			want: func() []weightChange {
				w1 := 0.5e-3 + 0.1*(wMax-0.5e-3)*pot(18)
				return []weightChange{{31, w1}, {40, w1 - 0.12*(w1-0.2e-3)*dep(9)}}
			}(),
		},
		{
			// 1.5 mV + 1·2 mV·1 clips at w_max.
			name: "additive/clip_at_w_max", rule: additive(1, 0.06, 0.2e-3, wMax), w0: 1.5e-3,
			preEmit: []int{28}, preDelay: 3, drive: []int{30},
			want: []weightChange{{31, wMax}},
		},
		{
			// Post at 21, pre at 22: 0.5 mV − 1·2 mV·e^{−0.1/33.7} clips at
			// w_min = 0.2 mV.
			name: "additive/clip_at_w_min", rule: additive(0.05, 1, 0.2e-3, wMax), w0: 0.5e-3,
			preEmit: []int{20}, preDelay: 2, drive: []int{20},
			want: []weightChange{{22, 0.2e-3}},
		},
	}
	const steps = 60
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, stdpNet(tc.rule, tc.w0, tc.preEmit, tc.preDelay, tc.drive, steps))
			var wantPost []int32
			for _, k := range tc.drive {
				wantPost = append(wantPost, int32(k+1))
			}
			if diff := cmp.Diff(wantPost, spikeSteps(res, 2, 0)); diff != "" {
				t.Fatalf("post spike steps (-want +got):\n%s", diff)
			}
			got := column(trace(t, res, "plastic.weights"), 0)
			want := make([]float64, steps)
			w, next := tc.w0, 0
			for n := range want {
				if next < len(tc.want) && tc.want[next].Step == n {
					w = tc.want[next].W
					next++
				}
				want[n] = w
			}
			compareTrace(t, "weight", got, want, 1e-12, wMax)
		})
	}
}

// TestSTDPDeliversWeightBeforeDepression checks that a pre spike arriving
// after a post spike delivers the weight it had before the depression it
// causes: post fires at 11 (v reset to rest), the pre spike arrives at 22
// and moves v by w0 at the start of step 22.
func TestSTDPDeliversWeightBeforeDepression(t *testing.T) {
	const w0 = 1e-3
	const steps = 40
	res := run(t, stdpNet(additive(0.05, 0.5, 0, 2e-3), w0, []int{20}, 2, []int{10}, steps))
	v := column(trace(t, res, "post.v"), 0)
	want := deltaTrace(-65e-3, w0, 20e-3, stdpDt, []int{22}, steps)
	compareTrace(t, "post.v", v[11:], want[11:], 1e-12, w0)
	w := column(trace(t, res, "plastic.weights"), 0)
	if wantW := w0 - 0.5*2e-3*dep(11); !closeTo(w[22], wantW, 1e-12, w0) {
		t.Errorf("weight after the pair = %.15g, want %.15g", w[22], wantW)
	}
}

// TestSTDPInhibitoryStaysInhibitory checks a plastic projection on the
// inhibitory receptor: STDP acts on the weight's magnitude within
// [w_min, w_max] and the synapse keeps inhibiting. A pre spike arrives at
// 13, post fires at 31 (potentiation by A+·w_max·e^{−18 dt/τ+}), and a
// second pre spike arriving at 50 must move v down by the potentiated
// magnitude (if_curr_delta: w; lif: r·w/τ), starting from v_reset = rest.
func TestSTDPInhibitoryStaysInhibitory(t *testing.T) {
	const (
		w0   = 1e-3
		wMax = 2e-3
	)
	w1 := w0 + 0.05*wMax*pot(18)
	tests := []struct {
		name string
		post *ir.Population
		// drive is the weight that makes post fire at once; rest the
		// potential it sits at after reset; jump the v change per unit
		// weight; tau the membrane time constant.
		drive, rest, jump, tau float64
	}{
		{"if_curr_delta", deltaNeuron("post", 1), 30e-3, -65e-3, 1, 20e-3},
	}
	const steps = 60
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			net := stdpNet(additive(0.05, 0.06, 0, wMax), w0, []int{12, 49}, 1, []int{30}, steps)
			net.Populations[2] = tc.post
			net.Projections[0].Weight = ir.Scalar(tc.drive)
			net.Projections[1].Receptor = ir.Inhibitory
			res := run(t, net)
			if diff := cmp.Diff([]int32{31}, spikeSteps(res, 2, 0)); diff != "" {
				t.Fatalf("post spike steps (-want +got):\n%s", diff)
			}
			v := column(trace(t, res, "post.v"), 0)
			// The first pre spike (arriving at 13) inhibits by w0.
			if want := tc.rest - tc.jump*w0*math.Exp(-stdpDt/tc.tau); !closeTo(v[13], want, 1e-12, tc.jump*w0) {
				t.Errorf("v after the first pre spike = %.15g, want %.15g", v[13], want)
			}
			if v[49] != tc.rest {
				t.Fatalf("v before the second pre spike = %.15g, want rest %g", v[49], tc.rest)
			}
			if want := tc.rest - tc.jump*w1*math.Exp(-stdpDt/tc.tau); !closeTo(v[50], want, 1e-12, tc.jump*w0) {
				t.Errorf("v after the second pre spike = %.15g, want %.15g: the potentiated inhibitory synapse (|w| %.6g → %.6g) should move v by %.6g",
					v[50], want, w0, w1, -tc.jump*w1*math.Exp(-stdpDt/tc.tau))
			}
		})
	}
}

// TestSTDPInhibitoryOnSignedModelRejected: NIR models carry the sign in the
// weight, so an "inhibitory" plastic projection onto one would have STDP
// clip negative weights into a non-negative window; Validate refuses it and
// says what to write instead.
func TestSTDPInhibitoryOnSignedModelRejected(t *testing.T) {
	net := stdpNet(additive(0.05, 0.06, 0, 2e-3), 1e-3, []int{12, 49}, 1, []int{30}, 60)
	net.Populations[2] = &ir.Population{Name: "post", Size: 1, Model: ir.LIF, Params: scalars(map[string]float64{
		"tau": 10e-3, "r": 2, "v_leak": 0, "v_threshold": 1, "v_reset": 0, "i_offset": 0, "tau_refrac": 0.2e-3})}
	net.Projections[0].Weight = ir.Scalar(0.015)
	net.Projections[1].Receptor = ir.Inhibitory
	_, err := ir.Expand(net)
	if err == nil || !strings.Contains(err.Error(), "stdp on a lif needs signed weights") {
		t.Fatalf("Expand error = %v, want the signed-weights refusal", err)
	}
}
