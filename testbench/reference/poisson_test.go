package reference_test

import (
	"math"
	"slices"
	"testing"

	"github.com/somahw/soma/ir"
)

func poissonNet(size int, rate, start, duration, runFor float64, seed uint64) *ir.Network {
	params := map[string]float64{"rate": rate, "start": start}
	if duration > 0 {
		params["duration"] = duration
	}
	return &ir.Network{
		Name: "poisson",
		Populations: []*ir.Population{
			{Name: "p", Size: size, Model: ir.SpikeSourcePoisson, Params: scalars(params)},
		},
		Probes: []*ir.Probe{{Population: "p", Variable: "spikes"}},
		Run:    ir.Run{Timestep: 0.1e-3, Duration: runFor, Seed: seed},
	}
}

// TestPoissonRate checks the mean rate of 1000 Poisson sources against
// the requested rate: each neuron fires in each active step with
// probability p = rate·dt, so its count over n active steps is
// Binomial(n, p) and the population mean rate has standard error
// sqrt(N·n·p(1−p))/(N·T). The mean must lie within 3 of them, and no spike
// may fall outside [start, start+duration).
func TestPoissonRate(t *testing.T) {
	const (
		size = 1000
		rate = 20.0
		dt   = 0.1e-3
	)
	tests := []struct {
		name                    string
		start, duration, runFor float64
	}{
		{"whole_run", 0, 0, 2},
		{"window", 0.5, 1, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, poissonNet(size, rate, tc.start, tc.duration, tc.runFor, 1))
			first := int32(math.Round(tc.start / dt))
			last := int32(math.Round(tc.runFor / dt))
			if tc.duration > 0 {
				last = int32(math.Round((tc.start + tc.duration) / dt))
			}
			for _, s := range res.Spikes {
				if s.Step < first || s.Step >= last {
					t.Fatalf("neuron %d spiked at step %d, outside the active steps [%d, %d)", s.Neuron, s.Step, first, last)
				}
			}
			n := float64(last - first)
			T := n * dt
			p := rate * dt
			mean := float64(len(res.Spikes)) / (size * T)
			se := math.Sqrt(size*n*p*(1-p)) / (size * T)
			if math.Abs(mean-rate) > 3*se {
				t.Errorf("mean rate %.4f Hz over %d sources and %g s, want %g Hz ± %.4f (3 standard errors)", mean, size, T, rate, 3*se)
			}
		})
	}
}

// TestPoissonSeeds checks that different seeds give different trains,
// neuron by neuron, and that neurons of one run differ from each other.
func TestPoissonSeeds(t *testing.T) {
	const size = 1000
	trains := func(seed uint64) [][]int32 {
		res := run(t, poissonNet(size, 20, 0, 0, 2, seed))
		out := make([][]int32, size)
		for _, s := range res.Spikes {
			out[s.Neuron] = append(out[s.Neuron], s.Step)
		}
		return out
	}
	a, b := trains(1), trains(2)
	same := 0
	for i := range a {
		if len(a[i]) > 0 && slices.Equal(a[i], b[i]) {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d of %d neurons have the same spike train under seeds 1 and 2", same, size)
	}
	if slices.Equal(a[0], a[1]) {
		t.Errorf("neurons 0 and 1 of one run have the same train %v", a[0])
	}
}
