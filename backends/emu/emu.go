// Package emu is soma's cycle-level emulator of a compiled program: it
// executes the program's own memory contents — neuron records in fixed
// point, packed synaptic rows behind the population table, the chips'
// router tables — as the hardware would, step by step, and counts what the
// hardware would do (synaptic events, neuron updates, packets per link,
// SDRAM words, cycles per step). It is the golden model boards and RTL are
// diffed against, and soma run's default engine.
//
// A step t has three phases. (A) Every core, in parallel: source cores send
// the spikes due at t, delay cores the delayed spikes due at t, neuron cores
// update every neuron with the ring-buffer input due at t and send the
// spikes. (B) The packets are routed, core by core in program order, so the
// result does not depend on scheduling: each walks its precomputed path,
// link by link, and is delivered to the inboxes of the cores on it. (C)
// Every core, in parallel, processes its inbox: rows are looked up and
// their weights added into the ring slots they are due in. A spike sent at
// t with delay d therefore enters its target's update at t + d. Phase C of
// step t and phase A of step t+1 involve only the core itself, so a worker
// runs them back to back, core by core. docs/semantics.md has the
// fixed-point arithmetic; docs/design.md ("Changes while building") the
// shortcuts that keep it fast, each tested against the slow path.
package emu

import (
	"fmt"
	"math"
	"math/bits"
	"runtime"
	"slices"
	"time"

	"github.com/somahw/soma/program"
	"github.com/somahw/soma/results"
	"github.com/somahw/soma/target"
)

// Options tune a run.
type Options struct {
	// Progress, if set, is called every so often with the steps done.
	Progress func(done, total int)
	// LinkPacketsPerSecond is what one chip-to-chip link carries; packets
	// over its share of a step are dropped. Default 6.25 M/s: a 250 Mbit/s
	// link and 40-bit packets (an estimate, not a SpiNNaker measurement).
	LinkPacketsPerSecond float64
	// Workers run the per-core phases in parallel (default GOMAXPROCS).
	Workers int
	// lookupAll (tests) delivers every packet by its key, looked up on
	// the receiving core, instead of through the decoded fans; walkAll
	// walks every packet's tree hop by hop, even in steps in which no
	// link can fill.
	lookupAll, walkAll bool
}

// Emulator runs one program.
type Emulator struct {
	p     *program.Program
	m     *program.Machine
	t     *target.Target
	opts  Options
	fpga  bool
	cores []*core
	// chips touched by routes, with their tables and counters
	chips   [][2]int
	chipAt  map[[2]int]int
	routes  [][]program.Route
	coreAt  map[[3]int]int
	chipCnt []ChipCounters
	// trees[c] holds core c's packet paths: one per key space, or one
	// per key when a router entry looks at neuron-index bits.
	trees   [][]*tree
	perKey  bool
	linkCap uint32
	// linkLoad counts packets per link this step (chip·6 + link).
	linkLoad []uint32
	alive    []bool
	costs    costs
	budget   uint64
	pool     *pool
	// ordered lists the cores in population order (for traces).
	ordered []*core
	// active lists the trees used on the fast path this step; packets
	// counts, per core, the packets they delivered.
	active  []*tree
	packets []uint32
	// toAll counts this step's packets of trees that reach most neuron
	// cores (tree.destAll).
	toAll uint32
	// ring holds every neuron core's ring buffer (core.ring is its part).
	ring      []uint32
	ringCap   uint32
	slotShift uint
	// fanSyn holds the static synapses of every fan (see tree.fans);
	// fired lists the fans of this step's packets, in delivery order;
	// fanCnt counts, per core, the rows and synapses phase C added from
	// fans this step.
	fanSyn []fanSynapse
	fired  [][]uint32
	// splitStride is workers + 1 (tree.fanSplit).
	splitStride int
	fanCnt      []fanCount
	// blocks[i] is the core whose ring holds entries i<<slotShift ….
	blocks []ringBlock
}

type costs struct {
	tick, neuron, source, packet, row, word, send, stdp uint64
}

