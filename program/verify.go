package program

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Verify checks every invariant of a program against the machine it was
// compiled for and returns all violations at once:
//   - cores are sorted, unique, on existing chips and application cores;
//   - each core's regions are well formed and fit its memories (DTCM per
//     core, SDRAM per chip) and its router has room;
//   - key spaces of sending cores do not overlap and hold their neurons;
//   - every population-table entry is well formed and every synaptic word
//     names a real neuron, synapse type and delay;
//   - routes deliver each sending core's packets to exactly the cores that
//     have rows for them: every row is reachable, and nothing arrives where
//     it has no row.
func (p *Program) Verify(m *Machine) error {
	v := &verifier{p: p, m: m}
	v.header()
	v.cores()
	v.keys()
	v.routes()
	v.memory()
	if len(v.errs) == 0 {
		return nil
	}
	if len(v.errs) > 50 {
		n := len(v.errs)
		v.errs = append(v.errs[:50], fmt.Sprintf("… and %d more", n-50))
	}
	return errors.New("program does not verify:\n  " + strings.Join(v.errs, "\n  "))
}

type verifier struct {
	p    *Program
	m    *Machine
	errs []string
}

func (v *verifier) errorf(format string, args ...any) {
	v.errs = append(v.errs, fmt.Sprintf(format, args...))
}

func (v *verifier) header() {
	p := v.p
	if !(p.Timestep > 0) {
		v.errorf("timestep %g is not positive", p.Timestep)
	}
	if p.Target != v.m.Target.Name {
		v.errorf("program is for target %s, machine is %s", p.Target, v.m.Target.Name)
	}
	for i, pop := range p.Populations {
		next := uint32(0)
		for _, ci := range pop.Cores {
			if int(ci) >= len(p.Cores) {
				v.errorf("population %s: core index %d out of range", pop.Name, ci)
				return
			}
			c := &p.Cores[ci]
			if c.Pop != uint32(i) || c.Lo != next {
				v.errorf("population %s: core %s holds population %d from %d, expected %d from %d", pop.Name, c.CoreID, c.Pop, c.Lo, i, next)
			}
			next = c.Lo + c.N
		}
		if next != pop.Size {
			v.errorf("population %s: its cores hold %d of %d neurons", pop.Name, next, pop.Size)
		}
	}
}

func (v *verifier) cores() {
	p := v.p
	for i := range p.Cores {
		c := &p.Cores[i]
		if i > 0 {
			prev := p.Cores[i-1].CoreID
			if !less(prev, c.CoreID) {
				v.errorf("cores not sorted or duplicated at %s (after %s)", c.CoreID, prev)
			}
		}
		if !v.m.HasChip(int(c.X), int(c.Y)) {
			v.errorf("core %s: chip %d,%d does not exist on %s", c.CoreID, c.X, c.Y, v.m.Target.Name)
		}
		if int(c.P) < v.m.FirstCore || int(c.P) >= v.m.Cores {
			v.errorf("core %s: processor %d is not an application core (%d–%d)", c.CoreID, c.P, v.m.FirstCore, v.m.Cores-1)
		} else if !v.m.CoreUsable(int(c.X), int(c.Y), int(c.P)) {
			v.errorf("core %s: the target lists this core as dead", c.CoreID)
		}
		if int(c.Pop) >= len(p.Populations) {
			v.errorf("core %s: population %d out of range", c.CoreID, c.Pop)
			continue
		}
		v.core(c)
	}
}

func less(a, b CoreID) bool {
	if a.X != b.X {
		return a.X < b.X
	}
	if a.Y != b.Y {
		return a.Y < b.Y
	}
	return a.P < b.P
}

