package compiler

import (
	"runtime"
	"runtime/metrics"
	"testing"
	"time"

	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
)

// bigNetwork is the M1.2 benchmark network: 100,000 if_curr_exp neurons
// (80% excitatory) with 10,000,000 random synapses (p = 0.001), driven by
// 1,000 Poisson sources.
func bigNetwork() *ir.Network {
	lif := map[string]ir.Value{"tau_refrac": ir.Scalar(2e-3)}
	net := &ir.Network{Name: "random100k", Run: ir.Run{Timestep: 1e-3, Duration: 0.1, Seed: 1}}
	net.Populations = []*ir.Population{
		{Name: "exc", Size: 80_000, Model: ir.IFCurrExp, Params: lif},
		{Name: "inh", Size: 20_000, Model: ir.IFCurrExp, Params: lif},
		{Name: "drive", Size: 1_000, Model: ir.SpikeSourcePoisson, Params: map[string]ir.Value{"rate": ir.Scalar(10)}},
	}
	conn := func(name, pre, post string, p float64, rec ir.Receptor) *ir.Projection {
		return &ir.Projection{Name: name, Pre: pre, Post: post, Receptor: rec,
			Connector: ir.Connector{Kind: ir.FixedProb, P: p},
			Weight:    ir.Value{Dist: &ir.Distribution{Kind: ir.Uniform, A: 0.01e-9, B: 0.1e-9}},
			Delay:     ir.Value{Dist: &ir.Distribution{Kind: ir.Uniform, A: 1e-3, B: 10e-3}}}
	}
	net.Projections = []*ir.Projection{
		conn("ee", "exc", "exc", 0.001, ir.Excitatory),
		conn("ei", "exc", "inh", 0.001, ir.Excitatory),
		conn("ie", "inh", "exc", 0.001, ir.Inhibitory),
		conn("ii", "inh", "inh", 0.001, ir.Inhibitory),
		conn("de", "drive", "exc", 0.001, ir.Excitatory),
	}
	return net
}

// BenchmarkCompile100k compiles bigNetwork for a triad of SpiNN-5 boards
// and reports the time per compile, each pass's share, peak heap, and
// bytes of program per synapse. The SpiNNaker toolchain's mapping takes
// minutes at this size; the target here is under 20 s and 4 GiB.
func BenchmarkCompile100k(b *testing.B) {
	tg := loadTarget(b, "spinn5x3")
	net := bigNetwork()
	var last *Result
	share := map[string]float64{}
	var peak uint64
	for b.Loop() {
		runtime.GC()
		done := make(chan struct{})
		go func() { peak = max(peak, samplePeak(done)) }()
		res, err := Compile(net, tg, Options{})
		close(done)
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range res.Timings {
			share[t.Pass] += t.Seconds
		}
		last = res
	}
	total := 0.0
	for _, s := range share {
		total += s
	}
	for _, name := range PassNames() {
		b.ReportMetric(100*share[name]/total, "%"+name)
	}
	enc, _ := program.Encode(last.Program)
	b.ReportMetric(float64(len(enc))/float64(last.Report.Synapses), "B/synapse")
	b.ReportMetric(float64(last.Report.Synapses), "synapses")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(last.Report.Cores), "cores")
}

// samplePeak polls the live heap every few milliseconds until done.
func samplePeak(done chan struct{}) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		metrics.Read(sample)
		peak = max(peak, sample[0].Value.Uint64())
		select {
		case <-done:
			return peak
		case <-tick.C:
		}
	}
}
