// Package fpga is soma's UltraScale+ backend: it turns a compiled
// program.Program into a synthesizable Verilog-2005 design of
// time-multiplexed neuron engines (one per program core), a spike router
// and a global timestep barrier, with the memory-initialisation files
// (.mem for $readmemh, .coe for Vivado block-memory IP), a testbench, the
// stimulus, the emulator's expected spikes and per-step cycle counts, and a
// manifest. It runs the co-simulation (Icarus Verilog, Verilator) and
// parses yosys utilisation. docs/fpga-engine.md is the specification the
// RTL and the emulator (backends/emu) both follow.
package fpga

import (
	"fmt"
	"math/big"
	"math/bits"
	"slices"

	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// Design is a program translated into the engines' memories and
// parameters: what the templates render and the manifest describes.
type Design struct {
	Network string
	Target  string
	Part    string
	Steps   int
	// ClockHz is the engine clock (target Machine.ClockHz).
	ClockHz  int64
	Timestep float64
	Numeric  program.Numeric
	Engines  []*Engine
	// Router is the spike router's table: the program's chip table with
	// route bits translated to engine indices.
	Router []RouteEntry
	// Costs are the cycle costs the RTL is built to (target "cycles").
	Costs Costs
	// TickBudget is clock × timestep: cycles an engine may use per step.
	TickBudget uint64
	// Capacity is the part's resources (target fpga.resources), which
	// Check holds the estimate to.
	Capacity target.Resources
}

// Costs are the per-event cycle costs of the engine. The RTL spends
// exactly these; only TickOverhead and RowLookup are free parameters
// (padding states), the others are fixed by the datapath.
type Costs struct {
	TickOverhead, NeuronUpdate, PacketReceive, RowLookup, SynapticWord, SpikeSend int
	// STDPUpdate is the cost of one plastic synapse update (an arrival's
	// depression or a potentiation); engines with plastic synapses take 1.
	STDPUpdate int `json:",omitempty"`
}

// RouteEntry is one router-table entry: keys with key&Mask == Key go to
// every engine in Dest (bit i = engine i).
type RouteEntry struct {
	Key, Mask uint32
	Dest      []int
}

// Engine is one program core on the device.
type Engine struct {
	ID     int
	Core   program.CoreID
	Source bool
	Model  string
	Pop    string
	Lo, Hi uint32
	N      int
	Key    uint32
	// Prefix names the engine's memory files (e3 → e3_params.mem, …).
	Prefix string

	// neuron engines
	IB, DB, TB     int
	ShiftE, ShiftI int
	CamEntries     int
	DirDepth       int
	DirAW          int
	SynDepth       int
	SynAW          int
	InboxDepth     int
	InboxAW        int
	SynURAM        bool
	// Plastic: the engine has STDP synapses (see STDPEngine).
	Plastic bool
	STDP    *STDPEngine
	// source engines
	ListDepth, ListAW int

	Memories []*Memory
}

// Memory is one engine memory: its shape, where synthesis should put it and
// its initial contents (hex words, most significant digit first).
type Memory struct {
	Name  string // file stem: e3_params
	Role  string
	Width int
	Depth int
	// Kind is "bram", "uram", "lutram" or "logic" (registers / LUT ROM).
	Kind string
	// RuntimeLoad: the contents are written at run time through the
	// engine's write port (URAM cannot be initialised by the bitstream).
	RuntimeLoad bool
	Words       []*big.Int
}

// Bits is the memory's capacity in bits.
func (m *Memory) Bits() int { return m.Width * m.Depth }

// field is one bit field of a packed memory word, most significant first.
type field struct {
	Name   string // neuron-record field
	Role   string // its role in the RTL datapath (the macro P_role / S_role)
	Kind   fieldKind
	Width  int
	Hi, Lo int
}

func layoutFields(fs []field) ([]field, int) {
	total := 0
	for _, f := range fs {
		total += f.Width
	}
	at := total
	out := make([]field, len(fs))
	for i, f := range fs {
		f.Hi = at - 1
		f.Lo = at - f.Width
		at -= f.Width
		out[i] = f
	}
	return out, total
}

// pack builds a word from field values (two's complement truncated to
// each field's width).
func pack(fs []field, vals []int64) *big.Int {
	w := new(big.Int)
	for i, f := range fs {
		v := new(big.Int).SetInt64(vals[i])
		mask := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), uint(f.Width)), big.NewInt(1))
		v.And(v, mask)
		w.Lsh(w, uint(f.Width)).Or(w, v)
	}
	return w
}

