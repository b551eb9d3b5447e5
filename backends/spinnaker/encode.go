package spinnaker

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

var le = binary.LittleEndian

// Encode writes a program as one image covering the whole machine (board
// 0 of 1, even on a multi-board target; EncodeBoards splits per board).
// The program must be for a SpiNNaker-kind target that target.Load knows,
// because the header records the machine's dimensions. The same program
// always gives the same bytes.
func Encode(p *program.Program) ([]byte, error) {
	t, err := loadTarget(p.Target)
	if err != nil {
		return nil, err
	}
	fp, err := fingerprint(p)
	if err != nil {
		return nil, err
	}
	return encodeImage(p, t, fp, board{count: 1})
}

// board selects the part of a program one image holds.
type board struct {
	index, count int
	origin       [2]int
	// member reports whether chip (x, y) is on this board; nil: every chip.
	member func(x, y int) bool
}

func (b board) has(x, y uint8) bool { return b.member == nil || b.member(int(x), int(y)) }

func loadTarget(name string) (*target.Target, error) {
	t, err := target.Load(name)
	if err != nil {
		return nil, fmt.Errorf("spinnaker image: the header records the target's machine, and target %q cannot be loaded: %w", name, err)
	}
	if t.Kind != target.KindSpiNNaker {
		return nil, fmt.Errorf("spinnaker image: target %s is a %s target; its images come from its own backend", name, t.Kind)
	}
	return t, nil
}

// fingerprint identifies the compiled program: the first 16 bytes of the
// SHA-256 of its program.Encode bytes. Every board image of one program
// carries the same fingerprint, so a host can tell that images belong
// together and match the program it holds.
func fingerprint(p *program.Program) ([fingerprintBytes]byte, error) {
	var fp [fingerprintBytes]byte
	b, err := program.Encode(p)
	if err != nil {
		return fp, fmt.Errorf("spinnaker image: fingerprint: %w", err)
	}
	sum := sha256.Sum256(b)
	copy(fp[:], sum[:])
	return fp, nil
}

func timestepMicros(dt float64) (uint32, error) {
	us := math.Round(dt * 1e6)
	if !(dt > 0) || us < 1 || us > math.MaxUint32 {
		return 0, fmt.Errorf("spinnaker image: timestep %g s: the board's timer needs 1 µs … 4295 s", dt)
	}
	return uint32(us), nil
}