// New prepares a program for emulation on its machine.
func New(p *program.Program, m *program.Machine, opts Options) (*Emulator, error) {
	if err := p.Verify(m); err != nil {
		return nil, err
	}
	t := m.Target
	e := &Emulator{p: p, m: m, t: t, opts: opts, fpga: p.Kind == string(target.KindFPGA),
		chipAt: map[[2]int]int{}, coreAt: map[[3]int]int{}}
	if opts.LinkPacketsPerSecond == 0 {
		opts.LinkPacketsPerSecond = 6.25e6
	}
	e.linkCap = uint32(max(1, opts.LinkPacketsPerSecond*p.Timestep))
	for i := range p.Cores {
		c := &p.Cores[i]
		e.coreAt[[3]int{int(c.X), int(c.Y), int(c.P)}] = i
		e.chipIndex(int(c.X), int(c.Y))
	}
	for _, ch := range p.Chips {
		i := e.chipIndex(int(ch.X), int(ch.Y))
		e.routes[i] = ch.Routes
	}
	shape := newRingShape(p)
	kernels := map[ifceParams]*ifceParams{}
	for i := range p.Cores {
		c, err := newCore(i, &p.Cores[i], p.Numeric, e.fpga, shape, kernels)
		if err != nil {
			return nil, err
		}
		e.cores = append(e.cores, c)
	}
	if err := e.allocRings(shape); err != nil {
		return nil, err
	}
	// An entry serves a whole key space when its mask selects no neuron
	// index bits of any sender; then one lookup per path suffices.
	common := ^uint32(0)
	for _, c := range p.Cores {
		common &= c.Mask
		if c.Kind == program.DelayCore {
			common &= ^uint32(1<<c.Geometry.IndexBits - 1)
		}
	}
	for _, c := range e.cores {
		c.entriesWhole = true
		for _, en := range c.table {
			c.entriesWhole = c.entriesWhole && en.Mask&^common == 0
		}
	}
	// Routes look at whole key spaces unless some entry's mask reaches
	// into the neuron-index bits (then every key gets its own path).
	for _, ch := range p.Chips {
		for _, r := range ch.Routes {
			e.perKey = e.perKey || r.Mask&^common != 0
		}
	}
	for i := range p.Cores {
		c := &p.Cores[i]
		var keys []uint32
		switch {
		case c.Kind == program.DelayCore:
			for s := range c.Delay.Stages {
				base := c.Key | s<<c.Geometry.IndexBits
				if e.perKey {
					for j := range c.N {
						keys = append(keys, base|j)
					}
				} else {
					keys = append(keys, base)
				}
			}
		case e.perKey:
			for j := range c.N {
				keys = append(keys, c.Key|j)
			}
		default:
			keys = []uint32{c.Key}
		}
		var ts []*tree
		for _, k := range keys {
			tr, err := e.buildTree(c.CoreID, k)
			if err != nil {
				return nil, fmt.Errorf("emu: core %s: %w", c.CoreID, err)
			}
			e.resolveEntries(tr, k, e.perKey)
			if e.perKey {
				e.prepareFast(tr, k, 1)
			} else {
				e.prepareFast(tr, k, int(c.N))
			}
			tr.fast = tr.fast && !opts.lookupAll
			ts = append(ts, tr)
		}
		e.trees = append(e.trees, ts)
	}
	e.chipCnt = make([]ChipCounters, len(e.chips))
	for i, ch := range e.chips {
		e.chipCnt[i].Chip = fmt.Sprintf("%d,%d", ch[0], ch[1])
	}
	e.linkLoad = make([]uint32, len(e.chips)*program.LinkBits)
	cost := func(names ...string) uint64 {
		for _, n := range names {
			if c, ok := t.CycleCost(n); ok {
				return uint64(c.Cycles)
			}
		}
		return 0
	}
	e.costs = costs{
		tick: cost("tick_overhead"), neuron: cost("neuron_update.lif", "neuron_update"),
		source: cost("neuron_update.poisson_source"), packet: cost("packet_receive"), row: cost("row_lookup"),
		word: cost("synaptic_word"), send: cost("spike_send"), stdp: cost("stdp_update"),
	}
	e.budget = uint64(float64(t.Machine.ClockHz) * p.Timestep)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	ranges := e.balance(workers)
	e.pool = newPool(min(workers, len(e.cores)), ranges)
	e.splitFans(ranges)
	e.complementDests()
	return e, nil
}

// ringShape is the layout every neuron core's ring shares: entry
// slot<<slotShift | type<<typeShift | neuron.
type ringShape struct{ typeShift, slotShift uint }

