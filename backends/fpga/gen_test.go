package fpga

import (
	"os"
	"testing"

	"github.com/somahw/soma/compiler"
)

// TestGenerate writes the small design to $SOMA_FPGA_OUT (for manual runs).
func TestGenerate(t *testing.T) {
	out := os.Getenv("SOMA_FPGA_OUT")
	if out == "" {
		t.Skip("SOMA_FPGA_OUT not set")
	}
	src := small
	if os.Getenv("SOMA_FPGA_NET") == "n256" {
		src = n256
	}
	p, tg := compileSrc(t, src, "zcu102", compiler.Options{})
	if err := WriteArtifacts(out, p, tg); err != nil {
		t.Fatal(err)
	}
}

// n256 is the 256-neuron design of the resource figures in
// docs/fpga-engine.md: one full engine and a source engine.
const n256 = `
name: n256
run: {timestep: 1ms, duration: 50ms, seed: 1}
populations:
  src: {size: 64, model: spike_source_poisson, params: {rate: 20Hz}}
  exc:
    size: 256
    model: if_curr_exp
    params: {cm: 1nF, tau_m: 20ms, tau_syn_E: 5ms, tau_syn_I: 5ms, v_rest: -65mV, v_reset: -70mV, v_thresh: -55mV, tau_refrac: 2ms}
projections:
  in: {pre: src, post: exc, connector: {type: fixed_probability, p: 0.2}, weight: 0.5nA, delay: {uniform: [1ms, 5ms]}}
  rec: {pre: exc, post: exc, connector: {type: fixed_probability, p: 0.1}, weight: 0.2nA, delay: {uniform: [1ms, 15ms]}, receptor: inhibitory}
`
