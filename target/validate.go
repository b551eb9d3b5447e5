package target

import (
	"cmp"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strings"
)

// ValidationError lists every inconsistency found in one target.
type ValidationError struct {
	Target   string
	Problems []string // each "field.path: what is wrong"
}

func (e *ValidationError) Error() string {
	return fmt.Sprintf("target %s is invalid:\n  %s", e.Target, strings.Join(e.Problems, "\n  "))
}

type checker struct{ problems []string }

func (c *checker) failf(field, format string, args ...any) {
	c.problems = append(c.problems, field+": "+fmt.Sprintf(format, args...))
}

func (c *checker) positive(field string, v int64) {
	if v <= 0 {
		c.failf(field, "must be positive, got %d", v)
	}
}

func (c *checker) nonEmpty(field, v string) {
	if strings.TrimSpace(v) == "" {
		c.failf(field, "is missing")
	}
}

// Validate checks that the target is complete and self-consistent. It reports
// every problem at once rather than the first, since fixing a target file is
// easier with the whole list.
func (t *Target) Validate() error {
	c := &checker{}
	c.nonEmpty("name", t.Name)
	c.nonEmpty("description", t.Description)
	if !t.Kind.Valid() {
		c.failf("kind", "invalid kind %q (want one of: %s)", t.Kind, strings.Join(kindValues, ", "))
	}
	t.validateMachine(c)
	t.validateMemory(c)
	t.validateRouter(c)
	t.validateNumeric(c)
	t.validateLimits(c)
	c.positive("timing.timestep_us", int64(t.Timing.TimestepMicros))
	c.nonEmpty("timing.source", t.Timing.Source)
	c.positive("host_link.baud", int64(t.HostLink.Baud))
	c.nonEmpty("host_link.source", t.HostLink.Source)
	t.validateFPGA(c)
	validateCosts(c, "cycles", t.Cycles)
	validateEnergy(c, "energy", t.Energy)
	if len(c.problems) > 0 {
		return &ValidationError{Target: t.Name, Problems: c.problems}
	}
	return nil
}

func (t *Target) validateMachine(c *checker) {
	m := t.Machine
	c.nonEmpty("machine.board", m.Board)
	c.nonEmpty("machine.processor", m.Processor)
	c.nonEmpty("machine.source", m.Source)
	if !m.Layout.Valid() {
		c.failf("machine.layout", "invalid layout %q (want one of: %s)", m.Layout, strings.Join(layoutValues, ", "))
	}
	c.positive("machine.width", int64(m.Width))
	c.positive("machine.height", int64(m.Height))
	if m.Layout == LayoutSpiNN5Triads && (m.Width%12 != 0 || m.Height%12 != 0 || m.Width == 0 || m.Height == 0) {
		c.failf("machine.width", "a spinn5_triads machine is whole triads: width and height must be multiples of 12, got %dx%d", m.Width, m.Height)
	}
	if m.Layout == LayoutSpiNN5 && (m.Width != 8 || m.Height != 8) {
		c.failf("machine.layout", "spinn5 layout needs an 8×8 footprint, got %d×%d", m.Width, m.Height)
	}
	c.positive("machine.cores_per_chip", int64(m.CoresPerChip))
	if m.MonitorCoresPerChip < 0 || m.MonitorCoresPerChip >= m.CoresPerChip {
		c.failf("machine.monitor_cores_per_chip", "must be in [0, cores_per_chip), got %d of %d", m.MonitorCoresPerChip, m.CoresPerChip)
	}
	c.positive("machine.clock_hz", m.ClockHz)
	if m.MemoryClockHz < 0 {
		c.failf("machine.memory_clock_hz", "must not be negative")
	}
}

// wantScope is the scope each memory kind must have.
var wantScope = map[MemoryKind]Scope{
	DTCM: ScopeCore, ITCM: ScopeCore, SysRAM: ScopeChip, SDRAM: ScopeChip, BRAM36: ScopeBlock, URAM288: ScopeBlock,
}