// newRingShape makes room for the widest core: a type block of at least
// sixteen entries, so the vectorised update runs whole blocks.
func newRingShape(p *program.Program) ringShape {
	var index, types uint8
	for _, c := range p.Cores {
		if c.Kind == program.NeuronCore {
			index, types = max(index, c.Geometry.IndexBits), max(types, c.Geometry.TypeBits)
		}
	}
	ts := uint(max(index, 4)) // blocks of ≥ 16 entries (kernelLanes)
	return ringShape{typeShift: ts, slotShift: ts + uint(types)}
}

// allocRings gives every neuron core its ring, all in one array, so that a
// fan's synapses address any core's entries by one index.
func (e *Emulator) allocRings(shape ringShape) error {
	total := 0
	for _, c := range e.cores {
		if c.kind == program.NeuronCore {
			c.ringOff = total
			total += (c.slotMask + 1) << shape.slotShift
		}
	}
	if uint64(total) >= 1<<32 {
		// (fanSynapse positions are 32-bit)
		return fmt.Errorf("emu: the cores' ring buffers need %d entries, more than the emulator addresses (2^32)", total)
	}
	e.ring = make([]uint32, total)
	e.slotShift = shape.slotShift
	e.ringCap = uint32(1<<e.p.Numeric.RingBits - 1)
	e.blocks = make([]ringBlock, total>>shape.slotShift)
	for _, c := range e.cores {
		if c.kind == program.NeuronCore {
			end := c.ringOff + (c.slotMask+1)<<shape.slotShift
			c.ring = e.ring[c.ringOff:end:end]
			for b := range c.slotMask + 1 {
				e.blocks[c.ringOff>>shape.slotShift+b] = ringBlock{uint32(c.idx), uint32(c.slotMask)}
			}
		}
	}
	e.fanCnt = make([]fanCount, len(e.cores))
	e.packets = make([]uint32, len(e.cores))
	return nil
}

// SetProgress sets the progress callback (called every so often with the
// steps done).
func (e *Emulator) SetProgress(f func(done, total int)) { e.opts.Progress = f }

// balance splits the cores into contiguous ranges of similar work.
func (e *Emulator) balance(workers int) [][2]int {
	workers = max(1, min(workers, len(e.cores)))
	weight := make([]int, len(e.cores))
	total := 0
	for i, c := range e.cores {
		weight[i] = c.n + len(c.syn)/16 + 1
		total += weight[i]
	}
	var out [][2]int
	lo, acc := 0, 0
	for i, w := range weight {
		acc += w
		if len(out) < workers-1 && acc >= total*(len(out)+1)/workers {
			out = append(out, [2]int{lo, i + 1})
			lo = i + 1
		}
	}
	return append(out, [2]int{lo, len(e.cores)})
}

// Run emulates the program for its run length.
func (e *Emulator) Run() (*results.Result, *Counters, error) {
	start := time.Now()
	steps := int(e.p.Steps)
	res := e.newResult()
	for _, c := range e.cores {
		c.sampled = len(c.vars) > 0 || len(c.weightRecs) > 0
	}
	every := max(1, steps/200)
	defer e.pool.stop()
	// Phase C of step t and phase A of step t+1 touch only the core's own
	// state, so each worker runs them back to back, core by core: one
	// barrier per step besides routing, and a core's state is still in
	// cache from one to the other. The phase functions are made once: the
	// step loop allocates nothing but the amortised growth of inboxes and
	// recordings.
	step := 0
	phaseA := func(i int) { e.phaseA(i, step) }
	phaseCA := func(w, lo, hi int) {
		e.addFans(w, step)
		next := step + 1
		for i := lo; i < hi; i++ {
			e.phaseC(i, step)
			if e.cores[i].sampled {
				e.cores[i].sample(step)
			}
			if next < steps {
				e.phaseA(i, next)
			}
		}
	}
	if steps > 0 {
		e.pool.run(phaseA)
	}
	for t := range steps {
		step = t
		e.route(t)
		e.pool.runWorkers(phaseCA)
		e.fired = e.fired[:0]
		if e.opts.Progress != nil && (t%every == 0 || t == steps-1) {
			e.opts.Progress(t+1, steps)
		}
	}
	e.creditTrees()
	cnt := e.counters()
	e.finish(res)
	res.Timings.RunS = time.Since(start).Seconds()
	return res, cnt, nil
}