// checkProgram rejects what the format cannot hold or the decoder would
// reject, so that Decode(Encode(p)) never fails for a program Encode took.
func checkProgram(p *program.Program, t *target.Target) error {
	if p.Kind != string(target.KindSpiNNaker) {
		return fmt.Errorf("spinnaker image: program is for a %q target, not spinnaker", p.Kind)
	}
	if err := checkName("target name", p.Target); err != nil {
		return err
	}
	if _, err := timestepMicros(p.Timestep); err != nil {
		return err
	}
	m := t.Machine
	maxEntries := t.Router.UsableEntries()
	for i := range p.Chips {
		ch := &p.Chips[i]
		if int(ch.X) >= m.Width || int(ch.Y) >= m.Height {
			return fmt.Errorf("spinnaker image: chip %d,%d is outside the %d×%d machine of %s", ch.X, ch.Y, m.Width, m.Height, t.Name)
		}
		if i > 0 && !chipLess(p.Chips[i-1].X, p.Chips[i-1].Y, ch.X, ch.Y) {
			return fmt.Errorf("spinnaker image: chips not sorted or duplicated at %d,%d", ch.X, ch.Y)
		}
		if len(ch.Routes) > maxEntries {
			return fmt.Errorf("spinnaker image: chip %d,%d has %d router entries, the router holds %d", ch.X, ch.Y, len(ch.Routes), maxEntries)
		}
		for j, r := range ch.Routes {
			if r.Dest>>(program.LinkBits+m.CoresPerChip) != 0 {
				return fmt.Errorf("spinnaker image: chip %d,%d entry %d: route word %08x names a core ≥ %d", ch.X, ch.Y, j, r.Dest, m.CoresPerChip)
			}
		}
	}
	for i := range p.Cores {
		c := &p.Cores[i]
		if int(c.X) >= m.Width || int(c.Y) >= m.Height || int(c.P) >= m.CoresPerChip {
			return fmt.Errorf("spinnaker image: core %s is outside the machine of %s (%d×%d chips, %d cores)", c.CoreID, t.Name, m.Width, m.Height, m.CoresPerChip)
		}
		if i > 0 && !coreLess(p.Cores[i-1].CoreID, c.CoreID) {
			return fmt.Errorf("spinnaker image: cores not sorted or duplicated at %s", c.CoreID)
		}
		if c.Kind < program.NeuronCore || c.Kind > program.DelayCore {
			return fmt.Errorf("spinnaker image: core %s: unknown kind %d", c.CoreID, c.Kind)
		}
		if int(c.Pop) >= len(p.Populations) {
			return fmt.Errorf("spinnaker image: core %s: population %d of %d", c.CoreID, c.Pop, len(p.Populations))
		}
		if err := checkName("core "+c.CoreID.String()+" model", c.Model); err != nil {
			return err
		}
		if err := checkCoreRegions(c); err != nil {
			return err
		}
	}
	for _, pop := range p.Populations {
		if err := checkName("population "+pop.Name+" model", pop.Model); err != nil {
			return err
		}
		for _, ci := range pop.Cores {
			if int(ci) >= len(p.Cores) {
				return fmt.Errorf("spinnaker image: population %s: core index %d of %d", pop.Name, ci, len(p.Cores))
			}
		}
	}
	return nil
}

func checkCoreRegions(c *program.Core) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("spinnaker image: core %s: "+format, append([]any{c.CoreID}, args...)...)
	}
	if len(c.Layout) == 0 && len(c.Neurons) > 0 || len(c.Layout) > 0 && len(c.Neurons)%len(c.Layout) != 0 {
		return bad("%d neuron words are not whole records of %d fields", len(c.Neurons), len(c.Layout))
	}
	for _, f := range c.Layout {
		if f.Format < program.State || f.Format > program.Int {
			return bad("neuron field %s has unknown format %d", f.Name, f.Format)
		}
	}
	if len(c.Spikes)%2 != 0 {
		return bad("spike list of %d words is not (step, index) pairs", len(c.Spikes))
	}
	for _, wp := range c.Record.Weights {
		if len(wp.Synapses) != len(wp.Words) {
			return bad("weight probe %s: %d synapses but %d words", wp.Projection, len(wp.Synapses), len(wp.Words))
		}
	}
	return nil
}

// checkName checks a fixed-size ASCII field: printable, at most 31 bytes
// so that C sees a NUL-terminated string.
func checkName(what, s string) error {
	if len(s) >= nameBytes {
		return fmt.Errorf("spinnaker image: %s %q is longer than %d bytes", what, s, nameBytes-1)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return fmt.Errorf("spinnaker image: %s %q is not printable ASCII", what, s)
		}
	}
	return nil
}

func chipLess(ax, ay, bx, by uint8) bool { return ax < bx || ax == bx && ay < by }

func coreLess(a, b program.CoreID) bool {
	if a.X != b.X {
		return a.X < b.X
	}
	if a.Y != b.Y {
		return a.Y < b.Y
	}
	return a.P < b.P
}

// coreRef packs a core's coordinates into one word: x | y<<8 | p<<16.
func coreRef(id program.CoreID) uint32 {
	return uint32(id.X) | uint32(id.Y)<<8 | uint32(id.P)<<16
}

// words builds a region or table as 32-bit words.
type words []uint32

func (w *words) add(v ...uint32) { *w = append(*w, v...) }

// str appends a length-prefixed string: its byte length, then its bytes
// packed little-endian into words, the last word padded with zeros.
func (w *words) str(s string) {
	w.add(uint32(len(s)))
	w.bytes(s, (len(s)+3)/4)
}