func (t *Target) validateMemory(c *checker) {
	if len(t.Memory) == 0 {
		c.failf("memory", "is missing")
	}
	for _, k := range t.memoryKinds() {
		m := t.Memory[k]
		f := "memory." + string(k)
		if !k.Valid() {
			c.failf(f, "invalid memory kind %q", k)
			continue
		}
		if m.Scope != wantScope[k] {
			c.failf(f+".scope", "%s memory has scope %s, got %q", k, wantScope[k], m.Scope)
		}
		c.positive(f+".bytes", m.Bytes)
		if m.UsableBytes < 0 || m.UsableBytes > m.Bytes {
			c.failf(f+".usable_bytes", "must be in [0, bytes], got %d of %d", m.UsableBytes, m.Bytes)
		}
		if (m.WidthBits == 0) != (m.Depth == 0) {
			c.failf(f, "width_bits and depth go together")
		} else if m.WidthBits > 0 && int64(m.WidthBits)*int64(m.Depth) != m.Bytes*8 {
			c.failf(f, "shape %d×%d bits is not %d bytes", m.Depth, m.WidthBits, m.Bytes)
		}
		c.nonEmpty(f+".source", m.Source)
		if m.BitstreamInit && t.Kind != KindFPGA {
			c.failf(f+".bitstream_init", "only FPGA memories have a bitstream")
		}
		// A fact of UltraScale+ (UG573) that the FPGA backend relies on to
		// decide between bitstream init and a run-time write; guard it.
		if k == URAM288 && m.BitstreamInit {
			c.failf(f+".bitstream_init", "UltraScale+ URAM cannot be initialised by the bitstream")
		}
	}
	switch t.Kind {
	case KindSpiNNaker:
		for _, k := range []MemoryKind{DTCM, ITCM, SDRAM} {
			if _, ok := t.Memory[k]; !ok {
				c.failf("memory", "a spinnaker target needs %s", k)
			}
		}
	case KindFPGA:
		if _, ok := t.Memory[BRAM36]; !ok {
			c.failf("memory", "an fpga target needs bram36")
		}
	}
}

// memoryKinds returns the target's memory kinds in display order (the order
// of memoryKindValues; unknown kinds, which only Go code can create, last).
func (t *Target) memoryKinds() []MemoryKind {
	ks := slices.Collect(maps.Keys(t.Memory))
	rank := func(k MemoryKind) int {
		if i := slices.Index(memoryKindValues, string(k)); i >= 0 {
			return i
		}
		return len(memoryKindValues)
	}
	slices.SortFunc(ks, func(a, b MemoryKind) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(string(a), string(b)))
	})
	return ks
}

func (t *Target) validateRouter(c *checker) {
	r := t.Router
	c.positive("router.entries", int64(r.Entries))
	if r.ReservedEntries < 0 || r.ReservedEntries >= r.Entries {
		c.failf("router.reserved_entries", "must be in [0, entries), got %d of %d", r.ReservedEntries, r.Entries)
	}
	if r.P2PEntries < 0 {
		c.failf("router.p2p_entries", "must not be negative")
	}
	// One route-word bit per core: a route must be able to name every core.
	if r.CoreBits != t.Machine.CoresPerChip {
		c.failf("router.core_bits", "must equal machine.cores_per_chip (%d), got %d", t.Machine.CoresPerChip, r.CoreBits)
	}
	if r.LinkBits != len(r.Links) {
		c.failf("router.link_bits", "must equal the number of links (%d), got %d", len(r.Links), r.LinkBits)
	}
	seen := map[Direction]bool{}
	for i, d := range r.Links {
		if !d.Valid() {
			c.failf(fmt.Sprintf("router.links[%d]", i), "invalid direction %q", d)
		}
		if seen[d] {
			c.failf(fmt.Sprintf("router.links[%d]", i), "direction %s repeated", d)
		}
		seen[d] = true
	}
	c.positive("router.packet_bits", int64(r.PacketBits))
	if r.PayloadPacketBits < r.PacketBits {
		c.failf("router.payload_packet_bits", "must be at least packet_bits (%d), got %d", r.PacketBits, r.PayloadPacketBits)
	}
	if r.KeyBits <= 0 || r.KeyBits > 32 {
		c.failf("router.key_bits", "must be in [1, 32], got %d", r.KeyBits)
	}
	if r.DefaultKeyMask == 0 {
		c.failf("router.default_key_mask", "is missing")
	}
	c.nonEmpty("router.source", r.Source)
}

