package target

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNames(t *testing.T) {
	want := []string{"spinn3", "spinn5", "spinn5x3", "ultra96", "zcu102", "zcu104"}
	if diff := cmp.Diff(want, Names()); diff != "" {
		t.Errorf("Names() (-want +got):\n%s", diff)
	}
}

// Every built-in target loads, validates, and survives JSON() → decode unchanged.
func TestBuiltinTargets(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(Names()) {
		t.Fatalf("All() returned %d targets, Names() %d", len(all), len(Names()))
	}
	for _, tg := range all {
		t.Run(tg.Name, func(t *testing.T) {
			if err := tg.Validate(); err != nil {
				t.Fatal(err)
			}
			if tg.Abstract {
				t.Error("a listed target is abstract")
			}
			b, err := tg.JSON()
			if err != nil {
				t.Fatal(err)
			}
			var back Target
			if err := strictUnmarshal(b, &back); err != nil {
				t.Fatalf("decoding JSON(): %v", err)
			}
			if diff := cmp.Diff(tg, &back); diff != "" {
				t.Errorf("JSON round trip (-want +got):\n%s", diff)
			}
		})
	}
}

// facts are the figures the compiler and energy model read, gathered in one
// comparable struct so a table row states a whole target.
type facts struct {
	Chips, AppCoresPerChip, AppCores int
	ClockHz                          int64
	Timestep                         time.Duration
	DTCM, ITCM, SDRAMUsable          int64
	RouterUsable, CoreBits, LinkBits int
	Links                            []Direction
	KeyMask                          Mask
	State, Decay, Weight             string
	Limits                           Limits
}

func factsOf(tg *Target) facts {
	l := tg.Limits
	l.Source = ""
	f := facts{
		Chips: tg.NumChips(), AppCoresPerChip: tg.AppCoresPerChip(), AppCores: tg.AppCores(),
		ClockHz: tg.Machine.ClockHz, Timestep: tg.TimestepDefault(),
		RouterUsable: tg.Router.UsableEntries(), CoreBits: tg.Router.CoreBits, LinkBits: tg.Router.LinkBits,
		Links: tg.Router.Links, KeyMask: tg.Router.DefaultKeyMask,
		State: tg.Numeric.State.String(), Decay: tg.Numeric.Decay.String(), Weight: tg.Numeric.Weight.String(),
		Limits: l,
	}
	if m, ok := tg.MemoryOf(DTCM); ok {
		f.DTCM = m.Usable()
	}
	if m, ok := tg.MemoryOf(ITCM); ok {
		f.ITCM = m.Usable()
	}
	if m, ok := tg.MemoryOf(SDRAM); ok {
		f.SDRAMUsable = m.Usable()
	}
	return f
}

func TestSpiNNakerFacts(t *testing.T) {
	spinLimits := Limits{
		NeuronsPerCore: 256, MaxNeuronsPerCore: 256, SourcesPerCore: 500, SynapseTypes: 2,
		MaxRowLength: 256, DelaySlots: 16, DelayExtensionFactor: 8,
		RingBufferEntries: 1 << 14, RingBufferEntryBits: 16, MaxBinaryBytes: 32 << 10,
	}
	spin := func(chips int) facts {
		return facts{
			Chips: chips, AppCoresPerChip: 17, AppCores: 17 * chips,
			ClockHz: 200e6, Timestep: time.Millisecond,
			DTCM: 64 << 10, ITCM: 32 << 10, SDRAMUsable: 123469792,
			RouterUsable: 1023, CoreBits: 18, LinkBits: 6,
			Links:   []Direction{East, NorthEast, North, West, SouthWest, South},
			KeyMask: 0xfffff800,
			State:   "s16.15", Decay: "u0.32", Weight: "u16.0",
			Limits: spinLimits,
		}
	}
	for _, tc := range []struct {
		name string
		want facts
	}{
		{"spinn3", spin(4)},
		{"spinn5", spin(48)},
		{"spinn5x3", spin(144)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := Load(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, factsOf(tg)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			sdram, _ := tg.MemoryOf(SDRAM)
			if sdram.Bytes != 128<<20 {
				t.Errorf("SDRAM bytes = %d, want 128 MiB", sdram.Bytes)
			}
		})
	}
}

// The S1615 range quoted by SpiNNFrontEndCommon's data_type.py.
func TestFormatRange(t *testing.T) {
	s1615 := Format{Kind: SignedFixed, Bits: 32, FracBits: 15}
	u032 := Format{Kind: UnsignedFixed, Bits: 32, FracBits: 32}
	for _, tc := range []struct {
		f             Format
		min, max, res float64
		str           string
	}{
		{s1615, -65536, 65536 - math.Ldexp(1, -15), math.Ldexp(1, -15), "s16.15"},
		{u032, 0, 1 - math.Ldexp(1, -32), math.Ldexp(1, -32), "u0.32"},
	} {
		got := []any{tc.f.Min(), tc.f.Max(), tc.f.Resolution(), tc.f.String()}
		want := []any{tc.min, tc.max, tc.res, tc.str}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", tc.f, diff)
		}
	}
}

