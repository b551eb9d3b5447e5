package target

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// OneLine is the target's line in `soma targets`, e.g.
// "spinn5    spinnaker  SpiNN-5 board: 48 chips, 816 application cores, 1 ms".
func (t *Target) OneLine() string {
	var what string
	switch t.Kind {
	case KindFPGA:
		part := ""
		if t.FPGA != nil {
			part = " (" + t.FPGA.Part + ")"
		}
		what = fmt.Sprintf("%s board%s: %d engines × %d neurons at %s, %s",
			t.Machine.Board, part, t.AppCores(), t.Limits.NeuronsPerCore, formatHz(t.Machine.ClockHz), formatDuration(t.TimestepDefault()))
	default:
		what = fmt.Sprintf("%s board: %d chips, %d application cores, %s",
			t.Machine.Board, t.NumChips(), t.AppCores(), formatDuration(t.TimestepDefault()))
	}
	return fmt.Sprintf("%-8s  %-9s  %s", t.Name, t.Kind, what)
}

// JSON returns the resolved target as indented JSON; decoding it as a target
// file gives the same Target back.
func (t *Target) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// WriteSummary writes the human-readable description shown by
// `soma targets show NAME`: one aligned section per part of the target, then
// the cycle-cost and energy tables with each figure's status and source, then
// the rationale of every estimate.
func (t *Target) WriteSummary(w io.Writer) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s: %s\n", t.Name, t.Description)
	kv := newTable(&b, "")
	kv.row("kind", string(t.Kind))
	if t.Inherits != "" {
		kv.row("inherits", t.Inherits)
	}
	kv.flush()

	m := t.Machine
	section(&b, "Machine")
	kv = newTable(&b, "  ")
	kv.row("board", m.Board)
	if t.Kind == KindFPGA {
		kv.row("neuron engines", fmt.Sprintf("%d at %s", m.CoresPerChip, formatHz(m.ClockHz)))
	} else {
		kv.row("chips", fmt.Sprintf("%d (layout %s, %d×%d footprint)", t.NumChips(), m.Layout, m.Width, m.Height))
		kv.row("cores per chip", fmt.Sprintf("%d %s (%d monitor, %d application)", m.CoresPerChip, m.Processor, m.MonitorCoresPerChip, t.AppCoresPerChip()))
		kv.row("application cores", strconv.Itoa(t.AppCores()))
		clk := formatHz(m.ClockHz)
		if m.MemoryClockHz > 0 {
			clk += fmt.Sprintf(" (memory %s)", formatHz(m.MemoryClockHz))
		}
		kv.row("clock", clk)
	}
	kv.row("source", m.Source)
	kv.flush()

	if t.FPGA != nil {
		f := t.FPGA
		section(&b, "FPGA")
		kv = newTable(&b, "  ")
		kv.row("part", fmt.Sprintf("%s (%s, %s)", f.Part, f.Device, f.Family))
		r := f.Resources
		kv.row("logic cells", group(int64(r.LogicCells)))
		kv.row("CLB LUTs", group(int64(r.LUTs)))
		kv.row("CLB flip-flops", group(int64(r.FFs)))
		kv.row("BRAM36", group(int64(r.BRAM36)))
		kv.row("URAM288", group(int64(r.URAM288)))
		kv.row("DSP48E2", group(int64(r.DSP48E2)))
		kv.row("source", f.ResourcesSource)
		kv.flush()
	}

	section(&b, "Memory")
	tw := newTable(&b, "  ")
	tw.row("KIND", "SCOPE", "SIZE", "USABLE", "SHAPE", "BITSTREAM INIT", "SOURCE")
	for _, k := range t.memoryKinds() {
		mem := t.Memory[k]
		shape := "-"
		if mem.WidthBits > 0 {
			shape = fmt.Sprintf("%d×%d", mem.Depth, mem.WidthBits)
		}
		tw.row(string(k), string(mem.Scope), formatBytes(mem.Bytes), formatBytes(mem.Usable()), shape, yesNo(mem.BitstreamInit), mem.Source)
	}
	tw.flush()

	r := t.Router
	section(&b, "Router")
	kv = newTable(&b, "  ")
	entries := fmt.Sprintf("%d multicast (%d reserved, %d usable)", r.Entries, r.ReservedEntries, r.UsableEntries())
	if r.P2PEntries > 0 {
		entries += fmt.Sprintf(", %d point-to-point", r.P2PEntries)
	}
	kv.row("entries", entries)
	links := make([]string, len(r.Links))
	for i, d := range r.Links {
		links[i] = string(d)
	}
	word := fmt.Sprintf("%d core bits + %d link bits", r.CoreBits, r.LinkBits)
	if len(links) > 0 {
		word += " (" + strings.Join(links, " ") + ")"
	}
	kv.row("route word", word)
	kv.row("packets", fmt.Sprintf("%d bits, %d with payload", r.PacketBits, r.PayloadPacketBits))
	kv.row("keys", fmt.Sprintf("%d bits, default mask 0x%08x", r.KeyBits, uint32(r.DefaultKeyMask)))
	kv.row("source", r.Source)
	kv.flush()

	n := t.Numeric
	section(&b, "Numeric formats")
	kv = newTable(&b, "  ")
	kv.row("state", describeFormat(n.State))
	kv.row("decay", describeFormat(n.Decay))
	kv.row("weight", describeFormat(n.Weight)+", scaling "+string(n.WeightScaling))
	kv.row("synaptic word", fmt.Sprintf("%d bits", n.SynapticWordBits))
	kv.row("source", n.Source)
	kv.flush()

	l := t.Limits
	section(&b, "Limits")
	kv = newTable(&b, "  ")
	kv.row("neurons per core", fmt.Sprintf("%d (max %d)", l.NeuronsPerCore, l.MaxNeuronsPerCore))
	kv.row("sources per core", strconv.Itoa(l.SourcesPerCore))
	kv.row("synapse types", strconv.Itoa(l.SynapseTypes))
	kv.row("max row length", strconv.Itoa(l.MaxRowLength))
	delay := fmt.Sprintf("%d slots", l.DelaySlots)
	if l.MaxDelaySlots > l.DelaySlots {
		delay += fmt.Sprintf(" (a core's ring grows to its longest delay, up to %d)", l.MaxDelaySlots)
	}
	if l.DelayExtensionFactor > 1 {
		delay += fmt.Sprintf(" (× up to %d with delay extension)", l.DelayExtensionFactor)
	}
	kv.row("delay", delay)
	kv.row("ring buffer", fmt.Sprintf("%d entries × %d bits", l.RingBufferEntries, l.RingBufferEntryBits))
	if l.MaxBinaryBytes > 0 {
		kv.row("max binary", formatBytes(int64(l.MaxBinaryBytes)))
	}
	kv.row("source", l.Source)
	kv.flush()

	section(&b, "Timing and link")
	kv = newTable(&b, "  ")
	kv.row("timestep", fmt.Sprintf("%s (%d cycles at %s)", formatDuration(t.TimestepDefault()), t.CyclesPerTimestep(), formatHz(m.ClockHz)))
	kv.row("timestep source", t.Timing.Source)
	kv.row("host link", fmt.Sprintf("%d baud", t.HostLink.Baud))
	kv.row("host link source", t.HostLink.Source)
	kv.flush()

	var notes []string
	section(&b, "Cycle costs")
	tw = newTable(&b, "  ")
	tw.row("NAME", "CYCLES", "PER", "STATUS", "SOURCE")
	for _, c := range t.Cycles {
		tw.row(c.Name, strconv.FormatFloat(c.Cycles, 'g', -1, 64), c.Per, string(c.Status), c.Source)
		if c.Note != "" {
			notes = append(notes, "cycles."+c.Name+": "+c.Note)
		}
	}
	tw.flush()

	section(&b, "Energy")
	tw = newTable(&b, "  ")
	tw.row("NAME", "VALUE", "PER", "STATUS", "SOURCE")
	for _, c := range t.Energy {
		per := c.Per
		if per == "" {
			per = "-"
		}
		tw.row(c.Name, formatSI(c.Value, c.Unit), per, string(c.Status), c.Source)
		if c.Note != "" {
			notes = append(notes, "energy."+c.Name+": "+c.Note)
		}
	}
	tw.flush()

	if len(notes) > 0 || len(t.Notes) > 0 {
		section(&b, "Notes")
		for _, s := range t.Notes {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
		for _, s := range notes {
			fmt.Fprintf(&b, "  - %s\n", s)
		}
	}
	_, err := w.Write(b.Bytes())
	return err
}

