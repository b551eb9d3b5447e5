package spinnaker

import (
	"bytes"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// image is a parsed image: every table and region checked for bounds and
// structure, the regions decoded into program.Core values, but population
// core lists still as coordinates (a board's image lists cores other
// boards hold).
type image struct {
	b          []byte
	t          *target.Target
	target     string
	board      int
	boardCount int
	origin     [2]int
	timestepUS uint32
	timestep   float64
	steps      uint32
	seed       uint64
	numeric    program.Numeric
	fp         [fingerprintBytes]byte
	network    string

	chips    []program.Chip
	chipRecs []chipRec
	cores    []program.Core
	coreRecs []coreRec
	pops     []program.Population
	popRefs  [][]program.CoreID
	popAt    int
	routesAt int
	payload  int

	crcStored, crcComputed uint32
	// problems lists checksum failures found in lenient mode.
	problems []string
}

type chipRec struct {
	at       int // record offset
	entries  int // byte offset of the entries
	sum, got uint32
}

type coreRec struct {
	at      int
	regions [NumRegions]regionInfo
}

type regionInfo struct {
	Ptr, Words, Sum, Computed uint32
}

// Decode reads an image written by Encode. It checks the header, the
// CRC-32 trailer, every table, each region's checksum and contents, that
// the image says the same thing everywhere it says it twice (the system
// region and the header), that the program rebuilt from it has the
// header's fingerprint, and that re-encoding it gives the same bytes (so
// an image has one spelling). Errors name the byte offset and the chip,
// core and region concerned.
func Decode(b []byte) (*program.Program, error) {
	im, err := parse(b, false)
	if err != nil {
		return nil, err
	}
	if im.boardCount != 1 {
		return nil, fmt.Errorf("spinnaker image: this is board %d of a %d-board image set; decode it with its manifest (DecodeBoards)", im.board, im.boardCount)
	}
	p, err := im.program(im.cores, im.chips)
	if err != nil {
		return nil, err
	}
	fp, err := fingerprint(p)
	if err != nil {
		return nil, err
	}
	if fp != im.fp {
		return nil, fmt.Errorf("spinnaker image: at byte %d: the fingerprint %x does not match the program the image holds (%x): the image was altered after it was built", hFingerprint, im.fp, fp)
	}
	again, err := encodeImage(p, im.t, fp, board{count: 1})
	if err != nil {
		return nil, err
	}
	if err := im.sameBytes(again); err != nil {
		return nil, err
	}
	return p, nil
}

// sameBytes reports the first byte where a re-encoding differs: an image
// that decodes but is not spelled as Encode spells it (non-zero padding, a
// region present but empty, …).
func (im *image) sameBytes(again []byte) error {
	if bytes.Equal(again, im.b) {
		return nil
	}
	i := 0
	for i < len(again) && i < len(im.b) && again[i] == im.b[i] {
		i++
	}
	return fmt.Errorf("spinnaker image: at byte %d (%s): not in canonical form (byte %#02x, the encoder writes %#02x for the same program)",
		i, im.locate(i), at(im.b, i), at(again, i))
}

func at(b []byte, i int) byte {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// locate names the part of the image holding byte offset off.
func (im *image) locate(off int) string {
	switch {
	case off < headerBytes:
		return "header"
	case off >= len(im.b)-trailerBytes:
		return "CRC trailer"
	}
	for i, c := range im.chipRecs {
		if off >= c.at && off < c.at+chipRecBytes {
			return fmt.Sprintf("chip table, chip %d,%d", im.chips[i].X, im.chips[i].Y)
		}
		if n := routeBytes * len(im.chips[i].Routes); off >= c.entries && off < c.entries+n {
			return fmt.Sprintf("router entry %d of chip %d,%d", (off-c.entries)/routeBytes, im.chips[i].X, im.chips[i].Y)
		}
	}
	for i, c := range im.coreRecs {
		id := im.cores[i].CoreID
		if off >= c.at && off < c.at+coreRecBytes {
			return fmt.Sprintf("core table, core %s", id)
		}
		for r, ri := range c.regions {
			if ri.Words > 0 && off >= int(ri.Ptr) && off < int(ri.Ptr)+4*int(ri.Words) {
				return fmt.Sprintf("core %s region %s, word %d", id, Region(r), (off-int(ri.Ptr))/4)
			}
		}
	}
	if off >= im.popAt && off < im.routesAt {
		return "populations table"
	}
	return "image"
}

// program assembles a program from the image's header and populations
// table and the given cores and chips (a board set merges several images'
// cores first).
func (im *image) program(cores []program.Core, chips []program.Chip) (*program.Program, error) {
	p := &program.Program{
		Network: im.network, Target: im.target, Kind: string(target.KindSpiNNaker),
		Timestep: im.timestep, Steps: im.steps, Seed: im.seed, Numeric: im.numeric,
		Cores: cores, Chips: chips,
	}
	index := make(map[program.CoreID]uint32, len(cores))
	for i := range cores {
		index[cores[i].CoreID] = uint32(i)
		if int(cores[i].Pop) >= len(im.pops) {
			return nil, fmt.Errorf("spinnaker image: core %s: population %d, the populations table has %d", cores[i].CoreID, cores[i].Pop, len(im.pops))
		}
	}
	p.Populations = make([]program.Population, len(im.pops))
	for i, pop := range im.pops {
		if len(im.popRefs[i]) > 0 {
			pop.Cores = make([]uint32, len(im.popRefs[i]))
		}
		for k, id := range im.popRefs[i] {
			ci, ok := index[id]
			if !ok {
				return nil, fmt.Errorf("spinnaker image: populations table: population %s lists core %s, which no core record holds", pop.Name, id)
			}
			pop.Cores[k] = ci
		}
		p.Populations[i] = pop
	}
	return p, nil
}

// reader reads words from [off, end) of an image, naming where it is in
// its errors.
type reader struct {
	b        []byte
	off, end int
	where    string
}

func (r *reader) errf(format string, args ...any) error {
	return fmt.Errorf("spinnaker image: %s at byte %d: %s", r.where, r.off, fmt.Sprintf(format, args...))
}

func (r *reader) left() int { return (r.end - r.off) / 4 }

func (r *reader) u32(what string) (uint32, error) {
	if r.end-r.off < 4 {
		return 0, r.errf("truncated reading %s", what)
	}
	x := le.Uint32(r.b[r.off:])
	r.off += 4
	return x, nil
}

// max reads a word that must be at most limit.
func (r *reader) max(what string, limit uint32) (uint32, error) {
	x, err := r.u32(what)
	if err == nil && x > limit {
		r.off -= 4
		return 0, r.errf("%s is %d, at most %d", what, x, limit)
	}
	return x, err
}

// words reads n words, checking first that they are there, so a hostile
// count cannot make it allocate more than the image holds.
func (r *reader) words(n uint32, what string) ([]uint32, error) {
	if uint64(n) > uint64(r.left()) {
		return nil, r.errf("%s: %d words, only %d left", what, n, r.left())
	}
	if n == 0 {
		return nil, nil
	}
	w := make([]uint32, n)
	for i := range w {
		w[i] = le.Uint32(r.b[r.off+4*i:])
	}
	r.off += 4 * int(n)
	return w, nil
}

// str reads a length-prefixed, zero-padded string.
func (r *reader) str(what string) (string, error) {
	n, err := r.u32(what + " length")
	if err != nil {
		return "", err
	}
	padded := (uint64(n) + 3) &^ 3
	if padded > uint64(r.end-r.off) {
		r.off -= 4
		return "", r.errf("%s of %d bytes runs past the end (%d bytes left)", what, n, r.end-r.off-4)
	}
	s := string(r.b[r.off : r.off+int(n)])
	for i := r.off + int(n); i < r.off+int(padded); i++ {
		if r.b[i] != 0 {
			r.off = i
			return "", r.errf("%s: padding byte %#02x is not zero", what, r.b[i])
		}
	}
	r.off += int(padded)
	return s, nil
}

// fixed reads a NUL-padded ASCII field of nameBytes bytes.
func (r *reader) fixed(what string) (string, error) {
	if r.end-r.off < nameBytes {
		return "", r.errf("truncated reading %s", what)
	}
	s, err := fixedString(r.b[r.off : r.off+nameBytes])
	if err != nil {
		return "", r.errf("%s: %v", what, err)
	}
	r.off += nameBytes
	return s, nil
}

func fixedString(f []byte) (string, error) {
	n := bytes.IndexByte(f, 0)
	if n < 0 {
		return "", fmt.Errorf("no NUL terminator in %d bytes", len(f))
	}
	for _, c := range f[:n] {
		if c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("byte %#02x is not printable ASCII", c)
		}
	}
	for _, c := range f[n:] {
		if c != 0 {
			return "", fmt.Errorf("bytes after the NUL terminator are not zero")
		}
	}
	return string(f[:n]), nil
}

func (r *reader) done() error {
	if r.off != r.end {
		return r.errf("%d bytes left over at the end", r.end-r.off)
	}
	return nil
}

// parse checks and decodes an image's structure. In lenient mode (for
// inspection) checksum failures — the CRC trailer, router tables and
// regions — are listed in image.problems rather than returned.
func parse(b []byte, lenient bool) (*image, error) {
	if len(b) < headerBytes+trailerBytes {
		return nil, fmt.Errorf("spinnaker image: truncated: %d bytes, the header and trailer alone take %d", len(b), headerBytes+trailerBytes)
	}
	if string(b[:len(Magic)]) != Magic {
		return nil, fmt.Errorf("spinnaker image: at byte 0: magic %q, want %q: not a soma SpiNNaker image", b[:len(Magic)], Magic)
	}
	im := &image{b: b}
	hdr := func(off int, format string, args ...any) error {
		return fmt.Errorf("spinnaker image: header at byte %d: %s", off, fmt.Sprintf(format, args...))
	}
	if v := le.Uint32(b[hVersion:]); v != FormatVersion {
		return nil, hdr(hVersion, "format version %d, this soma reads version %d", v, FormatVersion)
	}
	if n := le.Uint32(b[hHeaderBytes:]); n != headerBytes {
		return nil, hdr(hHeaderBytes, "header size %d, version %d headers are %d bytes", n, FormatVersion, headerBytes)
	}
	switch n := le.Uint32(b[hImageBytes:]); {
	case uint64(n) > uint64(len(b)):
		return nil, hdr(hImageBytes, "the image is %d bytes but %d long: truncated", n, len(b))
	case uint64(n) < uint64(len(b)):
		return nil, hdr(hImageBytes, "the image is %d bytes but %d were given: %d bytes too many", n, len(b), len(b)-int(n))
	}
	body := len(b) - trailerBytes
	im.crcStored, im.crcComputed = le.Uint32(b[body:]), crc32.ChecksumIEEE(b[:body])
	if im.crcStored != im.crcComputed {
		msg := fmt.Sprintf("CRC-32 trailer at byte %d is %08x, the image's bytes give %08x: the image is corrupt", body, im.crcStored, im.crcComputed)
		if !lenient {
			return nil, fmt.Errorf("spinnaker image: %s", msg)
		}
		im.problems = append(im.problems, msg)
	}
	if id := le.Uint32(b[hAppID:]); id != AppID {
		return nil, hdr(hAppID, "application id %d, want %d", id, AppID)
	}
	name, err := fixedString(b[hTarget : hTarget+nameBytes])
	if err != nil {
		return nil, hdr(hTarget, "target name: %v", err)
	}
	im.target = name
	if im.t, err = loadTarget(name); err != nil {
		return nil, hdr(hTarget, "%v", err)
	}
	m := im.t.Machine
	for _, f := range []struct {
		off       int
		what      string
		got, want int
	}{
		{hWidth, "machine width", int(le.Uint16(b[hWidth:])), m.Width},
		{hHeight, "machine height", int(le.Uint16(b[hHeight:])), m.Height},
		{hCoresChip, "cores per chip", int(b[hCoresChip]), m.CoresPerChip},
		{hMonitors, "monitor cores per chip", int(b[hMonitors]), m.MonitorCoresPerChip},
		{hBoards, "boards", int(b[hBoards]), max(1, m.Boards)},
		{hFlags, "flags", int(b[hFlags]), int(b2u(m.Wrap))},
		{hRegions, "regions per core", int(b[hRegions]), int(NumRegions)},
		{hReserved, "reserved", int(le.Uint16(b[hReserved:])), 0},
		{152, "reserved", int(le.Uint32(b[152:])), 0},
		{156, "reserved", int(le.Uint32(b[156:])), 0},
	} {
		if f.got != f.want {
			return nil, hdr(f.off, "%s is %d, target %s has %d", f.what, f.got, name, f.want)
		}
	}
	im.board, im.boardCount = int(b[hBoard]), int(b[hBoardCount])
	im.origin = [2]int{int(b[hOriginX]), int(b[hOriginY])}
	origins, err := BoardOrigins(im.t)
	if err != nil {
		return nil, hdr(hBoard, "%v", err)
	}
	switch {
	case im.boardCount == 1 && im.board == 0 && im.origin == [2]int{}:
	case im.boardCount == len(origins) && im.board < len(origins) && im.origin == origins[im.board]:
	default:
		return nil, hdr(hBoard, "board %d of %d at %d,%d: %s has %d boards at %v", im.board, im.boardCount, im.origin[0], im.origin[1], name, len(origins), origins)
	}
	im.timestepUS = le.Uint32(b[hTimestepUS:])
	im.timestep = math.Float64frombits(le.Uint64(b[hTimestep:]))
	us, err := timestepMicros(im.timestep)
	if err != nil {
		return nil, hdr(hTimestep, "%v", err)
	}
	if us != im.timestepUS {
		return nil, hdr(hTimestepUS, "timestep %d µs, but the exact timestep %g s rounds to %d µs", im.timestepUS, im.timestep, us)
	}
	im.steps = le.Uint32(b[hSteps:])
	im.seed = le.Uint64(b[hSeed:])
	n := b[hNumeric:]
	im.numeric = program.Numeric{StateFrac: n[0], StateBits: n[1], DecayFrac: n[2], WeightBits: n[3], RingBits: n[4]}
	copy(im.fp[:], b[hFingerprint:])

	// The sections follow one another in a fixed order; the decoder
	// insists on exactly that layout, so every pointer it follows has been
	// checked against the one place it may point.
	nChips, nCores, nPops := le.Uint32(b[hNChips:]), le.Uint32(b[hNCores:]), le.Uint32(b[hNPops:])
	chipTable := int64(headerBytes)
	coreTable := chipTable + chipRecBytes*int64(nChips)
	popAt := coreTable + int64(coreRecBytes)*int64(nCores)
	if popAt > int64(body) {
		return nil, hdr(hNChips, "%d chips and %d cores need %d bytes of tables, the image has %d", nChips, nCores, popAt, body)
	}
	for _, f := range []struct {
		off  int
		what string
		want int64
	}{{hChipTable, "chip table", chipTable}, {hCoreTable, "core table", coreTable}, {hPopTable, "populations table", popAt}} {
		if got := le.Uint32(b[f.off:]); int64(got) != f.want {
			return nil, hdr(f.off, "%s at %d, want %d (right after the previous section)", f.what, got, f.want)
		}
	}
	im.popAt = int(popAt)
	im.routesAt = int(le.Uint32(b[hRoutes:]))
	im.payload = int(le.Uint32(b[hPayload:]))
	if im.routesAt < im.popAt || im.routesAt > body {
		return nil, hdr(hRoutes, "router entries at %d, outside %d…%d", im.routesAt, im.popAt, body)
	}
	if im.payload < im.routesAt || im.payload > body {
		return nil, hdr(hPayload, "region payloads at %d, outside %d…%d", im.payload, im.routesAt, body)
	}
	if size := le.Uint32(b[hPayloadSize:]); int(size) != body-im.payload {
		return nil, hdr(hPayloadSize, "region payloads of %d bytes, but %d lie between their start and the trailer", size, body-im.payload)
	}

	if err := im.parseChips(int(nChips), lenient); err != nil {
		return nil, err
	}
	if err := im.parsePops(int(nPops)); err != nil {
		return nil, err
	}
	if err := im.parseCores(int(nCores), int(coreTable), lenient); err != nil {
		return nil, err
	}
	return im, nil
}

func (im *image) parseChips(n int, lenient bool) error {
	b, m := im.b, im.t.Machine
	limit := im.t.Router.UsableEntries()
	next := im.routesAt
	im.chips = make([]program.Chip, n)
	im.chipRecs = make([]chipRec, n)
	for i := range n {
		at := headerBytes + chipRecBytes*i
		x, y := b[at], b[at+1]
		bad := func(off int, format string, args ...any) error {
			return fmt.Errorf("spinnaker image: chip table at byte %d, chip %d,%d: %s", off, x, y, fmt.Sprintf(format, args...))
		}
		if int(x) >= m.Width || int(y) >= m.Height {
			return bad(at, "outside the %d×%d machine", m.Width, m.Height)
		}
		if i > 0 && !chipLess(im.chips[i-1].X, im.chips[i-1].Y, x, y) {
			return bad(at, "chips not sorted by (x, y) or duplicated (previous %d,%d)", im.chips[i-1].X, im.chips[i-1].Y)
		}
		if !im.onBoard(x, y) {
			return bad(at, "not on board %d (origin %d,%d)", im.board, im.origin[0], im.origin[1])
		}
		if r := le.Uint16(b[at+2:]); r != 0 {
			return bad(at+2, "reserved half-word is %d, want 0", r)
		}
		entries, ptr := le.Uint32(b[at+4:]), le.Uint32(b[at+8:])
		if entries > uint32(limit) {
			return bad(at+4, "%d router entries, the router holds %d", entries, limit)
		}
		if int(ptr) != next {
			return bad(at+8, "entries at byte %d, want %d (right after the previous chip's)", ptr, next)
		}
		end := next + routeBytes*int(entries)
		if end > im.payload {
			return bad(at+4, "%d entries from byte %d run past the router-entry area (ends at %d)", entries, next, im.payload)
		}
		ch := program.Chip{X: x, Y: y}
		if entries > 0 {
			ch.Routes = make([]program.Route, entries)
		}
		for k := range ch.Routes {
			o := next + routeBytes*k
			r := program.Route{Key: le.Uint32(b[o:]), Mask: le.Uint32(b[o+4:]), Dest: le.Uint32(b[o+8:])}
			if r.Dest>>(program.LinkBits+m.CoresPerChip) != 0 {
				return bad(o+8, "entry %d: route word %08x sets bits above the %d links and %d cores", k, r.Dest, program.LinkBits, m.CoresPerChip)
			}
			ch.Routes[k] = r
		}
		rec := chipRec{at: at, entries: next, sum: le.Uint32(b[at+12:]), got: routeSum(ch.Routes)}
		if rec.sum != rec.got {
			msg := fmt.Sprintf("chip %d,%d: router table checksum %08x (chip table byte %d), entries sum to %08x", x, y, rec.sum, at+12, rec.got)
			if !lenient {
				return fmt.Errorf("spinnaker image: %s", msg)
			}
			im.problems = append(im.problems, msg)
		}
		im.chips[i], im.chipRecs[i] = ch, rec
		next = end
	}
	if next != im.payload {
		return fmt.Errorf("spinnaker image: router entries end at byte %d, but the region payloads start at %d", next, im.payload)
	}
	return nil
}

// onBoard reports whether chip (x, y) belongs in this image.
func (im *image) onBoard(x, y uint8) bool {
	if im.boardCount == 1 {
		return true
	}
	b, ok := BoardOf(im.t, int(x), int(y))
	return ok && b == im.board
}

func (im *image) parsePops(n int) error {
	r := &reader{b: im.b, off: im.popAt, end: im.routesAt, where: "populations table"}
	var err error
	if im.network, err = r.str("network name"); err != nil {
		return err
	}
	// Each population takes at least 12 words; bound the count before
	// allocating for it.
	if uint64(n) > uint64(r.left()/12) {
		return r.errf("%d populations cannot fit in %d words", n, r.left())
	}
	im.pops = make([]program.Population, n)
	im.popRefs = make([][]program.CoreID, n)
	for i := range n {
		pop := &im.pops[i]
		if pop.Size, err = r.u32("size"); err != nil {
			return err
		}
		flags, err := r.max("flags", 1)
		if err != nil {
			return err
		}
		pop.Source = flags == 1
		if pop.Model, err = r.fixed("model"); err != nil {
			return err
		}
		if pop.Name, err = r.str("name"); err != nil {
			return err
		}
		refs, err := r.u32("core count")
		if err != nil {
			return err
		}
		w, err := r.words(refs, "core list of "+pop.Name)
		if err != nil {
			return err
		}
		if len(w) > 0 {
			im.popRefs[i] = make([]program.CoreID, len(w))
		}
		for k, x := range w {
			if x>>24 != 0 {
				return r.errf("population %s: core %d: coordinate word %08x sets bits 24–31", pop.Name, k, x)
			}
			im.popRefs[i][k] = program.CoreID{X: uint8(x), Y: uint8(x >> 8), P: uint8(x >> 16)}
		}
	}
	return r.done()
}

func (im *image) parseCores(n, table int, lenient bool) error {
	b, m := im.b, im.t.Machine
	im.cores = make([]program.Core, n)
	im.coreRecs = make([]coreRec, n)
	next := im.payload
	for i := range n {
		at := table + coreRecBytes*i
		c := &im.cores[i]
		c.CoreID = program.CoreID{X: b[at], Y: b[at+1], P: b[at+2]}
		bad := func(off int, format string, args ...any) error {
			return fmt.Errorf("spinnaker image: core table at byte %d, core %s: %s", off, c.CoreID, fmt.Sprintf(format, args...))
		}
		if int(c.X) >= m.Width || int(c.Y) >= m.Height || int(c.P) >= m.CoresPerChip {
			return bad(at, "outside the machine (%d×%d chips of %d cores)", m.Width, m.Height, m.CoresPerChip)
		}
		if i > 0 && !coreLess(im.cores[i-1].CoreID, c.CoreID) {
			return bad(at, "cores not sorted by (x, y, p) or duplicated (previous %s)", im.cores[i-1].CoreID)
		}
		if !im.onBoard(c.X, c.Y) {
			return bad(at, "not on board %d (origin %d,%d)", im.board, im.origin[0], im.origin[1])
		}
		c.Kind = program.CoreKind(b[at+3])
		if c.Kind < program.NeuronCore || c.Kind > program.DelayCore {
			return bad(at+3, "unknown executable kind %d", b[at+3])
		}
		c.Pop = le.Uint32(b[at+4:])
		if int(c.Pop) >= len(im.pops) {
			return bad(at+4, "population %d, the populations table has %d", c.Pop, len(im.pops))
		}
		c.Lo, c.N = le.Uint32(b[at+8:]), le.Uint32(b[at+12:])
		c.Key, c.Mask = le.Uint32(b[at+16:]), le.Uint32(b[at+20:])
		var err error
		if c.Model, err = fixedString(b[at+24 : at+56]); err != nil {
			return bad(at+24, "model name: %v", err)
		}
		if x := le.Uint32(b[at+56:]); x != DSMagic {
			return bad(at+56, "data-specification magic %08x, want %08x", x, uint32(DSMagic))
		}
		if x := le.Uint32(b[at+60:]); x != DSVersion {
			return bad(at+60, "data-specification version %08x, want %08x", x, uint32(DSVersion))
		}
		rec := coreRec{at: at}
		var payloads [NumRegions]*reader
		for r := range NumRegions {
			slot := at + coreFixed + regionRec*int(r)
			ri := regionInfo{Ptr: le.Uint32(b[slot:]), Sum: le.Uint32(b[slot+4:]), Words: le.Uint32(b[slot+8:])}
			if ri.Words == 0 {
				if ri.Ptr != 0 || ri.Sum != 0 {
					return bad(slot, "region %s is absent (0 words) but has pointer %d, checksum %08x", r, ri.Ptr, ri.Sum)
				}
				continue
			}
			if int(ri.Ptr) != next {
				return bad(slot, "region %s at byte %d, want %d (right after the previous region)", r, ri.Ptr, next)
			}
			if uint64(ri.Words)*4 > uint64(len(b)-trailerBytes-next) {
				return bad(slot+8, "region %s of %d words from byte %d runs past the payloads (%d bytes left)", r, ri.Words, next, len(b)-trailerBytes-next)
			}
			end := next + 4*int(ri.Words)
			for o := next; o < end; o += 4 {
				ri.Computed += le.Uint32(b[o:])
			}
			if ri.Computed != ri.Sum {
				msg := fmt.Sprintf("core %s region %s (bytes %d…%d): checksum %08x, words sum to %08x", c.CoreID, r, next, end, ri.Sum, ri.Computed)
				if !lenient {
					return fmt.Errorf("spinnaker image: %s", msg)
				}
				im.problems = append(im.problems, msg)
			}
			payloads[r] = &reader{b: b, off: next, end: end, where: fmt.Sprintf("core %s region %s", c.CoreID, r)}
			rec.regions[r] = ri
			next = end
		}
		im.coreRecs[i] = rec
		if payloads[RegionSystem] == nil {
			return bad(at+coreFixed, "has no system region")
		}
		for r, rd := range payloads {
			if rd == nil {
				continue
			}
			if err := im.region(c, Region(r), rd); err != nil {
				return err
			}
			if err := rd.done(); err != nil {
				return err
			}
		}
		// Presence is canonical: a region is there exactly when the core
		// has something for it.
		has := present(c)
		for r := range NumRegions {
			if has[r] != (payloads[r] != nil) {
				return bad(at+coreFixed+regionRec*int(r), "region %s is present but holds nothing: an empty region must be absent", r)
			}
		}
	}
	if next != len(b)-trailerBytes {
		return fmt.Errorf("spinnaker image: the regions end at byte %d, but the trailer is at %d: %d bytes belong to no region", next, len(b)-trailerBytes, len(b)-trailerBytes-next)
	}
	return nil
}

// region decodes one region's words into the core.
func (im *image) region(c *program.Core, reg Region, r *reader) error {
	switch reg {
	case RegionSystem:
		w, err := r.words(systemWords, "system words")
		if err != nil {
			return err
		}
		n := im.numeric
		dt := math.Float64bits(im.timestep)
		want := []uint32{im.timestepUS, uint32(dt), uint32(dt >> 32), im.steps,
			uint32(n.StateFrac), uint32(n.StateBits), uint32(n.DecayFrac), uint32(n.WeightBits), uint32(n.RingBits)}
		names := []string{"timestep_us", "timestep_lo", "timestep_hi", "steps", "state_frac", "state_bits", "decay_frac", "weight_bits", "ring_bits"}
		for k := range want {
			if w[k] != want[k] {
				r.off = r.off - 4*systemWords + 4*k
				return r.errf("%s is %d but the header says %d", names[k], w[k], want[k])
			}
		}
	case RegionNeurons:
		nf, err := r.u32("field count")
		if err != nil {
			return err
		}
		nr, err := r.u32("record count")
		if err != nil {
			return err
		}
		if uint64(nf) > uint64(r.left()/2) {
			return r.errf("%d fields cannot fit in %d words", nf, r.left())
		}
		if nf == 0 && nr != 0 {
			return r.errf("%d records of no fields", nr)
		}
		if nf > 0 {
			c.Layout = make([]program.Field, nf)
		}
		for k := range c.Layout {
			f, err := r.u32("field format")
			if err != nil {
				return err
			}
			if f < uint32(program.State) || f > uint32(program.Int) {
				r.off -= 4
				return r.errf("field %d: unknown format %d (1 state, 2 decay, 3 int)", k, f)
			}
			c.Layout[k].Format = program.FieldFormat(f)
			if c.Layout[k].Name, err = r.str("field name"); err != nil {
				return err
			}
		}
		total := uint64(nf) * uint64(nr)
		if total > uint64(r.left()) {
			return r.errf("%d records of %d fields need %d words, %d left", nr, nf, total, r.left())
		}
		c.Neurons, err = r.words(uint32(total), "neuron records")
		return err
	case RegionSynapseParams:
		w, err := r.words(5, "geometry")
		if err != nil {
			return err
		}
		for k, x := range w[:4] {
			if x > math.MaxUint8 {
				r.off -= 4 * (5 - k)
				return r.errf("geometry field %d is %d, at most 255", k, x)
			}
		}
		c.Geometry = program.Geometry{DelayBits: uint8(w[0]), TypeBits: uint8(w[1]), IndexBits: uint8(w[2]), SynapseTypes: uint8(w[3])}
		s, err := r.words(w[4], "weight shifts")
		if err != nil {
			return err
		}
		if len(s) > 0 {
			c.WeightShift = make([]uint8, len(s))
		}
		for k, x := range s {
			if x > math.MaxUint8 {
				return r.errf("weight shift %d is %d, at most 255", k, x)
			}
			c.WeightShift[k] = uint8(x)
		}
	case RegionPopTable:
		n, err := r.u32("entry count")
		if err != nil {
			return err
		}
		if uint64(n)*popEntryWords > uint64(r.left()) {
			return r.errf("%d entries need %d words, %d left", n, uint64(n)*popEntryWords, r.left())
		}
		c.PopTable = make([]program.PopEntry, n)
		for k := range c.PopTable {
			w, _ := r.words(popEntryWords, "entry")
			if w[5] > 1 {
				r.off -= 4
				return r.errf("entry %d: flags %d (bit 0: plastic; others zero)", k, w[5])
			}
			c.PopTable[k] = program.PopEntry{Key: w[0], Mask: w[1], Start: w[2], Stride: w[3], Rows: w[4], Plastic: w[5] == 1}
		}
	case RegionSynapses:
		var err error
		c.Synapses, err = r.words(uint32(r.left()), "synaptic matrix")
		return err
	case RegionSTDP:
		w, err := r.words(7, "STDP parameters")
		if err != nil {
			return err
		}
		switch {
		case w[0] > 1:
			return r.errf("STDP flags %d (bit 0: multiplicative; others zero)", w[0])
		case w[3] > math.MaxUint16 || w[4] > math.MaxUint16:
			return r.errf("w_min %d / w_max %d exceed 16 bits", w[3], w[4])
		}
		s := &program.STDP{Multiplicative: w[0] == 1, APlus: int32(w[1]), AMinus: int32(w[2]), WMin: uint16(w[3]), WMax: uint16(w[4])}
		if s.TauPlusDecay, err = r.words(w[5], "tau+ table"); err != nil {
			return err
		}
		if s.TauMinusDecay, err = r.words(w[6], "tau- table"); err != nil {
			return err
		}
		c.Plastic = s
	case RegionRecording:
		return im.recording(c, r)
	case RegionSpikes:
		n, err := r.u32("spike count")
		if err != nil {
			return err
		}
		if uint64(n)*2 > uint64(r.left()) {
			return r.errf("%d spikes need %d words, %d left", n, 2*uint64(n), r.left())
		}
		c.Spikes, err = r.words(2*n, "spikes")
		return err
	case RegionDelay:
		w, err := r.words(5, "delay configuration")
		if err != nil {
			return err
		}
		d := &program.DelayConfig{SourceKey: w[0], SourceMask: w[1], Slots: w[2], Stages: w[3]}
		if d.Send, err = r.words(w[4], "stage bitmaps"); err != nil {
			return err
		}
		c.Delay = d
	}
	return nil
}

func (im *image) recording(c *program.Core, r *reader) error {
	rec := &c.Record
	n, err := r.u32("bitmap words")
	if err != nil {
		return err
	}
	if rec.Spikes, err = r.words(n, "spike bitmap"); err != nil {
		return err
	}
	if n, err = r.u32("probe count"); err != nil {
		return err
	}
	// A probe takes at least 3 words.
	if uint64(n) > uint64(r.left()/3) {
		return r.errf("%d probes cannot fit in %d words", n, r.left())
	}
	if n > 0 {
		rec.Vars = make([]program.RecordVar, n)
	}
	for k := range rec.Vars {
		v := &rec.Vars[k]
		if v.Field, err = r.str("probe field"); err != nil {
			return err
		}
		if v.Every, err = r.u32("probe interval"); err != nil {
			return err
		}
		m, err := r.u32("probe index count")
		if err != nil {
			return err
		}
		if v.Indices, err = r.words(m, "probe indices"); err != nil {
			return err
		}
	}
	if n, err = r.u32("weight-probe count"); err != nil {
		return err
	}
	if uint64(n) > uint64(r.left()/3) {
		return r.errf("%d weight probes cannot fit in %d words", n, r.left())
	}
	if n > 0 {
		rec.Weights = make([]program.WeightProbe, n)
	}
	for k := range rec.Weights {
		wp := &rec.Weights[k]
		if wp.Projection, err = r.str("weight-probe projection"); err != nil {
			return err
		}
		if wp.Every, err = r.u32("weight-probe interval"); err != nil {
			return err
		}
		m, err := r.u32("weight-probe synapse count")
		if err != nil {
			return err
		}
		if uint64(m)*2 > uint64(r.left()) {
			return r.errf("%d probed synapses need %d words, %d left", m, 2*uint64(m), r.left())
		}
		pairs, _ := r.words(2*m, "probed synapses")
		if m > 0 {
			wp.Synapses, wp.Words = make([]uint32, m), make([]uint32, m)
		}
		for j := range m {
			wp.Synapses[j], wp.Words[j] = pairs[2*j], pairs[2*j+1]
		}
	}
	return nil
}
