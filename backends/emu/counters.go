package emu

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// maxEvents bounds the overrun and drop records kept per core or chip;
// the counts are always complete.
const maxEvents = 100

// Counters are what a run did, per core and per chip: the inputs of the
// energy report and of the overrun and congestion diagnostics.
type Counters struct {
	Steps int            `json:"steps"`
	Cores []CoreCounters `json:"cores"`
	Chips []ChipCounters `json:"chips"`
	// Budget is a core's cycles per step (clock × timestep).
	Budget uint64 `json:"cycle_budget"`
}

// CoreCounters are one core's totals.
type CoreCounters struct {
	Core            string `json:"core"`
	Kind            string `json:"kind"`
	Population      string `json:"population"`
	NeuronUpdates   uint64 `json:"neuron_updates"`
	SynapticEvents  uint64 `json:"synaptic_events"`
	SpikesSent      uint64 `json:"spikes_sent"`
	PacketsReceived uint64 `json:"packets_received"`
	RowsFetched     uint64 `json:"rows_fetched"`
	SDRAMWords      uint64 `json:"sdram_words"`
	RingSaturations uint64 `json:"ring_saturations"`
	STDPUpdates     uint64 `json:"stdp_updates"`
	BusyCycles      uint64 `json:"busy_cycles"`
	MaxCycles       uint64 `json:"max_cycles_per_step"`
	Overruns        uint64 `json:"overruns"`
	// OverrunSteps are the first overruns: the step and how far over.
	OverrunSteps []Overrun `json:"overrun_steps,omitempty"`
	// CyclesPerStep is every step's cycle count (FPGA engines only: what
	// the RTL must match).
	CyclesPerStep []uint32 `json:"cycles_per_step,omitempty"`
}

// Overrun is one step in which a core's work exceeded its budget: the
// "timer tick overrun" of a SpiNNaker core.
type Overrun struct {
	Step   int    `json:"step"`
	Cycles uint64 `json:"cycles"`
	Budget uint64 `json:"budget"`
}

// ChipCounters are one chip's router totals.
type ChipCounters struct {
	Chip           string    `json:"chip"`
	PacketsRouted  uint64    `json:"packets_routed"`
	PacketsIn      uint64    `json:"packets_in_from_links"`
	PacketsDropped uint64    `json:"packets_dropped"`
	Links          [6]uint64 `json:"packets_out_per_link"`
	Drops          []Drop    `json:"drops,omitempty"`
}

// Drop is a packet a congested link could not take.
type Drop struct {
	Step int    `json:"step"`
	Link string `json:"link"`
}

func (e *Emulator) counters() *Counters {
	out := &Counters{Steps: int(e.p.Steps), Budget: e.budget, Chips: e.chipCnt}
	for _, c := range e.cores {
		cc := c.cnt
		cc.Core = c.pc.CoreID.String()
		cc.Kind = c.kind.String()
		cc.Population = e.p.Populations[c.pc.Pop].Name
		out.Cores = append(out.Cores, cc)
	}
	return out
}

// Totals sums the per-core counters.
func (c *Counters) Totals() CoreCounters {
	var t CoreCounters
	for _, x := range c.Cores {
		t.NeuronUpdates += x.NeuronUpdates
		t.SynapticEvents += x.SynapticEvents
		t.SpikesSent += x.SpikesSent
		t.PacketsReceived += x.PacketsReceived
		t.RowsFetched += x.RowsFetched
		t.SDRAMWords += x.SDRAMWords
		t.RingSaturations += x.RingSaturations
		t.STDPUpdates += x.STDPUpdates
		t.BusyCycles += x.BusyCycles
		t.MaxCycles = max(t.MaxCycles, x.MaxCycles)
		t.Overruns += x.Overruns
	}
	return t
}

// Dropped is the total of packets dropped by congested links.
func (c *Counters) Dropped() uint64 {
	var n uint64
	for _, ch := range c.Chips {
		n += ch.PacketsDropped
	}
	return n
}

// WriteSummary prints the totals, then every core that overran and every
// chip that dropped packets, with the first steps it happened at.
func (c *Counters) WriteSummary(w io.Writer) {
	t := c.Totals()
	load := 0.0
	if c.Budget > 0 && c.Steps > 0 {
		load = float64(t.MaxCycles) / float64(c.Budget)
	}
	fmt.Fprintf(w, "counters: %d synaptic events, %d neuron updates, %d spikes sent, %d rows fetched, %d SDRAM words; busiest core-step %d cycles (%.0f%% of %d)\n",
		t.SynapticEvents, t.NeuronUpdates, t.SpikesSent, t.RowsFetched, t.SDRAMWords, t.MaxCycles, 100*load, c.Budget)
	fmt.Fprintf(w, "overruns: %d", t.Overruns)
	if t.Overruns == 0 {
		fmt.Fprintln(w, " (every core finished every step within its budget)")
	} else {
		fmt.Fprintln(w)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "  core\tpopulation\toverruns\tfirst at step\tcycles\tbudget")
		for _, x := range c.Cores {
			if x.Overruns > 0 {
				o := x.OverrunSteps[0]
				fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%d\t%d\n", x.Core, x.Population, x.Overruns, o.Step, o.Cycles, o.Budget)
			}
		}
		tw.Flush()
	}
	d := c.Dropped()
	fmt.Fprintf(w, "dropped packets: %d", d)
	if d == 0 {
		fmt.Fprintln(w)
	} else {
		fmt.Fprintln(w)
		for _, ch := range c.Chips {
			if ch.PacketsDropped > 0 {
				fmt.Fprintf(w, "  chip %s dropped %d (first at step %d on link %s)\n", ch.Chip, ch.PacketsDropped, ch.Drops[0].Step, ch.Drops[0].Link)
			}
		}
	}
	if t.RingSaturations > 0 {
		fmt.Fprintf(w, "ring-buffer saturations: %d (summed input clipped at the ring entry's maximum)\n", t.RingSaturations)
	}
}
