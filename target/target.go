// Package target describes the hardware soma compiles for, as data.
//
// Each target is a JSON file under targets/, embedded in the binary. A file may
// name a parent with "inherits"; the parent's fields are deep-merged under the
// child's (objects merge key by key, anything else — arrays included — is
// replaced whole). The merged document is decoded with unknown fields rejected
// and closed enums, then checked by Validate. Compiler passes read their limits
// (neurons per core, memory sizes, router entries, delay slots, weight bits)
// from a *Target, never from constants of their own.
//
// Every number that came from somewhere carries its source, and every energy
// coefficient and cycle cost carries a Status (read, second-hand, estimate) so
// that reports can say how far to trust a figure. docs/targets.md is the schema.
package target

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Target is one resolved hardware description.
type Target struct {
	// Name is the file name without .json; the loader sets it.
	Name        string `json:"name"`
	Description string `json:"description"`
	Kind        Kind   `json:"kind"`
	// Inherits is the direct parent's name ("" for a root file).
	Inherits string `json:"inherits,omitempty"`
	// Abstract targets are bases for others; they are not listed or loadable.
	// The flag is not inherited.
	Abstract bool `json:"abstract,omitempty"`

	Machine  Machine               `json:"machine"`
	Memory   map[MemoryKind]Memory `json:"memory"`
	Router   Router                `json:"router"`
	Numeric  Numeric               `json:"numeric"`
	Limits   Limits                `json:"limits"`
	Timing   Timing                `json:"timing"`
	HostLink HostLink              `json:"host_link"`
	// FPGA is present exactly for Kind fpga.
	FPGA *FPGA `json:"fpga,omitempty"`
	// Cycles is the processing-cost table (cycles per event) used to check that a
	// core's work fits a timestep.
	Cycles CostTable `json:"cycles"`
	// Energy is the coefficient table the energy package multiplies event counts by.
	Energy EnergyTable `json:"energy"`
	// Notes are free-text caveats shown by WriteSummary.
	Notes []string `json:"notes,omitempty"`
}

// Machine is the topology and the processing elements.
type Machine struct {
	Board string `json:"board"` // human name of the board, e.g. "SpiNN-5"
	// Processor names a core: "ARM968E-S", or "soma neuron engine" on an FPGA.
	Processor string `json:"processor"`
	Layout    Layout `json:"layout"`
	// Width and Height are the board's footprint in chips (SpiNN-5: 8×8 holding 48).
	Width  int `json:"width"`
	Height int `json:"height"`
	// CoresPerChip counts every core, monitor included (SpiNNaker: 18). On an
	// FPGA a "chip" is the device and a "core" is a neuron engine.
	CoresPerChip int `json:"cores_per_chip"`
	// Wrap joins opposite edges of the footprint (a torus), as the links of
	// a triad of SpiNN-5 boards do; one board does not wrap.
	Wrap bool `json:"wrap,omitempty"`
	// Boards is the number of boards the machine is made of (1 if unset).
	Boards int `json:"boards,omitempty"`
	// DeadChips, DeadCores and DeadLinks list faulty hardware that mapping
	// must avoid, as a machine's fault report gives them: chips [x, y],
	// cores [x, y, p], links [x, y, link] (link in router-bit order; both
	// directions of the link are unusable).
	DeadChips [][2]int `json:"dead_chips,omitempty"`
	DeadCores [][3]int `json:"dead_cores,omitempty"`
	DeadLinks [][3]int `json:"dead_links,omitempty"`
	// MonitorCoresPerChip are cores the system keeps for itself (SpiNNaker: 1, running SCAMP).
	MonitorCoresPerChip int `json:"monitor_cores_per_chip"`
	// ClockHz is the core clock (FPGA: the neuron-engine clock, a design choice).
	ClockHz int64 `json:"clock_hz"`
	// MemoryClockHz is the shared-memory clock where known (SpiNNaker SDRAM: 130 MHz).
	MemoryClockHz int64  `json:"memory_clock_hz,omitempty"`
	Source        string `json:"source"`
}

// Memory is one kind of memory on the target.
type Memory struct {
	Scope Scope `json:"scope"`
	// Bytes is the size of one instance (one core's DTCM, one chip's SDRAM, one BRAM36).
	Bytes int64 `json:"bytes"`
	// UsableBytes is what a program may use, when less than Bytes (SpiNNaker SDRAM
	// after the system's share); 0 means all of it.
	UsableBytes int64 `json:"usable_bytes,omitempty"`
	// WidthBits × Depth is the block shape, for block RAMs.
	WidthBits int `json:"width_bits,omitempty"`
	Depth     int `json:"depth,omitempty"`
	// BitstreamInit reports whether the FPGA bitstream can pre-load the contents.
	// UltraScale+ URAM cannot: it powers up as zero and must be written at run time.
	BitstreamInit bool   `json:"bitstream_init"`
	Source        string `json:"source"`
}