func validateFormat(c *checker, f string, x Format) {
	if !x.Kind.Valid() {
		c.failf(f+".kind", "invalid numeric format kind %q (want one of: %s)", x.Kind, strings.Join(formatKindValues, ", "))
	}
	if x.Bits <= 0 || x.Bits > 64 {
		c.failf(f+".bits", "must be in [1, 64], got %d", x.Bits)
	}
	if x.FracBits < 0 || x.IntBits() < 0 {
		c.failf(f+".frac_bits", "must leave room for the sign in %d bits, got %d", x.Bits, x.FracBits)
	}
}

func (t *Target) validateNumeric(c *checker) {
	n := t.Numeric
	validateFormat(c, "numeric.state", n.State)
	validateFormat(c, "numeric.decay", n.Decay)
	validateFormat(c, "numeric.weight", n.Weight)
	if !n.WeightScaling.Valid() {
		c.failf("numeric.weight_scaling", "invalid weight scaling %q (want one of: %s)", n.WeightScaling, strings.Join(weightScalingValues, ", "))
	}
	if n.Decay.Kind == UnsignedFixed && n.Decay.IntBits() != 0 {
		c.failf("numeric.decay", "a decay factor is below 1: want u0.N, got %s", n.Decay)
	}
	c.positive("numeric.synaptic_word_bits", int64(n.SynapticWordBits))
	c.nonEmpty("numeric.source", n.Source)
}

// bitsFor is the number of bits needed to index n things.
func bitsFor(n int) int {
	if n <= 1 {
		return 0
	}
	return bits.Len(uint(n - 1))
}

func (t *Target) validateLimits(c *checker) {
	l := t.Limits
	c.positive("limits.neurons_per_core", int64(l.NeuronsPerCore))
	if l.MaxNeuronsPerCore < l.NeuronsPerCore {
		c.failf("limits.max_neurons_per_core", "must be at least neurons_per_core (%d), got %d", l.NeuronsPerCore, l.MaxNeuronsPerCore)
	}
	c.positive("limits.sources_per_core", int64(l.SourcesPerCore))
	c.positive("limits.synapse_types", int64(l.SynapseTypes))
	c.positive("limits.max_row_length", int64(l.MaxRowLength))
	c.positive("limits.delay_slots", int64(l.DelaySlots))
	// The ring index is (time & (slots-1)): the slot count must be a power of two.
	if l.DelaySlots > 0 && l.DelaySlots&(l.DelaySlots-1) != 0 {
		c.failf("limits.delay_slots", "must be a power of two, got %d", l.DelaySlots)
	}
	if l.MaxDelaySlots != 0 && (l.MaxDelaySlots < l.DelaySlots || l.MaxDelaySlots&(l.MaxDelaySlots-1) != 0) {
		c.failf("limits.max_delay_slots", "must be a power of two of at least delay_slots (%d), got %d", l.DelaySlots, l.MaxDelaySlots)
	}
	c.positive("limits.delay_extension_factor", int64(l.DelayExtensionFactor))
	c.positive("limits.ring_buffer_entries", int64(l.RingBufferEntries))
	c.positive("limits.ring_buffer_entry_bits", int64(l.RingBufferEntryBits))
	if l.MaxBinaryBytes < 0 {
		c.failf("limits.max_binary_bytes", "must not be negative")
	}
	c.nonEmpty("limits.source", l.Source)

	// The input ring holds one entry per (delay slot, synapse type, neuron).
	if need := int64(l.DelaySlots) * int64(l.SynapseTypes) * int64(l.NeuronsPerCore); need > int64(l.RingBufferEntries) {
		c.failf("limits", "delay_slots × synapse_types × neurons_per_core = %d×%d×%d = %d exceeds ring_buffer_entries %d",
			l.DelaySlots, l.SynapseTypes, l.NeuronsPerCore, need, l.RingBufferEntries)
	}
	// A packed synapse is weight | delay | type | neuron index in one word.
	if l.DelaySlots > 0 && l.MaxNeuronsPerCore > 0 {
		w := t.Numeric.Weight.Bits + bitsFor(l.RingSlots()) + bitsFor(l.SynapseTypes) + bitsFor(l.MaxNeuronsPerCore)
		if w > t.Numeric.SynapticWordBits {
			c.failf("limits", "a synaptic word needs %d bits (weight %d + delay %d + type %d + index %d), more than numeric.synaptic_word_bits %d",
				w, t.Numeric.Weight.Bits, bitsFor(l.RingSlots()), bitsFor(l.SynapseTypes), bitsFor(l.MaxNeuronsPerCore), t.Numeric.SynapticWordBits)
		}
	}
	if d, ok := t.Memory[DTCM]; ok {
		if rb := int64(l.RingBufferEntries) * int64(l.RingBufferEntryBits) / 8; rb > d.Usable() {
			c.failf("limits.ring_buffer_entries", "the ring buffer (%d bytes) does not fit in DTCM (%d bytes)", rb, d.Usable())
		}
	}
	if i, ok := t.Memory[ITCM]; ok && int64(l.MaxBinaryBytes) > i.Usable() {
		c.failf("limits.max_binary_bytes", "%d exceeds ITCM (%d bytes)", l.MaxBinaryBytes, i.Usable())
	}
}

