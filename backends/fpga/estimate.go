package fpga

import (
	"math"
	"strings"
)

// Estimate predicts a design's utilisation without running synthesis, so
// that a design that cannot fit the part can be refused at compile time.
// It follows how yosys synth_xilinx -family xcup maps the engine RTL
// (docs/fpga-engine.md, "Resources"):
//
//   - block RAM: the read-write memories (state, ring buffers, inbox,
//     synapses unless in URAM), each in the cheapest RAMB36E2 / RAMB18E2
//     aspect ratio; memories of at most 64 words go to LUTRAM;
//   - URAM288: a synapse memory placed there, 4K × 72 per block;
//   - the ROMs (parameters, row directory, spike lists): of fewer than
//     romBRAMDepth words, LUT logic — only their non-constant bit lanes
//     cost anything, one LUT6 per 64 words of a lane plus the output
//     multiplexers; deeper ones, block RAM for their non-constant lanes;
//   - DSP48E2: the multipliers of each model's datapath (a 24 × 24
//     product takes two);
//   - LUT and FF: a fixed cost per engine of each kind and for the top
//     (router, barrier), plus the ROMs and the population-table compare.
//
// The per-engine constants are fitted to yosys 0.23 runs of the 256-neuron
// and the 4 × 1024-neuron designs (TestResources, SOMA_LONG=1, prints the
// error per resource); docs/fpga-engine.md gives the figures.
func Estimate(d *Design) Utilisation {
	var lut, ff float64
	u := Utilisation{Cells: map[string]int{}}
	for _, s := range estimateShares(d) {
		lut += s.lut
		ff += s.ff
		u.BRAM36 += s.bram
		u.URAM += s.uram
		u.DSP += s.dsp
		u.LUTRAM += s.lutram
	}
	u.LUTs, u.FFs = int(math.Round(lut)), int(math.Round(ff))
	return u
}

// share is one part of the estimate: the top level (engine −1: router,
// barrier, step counter) or one engine's logic or one kind of its
// memories. The fit check names the largest shares of a resource.
type share struct {
	engine            int    // index into Design.Engines, −1 for the top
	what              string // "logic", "synapses", "ring buffers", "state", …
	lut, ff, bram     float64
	uram, dsp, lutram int
}

// memoryKinds names an engine memory by its file-stem suffix.
var memoryKinds = []struct{ suffix, what string }{
	{"_params", "parameters"}, {"_state", "state"}, {"_poptable", "population table"},
	{"_rowdir", "row directory"}, {"_synapses", "synapses"}, {"_ring_exc", "ring buffers"},
	{"_ring_inh", "ring buffers"}, {"_inbox", "inbox"}, {"_spikes", "spike list"},
	{"_post", "STDP post traces"}, {"_pidx", "STDP synapse lists"}, {"_plist", "STDP synapse lists"},
	{"_lut_plus", "STDP decay tables"}, {"_lut_minus", "STDP decay tables"}, {"_pre", "STDP pre traces"},
	{"_pending", "STDP pending arrivals"}, {"_potq", "STDP potentiation queue"},
}

func memoryWhat(m *Memory) string {
	for _, k := range memoryKinds {
		if strings.HasSuffix(m.Name, k.suffix) {
			return k.what
		}
	}
	return m.Name
}

