// Package program is the compiled form of a network: placed on cores of a
// target machine, routed, and quantised to the target's fixed point. Every
// backend consumes a Program — the emulator executes its memory contents,
// the board-image encoders serialise them — so everything a board needs is
// here, as the words a core would hold, and nothing else.
//
// Layouts (docs/program.md):
//   - a synaptic word is weight | delay | synapse type | neuron index, with
//     the field widths in Core.Geometry;
//   - a core's synaptic matrix is a list of rows; a row is one word holding
//     its length n followed by n synaptic words; rows of one source core
//     sit at a fixed stride so that row = Start + (key & ^Mask)·Stride;
//   - the master population table (Core.PopTable) is sorted by key and
//     searched with (key & Mask) == Key, as sPyNNaker's population_table.
package program

import (
	"fmt"
	"math/bits"
)

// FormatVersion is the version of the binary serialisation (Encode).
const FormatVersion = 1

// Program is a compiled network for one target.
type Program struct {
	Network string
	Target  string
	Kind    string // "spinnaker" or "fpga"
	// Timestep in seconds; Steps the run length.
	Timestep float64
	Steps    uint32
	Seed     uint64
	Numeric  Numeric
	// Populations in network order; Projections summarise what was packed.
	Populations []Population
	// Cores sorted by (X, Y, P): every core the program uses.
	Cores []Core
	// Chips sorted by (X, Y): every chip with a core or a router entry.
	Chips []Chip
}

// Numeric is the fixed-point convention the words are written in.
type Numeric struct {
	// StateFrac is the fraction bits of state and parameters (s16.15: 15).
	StateFrac uint8
	// StateBits is the width of state words (32 for s16.15); narrower
	// states are sign-extended into the 32-bit words of the program.
	StateBits uint8
	// DecayFrac is the fraction bits of decay factors (u0.32: 32).
	DecayFrac uint8
	// WeightBits is the width of a stored weight (16); weights are
	// magnitudes, the synapse type gives the sign.
	WeightBits uint8
	// RingBits is the width of a ring-buffer entry; sums saturate there.
	RingBits uint8
}

// Population records where a population's neurons went.
type Population struct {
	Name   string
	Size   uint32
	Model  string
	Source bool
	// Cores lists indices into Program.Cores holding the population's
	// neurons, in neuron order (slice k holds [Lo, Lo+N)).
	Cores []uint32
}

// CoreKind is what a core runs.
type CoreKind uint8

const (
	// NeuronCore updates neurons and receives synaptic input.
	NeuronCore CoreKind = iota + 1
	// SourceCore replays pre-computed spike trains (array or Poisson).
	SourceCore
	// DelayCore is a delay extension: it re-emits spikes after whole
	// multiples of the on-core delay ring.
	DelayCore
)

func (k CoreKind) String() string {
	switch k {
	case NeuronCore:
		return "neurons"
	case SourceCore:
		return "source"
	case DelayCore:
		return "delay"
	}
	return fmt.Sprintf("CoreKind(%d)", uint8(k))
}

// CoreID is a core's place: chip (X, Y), processor P.
type CoreID struct{ X, Y, P uint8 }

func (c CoreID) String() string { return fmt.Sprintf("%d,%d,%d", c.X, c.Y, c.P) }

// Core is one used core and the contents of its memories.
type Core struct {
	CoreID
	Kind CoreKind
	// Pop and [Lo, Lo+N) are the neurons (or sources) this core holds;
	// a delay core serves the neurons of Pop in the same range.
	Pop   uint32
	Lo, N uint32
	Model string
	// Key | local index is the multicast key of neuron Lo+index's spikes;
	// Mask selects the core's key space. A delay core sends with its own
	// Key: stage s of neuron i uses Key | s<<IndexBits | i.
	Key, Mask uint32
	// Neurons holds the per-neuron parameter and state words, N records of
	// len(Layout) words each, in neuron order (neuron cores).
	Layout  []Field
	Neurons []uint32
	// Geometry of the synaptic words and ring buffers.
	Geometry Geometry
	// WeightShift[t] is the left shift that turns a stored weight of
	// synapse type t into an s16.15 input (sPyNNaker's ring-buffer shift).
	WeightShift []uint8
	// PopTable maps incoming keys to rows in Synapses, sorted by Key.
	PopTable []PopEntry
	// Synapses is the synaptic matrix region: rows (see package doc).
	Synapses []uint32
	// Plastic holds STDP parameters when the core has plastic rows.
	Plastic *STDP
	// Spikes is a source core's spike list: pairs (step, local index)
	// sorted by step then index.
	Spikes []uint32
	// Delay is a delay core's configuration.
	Delay *DelayConfig
	// Record says what the core records.
	Record Record
}