func (t *Target) validateFPGA(c *checker) {
	switch {
	case t.Kind == KindFPGA && t.FPGA == nil:
		c.failf("fpga", "an fpga target needs the fpga section")
		return
	case t.Kind != KindFPGA && t.FPGA != nil:
		c.failf("fpga", "only an fpga target has the fpga section")
		return
	case t.FPGA == nil:
		return
	}
	f := t.FPGA
	c.nonEmpty("fpga.family", f.Family)
	c.nonEmpty("fpga.device", f.Device)
	c.nonEmpty("fpga.part", f.Part)
	c.nonEmpty("fpga.resources_source", f.ResourcesSource)
	r := f.Resources
	c.positive("fpga.resources.logic_cells", int64(r.LogicCells))
	c.positive("fpga.resources.luts", int64(r.LUTs))
	c.positive("fpga.resources.ffs", int64(r.FFs))
	c.positive("fpga.resources.bram36", int64(r.BRAM36))
	c.positive("fpga.resources.dsp48e2", int64(r.DSP48E2))
	if r.URAM288 < 0 {
		c.failf("fpga.resources.uram288", "must not be negative")
	}
	if _, ok := t.Memory[URAM288]; r.URAM288 > 0 && !ok {
		c.failf("memory", "the device has URAM288 blocks but memory.uram288 is missing")
	}
	// The engine's decay step is state × decay in one DSP48E2 (27×18 multiplier).
	if t.Numeric.State.Bits > 27 || t.Numeric.Decay.Bits > 18 {
		c.failf("numeric", "state (%d bits) × decay (%d bits) must fit a DSP48E2 27×18 multiplier", t.Numeric.State.Bits, t.Numeric.Decay.Bits)
	}
}

// validateSourced checks the fields every sourced figure shares.
func validateSourced(c *checker, f, source string, status Status, note string) {
	c.nonEmpty(f+".source", source)
	if !status.Valid() {
		c.failf(f+".status", "invalid status %q (want one of: %s)", status, strings.Join(statusValues, ", "))
	}
	if status == StatusEstimate && strings.TrimSpace(note) == "" {
		c.failf(f+".note", "an estimate needs a note giving its rationale")
	}
}

func validateCosts(c *checker, f string, costs CostTable) {
	if len(costs) == 0 {
		c.failf(f, "is missing")
	}
	for _, x := range costs {
		g := f + "." + x.Name
		if x.Name == "" {
			c.failf(f, "an entry has no name")
		}
		if x.Cycles <= 0 || math.IsInf(x.Cycles, 0) || math.IsNaN(x.Cycles) {
			c.failf(g+".cycles", "must be positive and finite, got %v", x.Cycles)
		}
		c.nonEmpty(g+".per", x.Per)
		validateSourced(c, g, x.Source, x.Status, x.Note)
	}
}

func validateEnergy(c *checker, f string, coeffs EnergyTable) {
	if len(coeffs) == 0 {
		c.failf(f, "is missing")
	}
	for _, x := range coeffs {
		g := f + "." + x.Name
		if x.Name == "" {
			c.failf(f, "an entry has no name")
		}
		if x.Value <= 0 || math.IsInf(x.Value, 0) || math.IsNaN(x.Value) {
			c.failf(g+".value", "must be positive and finite, got %v", x.Value)
		}
		if !x.Unit.Valid() {
			c.failf(g+".unit", "invalid unit %q (want one of: %s)", x.Unit, strings.Join(unitValues, ", "))
		}
		// An energy or a time is spent on something; say on what.
		if x.Unit != Watt && strings.TrimSpace(x.Per) == "" {
			c.failf(g+".per", "a value in %s needs per (what it is spent on)", x.Unit)
		}
		validateSourced(c, g, x.Source, x.Status, x.Note)
	}
}
