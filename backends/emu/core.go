package emu

import (
	"fmt"
	"slices"

	"github.com/somahw/soma/program"
	"github.com/somahw/soma/results"
)

// core is one core's state during a run: its program regions decoded into
// flat per-field arrays, its ring buffer, and what it sends and records.
// Everything the step loop touches is preallocated.
type core struct {
	// What every step reads or writes comes first, together, so that a
	// step touches few of the struct's cache lines (a step of a
	// 48-core network otherwise spends as long in bookkeeping as in the
	// neuron updates).
	kind      program.CoreKind
	key, mask uint32 // the program core's key space
	sampled   bool   // vars or weightRecs
	lastLanes uint8  // the real neurons' bits in spikeBits[spikeBytes-1]
	n         int
	// kernel, when set, runs the uniform if_curr_exp update vectorised;
	// spikeBits receives its spikes, one bit per neuron.
	kernel     *ifceKernel
	spikeBits  []uint8
	spikeBytes int // the bytes of spikeBits with real neurons' bits
	stdp       *program.STDP
	// ring buffer: slots × types × n entries, saturating at ringCap.
	ring                 []uint32
	slotMask, slotStride int
	typeStride           int // entries per synapse type: 1<<typeShift ≥ n, ≥ 16
	// out: keys this core sends this step.
	out []uint32
	// inbox: packets delivered this step, processed after the neuron
	// update: the key and, for neuron cores, the population-table entry it
	// matches (resolved when the paths are built; -1: none).
	inbox []packet
	// work lists the plastic rows route queued for this step (their
	// lookups resolved at load) and, in receive, the rows of packets looked
	// up per packet (Emulator.packets counts the packets of the fast path).
	work []rowRef
	// stepRows, stepWords and stepEvents count the static rows receive
	// added through addRow this step (fans are counted in Emulator.fanCnt).
	stepRows, stepWords, stepEvents uint64
	// stepSTDP counts the plastic synapse updates of this step (arrivals
	// and potentiations), which cost the target's stdp_update each.
	stepSTDP  uint64
	recSpikes []uint32
	recorded  []results.Spike
	cnt       CoreCounters

	idx int
	pc  *program.Core
	// fixed-point format
	frac, decayFrac uint
	saturate        bool // FPGA engines saturate; SpiNNaker's accum wraps
	stateMin        int64
	stateMax        int64

	// neuron fields (nil when the model has none)
	model                 string
	v, vRest, vReset, vTh []int32
	r, iOff, drift        []int32
	expTC                 []int32 // in the state format or the decay format (expTCDecay)
	expTCDecay            bool
	uniform               bool // every neuron has the same parameters

	entriesWhole             bool // every table entry selects whole key spaces
	generic                  bool // tests: always take the general update path
	refSteps, refTimer       []int32
	isE, isI                 []int32
	decE, decI, initE, initI []uint32

	ringOff                int // where ring starts in Emulator.ring
	typeShift, slotShift   uint
	ringCap                uint32
	shift                  [2]uint
	wShift, dShift, tShift uint
	dMask, tMask, iMask    uint32

	// synaptic matrix
	table []program.PopEntry
	syn   []uint32
	// fanFits: the static rows' words fit fan records (fitsFan).
	fanFits bool
	// rowAt[entry][local] is the row offset of each key of each
	// population-table entry (-1: no row): the table decoded once at load,
	// since it does not change during a run.
	rowAt [][]int32

	// source cores
	spikes []uint32
	cursor int

	// delay cores: pending[step % len] holds stage<<indexBits | local.
	pending   [][]uint32
	delayIdx  uint
	delayConf *program.DelayConfig

	// STDP (plastic cores): per synaptic word position in syn, the
	// synapse's pre trace and the step it was last updated; pending[slot]
	// lists the word positions whose pre spike takes effect at that step;
	// postSyn[i] the positions of plastic synapses onto neuron i.
	preTrace, preLast   []int32
	plasticPending      [][]uint32
	postSyn             [][]uint32
	postTrace, postLast []int32

	// recording
	vars []varRec
	// weightRecs sample plastic weights (probes on this core's rows).
	weightRecs []weightRec
}

