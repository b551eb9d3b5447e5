package spinnaker

import (
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"

	"github.com/somahw/soma/program"
)

// Summary describes an image for `soma inspect`: its header, chips,
// cores and regions, and whether each checksum holds. Checksum failures
// are reported, not fatal, so a corrupt image can still be looked at.
type Summary struct {
	Bytes        int             `json:"bytes"`
	Version      int             `json:"format_version"`
	CRC          string          `json:"crc32"`
	CRCOK        bool            `json:"crc32_ok"`
	Target       string          `json:"target"`
	Width        int             `json:"width"`
	Height       int             `json:"height"`
	CoresPerChip int             `json:"cores_per_chip"`
	Board        int             `json:"board"`
	BoardCount   int             `json:"board_count"`
	Origin       [2]int          `json:"origin"`
	Network      string          `json:"network"`
	TimestepUS   uint32          `json:"timestep_us"`
	Timestep     float64         `json:"timestep"`
	Steps        uint32          `json:"steps"`
	Seed         uint64          `json:"seed"`
	AppID        int             `json:"app_id"`
	Fingerprint  string          `json:"fingerprint"`
	Numeric      program.Numeric `json:"numeric"`
	Populations  []PopSummary    `json:"populations"`
	Chips        []ChipSummary   `json:"chips"`
	Cores        []CoreSummary   `json:"cores"`
	// Problems lists every checksum failure; empty when the image is sound.
	Problems []string `json:"problems"`
}

// PopSummary is one population of the populations table.
type PopSummary struct {
	Name   string `json:"name"`
	Size   uint32 `json:"size"`
	Model  string `json:"model"`
	Source bool   `json:"source"`
	Cores  int    `json:"cores"`
}

// ChipSummary is one chip's router table.
type ChipSummary struct {
	X          uint8 `json:"x"`
	Y          uint8 `json:"y"`
	Entries    int   `json:"entries"`
	Capacity   int   `json:"capacity"`
	ChecksumOK bool  `json:"checksum_ok"`
}

// CoreSummary is one core and its regions.
type CoreSummary struct {
	Core       string          `json:"core"`
	Kind       string          `json:"kind"`
	Model      string          `json:"model"`
	Population string          `json:"population"`
	Lo         uint32          `json:"lo"`
	N          uint32          `json:"n"`
	Key        string          `json:"key"`
	Mask       string          `json:"mask"`
	Regions    []RegionSummary `json:"regions"`
}

// RegionSummary is one present region of a core.
type RegionSummary struct {
	Name       string `json:"name"`
	Offset     uint32 `json:"offset"`
	Words      uint32 `json:"words"`
	Checksum   string `json:"checksum"`
	ChecksumOK bool   `json:"checksum_ok"`
}

// Inspect summarises an image. It fails only on images whose structure
// cannot be read; checksum failures go into Summary.Problems.
func Inspect(b []byte) (*Summary, error) {
	im, err := parse(b, true)
	if err != nil {
		return nil, err
	}
	s := &Summary{
		Bytes: len(b), Version: FormatVersion, CRC: fmt.Sprintf("%08x", im.crcStored), CRCOK: im.crcStored == im.crcComputed,
		Target: im.target, Width: im.t.Machine.Width, Height: im.t.Machine.Height, CoresPerChip: im.t.Machine.CoresPerChip,
		Board: im.board, BoardCount: im.boardCount, Origin: im.origin,
		Network: im.network, TimestepUS: im.timestepUS, Timestep: im.timestep, Steps: im.steps, Seed: im.seed,
		AppID: AppID, Fingerprint: hex.EncodeToString(im.fp[:]), Numeric: im.numeric,
		Problems: append([]string{}, im.problems...),
	}
	for i, pop := range im.pops {
		s.Populations = append(s.Populations, PopSummary{Name: pop.Name, Size: pop.Size, Model: pop.Model, Source: pop.Source, Cores: len(im.popRefs[i])})
	}
	capacity := im.t.Router.UsableEntries()
	for i, ch := range im.chips {
		s.Chips = append(s.Chips, ChipSummary{X: ch.X, Y: ch.Y, Entries: len(ch.Routes), Capacity: capacity, ChecksumOK: im.chipRecs[i].sum == im.chipRecs[i].got})
	}
	for i := range im.cores {
		c := &im.cores[i]
		cs := CoreSummary{Core: c.CoreID.String(), Kind: c.Kind.String(), Model: c.Model, Population: im.pops[c.Pop].Name,
			Lo: c.Lo, N: c.N, Key: fmt.Sprintf("%08x", c.Key), Mask: fmt.Sprintf("%08x", c.Mask)}
		for r, ri := range im.coreRecs[i].regions {
			if ri.Words == 0 {
				continue
			}
			cs.Regions = append(cs.Regions, RegionSummary{Name: Region(r).String(), Offset: ri.Ptr, Words: ri.Words,
				Checksum: fmt.Sprintf("%08x", ri.Sum), ChecksumOK: ri.Sum == ri.Computed})
		}
		s.Cores = append(s.Cores, cs)
	}
	return s, nil
}