// timerBits is the width of the refractory timer in the state word: steps
// counts fit easily, and a narrower word saves state memory.
const timerBits = 16

// modelSpec is how a neuron model maps onto the engine's datapath: which
// update it runs and which neuron-record fields its parameter and state
// words hold (record field → role in the RTL).
type modelSpec struct {
	// Exp: two exponential synaptic currents (if_curr_exp). Cuba: one
	// current that integrates pos − neg (cuba_lif, cuba_li). Delta: the
	// input moves v before the membrane step (if_curr_delta, lif, li).
	// None of the three: v integrates input + drift, no leak (if, i), or
	// (Memoryless) is the step's input alone (threshold).
	Exp, Cuba, Delta bool
	// Memoryless: v is this step's input plus i_offset (threshold).
	Memoryless bool
	// Spiking: threshold and reset; Refr: a refractory timer.
	Spiking, Refr bool
	Params        []field
	State         []field
}

// Membrane: the model runs the closed-form leaky membrane step.
func (m *modelSpec) Membrane() bool { return m.Exp || m.Cuba || m.Delta }

// fld names a record field and its role in the datapath (an empty role is
// the field's own name).
func fld(name, role string, kind fieldKind) field {
	if role == "" {
		role = name
	}
	return field{Name: name, Role: role, Kind: kind}
}

type fieldKind int

const (
	kState fieldKind = iota // state format, signed
	kDecay                  // decay format, unsigned
	kTimer                  // refractory steps, signed timerBits
)

// models are the neuron models the RTL implements, as compiler/neurons.go
// lays out their records and backends/emu updates them.
var models = map[string]modelSpec{
	"if_curr_exp": {Exp: true, Spiking: true, Refr: true,
		Params: []field{fld("v_rest", "", kState), fld("v_reset", "", kState), fld("v_thresh", "", kState), fld("r_membrane", "r", kState),
			fld("exp_tc", "", kDecay), fld("i_offset", "", kState), fld("refract_steps", "", kTimer),
			fld("exc_decay", "", kDecay), fld("exc_init", "", kDecay), fld("inh_decay", "", kDecay), fld("inh_init", "", kDecay)},
		State: []field{fld("v", "", kState), fld("refract_timer", "", kTimer), fld("isyn_exc", "", kState), fld("isyn_inh", "", kState)}},
	"if_curr_delta": {Delta: true, Spiking: true, Refr: true,
		Params: []field{fld("v_rest", "", kState), fld("v_reset", "", kState), fld("v_thresh", "", kState), fld("r_membrane", "r", kState),
			fld("exp_tc", "", kDecay), fld("i_offset", "", kState), fld("refract_steps", "", kTimer)},
		State: []field{fld("v", "", kState), fld("refract_timer", "", kTimer)}},
	"lif": {Delta: true, Spiking: true, Refr: true,
		Params: []field{fld("v_leak", "v_rest", kState), fld("v_reset", "", kState), fld("v_thresh", "", kState), fld("r", "", kState),
			fld("exp_tc", "", kDecay), fld("i_offset", "", kState), fld("refract_steps", "", kTimer)},
		State: []field{fld("v", "", kState), fld("refract_timer", "", kTimer)}},
	"li": {Delta: true,
		Params: []field{fld("v_leak", "v_rest", kState), fld("r", "", kState), fld("exp_tc", "", kDecay), fld("i_offset", "", kState)},
		State:  []field{fld("v", "", kState)}},
	"cuba_lif": {Cuba: true, Spiking: true, Refr: true,
		Params: []field{fld("v_leak", "v_rest", kState), fld("v_reset", "", kState), fld("v_thresh", "", kState), fld("r", "", kState),
			fld("exp_tc", "", kDecay), fld("i_offset", "", kState), fld("refract_steps", "", kTimer), fld("syn_decay", "exc_decay", kDecay)},
		State: []field{fld("v", "", kState), fld("refract_timer", "", kTimer), fld("i_syn", "isyn_exc", kState)}},
	"cuba_li": {Cuba: true,
		Params: []field{fld("v_leak", "v_rest", kState), fld("r", "", kState), fld("exp_tc", "", kDecay), fld("i_offset", "", kState),
			fld("syn_decay", "exc_decay", kDecay)},
		State: []field{fld("v", "", kState), fld("i_syn", "isyn_exc", kState)}},
	"if": {Spiking: true, Refr: true,
		Params: []field{fld("v_reset", "", kState), fld("v_thresh", "", kState), fld("drift", "", kState), fld("refract_steps", "", kTimer)},
		State:  []field{fld("v", "", kState), fld("refract_timer", "", kTimer)}},
	"i": {
		Params: []field{fld("drift", "", kState)},
		State:  []field{fld("v", "", kState)}},
	"threshold": {Memoryless: true, Spiking: true,
		Params: []field{fld("v_reset", "", kState), fld("v_thresh", "", kState), fld("i_offset", "", kState)},
		State:  []field{fld("v", "", kState)}},
}