// Usable returns the bytes a program may use in one instance.
func (m Memory) Usable() int64 {
	if m.UsableBytes > 0 {
		return m.UsableBytes
	}
	return m.Bytes
}

// Router is the multicast router of a chip (on an FPGA: the spike distributor
// between engines, same table semantics).
type Router struct {
	Entries int `json:"entries"`
	// ReservedEntries are kept by the system (SpiNNaker: entry 0).
	ReservedEntries int `json:"reserved_entries"`
	P2PEntries      int `json:"p2p_entries,omitempty"`
	// A route word has one bit per core followed by one bit per link.
	CoreBits int         `json:"core_bits"`
	LinkBits int         `json:"link_bits"`
	Links    []Direction `json:"links"` // Links[i] is route-word link bit i
	// PacketBits and PayloadPacketBits size a multicast packet without and with payload.
	PacketBits        int `json:"packet_bits"`
	PayloadPacketBits int `json:"payload_packet_bits"`
	KeyBits           int `json:"key_bits"`
	// DefaultKeyMask is the mask given to one machine vertex's keys (PACMAN's DEFAULT_MASK).
	DefaultKeyMask Mask   `json:"default_key_mask"`
	Source         string `json:"source"`
}

// UsableEntries is the number of multicast entries an application may fill.
func (r Router) UsableEntries() int { return r.Entries - r.ReservedEntries }

// Mask is a 32-bit routing-key mask, written in JSON as a hex string ("0xfffff800")
// because that is how every SpiNNaker document writes it.
type Mask uint32

// MarshalText writes the mask as 0x followed by eight hex digits.
func (m Mask) MarshalText() ([]byte, error) { return []byte(fmt.Sprintf("0x%08x", uint32(m))), nil }

// UnmarshalText reads a 0x-prefixed hex mask.
func (m *Mask) UnmarshalText(b []byte) error {
	s := string(b)
	if !strings.HasPrefix(s, "0x") {
		return fmt.Errorf("invalid key mask %q (want a 0x-prefixed hex string)", s)
	}
	v, err := strconv.ParseUint(s[2:], 16, 32)
	if err != nil {
		return fmt.Errorf("invalid key mask %q (want 32-bit hex)", s)
	}
	*m = Mask(v)
	return nil
}

// Numeric names the fixed-point formats a program is quantised into.
type Numeric struct {
	State Format `json:"state"` // membrane voltage, currents, thresholds
	Decay Format `json:"decay"` // per-tick decay factors exp(-dt/tau)
	// Weight is the stored synaptic weight; see WeightScaling for how it meets State.
	Weight        Format        `json:"weight"`
	WeightScaling WeightScaling `json:"weight_scaling"`
	// SynapticWordBits is the width of a packed synapse (weight | delay | type | index).
	SynapticWordBits int    `json:"synaptic_word_bits"`
	Source           string `json:"source"`
}

// Format is a fixed-point number format: Bits in total, FracBits of them after the binary point.
type Format struct {
	Kind     FormatKind `json:"kind"`
	Bits     int        `json:"bits"`
	FracBits int        `json:"frac_bits"`
}

// IntBits is the number of integer bits, excluding the sign bit.
func (f Format) IntBits() int {
	if f.Kind == SignedFixed {
		return f.Bits - 1 - f.FracBits
	}
	return f.Bits - f.FracBits
}

// String writes the format as s16.15 / u0.32 (integer bits, then fraction bits).
func (f Format) String() string {
	p := "u"
	if f.Kind == SignedFixed {
		p = "s"
	}
	return fmt.Sprintf("%s%d.%d", p, f.IntBits(), f.FracBits)
}

// Resolution is the value of one least-significant bit.
func (f Format) Resolution() float64 { return math.Ldexp(1, -f.FracBits) }

// Min and Max are the representable range.
func (f Format) Min() float64 {
	if f.Kind == SignedFixed {
		return -math.Ldexp(1, f.Bits-1-f.FracBits)
	}
	return 0
}

// Max is the largest representable value.
func (f Format) Max() float64 {
	if f.Kind == SignedFixed {
		return math.Ldexp(1, f.Bits-1-f.FracBits) - f.Resolution()
	}
	return math.Ldexp(1, f.Bits-f.FracBits) - f.Resolution()
}

