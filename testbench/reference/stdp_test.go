package reference_test

import (
	"math"
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
			// 0.5 mV − 1·2 mV·e^{−1/33.7} clips at w_min = 0.2 mV.
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
