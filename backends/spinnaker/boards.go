package spinnaker

import (
	"bytes"
	"cmp"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"slices"
	"strconv"
	"strings"

	"github.com/somahw/soma/program"
	"github.com/somahw/soma/target"
)

// triadOrigins are the origins of the three SpiNN-5 boards of a triad
// relative to the triad's own origin, in board order, as SpiNNMachine's
// triad geometry places them: each board's 48-chip hexagon starts at its
// origin and wraps around the 12×12 torus.
var triadOrigins = [3][2]int{{0, 0}, {4, 8}, {8, 4}}

// BoardOrigins lists a target's boards by their origin chip, in board
// order. A single-board target has one board at 0,0; a machine of SpiNN-5
// triads has three boards per 12×12 triad, triads ordered by x then y.
func BoardOrigins(t *target.Target) ([][2]int, error) {
	m := t.Machine
	boards := max(1, m.Boards)
	if boards == 1 {
		return [][2]int{{0, 0}}, nil
	}
	if m.Layout != target.LayoutSpiNN5Triads || m.Width%12 != 0 || m.Height%12 != 0 || boards != 3*(m.Width/12)*(m.Height/12) {
		return nil, fmt.Errorf("target %s: no board layout for %d boards of layout %s on %d×%d chips (soma knows whole triads of SpiNN-5 boards)",
			t.Name, boards, m.Layout, m.Width, m.Height)
	}
	var out [][2]int
	for tx := 0; tx < m.Width; tx += 12 {
		for ty := 0; ty < m.Height; ty += 12 {
			for _, o := range triadOrigins {
				out = append(out, [2]int{tx + o[0], ty + o[1]})
			}
		}
	}
	return out, nil
}

// BoardOf returns the board holding chip (x, y): on a multi-board target
// the board whose SpiNN-5 hexagon (−4 ≤ dy−dx ≤ 3 in an 8×8 footprint from
// its origin, coordinates modulo the machine) covers the chip.
func BoardOf(t *target.Target, x, y int) (int, bool) {
	m := t.Machine
	if x < 0 || y < 0 || x >= m.Width || y >= m.Height {
		return 0, false
	}
	origins, err := BoardOrigins(t)
	if err != nil {
		return 0, false
	}
	if len(origins) == 1 {
		return 0, true
	}
	for i, o := range origins {
		dx := ((x-o[0])%m.Width + m.Width) % m.Width
		dy := ((y-o[1])%m.Height + m.Height) % m.Height
		if d := dy - dx; dx < 8 && dy < 8 && -4 <= d && d <= 3 {
			return i, true
		}
	}
	return 0, false
}

// ManifestHeader is the first line of a board manifest.
const ManifestHeader = "soma-spinnaker-boards 1"

// Manifest lists the images that make up one program on a multi-board
// machine (docs/image-format.md).
type Manifest struct {
	Target string `json:"target"`
	// Fingerprint is the program's fingerprint, in hex, as every image's
	// header has it.
	Fingerprint string          `json:"fingerprint"`
	Boards      []ManifestBoard `json:"boards"`
}

// ManifestBoard is one board's image.
type ManifestBoard struct {
	Index  int    `json:"index"`
	Origin [2]int `json:"origin"`
	// File is the image's file name, relative to the manifest's directory.
	File  string `json:"file"`
	Bytes int    `json:"bytes"`
	// CRC is the image's CRC-32 trailer (the CRC of all its bytes but the
	// last four).
	CRC uint32 `json:"crc32"`
}

func (m *Manifest) text() []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\ntarget %s\nfingerprint %s\nboards %d\n", ManifestHeader, m.Target, m.Fingerprint, len(m.Boards))
	for _, e := range m.Boards {
		fmt.Fprintf(&b, "board %d origin %d,%d file %s bytes %d crc32 %08x\n", e.Index, e.Origin[0], e.Origin[1], e.File, e.Bytes, e.CRC)
	}
	return b.Bytes()
}

