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
	src, opts := small, compiler.Options{}
	switch os.Getenv("SOMA_FPGA_NET") {
	case "n256":
		src = n256
	case "n4x1024":
		src, opts = n4x1024, compiler.Options{NeuronsPerCore: 1024}
	}
	tname := os.Getenv("SOMA_FPGA_TARGET")
	if tname == "" {
		tname = "zcu102"
	}
	p, tg := compileSrc(t, src, tname, opts)
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

// n4x1024 is the 4 × 1024-neuron design of the resource figures: four
// full engines (compile with NeuronsPerCore 1024), driven by their offset
// currents and a sparse recurrent network, no source engine (the Ultra96
// has four engines in all).
const n4x1024 = `
name: n4x1024
run: {timestep: 1ms, duration: 20ms, seed: 1}
populations:
  exc:
    size: 4096
    model: if_curr_exp
    params: {cm: 1nF, tau_m: 20ms, tau_syn_E: 5ms, tau_syn_I: 5ms, v_rest: -65mV, v_reset: -70mV, v_thresh: -55mV, tau_refrac: 2ms, i_offset: {uniform: [0.3nA, 0.9nA]}}
projections:
  rec: {pre: exc, post: exc, connector: {type: fixed_probability, p: 0.004}, weight: {uniform: [0.05nA, 0.4nA]}, delay: {uniform: [1ms, 15ms]}}
`