func (e *Emulator) phaseA(i, t int) {
	c := e.cores[i]
	switch c.kind {
	case program.NeuronCore:
		c.update(t)
	case program.SourceCore:
		c.emitSource(uint32(t))
	case program.DelayCore:
		c.emitDelayed(t)
	}
	c.cnt.SpikesSent += uint64(len(c.out))
	if c.recSpikes != nil && c.kind != program.DelayCore {
		for _, key := range c.out {
			j := key &^ c.mask
			if c.recSpikes[j/32]>>(j%32)&1 != 0 {
				c.recorded = append(c.recorded, results.Spike{Pop: int32(c.pc.Pop), Neuron: int32(c.pc.Lo + j), Step: int32(t)})
			}
		}
	}
}

// route delivers every packet sent this step, in core order.
func (e *Emulator) route(t int) {
	clear(e.linkLoad)
	e.toAll = 0 // phase C of the last step has read it
	// No link can fill in a step that sends fewer packets than one link
	// carries: then every packet reaches its whole tree, and its routers'
	// counters are credited once per tree at the end of the run
	// (tree.sent) instead of hop by hop per packet.
	sent := 0
	for _, c := range e.cores {
		sent += len(c.out)
	}
	walk := e.opts.walkAll || sent > int(e.linkCap)
	for i, c := range e.cores {
		if len(c.out) == 0 {
			continue
		}
		ts := e.trees[i]
		for _, key := range c.out {
			var tr *tree
			local := key &^ c.mask
			switch {
			case c.kind == program.DelayCore && e.perKey:
				tr = ts[(local>>c.delayIdx)*uint32(c.n)+local&(1<<c.delayIdx-1)]
			case c.kind == program.DelayCore:
				tr = ts[local>>c.delayIdx]
			case e.perKey:
				tr = ts[local]
			default:
				tr = ts[0]
			}
			if walk {
				if !e.send(tr, key, t) {
					continue
				}
			} else {
				tr.sent++
				if !tr.fast {
					e.deliver(tr, key, nil)
					continue
				}
			}
			// Reached every core: queue the rows straight away.
			if tr.count == 0 {
				e.active = append(e.active, tr)
			}
			tr.count++
			ri := uint32(0)
			if len(tr.rows) > 1 {
				ri = local & (1<<c.delayIdx - 1)
				if c.kind != program.DelayCore {
					ri = local
				}
			}
			split := tr.fanSplit[int(ri)*e.splitStride : int(ri+1)*e.splitStride]
			if split[len(split)-1] > split[0] {
				e.fired = append(e.fired, split)
			}
			for _, ref := range tr.rows[ri] {
				dc := e.cores[ref.core]
				dc.work = append(dc.work, ref)
			}
			for _, d := range tr.delayDests {
				e.cores[d].inbox = append(e.cores[d].inbox, packet{key, -1})
			}
		}
	}
	// Count the packets each core received this step on the fast path.
	// (into a dense array: in a large network a tree reaches hundreds of
	// cores, whose structs are not in cache)
	// A tree's cores are a bitmap: hundreds of cores in a cache line. A
	// tree that reaches most neuron cores counts for all of them
	// (toAll) and takes its packets back from the few it does not reach:
	// uint32 arithmetic wraps, and each core's sum is its true count.
	packets := e.packets
	for _, tr := range e.active {
		n := tr.count
		if tr.destAll {
			e.toAll += n
			n = -n
		}
		for wi, word := range tr.destBits {
			for word != 0 {
				packets[wi*64+bits.TrailingZeros64(word)] += n
				word &= word - 1
			}
		}
		tr.count = 0
	}
	e.active = e.active[:0]
}

// addFans adds the static rows of this step's packets into the rings of
// worker w's cores: per core, in delivery order, as receive would (with
// nonnegative weights a saturating sum does not depend on the order, but
// the count of saturating adds does).
func (e *Emulator) addFans(w, t int) {
	ring, ringCap, cnt, blocks := e.ring, e.ringCap, e.fanCnt, e.blocks
	shift := e.slotShift & 31
	for _, split := range e.fired {
		syn := e.fanSyn[split[w]:split[w+1]]
		for k := range syn {
			s := &syn[k] // (a copy of the record would go through the stack)
			b := blocks[s.at>>shift]
			pos := s.at + uint32((t+int(s.delay))&int(b.slotMask))<<shift
			sum := ring[pos] + uint32(s.weight)
			if sum > ringCap {
				sum = ringCap
				e.cores[b.core].cnt.RingSaturations++
			}
			ring[pos] = sum
			cnt[b.core] += fanCount(s.flags&fanFirst)<<32 | fanCount(s.flags>>1&1)
		}
	}
}