// EncodeBoards writes a program as one image per board of t plus a
// manifest. Each image holds its board's chips (router tables) and cores,
// and the whole populations table; its header says which board it is.
// Image file names derive from the network name.
func EncodeBoards(p *program.Program, t *target.Target) (manifest []byte, images [][]byte, err error) {
	if p.Target != t.Name {
		return nil, nil, fmt.Errorf("spinnaker image: program is for target %s, not %s", p.Target, t.Name)
	}
	origins, err := BoardOrigins(t)
	if err != nil {
		return nil, nil, fmt.Errorf("spinnaker image: %w", err)
	}
	for _, ch := range p.Chips {
		if _, ok := BoardOf(t, int(ch.X), int(ch.Y)); !ok {
			return nil, nil, fmt.Errorf("spinnaker image: chip %d,%d is on no board of %s", ch.X, ch.Y, t.Name)
		}
	}
	for _, c := range p.Cores {
		if _, ok := BoardOf(t, int(c.X), int(c.Y)); !ok {
			return nil, nil, fmt.Errorf("spinnaker image: core %s is on no board of %s", c.CoreID, t.Name)
		}
	}
	fp, err := fingerprint(p)
	if err != nil {
		return nil, nil, err
	}
	man := &Manifest{Target: t.Name, Fingerprint: hex.EncodeToString(fp[:])}
	base := fileBase(p.Network)
	for i, o := range origins {
		b := board{index: i, count: len(origins), origin: o, member: func(x, y int) bool {
			k, ok := BoardOf(t, x, y)
			return ok && k == i
		}}
		img, err := encodeImage(p, t, fp, b)
		if err != nil {
			return nil, nil, err
		}
		images = append(images, img)
		man.Boards = append(man.Boards, ManifestBoard{
			Index: i, Origin: o, File: fmt.Sprintf("%s-board%d.spinn", base, i),
			Bytes: len(img), CRC: le.Uint32(img[len(img)-trailerBytes:]),
		})
	}
	return man.text(), images, nil
}

// fileBase makes a network name safe as the start of a file name.
func fileBase(name string) string {
	s := []byte(name)
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' && i > 0) {
			s[i] = '_'
		}
	}
	if len(s) == 0 {
		return "net"
	}
	return string(s)
}