// supportedModels are the neuron models the RTL implements, in the order
// their engine modules are written.
var supportedModels = []string{"if_curr_exp", "if_curr_delta", "lif", "li", "cuba_lif", "cuba_li", "if", "i", "threshold"}

// sized gives fields their widths in the numeric format and lays them out
// most significant first.
func sized(fs []field, num program.Numeric) ([]field, int) {
	out := slices.Clone(fs)
	for i := range out {
		switch out[i].Kind {
		case kState:
			out[i].Width = int(num.StateBits)
		case kDecay:
			out[i].Width = int(num.DecayFrac)
		case kTimer:
			out[i].Width = timerBits
		}
	}
	return layoutFields(out)
}

// wires is the write-back concatenation of a state word: the U6 wire of
// each field's role.
var stateWire = map[string]string{"v": "vo6", "refract_timer": "ro6", "isyn_exc": "ie6", "isyn_inh": "ii6"}

// clog2 is the address width of a memory of depth n (at least 1).
func clog2(n int) int {
	if n <= 1 {
		return 1
	}
	return bits.Len(uint(n - 1))
}

// costsOf reads the cost table and checks it against what the RTL can do.
func costsOf(t *target.Target) (Costs, error) {
	get := func(names ...string) int {
		for _, n := range names {
			if c, ok := t.CycleCost(n); ok {
				return int(c.Cycles)
			}
		}
		return 0
	}
	c := Costs{
		TickOverhead: get("tick_overhead"), NeuronUpdate: get("neuron_update.lif", "neuron_update"),
		PacketReceive: get("packet_receive"), RowLookup: get("row_lookup"),
		SynapticWord: get("synaptic_word"), SpikeSend: get("spike_send"), STDPUpdate: get("stdp_update"),
	}
	// The datapath issues one neuron, one synaptic word and one spike per
	// clock and takes two clocks to receive a packet; the fixed overhead
	// must cover the pipeline drains (6 + 2) and a row lookup its two
	// memory reads. Other costs would need a different RTL.
	switch {
	case c.NeuronUpdate != 1 || c.SynapticWord != 1 || c.SpikeSend != 1 || c.PacketReceive != 2:
		return c, fmt.Errorf("target %s: the FPGA engine RTL takes 1 cycle per neuron update, synaptic word and spike sent and 2 per packet received; the cost table says %d, %d, %d and %d",
			t.Name, c.NeuronUpdate, c.SynapticWord, c.SpikeSend, c.PacketReceive)
	case c.TickOverhead < 9:
		return c, fmt.Errorf("target %s: tick_overhead of %d cycles is below the engine's 9 (pipeline drains and one start cycle)", t.Name, c.TickOverhead)
	case c.RowLookup < 2:
		return c, fmt.Errorf("target %s: row_lookup of %d cycles is below the engine's 2 (directory and row-header reads)", t.Name, c.RowLookup)
	}
	return c, nil
}

// plastic checks the cost table against what an engine with plastic
// synapses can do: one plastic synapse update per clock, and a fixed
// overhead that also covers the STDP pipeline's two drains and the start
// of potentiation (docs/fpga-engine.md, "STDP").
func (c Costs) plastic(t *target.Target) error {
	need := 9 + 2*stdpDrain + potStart
	switch {
	case c.STDPUpdate != 1:
		return fmt.Errorf("target %s: the FPGA engine RTL takes 1 cycle per plastic synapse update; the cost table's stdp_update says %d", t.Name, c.STDPUpdate)
	case c.TickOverhead < need:
		return fmt.Errorf("target %s: tick_overhead of %d cycles is below the %d an engine with plastic synapses needs (pipeline drains, one start cycle, the STDP pipeline's drains)", t.Name, c.TickOverhead, need)
	}
	return nil
}