func (e *Emulator) phaseC(i, t int) {
	c := e.cores[i]
	packets := uint64(len(c.inbox))
	if c.kind == program.NeuronCore {
		packets += uint64(e.packets[i] + e.toAll)
		e.packets[i] = 0
	}
	rows, words, events := c.receive(t)
	rows, words, events = rows+c.stepRows, words+c.stepWords, events+c.stepEvents
	c.stepRows, c.stepWords, c.stepEvents = 0, 0, 0
	if f := e.fanCnt[i]; f != 0 {
		// a fetched row is its header word and its synapses
		rows, words, events = rows+f.rows(), words+f.rows()+f.events(), events+f.events()
		e.fanCnt[i] = 0
	}
	c.inbox = c.inbox[:0]
	c.work = c.work[:0]
	cnt := &c.cnt
	cnt.PacketsReceived += packets
	cnt.RowsFetched += rows
	cnt.SDRAMWords += words
	cnt.SynapticEvents += events
	// Cycles this step, from the target's cost table.
	var cycles uint64
	spikes := uint64(len(c.out))
	switch c.kind {
	case program.NeuronCore:
		cycles = e.costs.tick + uint64(c.n)*e.costs.neuron + packets*e.costs.packet + rows*e.costs.row + events*e.costs.word + spikes*e.costs.send +
			c.stepSTDP*e.costs.stdp
		c.stepSTDP = 0
	case program.SourceCore:
		cycles = e.costs.tick + uint64(c.n)*e.costs.source + spikes*e.costs.send
	case program.DelayCore:
		cycles = e.costs.tick + packets*e.costs.packet + spikes*e.costs.send
	}
	cnt.BusyCycles += cycles
	cnt.MaxCycles = max(cnt.MaxCycles, cycles)
	if e.fpga {
		cnt.CyclesPerStep = append(cnt.CyclesPerStep, uint32(cycles))
	}
	if e.budget > 0 && cycles > e.budget {
		cnt.Overruns++
		if len(cnt.OverrunSteps) < maxEvents {
			cnt.OverrunSteps = append(cnt.OverrunSteps, Overrun{Step: t, Cycles: cycles, Budget: e.budget})
		}
	}
}

// newResult lays out the result and each core's recording buffers.
func (e *Emulator) newResult() *results.Result {
	p := e.p
	res := &results.Result{Engine: "emu", Network: p.Network, Timestep: p.Timestep, Steps: int(p.Steps)}
	for _, pop := range p.Populations {
		res.Populations = append(res.Populations, results.Population{Name: pop.Name, Size: int(pop.Size), Model: pop.Model})
	}
	type traceKey struct {
		pop   uint32
		field string
	}
	traces := map[traceKey]int{}
	var ordered []*core // population order, then slice order: trace columns follow neuron order
	for _, pop := range p.Populations {
		for _, ci := range pop.Cores {
			ordered = append(ordered, e.cores[ci])
		}
	}
	e.ordered = ordered
	for _, c := range ordered {
		for _, rv := range c.pc.Record.Vars {
			k := traceKey{c.pc.Pop, rv.Field}
			ti, ok := traces[k]
			if !ok {
				ti = len(res.Traces)
				traces[k] = ti
				pop := p.Populations[c.pc.Pop]
				unit, _ := fieldUnit(pop.Model, rv.Field)
				res.Traces = append(res.Traces, results.Trace{Name: pop.Name + "." + rv.Field, Population: pop.Name,
					Variable: rv.Field, Unit: unit, Every: int(rv.Every)})
			}
			f, decay := c.field(rv.Field)
			_, scale := fieldUnit(c.model, rv.Field)
			c.vars = append(c.vars, varRec{field: f, decay: decay, every: int(rv.Every), indices: rv.Indices,
				scale: scale / float64(uint64(1)<<c.frac), trace: ti})
			for _, j := range rv.Indices {
				res.Traces[ti].Indices = append(res.Traces[ti].Indices, int(c.pc.Lo+j))
			}
		}
	}
	// Plastic weights: one trace per projection, columns gathered from
	// every core holding probed synapses and put in synapse order at the end.
	for _, c := range ordered {
		for _, wp := range c.pc.Record.Weights {
			name := wp.Projection + ".weights"
			ti := -1
			for k, tr := range res.Traces {
				if tr.Name == name {
					ti = k
				}
			}
			if ti < 0 {
				ti = len(res.Traces)
				unit, _ := fieldUnit(c.model, "weight")
				res.Traces = append(res.Traces, results.Trace{Name: name, Population: wp.Projection, Variable: "weights",
					Unit: unit, Every: int(wp.Every)})
			}
			_, hw := fieldUnit(c.model, "weight")
			c.weightRecs = append(c.weightRecs, weightRec{probe: wp, trace: ti, hw: hw})
			for _, syn := range wp.Synapses {
				res.Traces[ti].Indices = append(res.Traces[ti].Indices, int(syn))
			}
		}
	}
	return res
}

