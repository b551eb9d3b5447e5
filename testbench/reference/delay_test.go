package reference_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/ir"
)

// deltaNeuron is an if_curr_delta population at rest, threshold 15 mV
// above rest.
func deltaNeuron(name string, size int) *ir.Population {
	return &ir.Population{Name: name, Size: size, Model: ir.IFCurrDelta, Params: scalars(map[string]float64{
		"cm": 1e-9, "tau_m": 20e-3, "v_rest": -65e-3, "v_reset": -65e-3, "v_thresh": -50e-3,
		"i_offset": 0, "tau_refrac": 0.2e-3})}
}

// TestDelayChain sends one spike (step 3) through src → a (delay d1) →
// b, c (delay d2). a must fire at 3+d1 and b at 3+d1+d2; c, which a moves
// by 1 mV only, must sit exactly at rest until step 3+d1+d2 and jump then.
func TestDelayChain(t *testing.T) {
	const dt = 0.1e-3
	const n0 = 3
	for _, d := range [][2]int{{1, 1}, {1, 5}, {4, 2}, {2, 15}, {16, 17}, {40, 3}} {
		d1, d2 := d[0], d[1]
		t.Run(fmt.Sprintf("d1=%d,d2=%d", d1, d2), func(t *testing.T) {
			steps := n0 + d1 + d2 + 20
			net := &ir.Network{
				Name: "chain",
				Populations: []*ir.Population{
					sourceArray("src", 1, []float64{n0 * dt}),
					deltaNeuron("a", 1), deltaNeuron("b", 1), deltaNeuron("c", 1),
				},
				Projections: []*ir.Projection{
					oneToOne("src_a", "src", "a", ir.Excitatory, 30e-3, float64(d1)*dt),
					oneToOne("a_b", "a", "b", ir.Excitatory, 30e-3, float64(d2)*dt),
					oneToOne("a_c", "a", "c", ir.Excitatory, 1e-3, float64(d2)*dt),
				},
				Probes: []*ir.Probe{
					{Population: "c", Variable: "v", Every: 1},
				},
				Run: ir.Run{Timestep: dt, Duration: float64(steps) * dt, Seed: 1},
			}
			res := run(t, net)
			type spike struct{ Pop, Step int32 }
			var got []spike
			for _, s := range res.Spikes {
				got = append(got, spike{s.Pop, s.Step})
			}
			want := []spike{{0, n0}, {1, n0 + int32(d1)}, {2, n0 + int32(d1+d2)}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("spikes (-want +got):\n%s", diff)
			}
			v := column(trace(t, res, "c.v"), 0)
			wantV := deltaTrace(-65e-3, 1e-3, 20e-3, dt, []int{n0 + d1 + d2}, steps)
			for n := range n0 + d1 + d2 {
				if v[n] != -65e-3 {
					t.Errorf("c.v[%d] = %.15g before the spike could arrive (step %d), want exactly -0.065", n, v[n], n0+d1+d2)
				}
			}
			compareTrace(t, "c.v", v, wantV, 1e-12, 1e-3)
		})
	}
}

// TestDelayPerSynapse fans one source out to five neurons with per-synapse
// delays (from_list) and several spikes, some emitted while earlier ones are
// still in flight, so the delay ring wraps: every neuron's v must be the
// superposition of jumps at exactly emission + delay.
func TestDelayPerSynapse(t *testing.T) {
	const dt = 0.1e-3
	const steps = 120
	delays := []int{1, 2, 3, 10, 25}
	emitted := []int{0, 2, 30, 31, 60}
	var times []float64
	for _, s := range emitted {
		times = append(times, float64(s)*dt)
	}
	var list []ir.ListSynapse
	for j, d := range delays {
		list = append(list, ir.ListSynapse{Pre: 0, Post: j, Weight: math.NaN(), Delay: float64(d) * dt})
	}
	net := &ir.Network{
		Name: "fanout",
		Populations: []*ir.Population{
			sourceArray("src", 1, times),
			deltaNeuron("n", len(delays)),
		},
		Projections: []*ir.Projection{{Name: "fan", Pre: "src", Post: "n",
			Connector: ir.Connector{Kind: ir.FromList, List: list},
			Receptor:  ir.Excitatory, Weight: ir.Scalar(1e-3), Delay: ir.Scalar(dt)}},
		Probes: []*ir.Probe{
			{Population: "n", Variable: "spikes"},
			{Population: "n", Variable: "v", Every: 1},
		},
		Run: ir.Run{Timestep: dt, Duration: steps * dt, Seed: 1},
	}
	res := run(t, net)
	if len(res.Spikes) != 0 {
		t.Fatalf("a target fired: %v", res.Spikes)
	}
	tr := trace(t, res, "n.v")
	for j, d := range delays {
		var arrivals []int
		for _, s := range emitted {
			arrivals = append(arrivals, s+d)
		}
		want := deltaTrace(-65e-3, 1e-3, 20e-3, dt, arrivals, steps)
		compareTrace(t, fmt.Sprintf("n.v (neuron %d, delay %d)", j, d), column(tr, j), want, 1e-12, 1e-3)
	}
}
