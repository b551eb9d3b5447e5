package reference_test

import (
	"math"
	"testing"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/results"
	"github.com/somahw/soma/testbench/reference"
)

// Helpers shared by the analytic tests in this package.

// run expands net and simulates it, failing the test on any error.
func run(t *testing.T, net *ir.Network) *results.Result {
	t.Helper()
	e, err := ir.Expand(net)
	if err != nil {
		t.Fatalf("Expand: %v", err)
	}
	res, err := reference.Run(e, reference.Options{})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

// trace returns the trace called name ("pop.v", "proj.weights").
func trace(t *testing.T, res *results.Result, name string) *results.Trace {
	t.Helper()
	for i := range res.Traces {
		if res.Traces[i].Name == name {
			return &res.Traces[i]
		}
	}
	var names []string
	for _, tr := range res.Traces {
		names = append(names, tr.Name)
	}
	t.Fatalf("no trace %q in the result (have %q)", name, names)
	return nil
}

// column returns the samples of the k-th recorded index of tr.
func column(tr *results.Trace, k int) []float64 {
	w := len(tr.Indices)
	out := make([]float64, 0, tr.Samples())
	for s := range tr.Samples() {
		out = append(out, tr.Data[s*w+k])
	}
	return out
}

// spikeSteps returns the spike steps of one neuron of the population at
// index pop, in order.
func spikeSteps(res *results.Result, pop, neuron int32) []int32 {
	var out []int32
	for _, s := range res.Spikes {
		if s.Pop == pop && s.Neuron == neuron {
			out = append(out, s.Step)
		}
	}
	return out
}

// sourceArray is a spike_source_array population with one row of spike
// times per neuron (or one row for all).
func sourceArray(name string, size int, times ...[]float64) *ir.Population {
	return &ir.Population{Name: name, Size: size, Model: ir.SpikeSourceArray, SpikeTimes: times}
}

// scalars turns a map of plain numbers into scalar Values.
func scalars(m map[string]float64) map[string]ir.Value {
	out := make(map[string]ir.Value, len(m))
	for k, v := range m {
		out[k] = ir.Scalar(v)
	}
	return out
}

// oneToOne is a static one-to-one projection.
func oneToOne(name, pre, post string, rec ir.Receptor, w, delay float64) *ir.Projection {
	return &ir.Projection{Name: name, Pre: pre, Post: post, Connector: ir.Connector{Kind: ir.OneToOne},
		Receptor: rec, Weight: ir.Scalar(w), Delay: ir.Scalar(delay)}
}

// closeTo reports whether got is within tol·scale of want.
func closeTo(got, want, tol, scale float64) bool {
	return math.Abs(got-want) <= tol*scale
}

// fracDistance is how far x lies from the nearest integer.
func fracDistance(x float64) float64 { return math.Abs(x - math.Round(x)) }