type weightRec struct {
	probe program.WeightProbe
	trace int
	hw    float64 // hardware unit → SI
	data  []float64
}

type varRec struct {
	field   []int32
	decay   bool // the field is in the decay format
	every   int
	indices []uint32
	scale   float64 // fixed point → SI
	data    []float64
	trace   int // index into the result's traces
}

func newCore(idx int, pc *program.Core, num program.Numeric, fpga bool, shape ringShape, kernels map[ifceParams]*ifceParams) (*core, error) {
	c := &core{idx: idx, pc: pc, kind: pc.Kind, key: pc.Key, mask: pc.Mask, n: int(pc.N), model: pc.Model,
		frac: uint(num.StateFrac), decayFrac: uint(num.DecayFrac), saturate: fpga}
	c.stateMax = 1<<(num.StateBits-1) - 1
	c.stateMin = -(1 << (num.StateBits - 1))
	switch pc.Kind {
	case program.SourceCore:
		c.spikes = pc.Spikes
	case program.DelayCore:
		d := pc.Delay
		c.delayConf = d
		c.delayIdx = uint(pc.Geometry.IndexBits)
		c.pending = make([][]uint32, int(d.Stages*d.Slots)+1)
	case program.NeuronCore:
		if err := c.decodeNeurons(); err != nil {
			return nil, err
		}
		g := pc.Geometry
		c.ringCap = uint32(1<<num.RingBits - 1)
		c.shift = [2]uint{uint(pc.WeightShift[0]), uint(pc.WeightShift[1])}
		c.iMask = 1<<g.IndexBits - 1
		c.tShift, c.tMask = uint(g.IndexBits), 1<<g.TypeBits-1
		c.dShift, c.dMask = uint(g.IndexBits+g.TypeBits), 1<<g.DelayBits-1
		c.wShift = uint(g.IndexBits + g.TypeBits + g.DelayBits)
		c.table, c.syn = pc.PopTable, pc.Synapses
		c.decodeTable()
		c.fanFits = fitsFan(c)
		// The ring holds as many slots as the longest delay in this core's
		// rows needs (the hardware's has g.DelaySlots()): an entry for
		// step t+d is written at t and read and cleared at t+d, so any
		// power of two above the longest delay gives the same sums, and a
		// short ring stays in cache.
		slots, longest := 2, c.maxDelay()
		for slots <= longest && slots < g.DelaySlots() {
			slots *= 2
		}
		c.slotMask = slots - 1
		// Each synapse type's block is a power of two of at least sixteen
		// entries (≥ n, since n ≤ 2^IndexBits), the same on every core
		// (ringShape): the vectorised update runs whole blocks of lanes, a
		// synaptic word's ring position is then shifts and ors, no
		// multiplies, and a fan's synapses (Emulator.fanSyn) find their
		// entry in the shared ring without asking their core.
		c.typeShift = shape.typeShift
		c.slotShift = shape.slotShift
		c.typeStride = 1 << c.typeShift
		c.slotStride = 1 << c.slotShift
		if int(g.SynapseTypes) > 1<<g.TypeBits {
			return nil, fmt.Errorf("core %s: %d synapse types in %d type bits", pc.CoreID, g.SynapseTypes, g.TypeBits)
		}
		// the ring itself is a part of the emulator's (Emulator.allocRings)
		if c.uniform && !c.saturate && !c.expTCDecay && c.frac == 15 && c.decayFrac == 32 {
			// after the shifts are known: the kernel copies them
			c.attachKernel(kernels)
		}
		if pc.Plastic != nil {
			// Plastic weights change during the run: work on a copy.
			c.syn = slices.Clone(pc.Synapses)
			if err := c.initPlastic(slots); err != nil {
				return nil, err
			}
		}
	}
	c.recSpikes = pc.Record.Spikes
	return c, nil
}

