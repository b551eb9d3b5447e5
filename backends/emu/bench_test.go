package emu

import (
	"runtime"
	"testing"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

func compileFile(tb testing.TB, path, tname string, duration float64) (*program.Program, *program.Machine) {
	tb.Helper()
	net, err := ir.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if duration > 0 {
		net.Run.Duration = duration
	}
	t, err := target.Load(tname)
	if err != nil {
		tb.Fatal(err)
	}
	res, err := compiler.Compile(net, t, compiler.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	return res.Program, program.NewMachine(t)
}

// BenchmarkCUBA emulates the 4000-neuron CUBA network for 1 s of model
// time (10,000 steps of 0.1 ms) on a SpiNN-5 board and reports wall time
// per run, neuron updates and synaptic events per second and the
// real-time factor, with one and two workers.
func BenchmarkCUBA(b *testing.B) {
	p, m := compileFile(b, "../../examples/cuba.yaml", "spinn5", 1)
	benchWorkers(b, p, m)
}

// benchWorkers runs a compiled program with one and two workers (and
// GOMAXPROCS to match) and reports the figures BenchmarkCUBA names.
func benchWorkers(b *testing.B, p *program.Program, m *program.Machine) {
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "1core", 2: "2cores"}[workers], func(b *testing.B) {
			prev := runtime.GOMAXPROCS(workers)
			defer runtime.GOMAXPROCS(prev)
			var updates, events float64
			var run float64
			for b.Loop() {
				e, err := New(p, m, Options{Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				res, cnt, err := e.Run()
				if err != nil {
					b.Fatal(err)
				}
				t := cnt.Totals()
				updates += float64(t.NeuronUpdates)
				events += float64(t.SynapticEvents)
				run += res.Timings.RunS
			}
			b.ReportMetric(run/float64(b.N), "run_s")
			b.ReportMetric(updates/run, "neuron-updates/s")
			b.ReportMetric(events/run, "syn-events/s")
			b.ReportMetric(float64(p.Steps)*p.Timestep*float64(b.N)/run, "x-realtime")
		})
	}
}

// BenchmarkCUBA40k is the 40,000-neuron version (p = 0.002, fan-in 80) for
// 0.2 s of model time on a SpiNN-5 triad, with one and two workers.
func BenchmarkCUBA40k(b *testing.B) {
	net, err := ir.ReadFile("../../examples/cuba.yaml")
	if err != nil {
		b.Fatal(err)
	}
	net.Run.Duration = 0.2
	net.Populations[0].Size, net.Populations[1].Size = 32000, 8000
	for _, pr := range net.Projections {
		pr.Connector.P = 0.002
	}
	t, err := target.Load("spinn5x3")
	if err != nil {
		b.Fatal(err)
	}
	res, err := compiler.Compile(net, t, compiler.Options{})
	if err != nil {
		b.Fatal(err)
	}
	benchWorkers(b, res.Program, program.NewMachine(t))
}
