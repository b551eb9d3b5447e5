package target

import (
	"fmt"
	"slices"
	"strings"
)

// The enums below are strings in the JSON files but closed sets in Go: each
// type's UnmarshalText rejects any value outside its list, so a typo such as
// "spinaker" fails when the file is read instead of falling through a switch
// somewhere in the compiler. encoding/json calls UnmarshalText both for plain
// values and for map keys (MemoryKind is used as one), which is why these
// implement encoding.TextUnmarshaler rather than json.Unmarshaler.

// setEnum checks s against allowed and stores it in dst.
func setEnum(dst *string, what string, allowed []string, b []byte) error {
	s := string(b)
	if !slices.Contains(allowed, s) {
		return fmt.Errorf("invalid %s %q (want one of: %s)", what, s, strings.Join(allowed, ", "))
	}
	*dst = s
	return nil
}

// Kind is the family of hardware a target describes.
type Kind string

// Kinds of target.
const (
	KindSpiNNaker Kind = "spinnaker" // SpiNNaker-style many-core boards (ARM cores, multicast router)
	KindFPGA      Kind = "fpga"      // Xilinx UltraScale+ MPSoC boards running soma's neuron engines
)

var kindValues = []string{string(KindSpiNNaker), string(KindFPGA)}

// UnmarshalText accepts only the known kinds.
func (k *Kind) UnmarshalText(b []byte) error { return setEnum((*string)(k), "kind", kindValues, b) }

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool { return slices.Contains(kindValues, string(k)) }

// FormatKind says whether a fixed-point format is signed (two's complement) or unsigned.
type FormatKind string

// Fixed-point format kinds.
const (
	SignedFixed   FormatKind = "sfixed"
	UnsignedFixed FormatKind = "ufixed"
)

var formatKindValues = []string{string(SignedFixed), string(UnsignedFixed)}

// UnmarshalText accepts only sfixed and ufixed.
func (k *FormatKind) UnmarshalText(b []byte) error {
	return setEnum((*string)(k), "numeric format kind", formatKindValues, b)
}

// Valid reports whether k is a known format kind.
func (k FormatKind) Valid() bool { return slices.Contains(formatKindValues, string(k)) }

// MemoryKind names a kind of memory on a target; it is the key of Target.Memory.
type MemoryKind string

// Memory kinds. The order of memoryKindValues is the display order.
const (
	DTCM    MemoryKind = "dtcm"    // per-core data tightly coupled memory (SpiNNaker)
	ITCM    MemoryKind = "itcm"    // per-core instruction tightly coupled memory (SpiNNaker)
	SysRAM  MemoryKind = "sysram"  // per-chip system RAM (SpiNNaker)
	SDRAM   MemoryKind = "sdram"   // per-chip shared SDRAM (SpiNNaker)
	BRAM36  MemoryKind = "bram36"  // UltraScale+ RAMB36E2 block
	URAM288 MemoryKind = "uram288" // UltraScale+ URAM288 block
)

var memoryKindValues = []string{string(DTCM), string(ITCM), string(SysRAM), string(SDRAM), string(BRAM36), string(URAM288)}

// UnmarshalText accepts only the known memory kinds.
func (k *MemoryKind) UnmarshalText(b []byte) error {
	return setEnum((*string)(k), "memory kind", memoryKindValues, b)
}

// Valid reports whether k is a known memory kind.
func (k MemoryKind) Valid() bool { return slices.Contains(memoryKindValues, string(k)) }

// Scope says what one instance of a memory belongs to.
type Scope string

// Memory scopes.
const (
	ScopeCore  Scope = "core"  // one per core (or neuron engine)
	ScopeChip  Scope = "chip"  // one per chip, shared by its cores
	ScopeBlock Scope = "block" // an FPGA block RAM primitive; the count is in FPGA.Resources
)

var scopeValues = []string{string(ScopeCore), string(ScopeChip), string(ScopeBlock)}

// UnmarshalText accepts only core, chip and block.
func (s *Scope) UnmarshalText(b []byte) error {
	return setEnum((*string)(s), "memory scope", scopeValues, b)
}

// Valid reports whether s is a known scope.
func (s Scope) Valid() bool { return slices.Contains(scopeValues, string(s)) }