// decodeNeurons splits the neuron records into one array per field.
func (c *core) decodeNeurons() error {
	pc := c.pc
	w := len(pc.Layout)
	field := func(name string) ([]int32, program.FieldFormat) {
		for k, f := range pc.Layout {
			if f.Name == name {
				out := make([]int32, c.n)
				for i := range out {
					out[i] = int32(pc.Neurons[i*w+k])
				}
				return out, f.Format
			}
		}
		return nil, 0
	}
	u := func(name string) []uint32 {
		xs, _ := field(name)
		out := make([]uint32, len(xs))
		for i, x := range xs {
			out[i] = uint32(x)
		}
		return out
	}
	c.v, _ = field("v")
	c.vReset, _ = field("v_reset")
	c.vTh, _ = field("v_thresh")
	c.iOff, _ = field("i_offset")
	c.refSteps, _ = field("refract_steps")
	c.refTimer, _ = field("refract_timer")
	var f program.FieldFormat
	c.expTC, f = field("exp_tc")
	c.expTCDecay = f == program.Decay
	switch c.model {
	case "if_curr_exp", "if_curr_delta":
		c.vRest, _ = field("v_rest")
		c.r, _ = field("r_membrane")
		if c.model == "if_curr_exp" {
			c.isE, _ = field("isyn_exc")
			c.isI, _ = field("isyn_inh")
			c.decE, c.decI = u("exc_decay"), u("inh_decay")
			c.initE, c.initI = u("exc_init"), u("inh_init")
		}
	case "cuba_lif", "cuba_li":
		c.vRest, _ = field("v_leak")
		c.r, _ = field("r")
		c.isE, _ = field("i_syn")
		c.decE = u("syn_decay")
	case "lif", "li":
		c.vRest, _ = field("v_leak")
		c.r, _ = field("r")
	case "if", "i":
		c.r, _ = field("r")
		c.drift, _ = field("drift")
	case "threshold":
	default:
		return fmt.Errorf("core %s: model %q is not emulated", pc.CoreID, c.model)
	}
	if c.v == nil {
		return fmt.Errorf("core %s: neuron record has no v", pc.CoreID)
	}
	if c.refTimer == nil { // li: never refractory
		c.refTimer = make([]int32, c.n)
		c.refSteps = make([]int32, c.n)
	}
	// Most populations give every neuron the same parameters; then the
	// fast path keeps them in registers instead of streaming 11 arrays.
	c.uniform = c.model == "if_curr_exp" && allSame(c.vRest, c.vReset, c.vTh, c.r, c.expTC, c.iOff, c.refSteps) &&
		allSame(c.decE, c.decI, c.initE, c.initI)
	return nil
}

func allSame[T comparable](xs ...[]T) bool {
	for _, x := range xs {
		for _, v := range x {
			if v != x[0] {
				return false
			}
		}
	}
	return true
}

// awake reports whether neuron i integrates this step; a refractory
// neuron counts its timer down instead (sPyNNaker's refract_timer).
func (c *core) awake(i int) bool {
	if c.refTimer[i] <= 0 {
		return true
	}
	c.refTimer[i]--
	return false
}

// threshold fires neuron i if its membrane reached threshold: reset,
// start the refractory timer, send.
func (c *core) threshold(i int, key uint32) {
	if c.v[i] >= c.vTh[i] {
		c.v[i] = c.vReset[i]
		c.refTimer[i] = c.refSteps[i]
		c.out = append(c.out, key|uint32(i))
	}
}

// mul multiplies two state-format numbers (s16.15 × s16.15 → s16.15),
// truncating toward −∞ as an arithmetic shift does.
func (c *core) mul(a, b int32) int64 { return (int64(a) * int64(b)) >> c.frac }

// decay scales a state by an unsigned decay fraction.
func (c *core) decay(x int32, d uint32) int64 { return (int64(x) * int64(d)) >> c.decayFrac }

// fit brings a result back into the state word: FPGA engines saturate to
// their width, SpiNNaker's 32-bit accum wraps as C does.
func (c *core) fit(x int64) int32 {
	if c.saturate {
		if x > c.stateMax {
			return int32(c.stateMax)
		}
		if x < c.stateMin {
			return int32(c.stateMin)
		}
	}
	return int32(x)
}

// input reads and clears the ring entries due at step t, as state-format
// values per synapse type.
func (c *core) input(base, i int) (exc, inh int64) {
	e := c.ring[base+i]
	c.ring[base+i] = 0
	exc = int64(e) << c.shift[0]
	if c.slotStride > c.typeStride {
		in := c.ring[base+c.typeStride+i]
		c.ring[base+c.typeStride+i] = 0
		inh = int64(in) << c.shift[1]
	}
	return
}

