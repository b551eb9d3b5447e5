package runtime

import "time"

// RateMeter measures a spike stream as it arrives, for a live display:
// how fast spikes cross the link (per second of wall time) and how fast
// each population fires (mean rate per neuron, in model time), both over
// the last Window of wall time. It is fed one tick at a time (Run's
// OnTick) and never looks at the clock itself: the caller passes the
// times, so it is exact to test.
type RateMeter struct {
	sizes    []int
	timestep float64
	window   time.Duration
	cur      rateMark   // totals so far
	marks    []rateMark // snapshots of the totals, oldest first
}

// rateMark is the stream's totals at a moment.
type rateMark struct {
	at     time.Time
	ticks  int
	spikes int
	pop    []int // spikes per population
}

// Rates is what a RateMeter reports.
type Rates struct {
	Ticks  int // ticks received so far
	Spikes int // spikes received so far
	// Span is the wall time the rates below cover: about the window, less
	// at the start of the stream.
	Span            time.Duration
	TicksPerSecond  float64 // of wall time
	SpikesPerSecond float64 // of wall time
	// PopHz is each population's mean firing rate over the ticks received
	// within Span: its spikes / its neurons / those ticks' model time. Nil
	// when no tick arrived within Span (a paused run).
	PopHz []float64
}

// NewRateMeter measures a stream of ticks of timestep seconds from
// populations of the given sizes, over the last window of wall time
// (default one second), starting at start.
func NewRateMeter(sizes []int, timestep float64, window time.Duration, start time.Time) *RateMeter {
	if window <= 0 {
		window = time.Second
	}
	m := &RateMeter{sizes: sizes, timestep: timestep, window: window}
	m.cur = rateMark{at: start, pop: make([]int, len(sizes))}
	m.marks = []rateMark{m.cur.clone()}
	return m
}

func (r rateMark) clone() rateMark {
	r.pop = append([]int(nil), r.pop...)
	return r
}

// Tick counts one tick's spikes, (population, neuron) pairs, received at
// at. Spikes of a population the meter does not know are counted in the
// total only.
func (m *RateMeter) Tick(at time.Time, spikes [][2]uint32) {
	m.cur.at = at
	m.cur.ticks++
	m.cur.spikes += len(spikes)
	for _, s := range spikes {
		if int(s[0]) < len(m.cur.pop) {
			m.cur.pop[s[0]]++
		}
	}
	// A snapshot every tenth of the window bounds the memory whatever the
	// tick rate, and the span to within a tenth of the window.
	if at.Sub(m.marks[len(m.marks)-1].at) >= m.window/10 {
		m.marks = append(m.marks, m.cur.clone())
	}
}

// Rates reports the totals, and the rates over the last window before
// now.
func (m *RateMeter) Rates(now time.Time) Rates {
	// The baseline is the newest snapshot at least a window old (or the
	// start); older ones are no longer needed.
	i := 0
	for i+1 < len(m.marks) && !m.marks[i+1].at.After(now.Add(-m.window)) {
		i++
	}
	m.marks = m.marks[i:]
	cur := m.cur
	cur.at = now
	return windowRates(m.marks[0], cur, m.sizes, m.timestep)
}

// windowRates is the rates between two snapshots of a stream's totals.
func windowRates(from, to rateMark, sizes []int, timestep float64) Rates {
	r := Rates{Ticks: to.ticks, Spikes: to.spikes, Span: to.at.Sub(from.at)}
	if s := r.Span.Seconds(); s > 0 {
		r.TicksPerSecond = float64(to.ticks-from.ticks) / s
		r.SpikesPerSecond = float64(to.spikes-from.spikes) / s
	}
	ticks := to.ticks - from.ticks
	if ticks <= 0 || timestep <= 0 {
		return r
	}
	model := float64(ticks) * timestep
	r.PopHz = make([]float64, len(sizes))
	for p, n := range sizes {
		if n > 0 && p < len(to.pop) && p < len(from.pop) {
			r.PopHz[p] = float64(to.pop[p]-from.pop[p]) / float64(n) / model
		}
	}
	return r
}
