package fpga

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/somahw/soma/compiler"
	"github.com/somahw/soma/ir"
	"github.com/somahw/soma/target"
)

// TestRingDepth: each engine's ring is sized to the longest delay that
// reaches it (2^DelayBits ≥ delay + 1 slots, at least the target's 16),
// and the ring memories follow; delays beyond the deepest ring the target
// allows (limits.max_delay_slots) are refused by the compiler, naming the
// projection, the limit and the knob.
func TestRingDepth(t *testing.T) {
	tests := []struct {
		dt float64
		// slots of each neuron engine's ring, by population; nil: refused
		slots map[string]int
		want  string // the refusal
	}{
		// 1 ms: delays of 1–10 ticks, every ring the 16-slot minimum
		{dt: 1, slots: map[string]int{"g0": 16, "g1": 16, "g2": 16, "g3": 16, "g4": 16, "g5": 16, "g6": 16, "g7": 16, "g8": 16, "g9": 16}},
		// 0.5 ms: g2→g3 is 16 ticks and g5→g6 20: 32 slots; g8→g9's 3–6 ms spread is 6–12 ticks
		{dt: 0.5, slots: map[string]int{"g0": 16, "g1": 16, "g2": 16, "g3": 32, "g4": 16, "g5": 16, "g6": 32, "g7": 16, "g8": 16, "g9": 16}},
		// 0.1 ms, as the example is written: delays of 20–100 ticks
		// (g2→g3 80, g5→g6 100 and g7→g8 70 ticks: 128 slots)
		{dt: 0.1, slots: map[string]int{"g0": 16, "g1": 64, "g2": 32, "g3": 128, "g4": 64, "g5": 64, "g6": 128, "g7": 32, "g8": 128, "g9": 64}},
		// 0.01 ms: g0→g1 is 500 ticks, past the deepest ring
		{dt: 0.01, want: "projection g0_g1: delay of 500 ticks exceeds the 255 ticks of the deepest ring a core can have on zcu102 (limits.max_delay_slots 256; each core's ring grows to its longest delay), and zcu102 has no delay extension; shorten the delay to 255 ticks (2.55ms) or lengthen the timestep"},
	}
	for _, tc := range tests {
		t.Run(ftoa(tc.dt)+"ms", func(t *testing.T) {
			net, err := ir.Parse("synfire.yaml", []byte(synfireAt(t, tc.dt, 30)))
			if err != nil {
				t.Fatal(err)
			}
			tg, err := target.Load("zcu102")
			if err != nil {
				t.Fatal(err)
			}
			comp, err := compiler.Compile(net, tg, compiler.Options{})
			if tc.slots == nil {
				if err == nil || err.Error() != tc.want {
					t.Fatalf("Compile: %v\nwant: %s", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			d, err := Build(comp.Program, tg)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int{}
			for _, e := range d.Engines {
				if e.Source {
					continue
				}
				got[e.Pop] = 1 << e.DB
				for _, m := range e.Memories {
					if strings.Contains(m.Name, "_ring_") && m.Depth != got[e.Pop]<<e.IB {
						t.Errorf("%s: %d words, want %d slots × %d neurons", m.Name, m.Depth, got[e.Pop], 1<<e.IB)
					}
				}
			}
			if diff := cmp.Diff(tc.slots, got); diff != "" {
				t.Errorf("ring slots by population (-want +got)\n%s", diff)
			}
		})
	}
}