func section(b *bytes.Buffer, title string) { fmt.Fprintf(b, "\n%s\n", title) }

// table aligns rows with text/tabwriter, padding with spaces so the output
// is the same in any terminal and in golden files.
type table struct {
	tw     *tabwriter.Writer
	indent string
}

func newTable(w io.Writer, indent string) *table {
	return &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0), indent: indent}
}

func (t *table) row(cells ...string) {
	fmt.Fprintln(t.tw, t.indent+strings.Join(cells, "\t"))
}

func (t *table) flush() { t.tw.Flush() }

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func describeFormat(f Format) string {
	return fmt.Sprintf("%s (%s, %d bits, %d fraction)", f, f.Kind, f.Bits, f.FracBits)
}

// formatBytes writes whole KiB/MiB/GiB as such and anything else as a grouped byte count.
func formatBytes(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d %s", n/u.size, u.name)
		}
	}
	return group(n) + " B"
}

// group writes n with thousands separators (123,469,792), as the datasheets do.
func group(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func formatHz(hz int64) string {
	switch {
	case hz >= 1e9 && hz%1e6 == 0:
		return strconv.FormatFloat(float64(hz)/1e9, 'g', -1, 64) + " GHz"
	case hz >= 1e6 && hz%1e3 == 0:
		return strconv.FormatFloat(float64(hz)/1e6, 'g', -1, 64) + " MHz"
	default:
		return group(hz) + " Hz"
	}
}

func formatDuration(d time.Duration) string {
	switch {
	case d%time.Millisecond == 0:
		return fmt.Sprintf("%d ms", d/time.Millisecond)
	case d%time.Microsecond == 0:
		return fmt.Sprintf("%d µs", d/time.Microsecond)
	default:
		return d.String()
	}
}

// formatSI writes v with an SI prefix so that 1 ≤ mantissa < 1000 (2.5e-11 J → "25 pJ").
func formatSI(v float64, u Unit) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64) + " " + string(u)
	}
	prefixes := []struct {
		scale float64
		p     string
	}{{1e9, "G"}, {1e6, "M"}, {1e3, "k"}, {1, ""}, {1e-3, "m"}, {1e-6, "µ"}, {1e-9, "n"}, {1e-12, "p"}, {1e-15, "f"}}
	for _, p := range prefixes {
		if math.Abs(v) >= p.scale*(1-1e-9) {
			return strconv.FormatFloat(v/p.scale, 'g', 4, 64) + " " + p.p + string(u)
		}
	}
	last := prefixes[len(prefixes)-1]
	return strconv.FormatFloat(v/last.scale, 'g', 4, 64) + " " + last.p + string(u)
}