// Build translates a program into a Design for target t. It does not
// check that the design fits the part: Check does.
func Build(p *program.Program, t *target.Target) (*Design, error) {
	if p.Kind != string(target.KindFPGA) || t.FPGA == nil {
		return nil, fmt.Errorf("program %q is for a %s target; the FPGA backend needs an fpga target (zcu102, zcu104, ultra96)", p.Network, p.Kind)
	}
	if p.Target != t.Name {
		return nil, fmt.Errorf("program %q was compiled for %s, not %s", p.Network, p.Target, t.Name)
	}
	return build(p, t)
}

// build is Build without the check that p was compiled for t: the fit
// check estimates the same engines on the other FPGA parts.
func build(p *program.Program, t *target.Target) (*Design, error) {
	if p.Kind != string(target.KindFPGA) || t.FPGA == nil {
		return nil, fmt.Errorf("program %q is for a %s target; the FPGA backend needs an fpga target (zcu102, zcu104, ultra96)", p.Network, p.Kind)
	}
	costs, err := costsOf(t)
	if err != nil {
		return nil, err
	}
	d := &Design{Network: p.Network, Target: t.Name, Part: t.FPGA.Part, Steps: int(p.Steps),
		ClockHz: t.Machine.ClockHz, Timestep: p.Timestep, Numeric: p.Numeric, Costs: costs,
		TickBudget: uint64(float64(t.Machine.ClockHz) * p.Timestep), Capacity: t.FPGA.Resources}
	if len(p.Cores) > 255 {
		return nil, fmt.Errorf("program %q uses %d cores; the loader addresses at most 255 engines", p.Network, len(p.Cores))
	}
	byP := map[uint8]int{}
	for i := range p.Cores {
		c := &p.Cores[i]
		if c.X != 0 || c.Y != 0 {
			return nil, fmt.Errorf("core %s: the FPGA design has one device (chip 0,0)", c.CoreID)
		}
		byP[c.P] = i
	}
	// Router: the device's one chip table, bits translated to engines.
	for _, ch := range p.Chips {
		for _, r := range ch.Routes {
			var dest []int
			for pp := range 32 - program.LinkBits {
				if r.Dest&program.CoreBit(uint8(pp)) != 0 {
					e, ok := byP[uint8(pp)]
					if !ok {
						return nil, fmt.Errorf("router entry %08x/%08x names core %d, which the program does not use", r.Key, r.Mask, pp)
					}
					dest = append(dest, e)
				}
			}
			if r.Dest&(1<<program.LinkBits-1) != 0 {
				return nil, fmt.Errorf("router entry %08x/%08x uses chip links; the FPGA design has none", r.Key, r.Mask)
			}
			d.Router = append(d.Router, RouteEntry{Key: r.Key, Mask: r.Mask, Dest: dest})
		}
	}
	// How many packets can reach each engine in one step: every key that
	// routes there, each sent at most once a step. Sizes the inboxes.
	inbound := make([]int, len(p.Cores))
	for i := range p.Cores {
		c := &p.Cores[i]
		for j := range c.N {
			for _, e := range d.route(c.Key | j) {
				inbound[e]++
			}
		}
	}
	for i := range p.Cores {
		c := &p.Cores[i]
		e := &Engine{ID: i, Core: c.CoreID, Model: c.Model, Pop: p.Populations[c.Pop].Name,
			Lo: c.Lo, Hi: c.Lo + c.N, N: int(c.N), Key: c.Key, Prefix: fmt.Sprintf("e%d", i)}
		switch c.Kind {
		case program.SourceCore:
			e.Source = true
			if err := e.buildSource(c); err != nil {
				return nil, err
			}
		case program.NeuronCore:
			if !slices.Contains(supportedModels, c.Model) {
				return nil, fmt.Errorf("core %s (population %s): the FPGA engine RTL has no model %s (it has: %v); compile for a SpiNNaker target or the emulator", c.CoreID, e.Pop, c.Model, supportedModels)
			}
			if err := e.buildNeurons(c, p.Numeric, inbound[i], t); err != nil {
				return nil, err
			}
			if c.Plastic != nil {
				if err := costs.plastic(t); err != nil {
					return nil, fmt.Errorf("core %s (population %s): %w", c.CoreID, e.Pop, err)
				}
				if err := e.buildPlastic(c, p.Numeric); err != nil {
					return nil, err
				}
			}
		default:
			return nil, fmt.Errorf("core %s: %s cores have no FPGA engine", c.CoreID, c.Kind)
		}
		d.Engines = append(d.Engines, e)
	}
	return d, nil
}

