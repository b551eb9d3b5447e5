package fpga

import "github.com/somahw/soma/backends/emu"

// ThroughputReport is the real-time model of a design: how long a step
// takes at the engine clock, and so the shortest timestep the design keeps
// up with.
type ThroughputReport struct {
	ClockHz int64 `json:"clock_hz"`
	// BusyCycles is the worst step's largest engine busy count (the
	// emulator's CyclesPerStep, which the RTL matches): no schedule of the
	// phases can make a step shorter.
	BusyCycles uint64 `json:"worst_step_engine_busy_cycles"`
	// BusyStep is the step it happened in.
	BusyStep int `json:"worst_step"`
	// MinTimestepS is BusyCycles / ClockHz: the fastest real-time
	// timestep if the engines' phases overlapped perfectly.
	MinTimestepS float64 `json:"min_timestep_s"`
	// BarrierCycles is what the barrier schedule of soma_top adds on top
	// of the slowest engine in a step: the serial send phase (every other
	// engine's spikes, one per clock, plus a token hand-over per engine)
	// and the fixed handshakes. It is an upper bound computed from the
	// busy counts (the spikes of the slowest engine are counted twice).
	BarrierCycles uint64 `json:"barrier_cycles_bound"`
	// RTLTimestepS is (BusyCycles + BarrierCycles) / ClockHz: the
	// timestep the design as built is guaranteed to sustain.
	RTLTimestepS float64 `json:"rtl_timestep_s"`
	// Budget is clock × the program's timestep.
	Budget uint64 `json:"cycle_budget"`
	// RealTime: the program's timestep is at least RTLTimestepS.
	RealTime bool `json:"real_time"`
}

// Barrier-schedule overheads of soma_top (see docs/fpga-engine.md): two
// cycles per engine for the send token (hand-over and its WSEND→SEND
// step), and the fixed handshakes: 2 to start a step, 6 to drain the
// router and inbox read-ahead, 2 to start receiving, 1 for the step
// advance.
const (
	tokenCycles   = 2
	barrierFixed  = 2 + 6 + 2 + 1
	rtlStartExtra = 0
)

// Throughput computes the real-time model from the emulator's counters.
func (d *Design) Throughput(cnt *emu.Counters) ThroughputReport {
	r := ThroughputReport{ClockHz: d.ClockHz, Budget: d.TickBudget}
	var worstSerial uint64
	for t := range d.Steps {
		var top, sends uint64
		for i, c := range cnt.Cores {
			if t >= len(c.CyclesPerStep) {
				continue
			}
			busy := uint64(c.CyclesPerStep[t])
			top = max(top, busy)
			// an engine's sends are bounded by its busy cycles minus
			// its fixed work
			fixed := uint64(d.Costs.TickOverhead)
			if !d.Engines[i].Source {
				fixed += uint64(d.Engines[i].N)
			}
			sends += busy - min(busy, fixed)
		}
		if top > r.BusyCycles {
			r.BusyCycles, r.BusyStep = top, t
		}
		worstSerial = max(worstSerial, top+sends)
	}
	r.BarrierCycles = worstSerial - r.BusyCycles + uint64(tokenCycles*len(d.Engines)+barrierFixed+rtlStartExtra)
	hz := float64(max(1, d.ClockHz))
	r.MinTimestepS = float64(r.BusyCycles) / hz
	r.RTLTimestepS = float64(r.BusyCycles+r.BarrierCycles) / hz
	r.RealTime = r.RTLTimestepS <= d.Timestep
	return r
}