// Field is one word of a neuron record.
type Field struct {
	Name   string
	Format FieldFormat
}

// FieldFormat is how a neuron-record word is read.
type FieldFormat uint8

const (
	// State is signed fixed point with Numeric.StateFrac fraction bits
	// (s16.15 on SpiNNaker).
	State FieldFormat = iota + 1
	// Decay is an unsigned fraction with Numeric.DecayFrac bits (u0.32 on
	// SpiNNaker): a per-step decay factor.
	Decay
	// Int is a plain signed integer (counters, step counts).
	Int
)

// Geometry is the bit layout of a core's synaptic words and its ring
// buffers: a word is weight<<(D+T+I) | delay<<(T+I) | type<<I | index.
type Geometry struct {
	DelayBits, TypeBits, IndexBits uint8
	SynapseTypes                   uint8
}

// DelaySlots is the ring depth in steps (a delay field of D bits holds
// delays 1 … 2^D − 1; slot count 2^D).
func (g Geometry) DelaySlots() int { return 1 << g.DelayBits }

// Word packs one synaptic word.
func (g Geometry) Word(weight uint16, delay, typ, index uint32) uint32 {
	return uint32(weight)<<(g.DelayBits+g.TypeBits+g.IndexBits) |
		delay<<(g.TypeBits+g.IndexBits) | typ<<g.IndexBits | index
}

// Unpack splits a synaptic word.
func (g Geometry) Unpack(w uint32) (weight uint16, delay, typ, index uint32) {
	index = w & (1<<g.IndexBits - 1)
	typ = w >> g.IndexBits & (1<<g.TypeBits - 1)
	delay = w >> (g.TypeBits + g.IndexBits) & (1<<g.DelayBits - 1)
	weight = uint16(w >> (g.DelayBits + g.TypeBits + g.IndexBits))
	return
}

// PopEntry is one master-population-table entry: spikes whose key matches
// (key & Mask) == Key have their row in Synapses, found by the local index
// key & ^Mask (< Rows). Two layouts, whichever is smaller per entry:
//   - padded (Stride > 0): row i starts at Start + i·Stride;
//   - sparse (Stride == 0): at Start a bitmap of ceil(Rows/32) words marks
//     the rows that have synapses; then one word per marked row, its
//     offset from Start, in row order. An unmarked row has no synapses on
//     this core. Sparse blocks (a pre neuron reaching few of the core's
//     neurons) would otherwise waste most words on padding.
//
// A row starts with its length n (plastic rows: n, last pre step, pre
// trace), then n synaptic words.
type PopEntry struct {
	Key, Mask uint32
	Start     uint32
	Stride    uint32
	Rows      uint32
	// Plastic rows carry STDP state (see STDP).
	Plastic bool
}

// Header is the number of words before a row's synaptic words.
func (e PopEntry) Header() uint32 {
	if e.Plastic {
		return 3
	}
	return 1
}

// PlasticWords lists the positions in c.Synapses of the core's plastic
// synaptic words in the order a core walks them — population-table entries,
// then rows, then words — which is the order of every neuron's
// potentiations (the emulator and the FPGA engine follow it).
func (c *Core) PlasticWords() []uint32 {
	var out []uint32
	for _, e := range c.PopTable {
		if !e.Plastic {
			continue
		}
		h := e.Header()
		for r := range e.Rows {
			at, ok := e.Row(e.Key|r, c.Synapses)
			if !ok || at >= uint32(len(c.Synapses)) {
				continue
			}
			for p := at + h; p < at+h+c.Synapses[at] && p < uint32(len(c.Synapses)); p++ {
				out = append(out, p)
			}
		}
	}
	return out
}

// BitmapWords is the size of a sparse entry's row bitmap.
func (e PopEntry) BitmapWords() uint32 { return (e.Rows + 31) / 32 }

// Row returns the word offset in synapses of the row for a matching key.
// ok is false when the key's local index is past the entry, when a sparse
// entry has no row for it (the spike has no synapses on this core), or
// when the entry points outside synapses.
func (e PopEntry) Row(key uint32, synapses []uint32) (at uint32, ok bool) {
	local := key &^ e.Mask
	if local >= e.Rows {
		return 0, false
	}
	if e.Stride > 0 {
		return e.Start + local*e.Stride, true
	}
	bm := uint64(e.Start)
	words := uint64(e.BitmapWords())
	if bm+words > uint64(len(synapses)) {
		return 0, false
	}
	word := synapses[bm+uint64(local/32)]
	if word>>(local%32)&1 == 0 {
		return 0, false
	}
	rank := uint64(bits.OnesCount32(word & (1<<(local%32) - 1)))
	for w := range uint64(local / 32) {
		rank += uint64(bits.OnesCount32(synapses[bm+w]))
	}
	dir := bm + words + rank
	if dir >= uint64(len(synapses)) {
		return 0, false
	}
	pos := bm + uint64(synapses[dir])
	if pos >= uint64(len(synapses)) {
		return 0, false
	}
	return uint32(pos), true
}