// estimateShares is Estimate by part, in design order.
func estimateShares(d *Design) []share {
	out := []share{{engine: -1, what: "router and barrier",
		lut: estTop.lut + estTop.lutPerEngine*float64(len(d.Engines)) + estTop.lutPerRoute*float64(len(d.Router)),
		ff:  estTop.ff}}
	for i, e := range d.Engines {
		logic := share{engine: i, what: "logic"}
		var queue *share
		if e.Source {
			logic.lut, logic.ff = estSource.lut, estSource.ff
		} else {
			spec := models[e.Model]
			logic.lut = estNeuron.lut + estNeuron.lutPerNeuron*float64(e.N)
			logic.ff = estNeuron.ff + estNeuron.ffPerNeuron*float64(e.N)
			logic.dsp = dspOf(spec, d.Numeric.StateBits, d.Numeric.DecayFrac)
			// the out queue (N × IB bits): as yosys mapped it, RAM64M8
			// cells (64 × 7 bits each) up to 256 neurons, a RAMB18E2
			// from 1024; at 512 neither (its cost is in the fitted LUTs)
			oq := share{engine: i, what: "out queue"}
			switch {
			case spec.Spiking && e.N > 64 && e.N <= 256:
				oq.lutram = ceilDiv(e.N, 64) * ceilDiv(e.IB, 7)
			case spec.Spiking && e.N >= 1024:
				oq.bram, _ = bramShape(e.IB, e.N, true)
			}
			if oq.lutram > 0 || oq.bram > 0 {
				queue = &oq
			}
			if e.Plastic {
				// the STDP pipeline and its products (see dspSTDP)
				logic.lut += estSTDP.lut
				logic.ff += estSTDP.ff
				logic.dsp += dspSTDP
			}
		}
		out = append(out, logic)
		if queue != nil {
			out = append(out, *queue)
		}
		for _, m := range e.Memories {
			s := share{engine: i, what: memoryWhat(m)}
			switch {
			case m.Kind == "logic":
				// the CAM: constant entries, counted in the engine's logic
				continue
			case isROM(m):
				// yosys keeps a shallow ROM as logic and puts a deeper one
				// that varies in block RAM, its constant bit lanes dropped
				if live := liveLanes(m); m.Depth >= romBRAMDepth && live > 0 {
					s.bram, _ = bramShape(live, m.Depth, false)
				} else {
					s.lut = estROMLUTs * romLUTs(m)
				}
			case m.Kind == "uram":
				s.uram = uram288(m.Width, m.Depth)
				s.lut = estCascadeMux * float64(m.Width*(uramDeep(m.Width, m.Depth)-1))
			case m.Depth <= 64:
				s.lutram = ceilDiv(m.Depth, 64) * ceilDiv(m.Width, 7)
			default:
				// yosys maps the state and the inbox (one read, one
				// write port) as simple dual-port, the others as true
				// dual-port, which has no 72- and 36-bit-wide modes
				sdp := false
				for _, x := range []string{"_state", "_inbox", "_post", "_pre", "_pending", "_potq"} {
					sdp = sdp || strings.HasSuffix(m.Name, x)
				}
				var deep int
				s.bram, deep = bramShape(m.Width, m.Depth, sdp)
				s.lut = estCascadeMux * float64(m.Width*(deep-1))
			}
			out = append(out, s)
		}
	}
	return out
}

// Fitted constants (see Estimate): least squares, weighted by 1/yosys, on
// six yosys 0.23 runs — n256 on zcu102 and zcu104, n4x1024 at 4 × 1024 on
// both, at 16 × 256 on zcu102 and 8 × 512 on zcu104 (resourceDesigns in
// estimate_test.go; docs/fpga-engine.md, "Estimate", has the figures).
// Every run is then within −8.4 … +4.9 % on LUTs and ±0.6 % on FFs; left
// out of the fit in turn, each is predicted within −10.4 … +7.9 % (LUTs).
var (
	estTop = struct{ lut, lutPerEngine, lutPerRoute, ff float64 }{
		lut: 60, lutPerEngine: 30, lutPerRoute: 20, ff: 58}
	// a neuron engine: a fixed part and a part that grows with its
	// neurons (counters, comparators and queues sized by them)
	estNeuron = struct{ lut, lutPerNeuron, ff, ffPerNeuron float64 }{
		lut: 843, lutPerNeuron: 0.191, ff: 693, ffPerNeuron: 0.057}
	estSource = struct{ lut, ff float64 }{lut: 60, ff: 62}
	// estSTDP is what plastic synapses add to a neuron engine (the STDP
	// pipeline, the queues' pointers and counters): yosys on the
	// stdp_pairs design (backends/fpga/stdp_test.go) against the same
	// network with static synapses.
	estSTDP = struct{ lut, ff float64 }{lut: 420, ff: 600}
	// estROMLUTs scales romLUTs (LUT6 per 64 words per live lane, plus
	// multiplexers) to what yosys's logic optimisation leaves.
	estROMLUTs = 1.0
	// estCascadeMux is the LUTs per bit lane and extra block of a memory
	// built from blocks stacked in depth: the read multiplexer, a LUT6
	// taking three more inputs (fitted: 0.333; the zcu104's URAM designs
	// need 146 and 1083 fewer LUTs than the same designs in block RAM).
	estCascadeMux = 1.0 / 3
)

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// isROM: the engine memories the RTL never writes (parameters, row
// directory, spike lists).
func isROM(m *Memory) bool {
	for _, s := range []string{"_params", "_rowdir", "_spikes", "_pidx", "_plist", "_lut_plus", "_lut_minus"} {
		if strings.HasSuffix(m.Name, s) {
			return true
		}
	}
	return false
}

