package board

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/backends/emu"
	"github.com/somahw/soma/backends/spinnaker"
	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/results"
	"github.com/somahw/soma/runtime"
	"github.com/somahw/soma/target"
)

// probed is a small network with analogue probes: every neuron's v, and
// a few neurons' synaptic current sampled every third tick.
const probed = `
name: probed
run: {timestep: 1ms, duration: 60ms, seed: 4}
populations:
  in: {size: 5, model: spike_source_poisson, params: {rate: 200Hz}}
  out: {size: 20, model: if_curr_exp, params: {tau_refrac: 5ms}}
projections:
  p: {pre: in, post: out, connector: all_to_all, weight: 0.9nA}
probes:
  - {population: in, record: spikes}
  - {population: out, record: [spikes, v]}
  - {population: out, record: isyn_exc, indices: "2:7", every: 3}
`

// compileRun compiles a model for spinn5 and runs it on the emulator: the
// image a board gets, and what the board must give back.
func compileRun(t *testing.T, net *ir.Network) ([]byte, *results.Result) {
	t.Helper()
	tg, err := target.Load("spinn5")
	if err != nil {
		t.Fatal(err)
	}
	c, err := compiler.Compile(net, tg, compiler.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img, err := spinnaker.Encode(c.Program)
	if err != nil {
		t.Fatal(err)
	}
	e, err := emu.New(c.Program, program.NewMachine(tg), emu.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, _, err := e.Run()
	if err != nil {
		t.Fatal(err)
	}
	return img, res
}

// TestBoardTraces: a run on the virtual board returns the emulator's
// recorded traces exactly — the v of every neuron, a sub-sampled current,
// plastic weights — as it does the spikes.
func TestBoardTraces(t *testing.T) {
	stdp, err := ir.ReadFile("../../examples/stdp.yaml")
	if err != nil {
		t.Fatal(err)
	}
	stdp.Run.Duration = 0.5
	small, err := ir.Parse("probed.yaml", []byte(probed))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		net    *ir.Network
		traces []string
	}{
		{"v and a sub-sampled current", small, []string{"out.v", "out.isyn_exc"}},
		{"plastic weights", stdp, []string{"plastic.weights"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, want := compileRun(t, tt.net)
			var names []string
			for _, tr := range want.Traces {
				names = append(names, tr.Name)
				if len(tr.Data) == 0 {
					t.Fatalf("the emulator's trace %s is empty: the test would prove nothing", tr.Name)
				}
			}
			if diff := cmp.Diff(tt.traces, names); diff != "" {
				t.Fatalf("the emulator's traces (-want +got):\n%s", diff)
			}
			v := newVirtual(t, Options{Target: "spinn5", Link: fastLink}, nil)
			got, _, err := runtime.RunOnBoard(context.Background(), v.dial, img, runtime.BoardRunOptions{Client: runtime.Options{Link: fastLink}})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want.Traces, got.Traces); diff != "" {
				t.Errorf("board traces differ from the emulator's (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want.Spikes, got.Spikes); diff != "" {
				t.Errorf("board spikes differ from the emulator's (-want +got):\n%s", diff)
			}
			if err := got.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestBoardTracesStopped: a stopped run's traces are the emulator's
// samples of the ticks that ran.
func TestBoardTracesStopped(t *testing.T) {
	small, err := ir.Parse("probed.yaml", []byte(probed))
	if err != nil {
		t.Fatal(err)
	}
	img, want := compileRun(t, small)
	v := newVirtual(t, Options{Target: "spinn5", Link: fastLink}, nil)
	stop := make(chan struct{})
	opts := runtime.BoardRunOptions{Client: runtime.Options{Link: fastLink}, Run: runtime.RunOptions{
		PaceMicros: 20000, // 60 ticks: 1.2 s, stopped after 20
		Stop:       stop,
		OnTick: func(tick int, _ [][2]uint32) {
			if tick == 20 {
				close(stop)
			}
		},
	}}
	got, _, err := runtime.RunOnBoard(context.Background(), v.dial, img, opts)
	var se *runtime.StoppedError
	if !errors.As(err, &se) {
		t.Fatalf("RunOnBoard returned %v; want a *runtime.StoppedError", err)
	}
	if se.At <= 20 || se.At >= 60 || got.Steps != se.At {
		t.Fatalf("stopped at tick %d, result of %d steps; want one stop after tick 20, before 60", se.At, got.Steps)
	}
	var cut []results.Trace
	for _, tr := range want.Traces {
		cut = append(cut, runtime.Slice(tr, 0, uint32(se.At)))
	}
	if diff := cmp.Diff(cut, got.Traces); diff != "" {
		t.Errorf("traces of ticks 0–%d differ from the emulator's (-want +got):\n%s", se.At-1, diff)
	}
	// v is sampled every tick: one row per tick that ran.
	if n := got.Traces[0].Samples(); n != se.At {
		t.Errorf("%s has %d samples for %d ticks", got.Traces[0].Name, n, se.At)
	}
}
