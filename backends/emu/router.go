package emu

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"sort"

	"github.com/somahw/soma/program"
)

// tree is a packet's path through the routers, precomputed per key space:
// hops in breadth-first order, each with its parent and the link counter it
// uses, and the cores delivered to at each hop. The router model walks it
// per packet, counting link use per step and dropping the subtree behind a
// link that is full.
type tree struct {
	hops []hop
	// fast: every delivery's population-table entry is known, so a
	// packet that is not dropped goes straight to the rows it reaches:
	// rows[local] lists them (cores without a row for that neuron get the
	// packet counted but no work).
	fast bool
	// rows[local] lists the plastic rows a packet reaches (their weights
	// change during the run, so they are read where they live), and the
	// static rows of cores whose delays do not fit a fanSynapse.
	rows [][]rowRef
	// The static rows a packet reaches are decoded at load (nothing
	// writes them during a run): their synapses are in Emulator.fanSyn,
	// in core order, so phase C streams them without a lookup per row
	// and each worker takes its own cores'. Local neuron i's are
	// fanSyn[split[0] : split[workers]] with split = fanSplit[i·(workers+1) :],
	// and split[w] where worker w's cores begin.
	fanSplit []uint32
	// destBits has bit c set for every neuron core c the tree reaches,
	// or, when destAll, for every neuron core it does not reach (the
	// sparser of the two: in a large network most trees reach most
	// cores); delayDests lists the delay cores.
	destBits   []uint64
	destAll    bool
	delayDests []int32
	// count is the packets sent on the tree this step (fast path).
	count uint32
	// sent counts the packets that reached the whole tree in steps where
	// no link could fill; their routers' counters are credited at the end
	// (creditTrees).
	sent uint64
}

// fanSynapse is one synaptic word of a fan's row, decoded at load: the
// ring entry it adds to (slot 0 of its core's ring, in Emulator.ring), its
// weight and delay, and flags: fanFirst on a row's first synapse (a row
// costs a lookup and a header word besides its synapses), fanEvent on all
// but the entry that stands for an empty row (weight 0). Eight bytes: a
// step's fans are read from memory that is mostly not in cache (all fans
// of a large network are megabytes), so their size is the loop's cost.
// The core and its ring depth are found from the entry (Emulator.blocks).
type fanSynapse struct {
	at     uint32
	weight uint16
	delay  uint8
	flags  uint8
}

const (
	fanFirst = 1 << 0
	fanEvent = 1 << 1
)

// ringBlock is what a block of the shared ring (one slot of one core)
// belongs to: the core and its ring's slot mask.
type ringBlock struct{ core, slotMask uint32 }

// fitsFan reports whether every synaptic word of core c fits a fanSynapse:
// delays below 256 (rings of up to 256 slots) and weights below 2^16. The
// compiler writes 16-bit weights; a program from elsewhere may have wider
// ones where the word has room. A core that does not fit has its static
// rows added per packet: slower, the same sums. (newCore sets c.fanFits.)
func fitsFan(c *core) bool {
	if c.dMask > math.MaxUint8 {
		return false
	}
	for i := range c.table {
		h := c.table[i].Header()
		for _, at := range c.rowAt[i] {
			if at < 0 {
				continue
			}
			for _, w := range c.syn[uint32(at)+h : uint32(at)+h+c.syn[at]] {
				if w>>c.wShift > math.MaxUint16 {
					return false
				}
			}
		}
	}
	return true
}

// fanCount is what one core received through fans in a step: rows in the
// high half, synapses in the low (one add per synapse counts both).
type fanCount uint64

func (f fanCount) rows() uint64   { return uint64(f >> 32) }
func (f fanCount) events() uint64 { return uint64(f & (1<<32 - 1)) }

// rowRef is a row a packet reaches: the core, the row's offset and its
// length in synaptic words. The length is read from the row header once,
// at load (rows do not change length during a run), so that fetching a
// step's rows does not wait on each header before the next: the word
// loads of different rows can then be in flight together.
type rowRef struct {
	core    int32
	at      uint32
	words   uint32
	plastic bool
}

// newRowRef describes the row at offset at of core c's synaptic matrix.
func newRowRef(c *core, at uint32, plastic bool) rowRef {
	return rowRef{core: int32(c.idx), at: at, words: c.syn[at], plastic: plastic}
}

type hop struct {
	chip   int32 // index into Emulator.chips
	parent int32 // -1 at the source chip
	link   int32 // global link counter index used to reach this hop, -1 at the source
	cores  []delivery
}

// delivery is a core a hop delivers to, with the population-table entry the
// tree's key space matches there (-1 for delay cores, which have none).
type delivery struct {
	core  int32
	entry int32
}