// Limits are the per-core capacities the partitioner and the synapse packer honour.
type Limits struct {
	// NeuronsPerCore is the default partition size; MaxNeuronsPerCore the hard cap.
	NeuronsPerCore    int `json:"neurons_per_core"`
	MaxNeuronsPerCore int `json:"max_neurons_per_core"`
	// SourcesPerCore is the default partition size for spike sources (Poisson).
	SourcesPerCore int `json:"sources_per_core"`
	// SynapseTypes is the default number of synapse types per neuron (excitatory, inhibitory).
	SynapseTypes int `json:"synapse_types"`
	// MaxRowLength is the most synapses one source neuron may have on one core.
	MaxRowLength int `json:"max_row_length"`
	// DelaySlots is the depth of the on-core delay ring, in ticks (a power of two).
	DelaySlots int `json:"delay_slots"`
	// MaxDelaySlots, when set, is the deepest ring a core may have where the
	// ring is generated per program (the FPGA engine): each core's ring is
	// sized to its longest incoming delay, from DelaySlots up to this. 0: every
	// ring has DelaySlots.
	MaxDelaySlots int `json:"max_delay_slots,omitempty"`
	// DelayExtensionFactor is how many times a delay-extension stage multiplies the
	// on-core delay range (1: no extension).
	DelayExtensionFactor int `json:"delay_extension_factor"`
	// RingBufferEntries bounds delay slots × synapse types × neurons on one core.
	RingBufferEntries   int `json:"ring_buffer_entries"`
	RingBufferEntryBits int `json:"ring_buffer_entry_bits"`
	// MaxBinaryBytes is the largest core executable (SpiNNaker: ITCM); 0 if not applicable.
	MaxBinaryBytes int    `json:"max_binary_bytes,omitempty"`
	Source         string `json:"source"`
}

// RingSlots is the deepest on-core ring: MaxDelaySlots if set, else DelaySlots.
func (l Limits) RingSlots() int { return max(l.DelaySlots, l.MaxDelaySlots) }

// Timing holds the default simulation timestep.
type Timing struct {
	TimestepMicros int    `json:"timestep_us"`
	Source         string `json:"source"`
}

// HostLink is soma's serial link to the board.
type HostLink struct {
	Baud   int    `json:"baud"`
	Source string `json:"source"`
}

// FPGA is the programmable-logic part of an FPGA target.
type FPGA struct {
	Family string `json:"family"` // "Zynq UltraScale+ MPSoC"
	Device string `json:"device"` // "ZU9EG"
	Part   string `json:"part"`   // Vivado part name, e.g. "xczu9eg-ffvb1156-2-e"
	// Resources are the datasheet counts of the device.
	Resources       Resources `json:"resources"`
	ResourcesSource string    `json:"resources_source"`
}

// Resources are an UltraScale+ device's logic and memory primitives.
type Resources struct {
	LogicCells int `json:"logic_cells"`
	LUTs       int `json:"luts"`
	FFs        int `json:"ffs"`
	BRAM36     int `json:"bram36"`
	URAM288    int `json:"uram288"`
	DSP48E2    int `json:"dsp48e2"`
}

// Chip is a chip's coordinate on the board (x to the East, y to the North).
type Chip struct{ X, Y int }

// Chips lists the board's chips, sorted by x then y.
func (t *Target) Chips() []Chip {
	return layoutChips(t.Machine.Layout, t.Machine.Width, t.Machine.Height, t.Machine.DeadChips)
}

// NumChips is the number of chips on the board.
func (t *Target) NumChips() int { return len(t.Chips()) }

// AppCoresPerChip is the cores per chip an application may use (all but the monitors).
func (t *Target) AppCoresPerChip() int {
	return t.Machine.CoresPerChip - t.Machine.MonitorCoresPerChip
}

// AppCores is the application cores on the whole board.
func (t *Target) AppCores() int { return t.NumChips() * t.AppCoresPerChip() }

// TimestepDefault is the default simulation timestep.
func (t *Target) TimestepDefault() time.Duration {
	return time.Duration(t.Timing.TimestepMicros) * time.Microsecond
}

// CyclesPerTimestep is the core clock cycles in one default timestep: the budget
// that a core's cycle costs must fit.
func (t *Target) CyclesPerTimestep() int64 {
	return t.Machine.ClockHz * int64(t.Timing.TimestepMicros) / 1_000_000
}

// MemoryOf returns the memory of the given kind, if the target has one.
func (t *Target) MemoryOf(k MemoryKind) (Memory, bool) {
	m, ok := t.Memory[k]
	return m, ok
}

// Coefficient returns the named energy coefficient.
func (t *Target) Coefficient(name string) (Coefficient, bool) { return t.Energy.Lookup(name) }

// CycleCost returns the named cycle cost.
func (t *Target) CycleCost(name string) (Cost, bool) { return t.Cycles.Lookup(name) }