// ParseManifest reads a board manifest. It accepts exactly what
// EncodeBoards writes; file names must be plain names (no directories), so
// a manifest cannot point a loader outside its own directory.
func ParseManifest(b []byte) (*Manifest, error) {
	lines := strings.Split(string(b), "\n")
	if len(lines) == 0 || lines[len(lines)-1] != "" {
		return nil, fmt.Errorf("board manifest: does not end with a newline")
	}
	lines = lines[:len(lines)-1]
	bad := func(line int, format string, args ...any) error {
		return fmt.Errorf("board manifest: line %d: %s", line+1, fmt.Sprintf(format, args...))
	}
	if len(lines) < 4 {
		return nil, fmt.Errorf("board manifest: %d lines, want at least 4", len(lines))
	}
	if lines[0] != ManifestHeader {
		return nil, bad(0, "%q, want %q", lines[0], ManifestHeader)
	}
	m := &Manifest{}
	var ok bool
	if m.Target, ok = strings.CutPrefix(lines[1], "target "); !ok || checkName("target", m.Target) != nil || m.Target == "" {
		return nil, bad(1, "want \"target NAME\"")
	}
	if m.Fingerprint, ok = strings.CutPrefix(lines[2], "fingerprint "); !ok || len(m.Fingerprint) != 2*fingerprintBytes || !isHex(m.Fingerprint) {
		return nil, bad(2, "want \"fingerprint\" and %d lower-case hex digits", 2*fingerprintBytes)
	}
	nb, ok := strings.CutPrefix(lines[3], "boards ")
	n, err := strconv.Atoi(nb)
	if !ok || err != nil || n < 1 || n > 255 || strconv.Itoa(n) != nb {
		return nil, bad(3, "want \"boards N\" with 1 ≤ N ≤ 255")
	}
	if len(lines) != 4+n {
		return nil, fmt.Errorf("board manifest: %d board lines, the manifest says %d boards", len(lines)-4, n)
	}
	for i := range n {
		line := lines[4+i]
		f := strings.Fields(line)
		if len(f) != 10 || f[0] != "board" || f[2] != "origin" || f[4] != "file" || f[6] != "bytes" || f[8] != "crc32" {
			return nil, bad(4+i, "want \"board I origin X,Y file NAME bytes N crc32 HEX\"")
		}
		var e ManifestBoard
		xy := strings.Split(f[3], ",")
		var errs [5]error
		e.Index, errs[0] = strconv.Atoi(f[1])
		if len(xy) == 2 {
			e.Origin[0], errs[1] = strconv.Atoi(xy[0])
			e.Origin[1], errs[2] = strconv.Atoi(xy[1])
		} else {
			errs[1] = fmt.Errorf("origin %q", f[3])
		}
		e.Bytes, errs[3] = strconv.Atoi(f[7])
		var crc uint64
		crc, errs[4] = strconv.ParseUint(f[9], 16, 32)
		e.CRC, e.File = uint32(crc), f[5]
		for _, err := range errs {
			if err != nil {
				return nil, bad(4+i, "%v", err)
			}
		}
		if e.Index != i {
			return nil, bad(4+i, "board %d, want %d (boards in order)", e.Index, i)
		}
		if strings.ContainsAny(e.File, `/\`) || e.File == "." || e.File == ".." {
			return nil, bad(4+i, "file %q is not a plain file name", e.File)
		}
		m.Boards = append(m.Boards, e)
	}
	// Everything parsed must read back the same (one spelling per manifest).
	if !bytes.Equal(m.text(), b) {
		return nil, fmt.Errorf("board manifest: not in the form EncodeBoards writes (extra spaces, leading zeros or upper-case hex)")
	}
	return m, nil
}

func isHex(s string) bool {
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// DecodeBoards rebuilds a program from a manifest and its images, given
// in manifest order. Each image is checked as Decode checks one; the
// images must agree with the manifest (size, CRC, board, fingerprint) and
// with each other, and re-encoding the program must give the same bytes.
func DecodeBoards(manifest []byte, images [][]byte) (*program.Program, error) {
	man, err := ParseManifest(manifest)
	if err != nil {
		return nil, err
	}
	if len(images) != len(man.Boards) {
		return nil, fmt.Errorf("board images: %d images for the manifest's %d boards", len(images), len(man.Boards))
	}
	var first *image
	var cores []program.Core
	var chips []program.Chip
	for i, img := range images {
		e := man.Boards[i]
		if len(img) != e.Bytes {
			return nil, fmt.Errorf("board %d (%s): %d bytes, the manifest says %d", i, e.File, len(img), e.Bytes)
		}
		if len(img) >= trailerBytes {
			if crc := le.Uint32(img[len(img)-trailerBytes:]); crc != e.CRC {
				return nil, fmt.Errorf("board %d (%s): CRC-32 %08x, the manifest says %08x: a different or corrupt image", i, e.File, crc, e.CRC)
			}
		}
		im, err := parse(img, false)
		if err != nil {
			return nil, fmt.Errorf("board %d (%s): %w", i, e.File, err)
		}
		fp := hex.EncodeToString(im.fp[:])
		switch {
		case im.target != man.Target:
			return nil, fmt.Errorf("board %d (%s): target %s, the manifest says %s", i, e.File, im.target, man.Target)
		case im.board != i || im.boardCount != len(man.Boards) || im.origin != e.Origin:
			return nil, fmt.Errorf("board %d (%s): the image is board %d of %d at %d,%d; the manifest says board %d of %d at %d,%d",
				i, e.File, im.board, im.boardCount, im.origin[0], im.origin[1], i, len(man.Boards), e.Origin[0], e.Origin[1])
		case fp != man.Fingerprint:
			return nil, fmt.Errorf("board %d (%s): fingerprint %s, the manifest says %s: the image is of another build", i, e.File, fp, man.Fingerprint)
		}
		if first == nil {
			first = im
		} else if !bytes.Equal(first.b[hTimestepUS:hFingerprint], im.b[hTimestepUS:hFingerprint]) ||
			!bytes.Equal(first.b[first.popAt:first.routesAt], im.b[im.popAt:im.routesAt]) {
			return nil, fmt.Errorf("board %d (%s): run settings or populations table differ from board 0's", i, e.File)
		}
		cores = append(cores, im.cores...)
		chips = append(chips, im.chips...)
	}
	// Boards hold disjoint chips, so sorting merges without duplicates.
	slices.SortFunc(cores, func(a, b program.Core) int {
		return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y), cmp.Compare(a.P, b.P))
	})
	slices.SortFunc(chips, func(a, b program.Chip) int { return cmp.Or(cmp.Compare(a.X, b.X), cmp.Compare(a.Y, b.Y)) })
	if len(cores) == 0 {
		cores = nil
	}
	if len(chips) == 0 {
		chips = nil
	}
	p, err := first.program(cores, chips)
	if err != nil {
		return nil, err
	}
	fp, err := fingerprint(p)
	if err != nil {
		return nil, err
	}
	if hex.EncodeToString(fp[:]) != man.Fingerprint {
		return nil, fmt.Errorf("board images: the program they hold has fingerprint %x, the manifest says %s: an image was altered after it was built", fp, man.Fingerprint)
	}
	man2, images2, err := EncodeBoards(p, first.t)
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(man2, manifest) {
		return nil, fmt.Errorf("board manifest: differs from the one the images' program gives (file names derive from the network name)")
	}
	for i := range images {
		im, _ := parse(images[i], false)
		if err := im.sameBytes(images2[i]); err != nil {
			return nil, fmt.Errorf("board %d (%s): %w", i, man.Boards[i].File, err)
		}
	}
	return p, nil
}

// crcOf is the CRC-32 an image's trailer must hold.
func crcOf(img []byte) uint32 { return crc32.ChecksumIEEE(img[:len(img)-trailerBytes]) }