func (v *verifier) core(c *Core) {
	g := c.Geometry
	if c.N == 0 {
		v.errorf("core %s: holds no neurons", c.CoreID)
	}
	wordBits := int(v.p.Numeric.WeightBits) + int(g.DelayBits) + int(g.TypeBits) + int(g.IndexBits)
	if wordBits > 32 {
		v.errorf("core %s: synaptic word needs %d bits (weight %d + delay %d + type %d + index %d), more than 32",
			c.CoreID, wordBits, v.p.Numeric.WeightBits, g.DelayBits, g.TypeBits, g.IndexBits)
	}
	if c.Kind == NeuronCore {
		if uint64(c.N) > 1<<g.IndexBits {
			v.errorf("core %s: %d neurons do not fit %d index bits", c.CoreID, c.N, g.IndexBits)
		}
		if len(c.Neurons) != int(c.N)*len(c.Layout) {
			v.errorf("core %s: neuron region has %d words, want %d neurons × %d", c.CoreID, len(c.Neurons), c.N, len(c.Layout))
		}
		if int(g.SynapseTypes) > 1<<g.TypeBits || len(c.WeightShift) != int(g.SynapseTypes) {
			v.errorf("core %s: %d synapse types, %d type bits, %d weight shifts", c.CoreID, g.SynapseTypes, g.TypeBits, len(c.WeightShift))
		}
	}
	for i := 1; i < len(c.PopTable); i++ {
		if c.PopTable[i-1].Key >= c.PopTable[i].Key {
			v.errorf("core %s: population table not sorted by key at entry %d", c.CoreID, i)
		}
	}
	for i, e := range c.PopTable {
		if e.Key&^e.Mask != 0 {
			v.errorf("core %s: population table entry %d: key %08x has bits outside mask %08x", c.CoreID, i, e.Key, e.Mask)
		}
		header := e.Header()
		end := uint64(e.Start) + uint64(e.Rows)*uint64(e.Stride)
		if e.Stride == 0 {
			end = uint64(e.Start) + uint64(e.BitmapWords())
		}
		if e.Stride > 0 && e.Stride < header || end > uint64(len(c.Synapses)) {
			v.errorf("core %s: population table entry %d (key %08x): rows %d × stride %d from %d exceed the %d-word synaptic matrix",
				c.CoreID, i, e.Key, e.Rows, e.Stride, e.Start, len(c.Synapses))
			continue
		}
		for r := range e.Rows {
			if !e.HasRow(r, c.Synapses) {
				continue
			}
			at, ok := e.Row(e.Key|r, c.Synapses)
			if !ok || uint64(at)+uint64(header) > uint64(len(c.Synapses)) {
				v.errorf("core %s: key %08x row %d: directory points outside the synaptic matrix", c.CoreID, e.Key, r)
				break
			}
			n := c.Synapses[at]
			if e.Stride > 0 && n > e.Stride-header || uint64(at)+uint64(header)+uint64(n) > uint64(len(c.Synapses)) {
				v.errorf("core %s: key %08x row %d: length %d runs past its space", c.CoreID, e.Key, r, n)
				continue
			}
			for _, w := range c.Synapses[at+header : at+header+n] {
				_, d, t, idx := g.Unpack(w)
				if idx >= c.N || t >= uint32(g.SynapseTypes) || d == 0 {
					v.errorf("core %s: key %08x row %d: word %08x names neuron %d of %d, type %d of %d, delay %d",
						c.CoreID, e.Key, r, w, idx, c.N, t, g.SynapseTypes, d)
					break
				}
			}
		}
	}
	if r := c.Record; r.Spikes != nil && len(r.Spikes) != int((c.N+31)/32) {
		v.errorf("core %s: spike-recording bitmap has %d words for %d neurons", c.CoreID, len(r.Spikes), c.N)
	}
	for _, rv := range c.Record.Vars {
		has := false
		for _, f := range c.Layout {
			has = has || f.Name == rv.Field
		}
		switch {
		case !has:
			v.errorf("core %s: records %q, which its neuron record does not have", c.CoreID, rv.Field)
		case rv.Every == 0:
			v.errorf("core %s: records %s every 0 steps", c.CoreID, rv.Field)
		}
		for _, i := range rv.Indices {
			if i >= c.N {
				v.errorf("core %s: records %s of neuron %d of %d", c.CoreID, rv.Field, i, c.N)
				break
			}
		}
	}
	for _, wp := range c.Record.Weights {
		if len(wp.Synapses) != len(wp.Words) || wp.Every == 0 {
			v.errorf("core %s: weight probe of %s has %d synapses, %d words, every %d", c.CoreID, wp.Projection, len(wp.Synapses), len(wp.Words), wp.Every)
			continue
		}
		for _, w := range wp.Words {
			if int(w) >= len(c.Synapses) {
				v.errorf("core %s: weight probe of %s reads word %d of a %d-word matrix", c.CoreID, wp.Projection, w, len(c.Synapses))
				break
			}
		}
	}
	if c.Kind == DelayCore {
		d := c.Delay
		switch {
		case d == nil:
			v.errorf("core %s: delay core without a delay configuration", c.CoreID)
		case d.Stages == 0 || len(d.Send) != int(d.Stages)*int((c.N+31)/32):
			v.errorf("core %s: delay core with %d stages has %d send words for %d neurons", c.CoreID, d.Stages, len(d.Send), c.N)
		case int(d.Slots) >= g.DelaySlots() || d.Slots == 0:
			v.errorf("core %s: delay stage of %d steps, the ring holds %d", c.CoreID, d.Slots, g.DelaySlots()-1)
		}
	}
	if c.Kind == SourceCore {
		if len(c.Spikes)%2 != 0 {
			v.errorf("core %s: spike list has an odd number of words", c.CoreID)
		}
		for i := 0; i+1 < len(c.Spikes); i += 2 {
			if c.Spikes[i] >= v.p.Steps || c.Spikes[i+1] >= c.N {
				v.errorf("core %s: spike %d (step %d, neuron %d) outside %d steps × %d neurons", c.CoreID, i/2, c.Spikes[i], c.Spikes[i+1], v.p.Steps, c.N)
				break
			}
			if i > 0 && (c.Spikes[i] < c.Spikes[i-2] || c.Spikes[i] == c.Spikes[i-2] && c.Spikes[i+1] <= c.Spikes[i-1]) {
				v.errorf("core %s: spike list not sorted at entry %d", c.CoreID, i/2)
				break
			}
		}
	}
}