// WriteText prints the summary for people: header, populations, router
// occupancy per chip, and one line per core with its regions' sizes.
func (s *Summary) WriteText(w io.Writer) error {
	ok := func(b bool) string {
		if b {
			return "OK"
		}
		return "FAILED"
	}
	fmt.Fprintf(w, "image: %d bytes, format %d, CRC-32 %s %s\n", s.Bytes, s.Version, s.CRC, ok(s.CRCOK))
	fmt.Fprintf(w, "target: %s (%d×%d chips, %d cores per chip), board %d of %d at %d,%d\n",
		s.Target, s.Width, s.Height, s.CoresPerChip, s.Board, s.BoardCount, s.Origin[0], s.Origin[1])
	fmt.Fprintf(w, "network: %s, timestep %d µs (%g s), %d steps, seed %d, app id %d\n", s.Network, s.TimestepUS, s.Timestep, s.Steps, s.Seed, s.AppID)
	n := s.Numeric
	fmt.Fprintf(w, "numeric: state s%d.%d, decay u0.%d, weights %d bits, ring %d bits\n", int(n.StateBits)-int(n.StateFrac)-1, n.StateFrac, n.DecayFrac, n.WeightBits, n.RingBits)
	fmt.Fprintf(w, "fingerprint: %s\n", s.Fingerprint)
	fmt.Fprintf(w, "\npopulations: %d\n", len(s.Populations))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, p := range s.Populations {
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%d cores\n", p.Name, p.Size, p.Model, p.Cores)
	}
	tw.Flush()
	entries := 0
	for _, c := range s.Chips {
		entries += c.Entries
	}
	fmt.Fprintf(w, "\nchips: %d, %d router entries\n", len(s.Chips), entries)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  chip\tentries\toccupancy\tchecksum\n")
	for _, c := range s.Chips {
		fmt.Fprintf(tw, "  %d,%d\t%d/%d\t%.1f%%\t%s\n", c.X, c.Y, c.Entries, c.Capacity, 100*float64(c.Entries)/float64(max(1, c.Capacity)), ok(c.ChecksumOK))
	}
	tw.Flush()
	fmt.Fprintf(w, "\ncores: %d (region sizes in words)\n", len(s.Cores))
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "core\tkind\tmodel\tpopulation\tslice\tkey\t")
	for _, r := range regionNames {
		fmt.Fprintf(tw, "%s\t", r)
	}
	fmt.Fprintf(tw, "checksums\t\n")
	for _, c := range s.Cores {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d+%d\t%s/%s\t", c.Core, c.Kind, c.Model, c.Population, c.Lo, c.N, c.Key, c.Mask)
		words := map[string]uint32{}
		var failed []string
		for _, r := range c.Regions {
			words[r.Name] = r.Words
			if !r.ChecksumOK {
				failed = append(failed, r.Name)
			}
		}
		for _, r := range regionNames {
			if x, ok := words[r]; ok {
				fmt.Fprintf(tw, "%d\t", x)
			} else {
				fmt.Fprintf(tw, "-\t")
			}
		}
		if len(failed) == 0 {
			fmt.Fprintf(tw, "OK\t\n")
		} else {
			fmt.Fprintf(tw, "FAILED: %s\t\n", strings.Join(failed, ","))
		}
	}
	tw.Flush()
	if len(s.Problems) > 0 {
		fmt.Fprintf(w, "\nproblems:\n")
		for _, p := range s.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	return nil
}