// uram288 is the URAM288 count of a width × depth memory: a block is
// 4K × 72, and yosys packs words of up to 36 bits two to a row (8K × 36).
func uram288(width, depth int) int {
	if width <= 36 {
		return ceilDiv(depth, 4096*(72/width))
	}
	return ceilDiv(depth, 4096) * ceilDiv(width, 72)
}

// dspOf is the DSP48E2 count of a model's datapath: each product of a
// state (SB bits) by a decay (DF bits) fits one 27 × 18 multiplier when
// both fit; a state × state product (input ⊗ R) takes two.
func dspOf(m modelSpec, sb, df uint8) int {
	sxd := 1
	if int(sb)+1 > 27 || int(df)+1 > 18 {
		sxd = 2
	}
	sxs := 2
	if sb <= 18 {
		sxs = 1
	}
	n := 0
	if m.Membrane() {
		n += sxs + sxd // input ⊗ R, (alpha − v) ⊙ exp_tc
	}
	switch {
	case m.Exp:
		n += 4 * sxd // two inits, two decays
	case m.Cuba:
		n += sxd // syn_decay
	}
	return n
}

// dspSTDP is the DSP48E2 count the STDP pipeline adds as yosys maps it
// (measured: 13 against 7 for the stdp_pairs design with static synapses).
// Its products are the trace decays (32-bit trace × DecayFrac-bit table
// entry: pre, post, and the post trace of a spiking neuron), A·f (32 ×
// WeightBits+1) and A·f × trace (kept to 64 bits); how yosys splits them
// between DSPs and logic was not broken down.
const dspSTDP = 6

// bramShape is the block RAM of a width × depth memory in RAMB36E2
// equivalents (a RAMB18E2 is ½) in the cheapest of the aspect ratios
// (UltraScale+: 32K×1 … 1K×36 for a RAMB36E2, half the depth for a
// RAMB18E2; simple dual-port adds 512×72 and 512×36), and how many blocks
// that aspect stacks in depth (their outputs need a multiplexer).
func bramShape(width, depth int, sdp bool) (bram float64, deep int) {
	bram = math.Inf(1)
	for _, c := range []struct {
		d, w int
		size float64
		sdp  bool
	}{
		{32768, 1, 1, false}, {16384, 2, 1, false}, {8192, 4, 1, false}, {4096, 9, 1, false}, {2048, 18, 1, false}, {1024, 36, 1, false}, {512, 72, 1, true},
		{16384, 1, .5, false}, {8192, 2, .5, false}, {4096, 4, .5, false}, {2048, 9, .5, false}, {1024, 18, .5, false}, {512, 36, .5, true},
	} {
		if c.sdp && !sdp {
			continue
		}
		if b := float64(ceilDiv(depth, c.d)*ceilDiv(width, c.w)) * c.size; b < bram {
			bram, deep = b, ceilDiv(depth, c.d)
		}
	}
	return bram, deep
}

// uramDeep is how many URAM288 blocks a memory stacks in depth (see
// uram288).
func uramDeep(width, depth int) int {
	if width <= 36 {
		return ceilDiv(depth, 4096*(72/width))
	}
	return ceilDiv(depth, 4096)
}

// romBRAMDepth is the depth from which yosys (0.23, synth_xilinx) puts a
// ROM with a varying bit in block RAM rather than logic. Measured: ROMs of
// 64 to 320 words stayed logic; the 512- and 1024-word parameter ROMs, the
// 1002-word spike lists and the 2304- and 4096-word row directories became
// RAMB18E2/RAMB36E2 (docs/fpga-engine.md, "Estimate").
const romBRAMDepth = 512

// liveLanes is the number of a ROM's bit lanes that are not constant over
// its words (yosys removes the constant ones).
func liveLanes(m *Memory) int {
	if len(m.Words) == 0 {
		return 0
	}
	live := 0
	for b := range m.Width {
		first := m.Words[0].Bit(b)
		for _, w := range m.Words[1:] {
			if w.Bit(b) != first {
				live++
				break
			}
		}
	}
	return live
}

// romLUTs is the LUT6 count of a ROM as logic: per bit lane that is not
// constant over the words, one LUT per 64 words and a multiplexer tree
// over those (MUXF7/F8/F9 take 8:1 for free, wider trees one LUT per 4:1).
func romLUTs(m *Memory) float64 {
	if len(m.Words) == 0 {
		return 0
	}
	live := liveLanes(m)
	blocks := ceilDiv(len(m.Words), 64)
	mux := 0
	for n := ceilDiv(blocks, 8); n > 1; n = ceilDiv(n, 4) {
		mux += ceilDiv(n, 4)
	}
	return float64(live * (blocks + mux))
}