// HasRow reports whether a sparse entry has a row for the local index
// (padded entries have every row).
func (e PopEntry) HasRow(local uint32, synapses []uint32) bool {
	if e.Stride > 0 {
		return local < e.Rows
	}
	i := uint64(e.Start) + uint64(local/32)
	return local < e.Rows && i < uint64(len(synapses)) && synapses[i]>>(local%32)&1 != 0
}

// STDPFrac is the fraction bits of the STDP amplitudes and traces (S1615)
// on every target, whatever its state format.
const STDPFrac = 15

// STDP holds a core's spike-pair STDP parameters in fixed point. Plastic
// rows are laid out as [n][last pre step][pre trace][n synaptic words]
// (the weights in the words change as the run goes); each neuron's post
// trace and last post step live in the neuron record (fields post_trace,
// post_last). Traces are S1615: a spike adds 1.0.
type STDP struct {
	// TauPlusDecay[k] / TauMinusDecay[k] = e^{-k·dt/τ±} (U032), a lookup
	// table as sPyNNaker's; past its end a trace has decayed to 0.
	TauPlusDecay, TauMinusDecay []uint32
	// Additive: APlus, AMinus are A±·w_max in stored weight units (S1615,
	// so fractions of a weight LSB count). Multiplicative: they are A±
	// themselves (S1615), scaled by w_max − w or w − w_min on the core.
	APlus, AMinus  int32
	Multiplicative bool
	// WMin, WMax bound the stored weight.
	WMin, WMax uint16
}

// DelayConfig is a delay-extension core's job: a spike of neuron i that
// arrives from the source core (key space SourceKey/SourceMask) at step n
// is re-sent at step n + (k+1)·Slots with key Key | k<<IndexBits | i, for
// every stage k < Stages whose Send bit for i is set. The target core's
// ring applies the rest of the delay.
type DelayConfig struct {
	SourceKey, SourceMask uint32
	// Slots is the delay one stage adds: the longest on-core delay.
	Slots  uint32
	Stages uint32
	// Send holds Stages bitmaps of ceil(N/32) words each.
	Send []uint32
}

// Sends reports whether a delay core sends stage k for local neuron i.
func (d *DelayConfig) Sends(k, i, n uint32) bool {
	words := (n + 31) / 32
	return d.Send[k*words+i/32]>>(i%32)&1 != 0
}

// Record says what a core records.
type Record struct {
	// Spikes has one bit per local neuron (nil: none).
	Spikes []uint32
	// Vars are analogue probes.
	Vars []RecordVar
	// Weights are probes on plastic weights held in this core's rows.
	Weights []WeightProbe
}

// WeightProbe samples plastic weights of one projection every Every steps:
// Synapses[k] (the synapse's index in the projection, in (pre, post) order)
// is stored at word Words[k] of the core's Synapses region.
type WeightProbe struct {
	Projection string
	Every      uint32
	Synapses   []uint32
	Words      []uint32
}

// RecordVar samples one state field of some neurons every Every steps.
type RecordVar struct {
	Field   string
	Every   uint32
	Indices []uint32 // local indices
}

// Chip is one chip's multicast router table.
type Chip struct {
	X, Y   uint8
	Routes []Route
}

// Route is a router entry: a packet whose key matches (key & Mask) == Key
// goes out of every link and to every core set in Dest.
type Route struct {
	Key, Mask uint32
	// Dest: bits 0 … LinkBits−1 are links, then one bit per core.
	Dest uint32
}

// LinkBits is the number of link bits at the bottom of a route word.
const LinkBits = 6

// CoreBit returns the route bit for processor p.
func CoreBit(p uint8) uint32 { return 1 << (LinkBits + uint32(p)) }

// Core looks a core up by ID.
func (p *Program) Core(id CoreID) (*Core, bool) {
	for i := range p.Cores {
		if p.Cores[i].CoreID == id {
			return &p.Cores[i], true
		}
	}
	return nil, false
}

// Chip looks a chip's router up.
func (p *Program) Chip(x, y uint8) (*Chip, bool) {
	for i := range p.Chips {
		if p.Chips[i].X == x && p.Chips[i].Y == y {
			return &p.Chips[i], true
		}
	}
	return nil, false
}