// DumpRegion prints one region of one core decoded: the synaptic matrix
// as rows (pre key and index → post neuron, weight, delay, type), the
// other regions field by field. Like Inspect it reads images whose
// checksums fail, saying so first.
func DumpRegion(w io.Writer, b []byte, id program.CoreID, region Region) error {
	im, err := parse(b, true)
	if err != nil {
		return err
	}
	ci := -1
	for i := range im.cores {
		if im.cores[i].CoreID == id {
			ci = i
		}
	}
	if ci < 0 {
		var ids []string
		for _, c := range im.cores {
			ids = append(ids, c.CoreID.String())
		}
		return fmt.Errorf("the image has no core %s; its cores: %s", id, strings.Join(ids, " "))
	}
	if region < 0 || region >= NumRegions {
		return fmt.Errorf("no region %d", int(region))
	}
	c := &im.cores[ci]
	ri := im.coreRecs[ci].regions[region]
	if ri.Words == 0 {
		return fmt.Errorf("core %s has no %s region", id, region)
	}
	status := "checksum OK"
	if ri.Sum != ri.Computed {
		status = fmt.Sprintf("checksum FAILED (stored %08x, words sum to %08x)", ri.Sum, ri.Computed)
	}
	pop := im.pops[c.Pop].Name
	fmt.Fprintf(w, "core %s (%s %s, population %s [%d, %d)), region %s: %d words at byte %d, %s\n",
		id, c.Kind, c.Model, pop, c.Lo, c.Lo+c.N, region, ri.Words, ri.Ptr, status)
	num := im.numeric
	switch region {
	case RegionSystem:
		fmt.Fprintf(w, "timestep_us %d\ntimestep %g s\nsteps %d\nstate_frac %d\nstate_bits %d\ndecay_frac %d\nweight_bits %d\nring_bits %d\n",
			im.timestepUS, im.timestep, im.steps, num.StateFrac, num.StateBits, num.DecayFrac, num.WeightBits, num.RingBits)
	case RegionNeurons:
		tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "neuron\t")
		for _, f := range c.Layout {
			fmt.Fprintf(tw, "%s\t", f.Name)
		}
		fmt.Fprintln(tw)
		nf := len(c.Layout)
		for i := 0; nf > 0 && i < len(c.Neurons)/nf; i++ {
			fmt.Fprintf(tw, "%d\t", c.Lo+uint32(i))
			for k, f := range c.Layout {
				fmt.Fprintf(tw, "%s\t", fieldValue(c.Neurons[i*nf+k], f.Format, num))
			}
			fmt.Fprintln(tw)
		}
		tw.Flush()
	case RegionSynapseParams:
		g := c.Geometry
		fmt.Fprintf(w, "delay_bits %d (%d delay slots)\ntype_bits %d\nindex_bits %d\nsynapse_types %d\n", g.DelayBits, g.DelaySlots(), g.TypeBits, g.IndexBits, g.SynapseTypes)
		for t, s := range c.WeightShift {
			fmt.Fprintf(w, "weight_shift[%d] %d\n", t, s)
		}
	case RegionPopTable:
		for i, e := range c.PopTable {
			fmt.Fprintf(w, "%d: key %08x mask %08x start %d %s rows %d plastic %t\n", i, e.Key, e.Mask, e.Start, layoutName(e), e.Rows, e.Plastic)
		}
	case RegionSynapses:
		dumpSynapses(w, c)
	case RegionSTDP:
		s := c.Plastic
		rule := "additive"
		if s.Multiplicative {
			rule = "multiplicative"
		}
		sc := math.Ldexp(1, -int(num.StateFrac))
		fmt.Fprintf(w, "rule %s\na_plus %d (%g)\na_minus %d (%g)\nw_min %d\nw_max %d\n", rule, s.APlus, float64(s.APlus)*sc, s.AMinus, float64(s.AMinus)*sc, s.WMin, s.WMax)
		dumpTable(w, "tau_plus_decay", s.TauPlusDecay, num)
		dumpTable(w, "tau_minus_decay", s.TauMinusDecay, num)
	case RegionRecording:
		r := c.Record
		fmt.Fprintf(w, "spikes: %d bitmap words, neurons %s\n", len(r.Spikes), bitList(r.Spikes, c.Lo))
		for _, v := range r.Vars {
			fmt.Fprintf(w, "var %s every %d steps, local neurons %v\n", v.Field, v.Every, v.Indices)
		}
		for _, wp := range r.Weights {
			fmt.Fprintf(w, "weights of %s every %d steps: %d synapses\n", wp.Projection, wp.Every, len(wp.Synapses))
			for k := range wp.Synapses {
				fmt.Fprintf(w, "  synapse %d at synaptic word %d\n", wp.Synapses[k], wp.Words[k])
			}
		}
	case RegionSpikes:
		for i := 0; i+1 < len(c.Spikes); i += 2 {
			fmt.Fprintf(w, "step %d neuron %d (local %d)\n", c.Spikes[i], c.Lo+c.Spikes[i+1], c.Spikes[i+1])
		}
	case RegionDelay:
		d := c.Delay
		fmt.Fprintf(w, "source key %08x mask %08x\nslots %d per stage, %d stages\n", d.SourceKey, d.SourceMask, d.Slots, d.Stages)
		words := (c.N + 31) / 32
		for k := uint32(0); words > 0 && k < d.Stages && uint64(k+1)*uint64(words) <= uint64(len(d.Send)); k++ {
			fmt.Fprintf(w, "stage %d (+%d steps): neurons %s\n", k, (k+1)*d.Slots, bitList(d.Send[k*words:(k+1)*words], c.Lo))
		}
	}
	return nil
}

