package runtime

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestWindowRates(t *testing.T) {
	t0 := time.Unix(1000, 0)
	mark := func(dt time.Duration, ticks, spikes int, pop ...int) rateMark {
		return rateMark{at: t0.Add(dt), ticks: ticks, spikes: spikes, pop: pop}
	}
	tests := []struct {
		name     string
		from, to rateMark
		sizes    []int
		timestep float64
		want     Rates
	}{
		{
			name: "one second, two populations",
			// 500 ticks of 1 ms (0.5 s of model time) in 1 s of wall time;
			// 100 neurons fired 250 spikes (5 Hz), 20 neurons 200 (20 Hz).
			from: mark(0, 100, 1000, 800, 200), to: mark(time.Second, 600, 1450, 1050, 400),
			sizes: []int{100, 20}, timestep: 1e-3,
			want: Rates{Ticks: 600, Spikes: 1450, Span: time.Second, TicksPerSecond: 500, SpikesPerSecond: 450, PopHz: []float64{5, 20}},
		},
		{
			name: "half a second of wall time: rates per second of wall time",
			from: mark(0, 0, 0, 0), to: mark(500*time.Millisecond, 100, 30, 30),
			sizes: []int{10}, timestep: 1e-4,
			// 30 spikes of 10 neurons over 100 ticks of 0.1 ms = 10 ms: 300 Hz.
			want: Rates{Ticks: 100, Spikes: 30, Span: 500 * time.Millisecond, TicksPerSecond: 200, SpikesPerSecond: 60, PopHz: []float64{300}},
		},
		{
			name: "paused: no ticks in the window",
			from: mark(0, 40, 7, 7), to: mark(time.Second, 40, 7, 7),
			sizes: []int{10}, timestep: 1e-3,
			want: Rates{Ticks: 40, Spikes: 7, Span: time.Second},
		},
		{
			name: "no wall time yet",
			from: mark(0, 0, 0, 0), to: mark(0, 0, 0, 0),
			sizes: []int{10}, timestep: 1e-3,
			want: Rates{},
		},
		{
			name: "an empty population fires at 0 Hz, not NaN",
			from: mark(0, 0, 0, 0, 0), to: mark(time.Second, 10, 5, 0, 5),
			sizes: []int{0, 5}, timestep: 1e-3,
			want: Rates{Ticks: 10, Spikes: 5, Span: time.Second, TicksPerSecond: 10, SpikesPerSecond: 5, PopHz: []float64{0, 100}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := windowRates(tt.from, tt.to, tt.sizes, tt.timestep)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rates (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRateMeterWindow: the meter reports over the last window, whatever
// came before, and drops to nothing when the stream stops.
func TestRateMeterWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	m := NewRateMeter([]int{4}, 1e-3, time.Second, t0)
	// Two seconds: 1000 ticks a second, each with one spike, then one
	// second of 100 ticks a second, each with two spikes.
	at := t0
	for range 2000 {
		at = at.Add(time.Millisecond)
		m.Tick(at, [][2]uint32{{0, 1}})
	}
	for range 100 {
		at = at.Add(10 * time.Millisecond)
		m.Tick(at, [][2]uint32{{0, 2}, {0, 3}})
	}
	got := m.Rates(at)
	want := Rates{Ticks: 2100, Spikes: 2200, Span: time.Second, TicksPerSecond: 100, SpikesPerSecond: 200,
		// Two spikes of four neurons a 1 ms tick: 500 Hz.
		PopHz: []float64{500}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rates over the last second (-want +got):\n%s", diff)
	}
	if len(m.marks) > 12 {
		t.Errorf("%d snapshots kept for a one-second window; want about ten", len(m.marks))
	}
	// Paused for two seconds: nothing in the window.
	got = m.Rates(at.Add(2 * time.Second))
	if got.PopHz != nil || got.SpikesPerSecond != 0 || got.Ticks != 2100 {
		t.Errorf("rates after two silent seconds: %+v; want totals only", got)
	}
}