// membrane is sPyNNaker's closed-form LIF step with the input held
// constant over the step: alpha = input·R + V_rest; V = alpha − exp_TC·(alpha − V).
func (c *core) membrane(i int, input int64) int32 {
	alpha := c.mul(c.fit(input), c.r[i]) + int64(c.vRest[i])
	var decayed int64
	if c.expTCDecay {
		decayed = c.decay(c.fit(alpha-int64(c.v[i])), uint32(c.expTC[i]))
	} else {
		decayed = c.mul(c.expTC[i], c.fit(alpha-int64(c.v[i])))
	}
	return c.fit(alpha - decayed)
}

// update runs one step of every neuron: ring input due now enters the
// synaptic state, the membrane integrates (unless refractory), threshold,
// reset, then the synaptic state decays — the order of sPyNNaker's
// neuron_impl_standard. Returns the number of spikes.
func (c *core) update(t int) {
	if c.kernel != nil && c.stdp == nil && haveKernel && !c.generic {
		// the usual case, first: a uniform if_curr_exp core, vectorised
		c.updateIFCurrExpUniform((t & c.slotMask) * c.slotStride)
		c.cnt.NeuronUpdates += uint64(c.n)
		return
	}
	if c.stdp != nil {
		c.plasticArrivals(t)
		defer c.potentiateAll(t)
	}
	base := (t & c.slotMask) * c.slotStride
	c.out = c.out[:0]
	key := c.key
	switch c.model {
	case "if_curr_exp":
		if !c.saturate && !c.expTCDecay && !c.generic {
			if c.uniform && c.frac == 15 && c.decayFrac == 32 {
				c.updateIFCurrExpUniform(base)
			} else {
				c.updateIFCurrExpSpiNNaker(base)
			}
			break
		}
		for i := 0; i < c.n; i++ {
			exc, inh := c.input(base, i)
			c.isE[i] = c.fit(int64(c.isE[i]) + c.decay(c.fit(exc), c.initE[i]))
			c.isI[i] = c.fit(int64(c.isI[i]) + c.decay(c.fit(inh), c.initI[i]))
			if c.awake(i) {
				c.v[i] = c.membrane(i, int64(c.isE[i])-int64(c.isI[i])+int64(c.iOff[i]))
			}
			c.threshold(i, key)
			c.isE[i] = c.fit(c.decay(c.isE[i], c.decE[i]))
			c.isI[i] = c.fit(c.decay(c.isI[i], c.decI[i]))
		}
	case "if_curr_delta":
		for i := 0; i < c.n; i++ {
			exc, inh := c.input(base, i)
			if c.awake(i) {
				c.v[i] = c.fit(int64(c.v[i]) + exc - inh)
				c.v[i] = c.membrane(i, int64(c.iOff[i]))
			}
			c.threshold(i, key)
		}
	case "cuba_lif", "cuba_li":
		spiking := c.model == "cuba_lif"
		for i := 0; i < c.n; i++ {
			pos, neg := c.input(base, i)
			c.isE[i] = c.fit(int64(c.isE[i]) + pos - neg)
			if c.awake(i) {
				c.v[i] = c.membrane(i, int64(c.isE[i])+int64(c.iOff[i]))
			}
			if spiking {
				c.threshold(i, key)
			}
			c.isE[i] = c.fit(c.decay(c.isE[i], c.decE[i]))
		}
	case "lif", "li":
		spiking := c.model == "lif"
		for i := 0; i < c.n; i++ {
			pos, neg := c.input(base, i)
			if c.awake(i) {
				c.v[i] = c.fit(int64(c.v[i]) + pos - neg)
				c.v[i] = c.membrane(i, int64(c.iOff[i]))
			}
			if spiking {
				c.threshold(i, key)
			}
		}
	case "threshold":
		// No memory: this step's input (plus the offset) is the value.
		for i := 0; i < c.n; i++ {
			pos, neg := c.input(base, i)
			c.v[i] = c.fit(pos - neg + int64(c.iOff[i]))
			c.threshold(i, key)
		}
	case "if", "i":
		spiking := c.model == "if"
		for i := 0; i < c.n; i++ {
			pos, neg := c.input(base, i)
			if c.awake(i) {
				c.v[i] = c.fit(int64(c.v[i]) + pos - neg + int64(c.drift[i]))
			}
			if spiking {
				c.threshold(i, key)
			}
		}
	}
	c.cnt.NeuronUpdates += uint64(c.n)
}