// spinn5Chips is SpiNNMachine's version_5.py CHIPS_PER_BOARD, key by key.
var spinn5Chips = []Chip{
	{0, 0}, {0, 1}, {0, 2}, {0, 3},
	{1, 0}, {1, 1}, {1, 2}, {1, 3}, {1, 4},
	{2, 0}, {2, 1}, {2, 2}, {2, 3}, {2, 4}, {2, 5},
	{3, 0}, {3, 1}, {3, 2}, {3, 3}, {3, 4}, {3, 5}, {3, 6},
	{4, 0}, {4, 1}, {4, 2}, {4, 3}, {4, 4}, {4, 5}, {4, 6}, {4, 7},
	{5, 1}, {5, 2}, {5, 3}, {5, 4}, {5, 5}, {5, 6}, {5, 7},
	{6, 2}, {6, 3}, {6, 4}, {6, 5}, {6, 6}, {6, 7},
	{7, 3}, {7, 4}, {7, 5}, {7, 6}, {7, 7},
}

// triadBoardChips derives the board a second way, as SpiNNakerTriadGeometry
// does: the chips of a 12×12 triad whose nearest Ethernet chip (by hexagonal
// distance to the board centres offset (3.6, 3.4) from the roots (0,0), (4,8),
// (8,4), repeated around the torus) is (0,0).
func triadBoardChips() []Chip {
	var roots [][2]int
	for _, r := range [][2]int{{0, 0}, {4, 8}, {8, 4}} {
		for _, dx := range []int{-12, 0, 12} {
			for _, dy := range []int{-12, 0, 12} {
				roots = append(roots, [2]int{r[0] + dx, r[1] + dy})
			}
		}
	}
	var chips []Chip
	for x := 0; x < 12; x++ {
		for y := 0; y < 12; y++ {
			best, bestD := [2]int{}, math.Inf(1)
			for _, r := range roots {
				dx, dy := float64(x)-(float64(r[0])+3.6), float64(y)-(float64(r[1])+3.4)
				d := math.Max(math.Abs(dx), math.Max(math.Abs(dy), math.Abs(dx-dy)))
				if d < bestD {
					best, bestD = r, d
				}
			}
			if best == [2]int{0, 0} {
				chips = append(chips, Chip{x, y})
			}
		}
	}
	return chips
}

func TestSpiNN5Layout(t *testing.T) {
	tg, err := Load("spinn5")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(spinn5Chips, tg.Chips()); diff != "" {
		t.Errorf("Chips() vs SpiNNMachine version_5.py (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(triadBoardChips(), tg.Chips()); diff != "" {
		t.Errorf("Chips() vs triad geometry (-want +got):\n%s", diff)
	}
	spinn3, err := Load("spinn3")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Chip{{0, 0}, {0, 1}, {1, 0}, {1, 1}}, spinn3.Chips()); diff != "" {
		t.Errorf("spinn3 Chips() (-want +got):\n%s", diff)
	}
}

// The resource counts are HARDWARE.md's table (AMD DS891 copies), digit for digit.
func TestUltraScaleResources(t *testing.T) {
	type part struct {
		Device, Part string
		Resources    Resources
		URAMMemory   bool
	}
	for _, tc := range []struct {
		name string
		want part
	}{
		{"ultra96", part{"ZU3EG", "xczu3eg-sbva484-1-e", Resources{LogicCells: 154350, LUTs: 70560, FFs: 141120, BRAM36: 216, URAM288: 0, DSP48E2: 360}, false}},
		{"zcu104", part{"ZU7EV", "xczu7ev-ffvc1156-2-e", Resources{LogicCells: 504000, LUTs: 230400, FFs: 460800, BRAM36: 312, URAM288: 96, DSP48E2: 1728}, true}},
		{"zcu102", part{"ZU9EG", "xczu9eg-ffvb1156-2-e", Resources{LogicCells: 599550, LUTs: 274080, FFs: 548160, BRAM36: 912, URAM288: 0, DSP48E2: 2520}, false}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg, err := Load(tc.name)
			if err != nil {
				t.Fatal(err)
			}
			if tg.Kind != KindFPGA || tg.FPGA == nil {
				t.Fatalf("kind %q, fpga section %v", tg.Kind, tg.FPGA)
			}
			_, hasURAM := tg.MemoryOf(URAM288)
			got := part{tg.FPGA.Device, tg.FPGA.Part, tg.FPGA.Resources, hasURAM}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// BRAM is pre-loaded by the bitstream; URAM never is.
			bram, _ := tg.MemoryOf(BRAM36)
			if !bram.BitstreamInit || bram.Bytes*8 != 36*1024 {
				t.Errorf("bram36 = %+v, want 36 Kib with bitstream_init", bram)
			}
			if uram, ok := tg.MemoryOf(URAM288); ok && (uram.BitstreamInit || uram.Bytes*8 != 288*1024) {
				t.Errorf("uram288 = %+v, want 288 Kib without bitstream_init", uram)
			}
			if tg.AppCores() != tg.Router.CoreBits {
				t.Errorf("engines %d, route word core bits %d", tg.AppCores(), tg.Router.CoreBits)
			}
		})
	}
}