// sender is a key space that some core emits on.
type sender struct {
	key, mask uint32
	core      int
}

func (v *verifier) senders() []sender {
	var out []sender
	for i := range v.p.Cores {
		c := &v.p.Cores[i]
		out = append(out, sender{c.Key, c.Mask, i})
	}
	return out
}

func (v *verifier) keys() {
	s := v.senders()
	for _, x := range s {
		c := &v.p.Cores[x.core]
		if x.key&^x.mask != 0 {
			v.errorf("core %s: key %08x has bits outside its mask %08x", c.CoreID, x.key, x.mask)
		}
		space := uint64(^x.mask) + 1
		need := uint64(c.N)
		if c.Kind == DelayCore && c.Delay != nil {
			need = uint64(c.Delay.Stages) << c.Geometry.IndexBits
		}
		if need > space {
			v.errorf("core %s: key space of %d keys (mask %08x) cannot hold %d", c.CoreID, space, x.mask, need)
		}
	}
	// Two spaces overlap iff they agree on the bits both masks select.
	sort.Slice(s, func(i, j int) bool { return s[i].key < s[j].key })
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			a, b := s[i], s[j]
			if (a.key^b.key)&a.mask&b.mask == 0 {
				v.errorf("cores %s and %s have overlapping keys (%08x/%08x and %08x/%08x)",
					v.p.Cores[a.core].CoreID, v.p.Cores[b.core].CoreID, a.key, a.mask, b.key, b.mask)
			}
		}
	}
}