// emitSource sends the source spikes of step t.
func (c *core) emitSource(t uint32) {
	c.out = c.out[:0]
	key := c.key
	for c.cursor+1 < len(c.spikes) && c.spikes[c.cursor] < t {
		c.cursor += 2
	}
	for c.cursor+1 < len(c.spikes) && c.spikes[c.cursor] == t {
		c.out = append(c.out, key|c.spikes[c.cursor+1])
		c.cursor += 2
	}
}

// emitDelayed sends the delayed spikes due at step t.
func (c *core) emitDelayed(t int) {
	c.out = c.out[:0]
	slot := t % len(c.pending)
	for _, x := range c.pending[slot] {
		c.out = append(c.out, c.key|x)
	}
	c.pending[slot] = c.pending[slot][:0]
}

// receive processes this step's inbox. Neuron cores look each key up in
// the population table and add each synaptic word's weight into the ring
// slot it is due in; delay cores schedule the stages the neuron needs.
func (c *core) receive(t int) (rows, words, events uint64) {
	switch c.kind {
	case program.DelayCore:
		d := c.delayConf
		for _, pk := range c.inbox {
			local := pk.key &^ d.SourceMask
			for k := range d.Stages {
				if d.Sends(k, local, uint32(c.n)) {
					slot := (t + int((k+1)*d.Slots)) % len(c.pending)
					c.pending[slot] = append(c.pending[slot], k<<c.delayIdx|local)
				}
			}
		}
		return 0, 0, 0
	case program.NeuronCore:
	default:
		return 0, 0, 0
	}
	if len(c.work) == 0 && len(c.inbox) == 0 {
		return 0, 0, 0
	}
	// Rows of packets looked up here (the slow path) join the plastic
	// rows route queued; the lists are built in a fixed order.
	for _, pk := range c.inbox {
		if pk.entry < 0 {
			continue
		}
		e := &c.table[pk.entry]
		rowAt := c.rowAt[pk.entry]
		local := pk.key &^ e.Mask
		if int(local) >= len(rowAt) || rowAt[local] < 0 {
			continue
		}
		c.work = append(c.work, newRowRef(c, uint32(rowAt[local]), e.Plastic))
	}
	syn, dShift, dMask := c.syn, c.dShift, c.dMask
	for _, ref := range c.work {
		at, cnt := ref.at, ref.words
		if !ref.plastic {
			c.addRow(syn[at+1:at+1+cnt], t) // counted with the fans' rows
			continue
		}
		rows++
		words += uint64(3 + cnt)
		events += uint64(cnt)
		// A plastic synapse acts when its spike arrives (after its
		// delay), with the weight it has then.
		for p := at + 3; p < at+3+cnt; p++ {
			d := int(syn[p] >> dShift & dMask)
			slot := (t + d) & c.slotMask
			c.plasticPending[slot] = append(c.plasticPending[slot], p)
		}
	}
	return rows, words, events
}

// addRow adds a static row's synaptic words into the ring slots they are
// due in, at step t, as receive does for the rows it fetches; the row
// counts as fetched (its header word and its synapses).
func (c *core) addRow(row []uint32, t int) {
	c.stepRows++
	c.stepWords += uint64(1 + len(row))
	c.stepEvents += uint64(len(row))
	ring, ringCap := c.ring, c.ringCap
	// (shift counts masked: the compiler then drops its ≥ 32 guards)
	iMask, tShift, tMask, dShift, dMask, wShift := c.iMask, c.tShift&31, c.tMask, c.dShift&31, c.dMask, c.wShift&31
	slotMask, slotShift, typeShift := c.slotMask, c.slotShift&63, c.typeShift&63
	for _, w := range row {
		pos := ((t+int(w>>dShift&dMask))&slotMask)<<slotShift | int(w>>tShift&tMask)<<typeShift | int(w&iMask)
		s := ring[pos] + w>>wShift
		if s > ringCap {
			s = ringCap
			c.cnt.RingSaturations++
		}
		ring[pos] = s
	}
}