// Every figure says where it came from and how far to trust it.
func TestEverythingSourced(t *testing.T) {
	all, err := All()
	if err != nil {
		t.Fatal(err)
	}
	refs, err := ReferenceEnergy()
	if err != nil {
		t.Fatal(err)
	}
	tables := map[string]EnergyTable{}
	for _, tg := range all {
		tables[tg.Name] = tg.Energy
		for _, c := range tg.Cycles {
			if c.Source == "" || !c.Status.Valid() || (c.Status == StatusEstimate && c.Note == "") {
				t.Errorf("%s cycles.%s: source %q status %q note %q", tg.Name, c.Name, c.Source, c.Status, c.Note)
			}
		}
	}
	for _, r := range refs {
		tables["reference "+r.Name] = r.Energy
	}
	for name, tab := range tables {
		if len(tab) == 0 {
			t.Errorf("%s: no energy coefficients", name)
		}
		for _, c := range tab {
			if c.Source == "" || !c.Status.Valid() || (c.Status == StatusEstimate && c.Note == "") {
				t.Errorf("%s energy.%s: source %q status %q note %q", name, c.Name, c.Source, c.Status, c.Note)
			}
		}
	}
}

// Spot checks of HARDWARE.md's energy table, with the status it gives.
func TestEnergyFigures(t *testing.T) {
	type fig struct {
		Value  float64
		Unit   Unit
		Status Status
	}
	for _, tc := range []struct {
		target, name string
		want         fig
	}{
		{"spinn5", "chip.idle_power", fig{0.35, Watt, StatusRead}},
		{"spinn5", "core.active_power", fig{0.034, Watt, StatusRead}},
		{"spinn5", "router.packet", fig{1e-9, Joule, StatusRead}},
		{"spinn5", "router.packet_payload", fig{1.8e-9, Joule, StatusRead}},
		{"spinn5", "board.idle_power", fig{26.84, Watt, StatusRead}},
		{"spinn3", "board.idle_power", fig{3.56, Watt, StatusRead}},
		{"spinn3", "measured.synaptic_event", fig{8e-9, Joule, StatusSecondHand}},
		{"spinn3", "measured.psp", fig{43e-9, Joule, StatusRead}},
		{"zcu102", "synaptic_event", fig{80e-12, Joule, StatusRead}},
		{"zcu102", "board.idle_power", fig{20, Watt, StatusEstimate}},
		{"ultra96", "board.idle_power", fig{4, Watt, StatusEstimate}},
	} {
		tg, err := Load(tc.target)
		if err != nil {
			t.Fatal(err)
		}
		c, ok := tg.Coefficient(tc.name)
		if !ok {
			t.Errorf("%s: no coefficient %s", tc.target, tc.name)
			continue
		}
		if diff := cmp.Diff(tc.want, fig{c.Value, c.Unit, c.Status}); diff != "" {
			t.Errorf("%s %s (-want +got):\n%s", tc.target, tc.name, diff)
		}
	}
	if tg, _ := Load("spinn3"); tg != nil {
		if _, ok := tg.Coefficient("box.overhead_power"); ok {
			t.Error("spinn3 has spinn5's box overhead")
		}
	}
}

func TestReferenceEnergy(t *testing.T) {
	refs, err := ReferenceEnergy()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, r := range refs {
		for _, c := range r.Energy {
			got[r.Name+"/"+c.Name] = c.Value
		}
	}
	want := map[string]float64{
		"loihi/synaptic_spike_op":    23.6e-12,
		"loihi/neuron_update.active": 81e-12,
		"truenorth/synaptic_event":   26e-12,
		"cmos45/e_ac":                0.9e-12,
		"cmos45/e_mac":               4.6e-12,
		"odin/sop":                   12.7e-12,
		"reckon/sop":                 5.3e-12,
		"spinnaker2/synaptic_op":     10e-12,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %g, want %g", k, got[k], v)
		}
	}
}

func TestCyclesPerTimestep(t *testing.T) {
	tg, err := Load("spinn5")
	if err != nil {
		t.Fatal(err)
	}
	if got := tg.CyclesPerTimestep(); got != 200_000 {
		t.Errorf("CyclesPerTimestep() = %d, want 200000", got)
	}
	if _, ok := tg.CycleCost("synaptic_word"); !ok {
		t.Error("no synaptic_word cycle cost")
	}
}
