// Command cuba runs the Vogels–Abbott CUBA network of examples/cuba.yaml,
// scaled to N neurons with fan-in kept at 80, on soma's emulator (or the
// reference simulator) and prints one JSON line with the simulation time,
// for `make bench-compare` (which runs Brian2 on the same network).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
	"github.com/somahw/soma/testbench/reference"
)

func main() {
	n := flag.Int("n", 4000, "neurons (80% excitatory)")
	duration := flag.Float64("duration", 1, "model time in seconds")
	p := flag.Float64("p", 0, "connection probability (default 80/n)")
	workers := flag.Int("workers", 1, "emulator workers (also sets GOMAXPROCS)")
	engine := flag.String("engine", "emu", "emu or reference")
	tname := flag.String("target", "spinn5x3", "emulated target")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "cuba:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	runtime.GOMAXPROCS(*workers)
	if *p == 0 {
		*p = 80 / float64(*n)
	}
	if err := run(*n, *duration, *p, *workers, *engine, *tname); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "cuba:", err)
		os.Exit(1)
	}
}

func cuba(n int, duration, p float64) *ir.Network {
	params := map[string]ir.Value{
		"cm": ir.Scalar(1e-9), "tau_m": ir.Scalar(20e-3), "tau_syn_E": ir.Scalar(5e-3), "tau_syn_I": ir.Scalar(10e-3),
		"v_rest": ir.Scalar(-49e-3), "v_reset": ir.Scalar(-60e-3), "v_thresh": ir.Scalar(-50e-3), "tau_refrac": ir.Scalar(5e-3),
	}
	v0 := map[string]ir.Value{"v": {Dist: &ir.Distribution{Kind: ir.Uniform, A: -60e-3, B: -50e-3}}}
	ne := n * 8 / 10
	net := &ir.Network{Name: fmt.Sprintf("cuba%d", n), Run: ir.Run{Timestep: 1e-4, Duration: duration, Seed: 1}}
	net.Populations = []*ir.Population{
		{Name: "exc", Size: ne, Model: ir.IFCurrExp, Params: params, Initial: v0},
		{Name: "inh", Size: n - ne, Model: ir.IFCurrExp, Params: params, Initial: v0},
	}
	proj := func(name, pre, post string, w float64, r ir.Receptor) *ir.Projection {
		return &ir.Projection{Name: name, Pre: pre, Post: post, Receptor: r, Connector: ir.Connector{Kind: ir.FixedProb, P: p},
			Weight: ir.Scalar(w), Delay: ir.Scalar(1e-4)}
	}
	net.Projections = []*ir.Projection{
		proj("ee", "exc", "exc", 0.081e-9, ir.Excitatory), proj("ei", "exc", "inh", 0.081e-9, ir.Excitatory),
		proj("ie", "inh", "exc", 0.45e-9, ir.Inhibitory), proj("ii", "inh", "inh", 0.45e-9, ir.Inhibitory),
	}
	net.Probes = []*ir.Probe{{Population: "exc", Variable: "spikes"}, {Population: "inh", Variable: "spikes"}}
	return net
}

func run(n int, duration, p float64, workers int, engine, tname string) error {
	start := time.Now()
	net := cuba(n, duration, p)
	exp, err := ir.Expand(net)
	if err != nil {
		return err
	}
	var runS float64
	var counts []int
	switch engine {
	case "reference":
		res, err := reference.Run(exp, reference.Options{})
		if err != nil {
			return err
		}
		runS, counts = res.Timings.RunS, res.Counts()
	case "emu":
		t, err := target.Load(tname)
		if err != nil {
			return err
		}
		comp, err := compiler.CompileExpanded(exp, t, compiler.Options{})
		if err != nil {
			return err
		}
		e, err := emu.New(comp.Program, program.NewMachine(t), emu.Options{Workers: workers})
		if err != nil {
			return err
		}
		res, _, err := e.Run()
		if err != nil {
			return err
		}
		runS, counts = res.Timings.RunS, res.Counts()
	default:
		return fmt.Errorf("unknown engine %q", engine)
	}
	ne := n * 8 / 10
	return json.NewEncoder(os.Stdout).Encode(map[string]any{
		"engine": "soma-" + engine, "neurons": n, "duration_s": duration, "workers": workers,
		"run_s": runS, "total_s": time.Since(start).Seconds(),
		"exc_rate_hz": float64(counts[0]) / float64(ne) / duration,
		"inh_rate_hz": float64(counts[1]) / float64(n-ne) / duration,
		"synapses":    exp.NumSynapses(),
	})
}