// updateIFCurrExpSpiNNaker is update for if_curr_exp on SpiNNaker targets,
// written out for speed: the same arithmetic as the general path (s16.15
// state that wraps like C's accum, u0.32 synaptic decays, s16.15 exp_TC),
// with every array resliced to n so the loop runs without bounds checks.
func (c *core) updateIFCurrExpSpiNNaker(base int) {
	n := c.n
	ringE := c.ring[base : base+n]
	ringI := c.ring[base+c.typeStride : base+c.typeStride+n]
	v, vRest, vReset, vTh := c.v[:n], c.vRest[:n], c.vReset[:n], c.vTh[:n]
	r, expTC, iOff := c.r[:n], c.expTC[:n], c.iOff[:n]
	refT, refS := c.refTimer[:n], c.refSteps[:n]
	isE, isI := c.isE[:n], c.isI[:n]
	decE, decI, initE, initI := c.decE[:n], c.decI[:n], c.initE[:n], c.initI[:n]
	sE, sI := c.shift[0], c.shift[1]
	frac, dfrac := c.frac, c.decayFrac
	key := c.key
	out := c.out[:0]
	for i := range n {
		e := isE[i]
		if in := ringE[i]; in != 0 {
			e += int32((int64(int32(in<<sE)) * int64(initE[i])) >> dfrac)
		}
		in := isI[i]
		if x := ringI[i]; x != 0 {
			in += int32((int64(int32(x<<sI)) * int64(initI[i])) >> dfrac)
		}
		vi := v[i]
		if refT[i] <= 0 {
			input := e - in + iOff[i]
			alpha := int32((int64(input)*int64(r[i]))>>frac) + vRest[i]
			vi = alpha - int32((int64(expTC[i])*int64(alpha-vi))>>frac)
		} else {
			refT[i]--
		}
		if vi >= vTh[i] {
			vi = vReset[i]
			refT[i] = refS[i]
			out = append(out, key|uint32(i))
		}
		v[i] = vi
		if e != 0 {
			e = int32((int64(e) * int64(decE[i])) >> dfrac)
		}
		if in != 0 {
			in = int32((int64(in) * int64(decI[i])) >> dfrac)
		}
		isE[i], isI[i] = e, in
	}
	clear(ringE)
	clear(ringI)
	c.out = out
}

// one is 1.0 in the trace format (s16.15, as sPyNNaker's traces).
const traceOne = 1 << program.STDPFrac

func (c *core) initPlastic(slots int) error {
	c.stdp = c.pc.Plastic
	c.preTrace = make([]int32, len(c.syn))
	c.preLast = make([]int32, len(c.syn))
	c.plasticPending = make([][]uint32, slots)
	c.postSyn = make([][]uint32, c.n)
	c.postTrace, _ = c.fieldOf("post_trace")
	c.postLast, _ = c.fieldOf("post_last")
	if c.postTrace == nil || c.postLast == nil {
		return fmt.Errorf("core %s: plastic synapses but no post_trace/post_last in the neuron record", c.pc.CoreID)
	}
	for _, p := range c.pc.PlasticWords() {
		idx := c.syn[p] & c.iMask
		c.postSyn[idx] = append(c.postSyn[idx], p)
	}
	return nil
}

func (c *core) fieldOf(name string) ([]int32, program.FieldFormat) {
	w := len(c.pc.Layout)
	for k, f := range c.pc.Layout {
		if f.Name == name {
			out := make([]int32, c.n)
			for i := range out {
				out[i] = int32(c.pc.Neurons[i*w+k])
			}
			return out, f.Format
		}
	}
	return nil, 0
}