// route returns the engines a key reaches (first matching entry).
func (d *Design) route(key uint32) []int {
	for _, r := range d.Router {
		if key&r.Mask == r.Key {
			return r.Dest
		}
	}
	return nil
}

func (e *Engine) buildSource(c *program.Core) error {
	if len(c.Spikes)%2 != 0 {
		return fmt.Errorf("core %s: odd spike list", c.CoreID)
	}
	if c.N > 1<<16 {
		return fmt.Errorf("core %s: %d sources; a source engine holds at most 65536", c.CoreID, c.N)
	}
	m := &Memory{Name: e.Prefix + "_spikes", Role: "spike list {step[47:16], index[15:0]} (the stimulus), end marker step 0xffffffff", Width: 48}
	prev := uint32(0)
	for k := 0; k < len(c.Spikes); k += 2 {
		step, idx := c.Spikes[k], c.Spikes[k+1]
		if step < prev {
			return fmt.Errorf("core %s: spike list not sorted by step", c.CoreID)
		}
		prev = step
		m.Words = append(m.Words, new(big.Int).SetUint64(uint64(step)<<16|uint64(idx)))
	}
	m.Words = append(m.Words, new(big.Int).SetUint64(0xffffffff<<16))
	m.Depth = len(m.Words)
	m.Kind = "bram"
	if m.Bits() <= 64*48 {
		m.Kind = "lutram"
	}
	e.ListDepth, e.ListAW = m.Depth, clog2(m.Depth)
	e.Memories = []*Memory{m}
	return nil
}

// Memory placement thresholds: small memories go to distributed RAM, big
// synapse memories to URAM when the part has it.
const (
	lutramMaxBits = 2048
	uramMinBits   = 4 * 36 * 1024
)

