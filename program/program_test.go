package program_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// smallYAML is a network with one population of each kind of core the
// codec must carry: a spike_source_array, an if_curr_delta and a cuba_lif
// population, with recording.
const smallYAML = `name: small
run: {timestep: 1ms, duration: 20ms, seed: 7}
populations:
  stim: {size: 3, model: spike_source_array, spike_times: [[1ms, 5ms], [2ms], []]}
  delta: {size: 4, model: if_curr_delta, params: {tau_refrac: 2ms}}
  nir: {size: 2, model: cuba_lif, params: {tau_syn: 5ms, tau_mem: 20ms}}
projections:
  stim_delta: {pre: stim, post: delta, connector: all_to_all, weight: 5mV, delay: 1ms}
  delta_nir: {pre: delta, post: nir, connector: all_to_all, weight: 0.5, delay: 2ms}
  nir_delta: {pre: nir, post: delta, connector: all_to_all, weight: 1mV, receptor: inhibitory, delay: 1ms}
probes:
  - {population: delta, record: [spikes, v]}
  - {population: nir, record: spikes}
`

// plasticYAML is a small STDP network, so that encoded seeds carry the
// optional STDP block.
const plasticYAML = `name: plastic
run: {timestep: 1ms, duration: 10ms, seed: 3}
populations:
  inputs: {size: 5, model: spike_source_poisson, params: {rate: 50Hz}}
  out: {size: 2, model: if_curr_exp}
projections:
  plastic:
    pre: inputs
    post: out
    connector: all_to_all
    weight: {uniform: [0nA, 0.05nA]}
    delay: 1ms
    plasticity: {type: stdp, tau_plus: 20ms, tau_minus: 20ms, a_plus: 0.05, a_minus: 0.06,
                 w_min: 0nA, w_max: 0.05nA, weight_dependence: additive}
probes:
  - {population: out, record: spikes}
`

// twoChipYAML spreads over three chips of a SpiNN-5 board at 10 neurons
// a core: 40 cores, 17 application cores a chip.
const twoChipYAML = `name: twochip
run: {timestep: 1ms, duration: 50ms, seed: 11}
populations:
  src: {size: 100, model: spike_source_poisson, params: {rate: 20Hz}}
  a: {size: 100, model: if_curr_exp}
  b: {size: 100, model: if_curr_exp}
  c: {size: 100, model: if_curr_exp}
projections:
  src_a: {pre: src, post: a, connector: one_to_one, weight: 1nA, delay: 1ms}
  a_b: {pre: a, post: b, connector: {type: fixed_probability, p: 0.1}, weight: 0.5nA, delay: 2ms}
  b_c: {pre: b, post: c, connector: {type: fixed_probability, p: 0.1}, weight: 0.5nA, receptor: inhibitory, delay: 3ms}
  c_a: {pre: c, post: a, connector: {type: fixed_probability, p: 0.1}, weight: 0.5nA, delay: 1ms}
`

func loadTarget(t testing.TB, name string) *target.Target {
	t.Helper()
	tg, err := target.Load(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// compileYAML parses and compiles a model with the compiler's checkers on.
func compileYAML(t testing.TB, file, src, targetName string, opts compiler.Options) *program.Program {
	t.Helper()
	net, err := ir.Parse(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	opts.Check = true
	res, err := compiler.Compile(net, loadTarget(t, targetName), opts)
	if err != nil {
		t.Fatalf("compile %s for %s: %v", file, targetName, err)
	}
	return res.Program
}

// compileExample compiles examples/<name>.yaml.
func compileExample(t testing.TB, name, targetName string) *program.Program {
	t.Helper()
	file := filepath.Join("..", "examples", name+".yaml")
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return compileYAML(t, file, string(b), targetName, compiler.Options{})
}

// handmade is a program that sets every field the codec knows, including
// the optional blocks the compiler does not emit yet (a delay core's
// configuration, analogue recording). It need not verify.
func handmade() *program.Program {
	g := program.Geometry{DelayBits: 4, TypeBits: 1, IndexBits: 2, SynapseTypes: 2}
	return &program.Program{
		Network: "handmade", Target: "spinn3", Kind: "spinnaker",
		Timestep: 1e-3, Steps: 100, Seed: 0xfeedface12345678,
		Numeric: program.Numeric{StateFrac: 15, StateBits: 32, DecayFrac: 32, WeightBits: 16, RingBits: 16},
		Populations: []program.Population{
			{Name: "src", Size: 2, Model: "spike_source_array", Source: true, Cores: []uint32{0}},
			{Name: "cell", Size: 3, Model: "if_curr_exp", Cores: []uint32{1}},
			{Name: "empty", Model: "if_curr_exp"},
		},
		Cores: []program.Core{
			{
				CoreID: program.CoreID{X: 0, Y: 0, P: 1}, Kind: program.SourceCore, Pop: 0, Lo: 0, N: 2,
				Model: "spike_source_array", Key: 0x100, Mask: 0xfffffffc,
				Spikes: []uint32{1, 0, 5, 1},
			},
			{
				CoreID: program.CoreID{X: 0, Y: 0, P: 2}, Kind: program.NeuronCore, Pop: 1, Lo: 0, N: 3,
				Model: "if_curr_exp", Key: 0x200, Mask: 0xfffffffc,
				Layout:      []program.Field{{Name: "v", Format: program.State}, {Name: "decay", Format: program.Decay}, {Name: "refrac", Format: program.Int}},
				Neurons:     []uint32{1, 2, 3, 4, 5, 6, 7, 8, 0xffffffff},
				Geometry:    g,
				WeightShift: []uint8{3, 0},
				PopTable: []program.PopEntry{
					{Key: 0x100, Mask: 0xfffffffc, Start: 0, Stride: 4, Rows: 2, Plastic: true},
				},
				Synapses: []uint32{1, 7, 0x8000, g.Word(100, 1, 0, 2), 0, 0, 0, 0},
				Plastic: &program.STDP{
					TauPlusDecay: []uint32{0xffffffff, 0x80000000}, TauMinusDecay: []uint32{0xf0000000},
					APlus: 1 << 10, AMinus: -(1 << 11), Multiplicative: true, WMin: 1, WMax: 0xffff,
				},
				Record: program.Record{
					Spikes: []uint32{0x7},
					Vars:   []program.RecordVar{{Field: "v", Every: 2, Indices: []uint32{0, 2}}},
				},
			},
			{
				CoreID: program.CoreID{X: 1, Y: 0, P: 3}, Kind: program.DelayCore, Pop: 1, Lo: 0, N: 3,
				Model: "if_curr_exp", Key: 0x400, Mask: 0xffffffe0, Geometry: g,
				Delay: &program.DelayConfig{SourceKey: 0x200, SourceMask: 0xfffffffc, Slots: 16, Stages: 3},
			},
		},
		Chips: []program.Chip{
			{X: 0, Y: 0, Routes: []program.Route{{Key: 0x100, Mask: 0xfffffffc, Dest: program.CoreBit(2)}, {Key: 0x200, Mask: 0xfffffffc, Dest: 1}}},
			{X: 1, Y: 0},
		},
	}
}