// buildTree walks the program's routers from a sending core for one key,
// following the same rules as program.Reach (first match, default routing).
func (e *Emulator) buildTree(src program.CoreID, key uint32) (*tree, error) {
	t := &tree{}
	type item struct {
		x, y   int
		in     int
		parent int32
		link   int32
	}
	queue := []item{{int(src.X), int(src.Y), -1, -1, -1}}
	seen := map[[2]int]bool{}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		if seen[[2]int{it.x, it.y}] {
			return nil, fmt.Errorf("key %08x from %s visits chip %d,%d twice", key, src, it.x, it.y)
		}
		seen[[2]int{it.x, it.y}] = true
		chip := e.chipIndex(it.x, it.y)
		h := hop{chip: int32(chip), parent: it.parent, link: it.link}
		var dest uint32
		matched := false
		if r := e.routes[chip]; r != nil {
			for _, en := range r {
				if key&en.Mask == en.Key {
					dest, matched = en.Dest, true
					break
				}
			}
		}
		if !matched {
			if it.in < 0 {
				return t, nil // dropped at the source: no core wants it
			}
			dest = 1 << program.Opposite(it.in)
		}
		for p := range e.m.Cores {
			if dest&program.CoreBit(uint8(p)) != 0 {
				ci, ok := e.coreAt[[3]int{it.x, it.y, p}]
				if !ok {
					return nil, fmt.Errorf("key %08x is routed to unused core %d,%d,%d", key, it.x, it.y, p)
				}
				h.cores = append(h.cores, delivery{int32(ci), -1})
			}
		}
		me := int32(len(t.hops))
		t.hops = append(t.hops, h)
		for l := range program.LinkBits {
			if dest&(1<<l) == 0 {
				continue
			}
			nx, ny, ok := e.m.Neighbour(it.x, it.y, l)
			if !ok {
				return nil, fmt.Errorf("key %08x leaves chip %d,%d off the machine", key, it.x, it.y)
			}
			queue = append(queue, item{nx, ny, program.Opposite(l), me, int32(chip*program.LinkBits + l)})
		}
	}
	return t, nil
}

func (e *Emulator) chipIndex(x, y int) int {
	if i, ok := e.chipAt[[2]int{x, y}]; ok {
		return i
	}
	i := len(e.chips)
	e.chipAt[[2]int{x, y}] = i
	e.chips = append(e.chips, [2]int{x, y})
	e.routes = append(e.routes, nil)
	return i
}

// send routes one packet: every hop whose link still has room this step
// carries it on; a hop behind a full link is dropped with its subtree.
// It returns whether the packet reached every core of its tree; if not,
// it has delivered the packet to the cores it did reach (by key, to be
// looked up), and the caller must not deliver it again.
func (e *Emulator) send(t *tree, key uint32, step int) bool {
	alive := e.alive[:0]
	complete := true
	for _, h := range t.hops {
		ok := true
		if h.parent >= 0 {
			ok = alive[h.parent]
			if ok && h.link >= 0 {
				if e.linkLoad[h.link] >= e.linkCap {
					ok = false
					complete = false
					e.dropped(int(t.hops[h.parent].chip), int(h.link)%program.LinkBits, step)
				} else {
					e.linkLoad[h.link]++
					e.chipCnt[h.chip].PacketsIn++
					e.chipCnt[t.hops[h.parent].chip].Links[h.link%program.LinkBits]++
				}
			}
		}
		alive = append(alive, ok)
		if ok {
			e.chipCnt[h.chip].PacketsRouted++
		}
	}
	e.alive = alive
	if complete && t.fast {
		return true
	}
	e.deliver(t, key, alive)
	return false
}

// deliver puts a packet in the inboxes of the cores of its tree's hops it
// reached (alive; nil: all), each with its population-table entry.
func (e *Emulator) deliver(t *tree, key uint32, alive []bool) {
	for k, h := range t.hops {
		if alive != nil && !alive[k] {
			continue
		}
		for _, d := range h.cores {
			c := e.cores[d.core]
			entry := d.entry
			if entry == -2 { // per-key lookup (see resolveEntries)
				entry = c.entryFor(key)
			}
			c.inbox = append(c.inbox, packet{key, entry})
		}
	}
}

// creditTrees adds to the routers' counters the packets that went through
// whole trees without being walked (tree.sent), as send would have.
func (e *Emulator) creditTrees() {
	for _, ts := range e.trees {
		for _, t := range ts {
			n := t.sent
			t.sent = 0
			if n == 0 {
				continue
			}
			for _, h := range t.hops {
				e.chipCnt[h.chip].PacketsRouted += n
				if h.parent >= 0 && h.link >= 0 {
					e.chipCnt[h.chip].PacketsIn += n
					e.chipCnt[t.hops[h.parent].chip].Links[h.link%program.LinkBits] += n
				}
			}
		}
	}
}

func (e *Emulator) dropped(chip, link, step int) {
	cc := &e.chipCnt[chip]
	cc.PacketsDropped++
	if len(cc.Drops) < maxEvents {
		cc.Drops = append(cc.Drops, Drop{Step: step, Link: program.LinkNames[link]})
	}
}

// resolveEntries fills in, for every delivery of a tree, the entry its key
// space matches on the receiving core. A tree serves a whole key space when
// the routes do; the entry then holds for every key of it (entries select
// whole spaces too), else it is looked up per packet (-2).
func (e *Emulator) resolveEntries(t *tree, key uint32, perKey bool) {
	for hi := range t.hops {
		for di := range t.hops[hi].cores {
			d := &t.hops[hi].cores[di]
			c := e.cores[d.core]
			switch {
			case c.kind != program.NeuronCore:
				d.entry = -1
			case perKey || !c.entriesWhole:
				d.entry = -2
			default:
				d.entry = c.entryFor(key)
			}
		}
	}
}

