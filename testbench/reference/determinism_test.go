package reference_test

import (
	"reflect"
	"runtime"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/results"
)

// cubaNet is examples/cuba.yaml (Vogels & Abbott's CUBA network) scaled to
// size neurons (4:1 excitatory:inhibitory) and the given duration, plus a
// Poisson input onto exc through a plastic projection so every random
// stream and the STDP path take part.
func cubaNet(size int, duration float64, seed uint64) *ir.Network {
	lif := scalars(map[string]float64{
		"cm": 1e-9, "tau_m": 20e-3, "tau_syn_E": 5e-3, "tau_syn_I": 10e-3,
		"v_rest": -49e-3, "v_reset": -60e-3, "v_thresh": -50e-3, "tau_refrac": 5e-3,
	})
	v0 := map[string]ir.Value{"v": {Dist: &ir.Distribution{Kind: ir.Uniform, A: -60e-3, B: -50e-3}}}
	nExc := size * 4 / 5
	proj := func(name, pre, post string, rec ir.Receptor, w float64) *ir.Projection {
		return &ir.Projection{Name: name, Pre: pre, Post: post,
			Connector: ir.Connector{Kind: ir.FixedProb, P: 0.02},
			Receptor:  rec, Weight: ir.Scalar(w), Delay: ir.Scalar(0.1e-3)}
	}
	ext := &ir.Projection{Name: "ext_exc", Pre: "ext", Post: "exc",
		Connector: ir.Connector{Kind: ir.FixedNumberPre, N: 2},
		Receptor:  ir.Excitatory,
		Weight:    ir.Value{Dist: &ir.Distribution{Kind: ir.Uniform, A: 0.02e-9, B: 0.1e-9}},
		Delay:     ir.Value{Dist: &ir.Distribution{Kind: ir.Uniform, A: 0.1e-3, B: 2e-3}},
		Plasticity: &ir.STDP{TauPlus: 20e-3, TauMinus: 20e-3, APlus: 0.01, AMinus: 0.012,
			WMin: 0, WMax: 0.2e-9, Dependence: ir.Multiplicative}}
	return &ir.Network{
		Name: "cuba",
		Populations: []*ir.Population{
			{Name: "exc", Size: nExc, Model: ir.IFCurrExp, Params: lif, Initial: v0},
			{Name: "inh", Size: size - nExc, Model: ir.IFCurrExp, Params: lif, Initial: v0},
			{Name: "ext", Size: 50, Model: ir.SpikeSourcePoisson, Params: scalars(map[string]float64{"rate": 20})},
		},
		Projections: []*ir.Projection{
			proj("exc_exc", "exc", "exc", ir.Excitatory, 0.081e-9),
			proj("exc_inh", "exc", "inh", ir.Excitatory, 0.081e-9),
			proj("inh_exc", "inh", "exc", ir.Inhibitory, 0.45e-9),
			proj("inh_inh", "inh", "inh", ir.Inhibitory, 0.45e-9),
			ext,
		},
		Probes: []*ir.Probe{
			{Population: "exc", Variable: "spikes"},
			{Population: "inh", Variable: "spikes"},
			{Population: "ext", Variable: "spikes"},
			{Population: "exc", Variable: "v", Indices: []int{0, 1, 2, 3, 4}, Every: 1},
			{Population: "exc", Variable: "isyn_exc", Indices: []int{0, 1, 2, 3, 4}, Every: 1},
			{Population: "exc", Variable: "isyn_inh", Indices: []int{0, 1, 2, 3, 4}, Every: 1},
			{Projection: "ext_exc", Variable: "weights", Every: 10},
		},
		Run: ir.Run{Timestep: 0.1e-3, Duration: duration, Seed: seed},
	}
}

// TestDeterminism runs the same network (built afresh each time) twice and
// under GOMAXPROCS 1 and 2: the results, apart from wall-clock timings,
// must be identical.
func TestDeterminism(t *testing.T) {
	ignoreTimings := cmpopts.IgnoreFields(results.Result{}, "Timings")
	runWith := func(procs int) *results.Result {
		if procs > 0 {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
		}
		return run(t, cubaNet(400, 0.1, 1))
	}
	first := runWith(0)
	counts := first.Counts()
	if counts[0] == 0 || counts[1] == 0 || counts[2] == 0 {
		t.Fatalf("spike counts per population %v: every population should fire for the test to mean something", counts)
	}
	for _, tc := range []struct {
		name  string
		procs int
	}{{"again", 0}, {"GOMAXPROCS=1", 1}, {"GOMAXPROCS=2", 2}} {
		t.Run(tc.name, func(t *testing.T) {
			got := runWith(tc.procs)
			// reflect.DeepEqual is the fast path; cmp.Diff, which walks
			// every spike by reflection, only explains a difference.
			a, b := *first, *got
			a.Timings, b.Timings = results.Timings{}, results.Timings{}
			if reflect.DeepEqual(a, b) {
				return
			}
			t.Errorf("results differ (-first +this run):\n%s", cmp.Diff(first, got, ignoreTimings))
		})
	}
	// The plastic weights must actually have moved, or the weight trace
	// compares nothing interesting.
	w := trace(t, first, "ext_exc.weights")
	n := len(w.Indices)
	if cmp.Equal(w.Data[:n], w.Data[len(w.Data)-n:]) {
		t.Errorf("ext_exc weights did not change over the run")
	}
	// A different seed gives a different run.
	if cmp.Equal(first.Spikes, run(t, cubaNet(400, 0.1, 2)).Spikes) {
		t.Errorf("seeds 1 and 2 gave identical spikes")
	}
}