// Reach follows the router tables from core src for a packet with key and
// returns the cores it is delivered to, sorted. Default routing: a packet
// that matches no entry leaves by the link opposite to the one it came in
// on; one from a local core that matches nothing is dropped (an error).
func (p *Program) Reach(m *Machine, src CoreID, key uint32) ([]CoreID, error) {
	type hop struct{ x, y, in int } // in: arrival link, -1 from a local core
	routers := map[[2]int]*Chip{}
	for i := range p.Chips {
		routers[[2]int{int(p.Chips[i].X), int(p.Chips[i].Y)}] = &p.Chips[i]
	}
	var out []CoreID
	seen := map[[2]int]bool{}
	queue := []hop{{int(src.X), int(src.Y), -1}}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		if seen[[2]int{h.x, h.y}] {
			return nil, fmt.Errorf("key %08x from %s visits chip %d,%d twice (a routing loop or merge)", key, src, h.x, h.y)
		}
		seen[[2]int{h.x, h.y}] = true
		var dest uint32
		matched := false
		if r := routers[[2]int{h.x, h.y}]; r != nil {
			for _, e := range r.Routes {
				if key&e.Mask == e.Key {
					dest, matched = e.Dest, true
					break
				}
			}
		}
		if !matched {
			if h.in < 0 {
				return nil, fmt.Errorf("key %08x from %s matches no entry on its own chip and is dropped", key, src)
			}
			dest = 1 << Opposite(h.in)
		}
		for l := range LinkBits {
			if dest&(1<<l) == 0 {
				continue
			}
			nx, ny, ok := m.Neighbour(h.x, h.y, l)
			if !ok {
				return nil, fmt.Errorf("key %08x from %s leaves chip %d,%d by link %s, which leads off the machine", key, src, h.x, h.y, LinkNames[l])
			}
			queue = append(queue, hop{nx, ny, Opposite(l)})
		}
		for core := range m.Cores {
			if dest&CoreBit(uint8(core)) != 0 {
				out = append(out, CoreID{uint8(h.x), uint8(h.y), uint8(core)})
			}
		}
	}
	slices.SortFunc(out, func(a, b CoreID) int {
		if less(a, b) {
			return -1
		}
		if a == b {
			return 0
		}
		return 1
	})
	return out, nil
}

