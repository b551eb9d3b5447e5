package reference

import (
	"testing"

	"github.com/somahw/soma/ir"
)

// BenchmarkCUBA runs the 4000-neuron Vogels–Abbott network for 0.2 s of
// model time (2000 steps) per iteration and reports throughput as neuron
// updates and synaptic events per wall-clock second, plus the real-time
// factor (model seconds per wall second); compare runs with benchstat.
func BenchmarkCUBA(b *testing.B) {
	net, err := ir.ReadFile("../../examples/cuba.yaml")
	if err != nil {
		b.Fatal(err)
	}
	net.Run.Duration = 0.2
	e, err := ir.Expand(net)
	if err != nil {
		b.Fatal(err)
	}
	fanOut := make([]int, len(net.Populations))
	for i, pr := range net.Projections {
		_ = pr
		fanOut[net.PopulationIndex(pr.Pre)] += len(e.Synapses[i])
	}
	var events, updates float64
	for b.Loop() {
		res, err := Run(e, Options{})
		if err != nil {
			b.Fatal(err)
		}
		counts := res.Counts()
		for p, c := range counts {
			events += float64(c) * float64(fanOut[p]) / float64(net.Populations[p].Size)
		}
		updates += float64(net.NumNeurons() * res.Steps)
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(updates/secs, "neuron-updates/s")
	b.ReportMetric(events/secs, "syn-events/s")
	b.ReportMetric(net.Run.Duration*float64(b.N)/secs, "x-realtime")
}