// traceAt decays a trace from step last to step t through the rule's
// lookup table; past the table's end the trace has decayed to 0.
func (c *core) traceAt(trace int32, lut []uint32, last, t int32) int32 {
	k := int(t - last)
	if trace == 0 || k >= len(lut) {
		return 0
	}
	return int32((int64(trace) * int64(lut[k])) >> c.decayFrac)
}

// weightOf and setWeight read and write a synaptic word's weight field.
func (c *core) weightOf(w uint32) int64 { return int64(w >> c.wShift) }

func (c *core) setWeight(p uint32, wt int64) {
	lo := c.syn[p] & (1<<c.wShift - 1)
	c.syn[p] = uint32(wt)<<c.wShift | lo
}

// clampWeight keeps a plastic weight within [w_min, w_max].
func (c *core) clampWeight(w int64) int64 {
	return min(max(w, int64(c.stdp.WMin)), int64(c.stdp.WMax))
}

// change is an STDP amplitude (s16.15 of a weight LSB, or of 1 for the
// multiplicative rule) times a trace (s16.15), rounded to the nearest
// whole LSB. Rounding, not truncation: with a few LSBs per change,
// truncating would bias every potentiation and depression downwards and
// make learning drift from the rule.
func change(a int32, factor int64, trace int32) int64 {
	return (int64(a)*factor*int64(trace) + 1<<29) >> 30
}

// plasticArrivals delivers the plastic synapses whose pre spike takes
// effect at step t: each adds its current weight to the ring slot of t,
// is depressed by its post neuron's trace (pre after post), and its pre
// trace jumps — the reference simulator's order, in fixed point.
func (c *core) plasticArrivals(t int) {
	slot := t & c.slotMask
	list := c.plasticPending[slot]
	base := slot * c.slotStride
	st := c.stdp
	for _, p := range list {
		w := c.syn[p]
		idx := int(w & c.iMask)
		typ := int(w >> c.tShift & c.tMask)
		wt := c.weightOf(w)
		pos := base + typ*c.typeStride + idx
		sum := c.ring[pos] + uint32(wt)
		if sum > c.ringCap {
			sum = c.ringCap
			c.cnt.RingSaturations++
		}
		c.ring[pos] = sum
		y := c.traceAt(c.postTrace[idx], st.TauMinusDecay, c.postLast[idx], int32(t))
		f := int64(1)
		if st.Multiplicative {
			f = wt - int64(st.WMin)
		}
		c.setWeight(p, c.clampWeight(wt-change(st.AMinus, f, y)))
		c.preTrace[p] = c.traceAt(c.preTrace[p], st.TauPlusDecay, c.preLast[p], int32(t)) + traceOne
		c.preLast[p] = int32(t)
		c.cnt.STDPUpdates++
		c.stepSTDP++
	}
	c.plasticPending[slot] = list[:0]
}

// potentiate applies the post spike of neuron i at step t to every plastic
// synapse onto it, then the post trace jumps.
func (c *core) potentiate(i, t int) {
	st := c.stdp
	for _, p := range c.postSyn[i] {
		wt := c.weightOf(c.syn[p])
		x := c.traceAt(c.preTrace[p], st.TauPlusDecay, c.preLast[p], int32(t))
		f := int64(1)
		if st.Multiplicative {
			f = int64(st.WMax) - wt
		}
		c.setWeight(p, c.clampWeight(wt+change(st.APlus, f, x)))
		c.cnt.STDPUpdates++
		c.stepSTDP++
	}
	c.postTrace[i] = c.traceAt(c.postTrace[i], st.TauMinusDecay, c.postLast[i], int32(t)) + traceOne
	c.postLast[i] = int32(t)
}

func (c *core) potentiateAll(t int) {
	for _, key := range c.out {
		c.potentiate(int(key&^c.mask), t)
	}
}

// updateIFCurrExpUniform is updateIFCurrExpSpiNNaker for a core whose
// neurons share their parameters (the usual case) in SpiNNaker's formats
// (s16.15 state, u0.32 decays): the same arithmetic, eight neurons at a
// time in vector registers where the CPU has them (kernel_amd64.s), the
// rest in updateIFCurrExpRange.
func (c *core) updateIFCurrExpUniform(base int) {
	if k := c.kernel; k != nil && haveKernel {
		k.ringE, k.ringI = &c.ring[base], &c.ring[base+c.typeStride]
		runIFCEKernel(k)
		// the padding lanes past n compute too; their spikes are not real
		c.spikeBits[c.spikeBytes-1] &= c.lastLanes
		c.out = appendSpikes(c.out[:0], c.spikeBits[:c.spikeBytes], c.key)
		return
	}
	c.updateIFCurrExpRange(base, 0)
}