func (e *Engine) buildNeurons(c *program.Core, num program.Numeric, inbound int, t *target.Target) error {
	g := c.Geometry
	if g.TypeBits != 1 || g.SynapseTypes != 2 || len(c.WeightShift) < 2 {
		return fmt.Errorf("core %s: the engine has two synapse types (1 type bit); geometry %+v", c.CoreID, g)
	}
	e.IB, e.DB, e.TB = int(g.IndexBits), int(g.DelayBits), int(g.TypeBits)
	e.ShiftE, e.ShiftI = int(c.WeightShift[0]), int(c.WeightShift[1])
	if e.IB == 0 || c.N > 1<<e.IB {
		return fmt.Errorf("core %s: %d neurons do not fit %d index bits", c.CoreID, c.N, e.IB)
	}
	if int(g.DelayBits+g.TypeBits+g.IndexBits)+int(num.WeightBits) > 32 {
		return fmt.Errorf("core %s: synaptic word wider than 32 bits", c.CoreID)
	}
	// Neuron records → parameter and state words.
	spec := models[c.Model]
	w := len(c.Layout)
	col := map[string]int{}
	for k, f := range c.Layout {
		col[f.Name] = k
		if f.Name == "exp_tc" && f.Format != program.Decay {
			return fmt.Errorf("core %s: exp_tc is in the state format; the FPGA engine takes it in the decay format (u0.%d)", c.CoreID, num.DecayFrac)
		}
	}
	pf, _ := sized(spec.Params, num)
	sf, _ := sized(spec.State, num)
	get := func(i int, f field) (int64, error) {
		k, ok := col[f.Name]
		if !ok {
			return 0, fmt.Errorf("core %s: neuron record has no %s", c.CoreID, f.Name)
		}
		width := f.Width
		v := int64(int32(c.Neurons[i*w+k]))
		if f.Kind == kDecay {
			v = int64(c.Neurons[i*w+k])
			if v >= 1<<width {
				return 0, fmt.Errorf("core %s neuron %d: %s = %d does not fit %d bits", c.CoreID, i, f.Name, v, width)
			}
			return v, nil
		}
		if v < -(1<<(width-1)) || v >= 1<<(width-1) {
			return 0, fmt.Errorf("core %s neuron %d: %s = %d does not fit %d signed bits", c.CoreID, i, f.Name, v, width)
		}
		return v, nil
	}
	prm := &Memory{Name: e.Prefix + "_params", Role: "neuron parameters (ROM)", Depth: e.N}
	st := &Memory{Name: e.Prefix + "_state", Role: "neuron state", Depth: e.N}
	for i := range e.N {
		var pv, sv []int64
		for _, f := range pf {
			v, err := get(i, f)
			if err != nil {
				return err
			}
			pv = append(pv, v)
		}
		for _, f := range sf {
			v, err := get(i, f)
			if err != nil {
				return err
			}
			sv = append(sv, v)
		}
		prm.Words = append(prm.Words, pack(pf, pv))
		st.Words = append(st.Words, pack(sf, sv))
	}
	prm.Width, st.Width = pf[0].Hi+1, sf[0].Hi+1
	// Population table → CAM entries {key, mask, rows, directory base} and
	// a row directory {present, row offset}: the table decoded once, as the
	// emulator does at load, so a lookup takes a fixed number of cycles
	// (no binary search, no bitmap rank).
	cam := &Memory{Name: e.Prefix + "_poptable", Role: "population table {key, mask, rows, directory base}", Width: 128, Kind: "logic"}
	dir := &Memory{Name: e.Prefix + "_rowdir", Role: "row directory {row present, row offset in synapses}"}
	e.SynDepth = max(1, len(c.Synapses))
	e.SynAW = clog2(e.SynDepth)
	e.DirAW = e.SynAW
	// Plastic engines: {row present, plastic row, row offset} (a plastic
	// row has a 3-word header).
	present := uint64(1) << e.DirAW
	dirWidth := e.DirAW + 1
	if c.Plastic != nil {
		present, dirWidth = present<<1, dirWidth+1
	}
	base := 0
	for _, en := range c.PopTable {
		w := new(big.Int).SetUint64(uint64(en.Key)<<32 | uint64(en.Mask))
		w.Lsh(w, 64).Or(w, new(big.Int).SetUint64(uint64(en.Rows)<<32|uint64(base)))
		cam.Words = append(cam.Words, w)
		for r := range en.Rows {
			v := uint64(0)
			if at, ok := en.Row(en.Key|r, c.Synapses); ok {
				v = present | uint64(at)
				if en.Plastic {
					v |= 1 << e.DirAW
				}
			}
			dir.Words = append(dir.Words, new(big.Int).SetUint64(v))
		}
		base += int(en.Rows)
	}
	if len(cam.Words) == 0 {
		// an entry no key matches (mask 0, key 1) keeps the CAM non-empty
		cam.Words = append(cam.Words, new(big.Int).Lsh(big.NewInt(1), 96))
	}
	if len(dir.Words) == 0 {
		dir.Words = append(dir.Words, new(big.Int))
	}
	cam.Depth, dir.Depth, dir.Width = len(cam.Words), len(dir.Words), dirWidth
	e.CamEntries, e.DirDepth = cam.Depth, dir.Depth
	syn := &Memory{Name: e.Prefix + "_synapses", Role: "synaptic matrix (the program's Synapses region, word for word)", Width: 32, Depth: e.SynDepth}
	for _, x := range c.Synapses {
		syn.Words = append(syn.Words, new(big.Int).SetUint64(uint64(x)))
	}
	if len(syn.Words) == 0 {
		syn.Words = append(syn.Words, new(big.Int))
	}
	e.InboxDepth = 1 << clog2(max(2, inbound))
	e.InboxAW = clog2(e.InboxDepth)
	slots := 1 << e.DB
	ringBits := slots << e.IB * int(num.RingBits)
	for _, m := range []*Memory{prm, st, dir} {
		m.Kind = "bram"
		if m.Bits() <= lutramMaxBits {
			m.Kind = "lutram"
		}
	}
	syn.Kind = "bram"
	if m, ok := t.MemoryOf(target.MemoryKind("uram288")); ok && !m.BitstreamInit && t.FPGA.Resources.URAM288 > 0 && syn.Bits() >= uramMinBits {
		syn.Kind, syn.RuntimeLoad, e.SynURAM = "uram", true, true
	}
	ringKind := "bram"
	if ringBits <= lutramMaxBits {
		ringKind = "lutram"
	}
	e.Memories = []*Memory{prm, st, cam, dir, syn,
		{Name: e.Prefix + "_ring_exc", Role: "ring buffer, excitatory (zero at start, no file)", Width: int(num.RingBits), Depth: slots << e.IB, Kind: ringKind},
		{Name: e.Prefix + "_ring_inh", Role: "ring buffer, inhibitory (zero at start, no file)", Width: int(num.RingBits), Depth: slots << e.IB, Kind: ringKind},
		{Name: e.Prefix + "_inbox", Role: "inbox (packets of one step)", Width: 32, Depth: e.InboxDepth, Kind: kindFor(32 * e.InboxDepth)},
	}
	return nil
}

func kindFor(bits int) string {
	if bits <= lutramMaxBits {
		return "lutram"
	}
	return "bram"
}