// fieldUnit is the SI unit of a recorded field and the factor from the
// hardware unit (mV, nA for PyNN models; none for NIR models).
func fieldUnit(model, field string) (string, float64) {
	if field == "weight" {
		switch model {
		case "if_curr_exp":
			return "A", 1e-9
		case "if_curr_delta":
			return "V", 1e-3
		}
		return "", 1
	}
	if model == "if_curr_exp" || model == "if_curr_delta" {
		switch field {
		case "v":
			return "V", 1e-3
		case "isyn_exc", "isyn_inh":
			return "A", 1e-9
		}
	}
	return "", 1
}

func (c *core) field(name string) ([]int32, bool) {
	switch name {
	case "v":
		return c.v, false
	case "isyn_exc", "i_syn":
		return c.isE, false
	case "isyn_inh":
		return c.isI, false
	}
	return nil, false
}

// sample records core c's analogue probes at the end of step t.
func (c *core) sample(t int) {
	for k := range c.weightRecs {
		r := &c.weightRecs[k]
		if t%int(r.probe.Every) != 0 {
			continue
		}
		for _, w := range r.probe.Words {
			word := c.syn[w]
			typ := word >> c.tShift & c.tMask
			lsb := math.Ldexp(1, int(c.shift[typ])-int(c.frac)) * r.hw
			r.data = append(r.data, float64(word>>c.wShift)*lsb)
		}
	}
	for k := range c.vars {
		r := &c.vars[k]
		if t%r.every != 0 {
			continue
		}
		for _, j := range r.indices {
			r.data = append(r.data, float64(r.field[j])*r.scale)
		}
	}
}

// finish assembles spikes and traces in the canonical order.
func (e *Emulator) finish(res *results.Result) {
	for _, c := range e.cores {
		res.Spikes = append(res.Spikes, c.recorded...)
	}
	res.Sort()
	// A trace's columns are its cores' indices in core order; interleave
	// each core's samples into rows.
	type part struct {
		data  []float64
		width int
	}
	parts := make([][]part, len(res.Traces))
	for _, c := range e.ordered {
		for _, r := range c.vars {
			parts[r.trace] = append(parts[r.trace], part{r.data, len(r.indices)})
		}
	}
	for _, c := range e.ordered {
		for _, r := range c.weightRecs {
			parts[r.trace] = append(parts[r.trace], part{r.data, len(r.probe.Words)})
		}
	}
	for ti := range res.Traces {
		ps := parts[ti]
		if len(ps) == 0 || ps[0].width == 0 {
			continue
		}
		samples := len(ps[0].data) / ps[0].width
		data := make([]float64, 0, samples*len(res.Traces[ti].Indices))
		for s := range samples {
			for _, p := range ps {
				data = append(data, p.data[s*p.width:(s+1)*p.width]...)
			}
		}
		res.Traces[ti].Data = data
		if res.Traces[ti].Variable == "weights" {
			sortColumns(&res.Traces[ti])
		}
	}
}

// sortColumns puts a trace's columns in increasing index order.
func sortColumns(tr *results.Trace) {
	w := len(tr.Indices)
	order := make([]int, w)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return tr.Indices[a] - tr.Indices[b] })
	idx := make([]int, w)
	for k, o := range order {
		idx[k] = tr.Indices[o]
	}
	data := make([]float64, len(tr.Data))
	for s := 0; s+w <= len(tr.Data); s += w {
		for k, o := range order {
			data[s+k] = tr.Data[s+o]
		}
	}
	tr.Indices, tr.Data = idx, data
}
