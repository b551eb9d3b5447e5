package fpga

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

func compileSrc(t testing.TB, src, tname string, opts compiler.Options) (*program.Program, *target.Target) {
	t.Helper()
	net, err := ir.Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	tg, err := target.Load(tname)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := compiler.Compile(net, tg, opts)
	if err != nil {
		if strings.Contains(err.Error(), "application cores") {
			t.Skip("too big for the board, a correct refusal: ", err)
		}
		t.Fatal(err)
	}
	return comp.Program, tg
}

// long reports whether the long co-simulations run: with SOMA_LONG=1
// (make test-long), so that go test ./... stays within minutes.
func long() bool { return os.Getenv("SOMA_LONG") != "" }

const small = `
name: small
run: {timestep: 1ms, duration: 50ms, seed: 3}
populations:
  stim: {size: 10, model: spike_source_array, spike_times: [[2ms, 10ms], [3ms], [5ms,6ms,7ms], [], [1ms], [4ms], [9ms], [11ms], [12ms], [13ms]]}
  exc:
    size: 20
    model: if_curr_exp
    params: {cm: 1nF, tau_m: 20ms, tau_syn_E: 5ms, tau_syn_I: 5ms, v_rest: -65mV, v_reset: -70mV, v_thresh: -50mV, tau_refrac: 2ms, i_offset: 0.5nA}
projections:
  in: {pre: stim, post: exc, connector: {type: fixed_probability, p: 0.5}, weight: 1nA, delay: 2ms}
  rec: {pre: exc, post: exc, connector: {type: fixed_probability, p: 0.2}, weight: 0.5nA, delay: 1ms, receptor: inhibitory}
`

func TestSmallIcarus(t *testing.T) {
	if ok, why := Icarus.Available(); !ok {
		t.Skip(why)
	}
	p, tg := compileSrc(t, small, "zcu102", compiler.Options{})
	r := cosim(t, p, tg, Icarus)
	t.Log(r.Summary(), r.StepCycles[:5])
	if !r.OK() {
		t.Error(r.Summary())
	}
}

// cosim writes program p's design for tg into a temporary folder and runs
// it on simulator s.
func cosim(t testing.TB, p *program.Program, tg *target.Target, s Simulator) *SimResult {
	t.Helper()
	dir := t.TempDir()
	if err := WriteArtifacts(dir, p, tg); err != nil {
		t.Fatal(err)
	}
	r, err := Simulate(context.Background(), dir, s, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return r
}