func layoutName(e program.PopEntry) string {
	if e.Stride > 0 {
		return fmt.Sprintf("padded stride %d", e.Stride)
	}
	return "sparse"
}

func fieldValue(x uint32, f program.FieldFormat, n program.Numeric) string {
	switch f {
	case program.State:
		return fmt.Sprintf("%.6g", math.Ldexp(float64(int32(x)), -int(n.StateFrac)))
	case program.Decay:
		return fmt.Sprintf("%.6g", math.Ldexp(float64(x), -int(n.DecayFrac)))
	}
	return fmt.Sprint(int32(x))
}

func dumpTable(w io.Writer, name string, t []uint32, n program.Numeric) {
	fmt.Fprintf(w, "%s: %d entries", name, len(t))
	for i, x := range t {
		if i%8 == 0 {
			fmt.Fprintf(w, "\n ")
		}
		fmt.Fprintf(w, " %.6f", math.Ldexp(float64(x), -int(n.DecayFrac)))
	}
	fmt.Fprintln(w)
}

// bitList writes the set bits of a bitmap as neuron numbers from lo.
func bitList(bm []uint32, lo uint32) string {
	var s []string
	for i, x := range bm {
		for j := range 32 {
			if x>>j&1 != 0 {
				s = append(s, fmt.Sprint(lo+uint32(32*i+j)))
			}
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, " ")
}

// dumpSynapses walks the master population table as the core does: for
// each entry and each local index that has a row, the row's words.
func dumpSynapses(w io.Writer, c *program.Core) {
	g := c.Geometry
	syn := c.Synapses
	// A real matrix has disjoint rows, so the walk is linear in its size;
	// a hostile one could make entries and rows overlap into a quadratic
	// walk. The budget stops that.
	budget := 64*uint64(len(syn)) + 1024
	spend := func(n uint64) bool {
		if n > budget {
			fmt.Fprintf(w, "… stopped: the entries and rows overlap more than any real matrix's\n")
			budget = 0
			return false
		}
		budget -= n
		return true
	}
	for i, e := range c.PopTable {
		if !spend(1) {
			return
		}
		fmt.Fprintf(w, "entry %d: key %08x mask %08x, %d rows, %s\n", i, e.Key, e.Mask, e.Rows, layoutName(e))
		for r := uint32(0); r < e.Rows; r++ {
			if !spend(1) {
				return
			}
			if !e.HasRow(r, syn) {
				continue
			}
			at, ok := e.Row(e.Key|r, syn)
			h := e.Header()
			if !ok || uint64(at)+uint64(h) > uint64(len(syn)) {
				fmt.Fprintf(w, "  pre key %08x (index %d): row outside the matrix\n", e.Key|r, r)
				continue
			}
			n := syn[at]
			extra := ""
			if e.Plastic {
				extra = fmt.Sprintf(", last pre step %d, pre trace %d", syn[at+1], int32(syn[at+2]))
			}
			fmt.Fprintf(w, "  pre key %08x (index %d), row at word %d: %d synapses%s\n", e.Key|r, r, at, n, extra)
			end := uint64(at) + uint64(h) + uint64(n)
			if end > uint64(len(syn)) {
				fmt.Fprintf(w, "    row runs past the matrix\n")
				continue
			}
			if !spend(uint64(n)) {
				return
			}
			for _, word := range syn[at+h : end] {
				wt, d, t, idx := g.Unpack(word)
				fmt.Fprintf(w, "    -> post %d (local %d) weight %d delay %d type %d\n", c.Lo+idx, idx, wt, d, t)
			}
		}
	}
}