func (v *verifier) routes() {
	p := v.p
	for _, ch := range p.Chips {
		if len(ch.Routes) > v.m.RouterEntries {
			v.errorf("chip %d,%d: %d router entries, the router holds %d", ch.X, ch.Y, len(ch.Routes), v.m.RouterEntries)
		}
	}
	// Which cores must receive each sender's packets: those with a
	// population-table entry for exactly its key space.
	want := map[[2]uint32][]CoreID{}
	for i := range p.Cores {
		c := &p.Cores[i]
		for _, e := range c.PopTable {
			k := [2]uint32{e.Key, e.Mask}
			want[k] = append(want[k], c.CoreID)
		}
		if c.Kind == DelayCore && c.Delay != nil {
			// A delay core receives every spike of the core it serves.
			k := [2]uint32{c.Delay.SourceKey, c.Delay.SourceMask}
			want[k] = append(want[k], c.CoreID)
		}
	}
	// Router entries normally select whole key spaces (their masks never
	// look at neuron-index bits), so one key stands for its space. If any
	// entry looks finer, every key is walked.
	common := ^uint32(0)
	for i := range p.Cores {
		common &= p.Cores[i].Mask
		if p.Cores[i].Kind == DelayCore {
			common &= ^uint32(1<<p.Cores[i].Geometry.IndexBits - 1)
		}
	}
	fine := false
	for _, ch := range p.Chips {
		for _, r := range ch.Routes {
			fine = fine || r.Mask&^common != 0
		}
	}
	matched := map[[2]uint32]bool{}
	for i := range p.Cores {
		c := &p.Cores[i]
		spaces := [][2]uint32{{c.Key, c.Mask}}
		if c.Kind == DelayCore && c.Delay != nil {
			spaces = spaces[:0]
			for s := range c.Delay.Stages {
				// Stage s of a delay core is its own key space: the stage
				// bits join the mask, leaving only the neuron index free.
				spaces = append(spaces, [2]uint32{c.Key | s<<c.Geometry.IndexBits, ^uint32(1<<c.Geometry.IndexBits - 1)})
			}
		}
		for _, sp := range spaces {
			targets := want[sp]
			matched[sp] = true
			keys := uint32(1)
			if fine {
				keys = c.N
			}
			for local := range keys {
				key := sp[0] | local
				if len(targets) == 0 && !p.matchesOnChip(c.X, c.Y, key) {
					continue // dropped at its source: delivered nowhere, as it should be
				}
				got, err := p.Reach(v.m, c.CoreID, key)
				if err != nil {
					v.errorf("core %s: %v", c.CoreID, err)
					break
				}
				if !slices.Equal(got, targets) {
					v.errorf("core %s: key %08x reaches %v but the cores with rows for it are %v", c.CoreID, key, got, targets)
					break
				}
			}
		}
	}
	var orphans [][2]uint32
	for k := range want {
		if !matched[k] {
			orphans = append(orphans, k)
		}
	}
	slices.SortFunc(orphans, func(a, b [2]uint32) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	for _, k := range orphans {
		v.errorf("cores %v have rows for key %08x/%08x, which no core sends", want[k], k[0], k[1])
	}
}

// matchesOnChip reports whether a key matches an entry of chip x,y.
func (p *Program) matchesOnChip(x, y uint8, key uint32) bool {
	if ch, ok := p.Chip(x, y); ok {
		for _, e := range ch.Routes {
			if key&e.Mask == e.Key {
				return true
			}
		}
	}
	return false
}

// CoreDTCM is the bytes of a core's data memory the program uses: the
// neuron records, the ring buffers (16-bit entries), the population table
// (16 bytes an entry, as sPyNNaker's) and the recording bitmaps.
func (c *Core) CoreDTCM() int64 {
	b := int64(4 * len(c.Neurons))
	if c.Kind == NeuronCore {
		b += 2 * int64(c.Geometry.DelaySlots()) * int64(c.Geometry.SynapseTypes) * int64(c.N)
	}
	b += 16 * int64(len(c.PopTable))
	b += 4 * int64(len(c.Record.Spikes))
	if c.Kind == DelayCore && c.Delay != nil {
		// A bitmap of pending spikes per step of the longest stage.
		b += 4 * int64((c.N+31)/32) * int64(c.Delay.Stages*c.Delay.Slots+1)
		b += 4 * int64(len(c.Delay.Send))
	}
	return b
}

// CoreSDRAM is the bytes of its chip's shared memory a core uses: the
// synaptic matrix, spike lists, and recording buffers for the whole run.
func (c *Core) CoreSDRAM(steps uint32) int64 {
	b := 4 * int64(len(c.Synapses)+len(c.Spikes))
	if len(c.Record.Spikes) > 0 {
		b += 4 * int64((c.N+31)/32) * int64(steps)
	}
	for _, r := range c.Record.Vars {
		every := int64(max(r.Every, 1))
		b += 4 * int64(len(r.Indices)) * ((int64(steps) + every - 1) / every)
	}
	return b
}

func (v *verifier) memory() {
	if v.m.DTCMBytes == 0 {
		return // FPGA targets size memories in backends/fpga
	}
	sdram := map[[2]uint8]int64{}
	for i := range v.p.Cores {
		c := &v.p.Cores[i]
		if d := c.CoreDTCM(); d > v.m.DTCMBytes {
			v.errorf("core %s: needs %d bytes of DTCM, has %d", c.CoreID, d, v.m.DTCMBytes)
		}
		sdram[[2]uint8{c.X, c.Y}] += c.CoreSDRAM(v.p.Steps)
	}
	for chip, b := range sdram {
		if v.m.SDRAMBytes > 0 && b > v.m.SDRAMBytes {
			v.errorf("chip %d,%d: needs %d bytes of SDRAM, has %d", chip[0], chip[1], b, v.m.SDRAMBytes)
		}
	}
}