// fixed appends a NUL-padded ASCII field of nameBytes bytes.
func (w *words) fixed(s string) { w.bytes(s, nameBytes/4) }

func (w *words) bytes(s string, n int) {
	for i := range n {
		var x uint32
		for j := range 4 {
			if k := 4*i + j; k < len(s) {
				x |= uint32(s[k]) << (8 * j)
			}
		}
		w.add(x)
	}
}

// regions builds a core's region payloads; an absent region is empty.
func regions(p *program.Program, c *program.Core, us uint32) [NumRegions][]uint32 {
	var r [NumRegions][]uint32
	has := present(c)
	bitsDT := math.Float64bits(p.Timestep)
	n := p.Numeric
	r[RegionSystem] = []uint32{us, uint32(bitsDT), uint32(bitsDT >> 32), p.Steps,
		uint32(n.StateFrac), uint32(n.StateBits), uint32(n.DecayFrac), uint32(n.WeightBits), uint32(n.RingBits)}
	if has[RegionNeurons] {
		var w words
		w.add(uint32(len(c.Layout)), uint32(len(c.Neurons)/max(1, len(c.Layout))))
		for _, f := range c.Layout {
			w.add(uint32(f.Format))
			w.str(f.Name)
		}
		w.add(c.Neurons...)
		r[RegionNeurons] = w
	}
	if has[RegionSynapseParams] {
		g := c.Geometry
		w := words{uint32(g.DelayBits), uint32(g.TypeBits), uint32(g.IndexBits), uint32(g.SynapseTypes), uint32(len(c.WeightShift))}
		for _, s := range c.WeightShift {
			w.add(uint32(s))
		}
		r[RegionSynapseParams] = w
	}
	if has[RegionPopTable] {
		w := words{uint32(len(c.PopTable))}
		for _, e := range c.PopTable {
			w.add(e.Key, e.Mask, e.Start, e.Stride, e.Rows, b2u(e.Plastic))
		}
		r[RegionPopTable] = w
	}
	if has[RegionSynapses] {
		r[RegionSynapses] = c.Synapses
	}
	if s := c.Plastic; has[RegionSTDP] {
		w := words{b2u(s.Multiplicative), uint32(s.APlus), uint32(s.AMinus), uint32(s.WMin), uint32(s.WMax),
			uint32(len(s.TauPlusDecay)), uint32(len(s.TauMinusDecay))}
		w.add(s.TauPlusDecay...)
		w.add(s.TauMinusDecay...)
		r[RegionSTDP] = w
	}
	if rec := c.Record; has[RegionRecording] {
		w := words{uint32(len(rec.Spikes))}
		w.add(rec.Spikes...)
		w.add(uint32(len(rec.Vars)))
		for _, v := range rec.Vars {
			w.str(v.Field)
			w.add(v.Every, uint32(len(v.Indices)))
			w.add(v.Indices...)
		}
		w.add(uint32(len(rec.Weights)))
		for _, wp := range rec.Weights {
			w.str(wp.Projection)
			w.add(wp.Every, uint32(len(wp.Synapses)))
			for k := range wp.Synapses {
				w.add(wp.Synapses[k], wp.Words[k])
			}
		}
		r[RegionRecording] = w
	}
	if has[RegionSpikes] {
		w := words{uint32(len(c.Spikes) / 2)}
		w.add(c.Spikes...)
		r[RegionSpikes] = w
	}
	if d := c.Delay; has[RegionDelay] {
		w := words{d.SourceKey, d.SourceMask, d.Slots, d.Stages, uint32(len(d.Send))}
		w.add(d.Send...)
		r[RegionDelay] = w
	}
	return r
}