// prepareFast decodes, for a tree that serves a whole key space (or one
// key), which rows each neuron's packet reaches, so delivery needs no
// table lookups. n is the number of keys the tree serves.
func (e *Emulator) prepareFast(t *tree, base uint32, n int) {
	t.fast = true
	for _, h := range t.hops {
		for _, d := range h.cores {
			c := e.cores[d.core]
			switch {
			case c.kind == program.DelayCore:
				t.delayDests = append(t.delayDests, d.core)
			case d.entry == -2:
				t.fast = false
			default:
				if t.destBits == nil {
					t.destBits = make([]uint64, (len(e.cores)+63)/64)
				}
				t.destBits[d.core/64] |= 1 << (d.core % 64)
			}
		}
	}
	if !t.fast {
		return
	}
	t.rows = make([][]rowRef, n)
	t.fanSplit = make([]uint32, 0, 2*n)
	// The receiving neuron cores in core order, so that each fan's words
	// lie in one run, in the order phase C reads them.
	var dests []delivery
	for _, h := range t.hops {
		for _, d := range h.cores {
			if e.cores[d.core].kind == program.NeuronCore && d.entry >= 0 {
				dests = append(dests, d)
			}
		}
	}
	slices.SortStableFunc(dests, func(a, b delivery) int { return cmp.Compare(a.core, b.core) })
	type dest struct {
		c       *core
		mask    uint32
		rowAt   []int32
		plastic bool
	}
	ds := make([]dest, len(dests))
	for i, d := range dests {
		c := e.cores[d.core]
		en := &c.table[d.entry]
		ds[i] = dest{c, en.Mask, c.rowAt[d.entry], en.Plastic}
	}
	for local := range n {
		key := base | uint32(local)
		lo := uint32(len(e.fanSyn))
		for _, d := range ds {
			i := key &^ d.mask
			if int(i) >= len(d.rowAt) || d.rowAt[i] < 0 {
				continue
			}
			row := uint32(d.rowAt[i])
			if d.plastic || !d.c.fanFits {
				// (a fanSynapse holds delays below 256 and 16-bit
				// weights; a core with wider fields has its static rows
				// added per packet)
				t.rows[local] = append(t.rows[local], newRowRef(d.c, row, d.plastic))
				continue
			}
			c := d.c
			words := c.syn[row+1 : row+1+c.syn[row]]
			if len(words) == 0 {
				// an empty row still costs its lookup and header word
				e.fanSyn = append(e.fanSyn, fanSynapse{at: uint32(c.ringOff), flags: fanFirst})
				continue
			}
			flags := uint8(fanFirst | fanEvent)
			for _, w := range words {
				e.fanSyn = append(e.fanSyn, fanSynapse{
					at:     uint32(c.ringOff) + (w>>c.tShift&c.tMask)<<c.typeShift | w&c.iMask,
					weight: uint16(w >> c.wShift), delay: uint8(w >> c.dShift & c.dMask), flags: flags,
				})
				flags = fanEvent
			}
		}
		// the fan's ends; splitFans fills in where each worker begins
		t.fanSplit = append(t.fanSplit, lo, uint32(len(e.fanSyn)))
	}
}

// complementDests stores, for every tree that reaches more than half the
// neuron cores, the cores it does not reach instead (tree.destAll).
func (e *Emulator) complementDests() {
	neurons := make([]uint64, (len(e.cores)+63)/64)
	total := 0
	for i, c := range e.cores {
		if c.kind == program.NeuronCore {
			neurons[i/64] |= 1 << (i % 64)
			total++
		}
	}
	for _, ts := range e.trees {
		for _, tr := range ts {
			reached := 0
			for _, w := range tr.destBits {
				reached += bits.OnesCount64(w)
			}
			if tr.destBits == nil || 2*reached <= total {
				continue
			}
			for i, w := range neurons {
				tr.destBits[i] = w &^ tr.destBits[i]
			}
			tr.destAll = true
		}
	}
}

// splitFans records, in every fan, where each worker's cores begin.
func (e *Emulator) splitFans(ranges [][2]int) {
	stride := len(ranges) + 1
	for _, ts := range e.trees {
		for _, tr := range ts {
			if !tr.fast {
				continue
			}
			ends := tr.fanSplit
			tr.fanSplit = make([]uint32, len(ends)/2*stride)
			for i := range len(ends) / 2 {
				lo, hi := ends[2*i], ends[2*i+1]
				syn := e.fanSyn[lo:hi]
				split := tr.fanSplit[i*stride : (i+1)*stride]
				for w, r := range ranges {
					split[w] = lo + uint32(sort.Search(len(syn), func(k int) bool { return int(e.blocks[syn[k].at>>e.slotShift].core) >= r[0] }))
				}
				split[len(ranges)] = hi
			}
		}
	}
	e.splitStride = stride
}