// updateIFCurrExpRange updates neurons lo..n−1 of a uniform if_curr_exp
// core, appending to c.out, with the parameters held in registers and the
// shifts constant.
func (c *core) updateIFCurrExpRange(base, lo int) {
	const frac, dfrac = 15, 32
	n := c.n
	ringE := c.ring[base+lo : base+n]
	ringI := c.ring[base+c.typeStride+lo : base+c.typeStride+n]
	m := len(ringE)
	ringI = ringI[:m]
	v, refT, isE, isI := c.v[lo:n], c.refTimer[lo:n], c.isE[lo:n], c.isI[lo:n]
	v, refT, isE, isI = v[:m], refT[:m], isE[:m], isI[:m]
	vRest, vReset, vTh := int64(c.vRest[0]), c.vReset[0], c.vTh[0]
	r, expTC, iOff, refS := int64(c.r[0]), int64(c.expTC[0]), c.iOff[0], c.refSteps[0]
	decE, decI, initE, initI := int64(c.decE[0]), int64(c.decI[0]), int64(c.initE[0]), int64(c.initI[0])
	sE, sI := c.shift[0]&31, c.shift[1]&31
	key := c.key
	out := c.out
	if lo == 0 {
		out = out[:0]
	}
	for i := range m {
		// Branch-free but for the (rare) spike: input that did not come
		// adds 0, and a refractory neuron computes a membrane value it
		// then discards. Which neurons are refractory is data, so a
		// branch on it would often be mispredicted.
		e := isE[i] + int32((int64(int32(ringE[i]<<sE))*initE)>>dfrac)
		in := isI[i] + int32((int64(int32(ringI[i]<<sI))*initI)>>dfrac)
		vi, rt := v[i], refT[i]
		alpha := int32((int64(e-in+iOff)*r)>>frac + vRest)
		vn := alpha - int32((expTC*int64(alpha-vi))>>frac)
		if rt > 0 {
			vn = vi
		}
		rn := rt - 1
		if rt <= 0 {
			rn = rt
		}
		if vn >= vTh {
			vn = vReset
			rn = refS
			out = append(out, key|uint32(lo+i))
		}
		v[i], refT[i] = vn, rn
		isE[i] = int32((int64(e) * decE) >> dfrac)
		isI[i] = int32((int64(in) * decI) >> dfrac)
	}
	clear(ringE)
	clear(ringI)
	c.out = out
}

// packet is one delivered spike.
type packet struct {
	key   uint32
	entry int32
}

// decodeTable resolves every row of every population-table entry once.
func (c *core) decodeTable() {
	c.rowAt = make([][]int32, len(c.table))
	for i, e := range c.table {
		rows := make([]int32, e.Rows)
		for r := range e.Rows {
			rows[r] = -1
			if at, ok := e.Row(e.Key|r, c.syn); ok {
				rows[r] = int32(at)
			}
		}
		c.rowAt[i] = rows
	}
}

// maxDelay is the longest delay field in the core's rows.
func (c *core) maxDelay() int {
	longest := 0
	for i, e := range c.table {
		h := e.Header()
		for _, at := range c.rowAt[i] {
			if at < 0 {
				continue
			}
			for _, w := range c.syn[uint32(at)+h : uint32(at)+h+c.syn[at]] {
				longest = max(longest, int(w>>c.dShift&c.dMask))
			}
		}
	}
	return longest
}

// entryFor returns the index of the population-table entry a key matches
// (the master population table's binary search), or -1.
func (c *core) entryFor(key uint32) int32 {
	lo, hi := 0, len(c.table)
	for lo < hi {
		m := (lo + hi) / 2
		e := c.table[m]
		if key&e.Mask == e.Key {
			return int32(m)
		}
		if key&e.Mask < e.Key {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return -1
}