// present says which regions a core has: those with something to hold.
// An empty region is absent rather than present and empty, so that every
// program has exactly one image.
func present(c *program.Core) [NumRegions]bool {
	rec := c.Record
	return [NumRegions]bool{
		RegionSystem:        true,
		RegionNeurons:       len(c.Layout) > 0 || len(c.Neurons) > 0,
		RegionSynapseParams: c.Geometry != (program.Geometry{}) || len(c.WeightShift) > 0,
		RegionPopTable:      len(c.PopTable) > 0,
		RegionSynapses:      len(c.Synapses) > 0,
		RegionSTDP:          c.Plastic != nil,
		RegionRecording:     len(rec.Spikes) > 0 || len(rec.Vars) > 0 || len(rec.Weights) > 0,
		RegionSpikes:        len(c.Spikes) > 0,
		RegionDelay:         c.Delay != nil,
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// checksum is the data specification's: the 32-bit wrapping sum of the
// region's words.
func checksum(w []uint32) uint32 {
	var s uint32
	for _, x := range w {
		s += x
	}
	return s
}

// popTable builds the populations table: the network name, then per
// population its size, flags, model, name and core list (as coordinates,
// so a board's image can list cores that other boards hold).
func popTable(p *program.Program) words {
	var w words
	w.str(p.Network)
	for _, pop := range p.Populations {
		w.add(pop.Size, b2u(pop.Source))
		w.fixed(pop.Model)
		w.str(pop.Name)
		w.add(uint32(len(pop.Cores)))
		for _, ci := range pop.Cores {
			w.add(coreRef(p.Cores[ci].CoreID))
		}
	}
	return w
}

// encodeImage lays out one image holding the chips and cores of board b.
func encodeImage(p *program.Program, t *target.Target, fp [fingerprintBytes]byte, b board) ([]byte, error) {
	if err := checkProgram(p, t); err != nil {
		return nil, err
	}
	us, _ := timestepMicros(p.Timestep)
	var chips []*program.Chip
	for i := range p.Chips {
		if b.has(p.Chips[i].X, p.Chips[i].Y) {
			chips = append(chips, &p.Chips[i])
		}
	}
	var cores []*program.Core
	for i := range p.Cores {
		if b.has(p.Cores[i].X, p.Cores[i].Y) {
			cores = append(cores, &p.Cores[i])
		}
	}
	pops := popTable(p)
	chipTable := headerBytes
	coreTable := chipTable + chipRecBytes*len(chips)
	popAt := coreTable + coreRecBytes*len(cores)
	routesAt := popAt + 4*len(pops)
	payloadAt := routesAt
	for _, ch := range chips {
		payloadAt += routeBytes * len(ch.Routes)
	}
	regs := make([][NumRegions][]uint32, len(cores))
	size := int64(payloadAt)
	for i, c := range cores {
		regs[i] = regions(p, c, us)
		for _, r := range regs[i] {
			size += 4 * int64(len(r))
		}
	}
	size += trailerBytes
	if size > math.MaxUint32 {
		return nil, fmt.Errorf("spinnaker image: %d bytes exceed the format's 4 GiB", size)
	}
	out := make([]byte, headerBytes, size)

	// Header.
	h := out
	copy(h[hMagic:], Magic)
	le.PutUint32(h[hVersion:], FormatVersion)
	le.PutUint32(h[hHeaderBytes:], headerBytes)
	le.PutUint32(h[hImageBytes:], uint32(size))
	le.PutUint32(h[hAppID:], AppID)
	copy(h[hTarget:], p.Target)
	m := t.Machine
	le.PutUint16(h[hWidth:], uint16(m.Width))
	le.PutUint16(h[hHeight:], uint16(m.Height))
	h[hCoresChip] = uint8(m.CoresPerChip)
	h[hMonitors] = uint8(m.MonitorCoresPerChip)
	h[hBoards] = uint8(max(1, m.Boards))
	if m.Wrap {
		h[hFlags] = flagWrap
	}
	h[hBoard], h[hBoardCount] = uint8(b.index), uint8(b.count)
	h[hOriginX], h[hOriginY] = uint8(b.origin[0]), uint8(b.origin[1])
	le.PutUint32(h[hTimestepUS:], us)
	le.PutUint64(h[hTimestep:], math.Float64bits(p.Timestep))
	le.PutUint32(h[hSteps:], p.Steps)
	le.PutUint64(h[hSeed:], p.Seed)
	n := p.Numeric
	copy(h[hNumeric:], []byte{n.StateFrac, n.StateBits, n.DecayFrac, n.WeightBits, n.RingBits})
	h[hRegions] = uint8(NumRegions)
	copy(h[hFingerprint:], fp[:])
	le.PutUint32(h[hNChips:], uint32(len(chips)))
	le.PutUint32(h[hNCores:], uint32(len(cores)))
	le.PutUint32(h[hNPops:], uint32(len(p.Populations)))
	le.PutUint32(h[hChipTable:], uint32(chipTable))
	le.PutUint32(h[hCoreTable:], uint32(coreTable))
	le.PutUint32(h[hPopTable:], uint32(popAt))
	le.PutUint32(h[hRoutes:], uint32(routesAt))
	le.PutUint32(h[hPayload:], uint32(payloadAt))
	le.PutUint32(h[hPayloadSize:], uint32(size-trailerBytes-int64(payloadAt)))

	// Chip table.
	at := routesAt
	for _, ch := range chips {
		var rec [chipRecBytes]byte
		rec[0], rec[1] = ch.X, ch.Y
		le.PutUint32(rec[4:], uint32(len(ch.Routes)))
		le.PutUint32(rec[8:], uint32(at))
		le.PutUint32(rec[12:], routeSum(ch.Routes))
		out = append(out, rec[:]...)
		at += routeBytes * len(ch.Routes)
	}

	// Core table, with each core's data-specification header.
	at = payloadAt
	for i, c := range cores {
		var rec [coreRecBytes]byte
		rec[0], rec[1], rec[2], rec[3] = c.X, c.Y, c.P, uint8(c.Kind)
		le.PutUint32(rec[4:], c.Pop)
		le.PutUint32(rec[8:], c.Lo)
		le.PutUint32(rec[12:], c.N)
		le.PutUint32(rec[16:], c.Key)
		le.PutUint32(rec[20:], c.Mask)
		copy(rec[24:56], c.Model)
		le.PutUint32(rec[56:], DSMagic)
		le.PutUint32(rec[60:], DSVersion)
		for r, w := range regs[i] {
			if len(w) == 0 {
				continue
			}
			slot := rec[coreFixed+regionRec*r:]
			le.PutUint32(slot[0:], uint32(at))
			le.PutUint32(slot[4:], checksum(w))
			le.PutUint32(slot[8:], uint32(len(w)))
			at += 4 * len(w)
		}
		out = append(out, rec[:]...)
	}

	out = appendWords(out, pops)
	for _, ch := range chips {
		for _, r := range ch.Routes {
			out = le.AppendUint32(out, r.Key)
			out = le.AppendUint32(out, r.Mask)
			out = le.AppendUint32(out, r.Dest)
		}
	}
	for i := range cores {
		for _, w := range regs[i] {
			out = appendWords(out, w)
		}
	}
	out = le.AppendUint32(out, crc32.ChecksumIEEE(out))
	if int64(len(out)) != size {
		// The layout above and the size computed before it disagree: a bug
		// here, not in the program.
		return nil, fmt.Errorf("spinnaker image: internal error: wrote %d bytes, laid out %d", len(out), size)
	}
	return out, nil
}

// routeSum is a chip's router-table checksum: the wrapping word sum of its
// entries (key, mask, route of each), as a region's.
func routeSum(rs []program.Route) uint32 {
	var s uint32
	for _, r := range rs {
		s += r.Key + r.Mask + r.Dest
	}
	return s
}

func appendWords(b []byte, w []uint32) []byte {
	for _, x := range w {
		b = le.AppendUint32(b, x)
	}
	return b
}