// Layout names how the chips of a board are arranged; Target.Chips computes
// the coordinates from it, so 48 coordinate pairs need not be stored.
type Layout string

// Board layouts.
const (
	// LayoutGrid is every chip of a Width×Height rectangle (SpiNN-3: 2×2; an FPGA: 1×1).
	LayoutGrid Layout = "grid"
	// LayoutSpiNN5 is the 48-chip hexagonal SpiNN-5 board in an 8×8 footprint.
	LayoutSpiNN5 Layout = "spinn5"
	// LayoutSpiNN5Triads is whole triads of SpiNN-5 boards: three boards
	// tile a 12×12 torus, so a Width×Height machine (multiples of 12) has
	// every chip and, with wrap, its edges joined.
	LayoutSpiNN5Triads Layout = "spinn5_triads"
)

var layoutValues = []string{string(LayoutGrid), string(LayoutSpiNN5), string(LayoutSpiNN5Triads)}

// UnmarshalText accepts only the known layouts.
func (l *Layout) UnmarshalText(b []byte) error {
	return setEnum((*string)(l), "layout", layoutValues, b)
}

// Valid reports whether l is a known layout.
func (l Layout) Valid() bool { return slices.Contains(layoutValues, string(l)) }

// Direction is one of the six inter-chip links of the hexagonal mesh.
type Direction string

// Link directions in SpiNNaker's link-number order (link 0 is East).
const (
	East      Direction = "E"
	NorthEast Direction = "NE"
	North     Direction = "N"
	West      Direction = "W"
	SouthWest Direction = "SW"
	South     Direction = "S"
)

var directionValues = []string{string(East), string(NorthEast), string(North), string(West), string(SouthWest), string(South)}

// UnmarshalText accepts only the six link directions.
func (d *Direction) UnmarshalText(b []byte) error {
	return setEnum((*string)(d), "link direction", directionValues, b)
}

// Valid reports whether d is a known direction.
func (d Direction) Valid() bool { return slices.Contains(directionValues, string(d)) }

// WeightScaling says how a stored integer weight is brought into the state format.
type WeightScaling string

// Weight scalings.
const (
	// WeightShiftPerSynapseType: each synapse type has its own left shift,
	// chosen by the compiler (sPyNNaker's scheme: 16-bit weights shifted into s16.15).
	WeightShiftPerSynapseType WeightScaling = "per_synapse_type_shift"
	// WeightScalingNone: the weight's binary point is fixed by Weight.FracBits.
	WeightScalingNone WeightScaling = "none"
)

var weightScalingValues = []string{string(WeightShiftPerSynapseType), string(WeightScalingNone)}

// UnmarshalText accepts only the known weight scalings.
func (w *WeightScaling) UnmarshalText(b []byte) error {
	return setEnum((*string)(w), "weight scaling", weightScalingValues, b)
}

// Valid reports whether w is a known weight scaling.
func (w WeightScaling) Valid() bool { return slices.Contains(weightScalingValues, string(w)) }

// Status says how a number was obtained; energy reports print it next to the number.
type Status string

// Sourcing statuses (see docs/targets.md).
const (
	StatusRead       Status = "read"        // read in the primary source or a faithful copy of its table
	StatusSecondHand Status = "second-hand" // only quoted by others
	StatusEstimate   Status = "estimate"    // soma's own estimate or design choice; Note says why
)

var statusValues = []string{string(StatusRead), string(StatusSecondHand), string(StatusEstimate)}

// UnmarshalText accepts only read, second-hand and estimate.
func (s *Status) UnmarshalText(b []byte) error {
	return setEnum((*string)(s), "status", statusValues, b)
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool { return slices.Contains(statusValues, string(s)) }

// Unit is the SI unit of a coefficient's value. Values are stored unscaled
// (25 pJ is 2.5e-11 with unit J) so that no consumer has to guess a prefix.
type Unit string

// Units of coefficients.
const (
	Watt   Unit = "W"
	Joule  Unit = "J"
	Second Unit = "s"
)

var unitValues = []string{string(Watt), string(Joule), string(Second)}

// UnmarshalText accepts only W, J and s.
func (u *Unit) UnmarshalText(b []byte) error { return setEnum((*string)(u), "unit", unitValues, b) }

// Valid reports whether u is a known unit.
func (u Unit) Valid() bool { return slices.Contains(unitValues, string(u)) }
