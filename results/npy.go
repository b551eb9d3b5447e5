package results

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The .npy format (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// the magic "\x93NUMPY", a version (1.0, 2.0 or 3.0), a little-endian header
// length (uint16 for 1.0, uint32 after), then an ASCII Python dict literal
// {'descr': '<f8', 'fortran_order': False, 'shape': (3, 2), } padded with
// spaces and a newline, then the raw array data.
//
// The package has its own small codec rather than going through npyio for
// two reasons: npyio derives the shape from Go values and so writes an empty
// [][2]int64 as a '|V16' scalar instead of shape (0, 2) — and populations
// without spikes are common; and its reader trusts the header (a corrupt
// length or dict can make it panic), while ReadSpikesNPY takes files from
// users. Tests read the npz back with npyio as an independent check.

var npyMagic = []byte("\x93NUMPY")

// maxNPYHeader bounds the header we accept. NumPy itself refuses headers over
// 10000 bytes by default; this is looser but keeps a corrupt length from
// allocating gigabytes.
const maxNPYHeader = 1 << 20

// npyHeader is the parsed header dict.
type npyHeader struct {
	descr   string // e.g. "<f8", "|b1"
	fortran bool
	shape   []int
}

// readNPYHeader reads and parses the magic, version and header dict.
func readNPYHeader(r io.Reader) (npyHeader, error) {
	var h npyHeader
	var pre [8]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil {
		return h, fmt.Errorf("reading magic: %w", noEOF(err))
	}
	if string(pre[:6]) != string(npyMagic) {
		return h, errors.New(`not a .npy file (no "\x93NUMPY" magic)`)
	}
	var n int
	switch major := pre[6]; major {
	case 1:
		var l [2]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return h, fmt.Errorf("reading header length: %w", noEOF(err))
		}
		n = int(binary.LittleEndian.Uint16(l[:]))
	case 2, 3:
		var l [4]byte
		if _, err := io.ReadFull(r, l[:]); err != nil {
			return h, fmt.Errorf("reading header length: %w", noEOF(err))
		}
		u := binary.LittleEndian.Uint32(l[:])
		if u > maxNPYHeader {
			return h, fmt.Errorf("header of %d bytes is implausibly long (limit %d)", u, maxNPYHeader)
		}
		n = int(u)
	default:
		return h, fmt.Errorf("unsupported .npy format version %d.%d", major, pre[7])
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(r, buf); err != nil {
		return h, fmt.Errorf("reading %d-byte header: %w", n, noEOF(err))
	}
	return parseNPYHeader(string(buf))
}

// noEOF turns a bare EOF into ErrUnexpectedEOF: a .npy that ends early is
// truncated, not empty.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseNPYHeader parses the Python dict literal of a .npy header. It accepts
// what NumPy writes (and other writers: either quote style, any spacing,
// trailing commas) and rejects anything else.
func parseNPYHeader(s string) (npyHeader, error) {
	var h npyHeader
	p := &dictParser{s: s}
	if !p.eat('{') {
		return h, fmt.Errorf("header %q is not a dict", short(s))
	}
	var haveDescr, haveOrder, haveShape bool
	for {
		if p.eat('}') {
			break
		}
		key, ok := p.str()
		if !ok || !p.eat(':') {
			return h, fmt.Errorf("header %q: malformed dict", short(s))
		}
		switch key {
		case "descr":
			h.descr, ok = p.str()
			if !ok {
				return h, fmt.Errorf("header %q: descr is not a simple type string (structured arrays are not supported)", short(s))
			}
			haveDescr = true
		case "fortran_order":
			switch {
			case p.word("True"):
				h.fortran = true
			case p.word("False"):
				h.fortran = false
			default:
				return h, fmt.Errorf("header %q: fortran_order is not True or False", short(s))
			}
			haveOrder = true
		case "shape":
			h.shape, ok = p.tuple()
			if !ok {
				return h, fmt.Errorf("header %q: shape is not a tuple of non-negative integers", short(s))
			}
			haveShape = true
		default:
			return h, fmt.Errorf("header %q: unexpected key %q", short(s), key)
		}
		if !p.eat(',') {
			if !p.eat('}') {
				return h, fmt.Errorf("header %q: malformed dict", short(s))
			}
			break
		}
	}
	if strings.TrimSpace(p.s[p.i:]) != "" {
		return h, fmt.Errorf("header %q: text after the dict", short(s))
	}
	if !haveDescr || !haveOrder || !haveShape {
		return h, fmt.Errorf("header %q: want keys descr, fortran_order and shape", short(s))
	}
	return h, nil
}

// short trims a header for an error message.
func short(s string) string {
	s = strings.TrimRight(s, " \n")
	if len(s) > 120 {
		return s[:120] + "..."
	}
	return s
}

// dictParser is a tiny recursive-descent parser over a .npy header.
type dictParser struct {
	s string
	i int
}

func (p *dictParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *dictParser) eat(c byte) bool {
	p.space()
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *dictParser) word(w string) bool {
	p.space()
	if strings.HasPrefix(p.s[p.i:], w) {
		p.i += len(w)
		return true
	}
	return false
}

// str parses a quoted string without escapes (none occur in dtype strings
// or the three keys).
func (p *dictParser) str() (string, bool) {
	p.space()
	if p.i >= len(p.s) || (p.s[p.i] != '\'' && p.s[p.i] != '"') {
		return "", false
	}
	q := p.s[p.i]
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", false
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", false
	}
	p.i += end + 2
	return v, true
}

// tuple parses (), (n,), (n, m), ... of non-negative ints.
func (p *dictParser) tuple() ([]int, bool) {
	if !p.eat('(') {
		return nil, false
	}
	shape := []int{}
	for {
		if p.eat(')') {
			return shape, true
		}
		p.space()
		j := p.i
		for j < len(p.s) && p.s[j] >= '0' && p.s[j] <= '9' {
			j++
		}
		if j == p.i {
			return nil, false
		}
		v, err := strconv.Atoi(p.s[p.i:j])
		if err != nil {
			return nil, false
		}
		p.i = j
		// Python 2 era writers put an L after longs: (3L, 2L).
		if p.i < len(p.s) && p.s[p.i] == 'L' {
			p.i++
		}
		shape = append(shape, v)
		if !p.eat(',') {
			if !p.eat(')') {
				return nil, false
			}
			return shape, true
		}
	}
}

// npyKind is how one element of a supported dtype is decoded to a float64.
type npyKind struct {
	size   int
	decode func(b []byte, o binary.ByteOrder) float64
}

// npyKinds maps dtype letter+size (without byte order) to a decoder.
var npyKinds = map[string]npyKind{
	"b1": {1, func(b []byte, _ binary.ByteOrder) float64 { return float64(b[0]) }},
	"i1": {1, func(b []byte, _ binary.ByteOrder) float64 { return float64(int8(b[0])) }},
	"u1": {1, func(b []byte, _ binary.ByteOrder) float64 { return float64(b[0]) }},
	"i2": {2, func(b []byte, o binary.ByteOrder) float64 { return float64(int16(o.Uint16(b))) }},
	"u2": {2, func(b []byte, o binary.ByteOrder) float64 { return float64(o.Uint16(b)) }},
	"i4": {4, func(b []byte, o binary.ByteOrder) float64 { return float64(int32(o.Uint32(b))) }},
	"u4": {4, func(b []byte, o binary.ByteOrder) float64 { return float64(o.Uint32(b)) }},
	// 64-bit integers other than 0 and 1 are rejected, so their rounding to
	// float64 does not matter; only "is it 0 or 1" does, and that is exact.
	"i8": {8, func(b []byte, o binary.ByteOrder) float64 { return float64(int64(o.Uint64(b))) }},
	"u8": {8, func(b []byte, o binary.ByteOrder) float64 { return float64(o.Uint64(b)) }},
	"f2": {2, func(b []byte, o binary.ByteOrder) float64 { return half(o.Uint16(b)) }},
	"f4": {4, func(b []byte, o binary.ByteOrder) float64 { return float64(math.Float32frombits(o.Uint32(b))) }},
	"f8": {8, func(b []byte, o binary.ByteOrder) float64 { return math.Float64frombits(o.Uint64(b)) }},
}

// half decodes an IEEE 754 binary16. Only 0 and 1 matter here, but the rest
// is decoded faithfully so error messages show the real value.
func half(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * frac * math.Pow(2, -24)
	case 0x1f:
		if frac != 0 {
			return math.NaN()
		}
		return math.Inf(int(sign))
	}
	return sign * (1 + frac/1024) * math.Pow(2, float64(exp-15))
}

// parseDescr resolves a dtype string like "<i8" or "|b1".
func parseDescr(d string) (npyKind, binary.ByteOrder, error) {
	if len(d) < 2 {
		return npyKind{}, nil, fmt.Errorf("unsupported dtype %q", d)
	}
	var o binary.ByteOrder
	switch d[0] {
	case '<', '|', '=': // '=' is native; every platform Go runs NumPy data from is little-endian
		o = binary.LittleEndian
	case '>':
		o = binary.BigEndian
	default:
		// NumPy always writes a byte-order character; accept "i8" etc. anyway.
		d = "|" + d
		o = binary.LittleEndian
	}
	k, ok := npyKinds[d[1:]]
	if !ok {
		return npyKind{}, nil, fmt.Errorf("unsupported dtype %q; want bool, (u)int8..64 or float16..64", d)
	}
	return k, o, nil
}

// ReadSpikesNPY reads a NumPy .npy array of shape [steps, neurons] whose
// elements are 0 (no spike) or 1 (spike) — the dense spike format of
// snnTorch, Norse and friends — and returns its shape and the spikes, with
// Pop 0 (the caller sets Pop for the population it replays into) in canonical
// order (step, then neuron). Element types bool, int8..int64, uint8..uint64
// and float16..float64 in either byte order and either C or Fortran order
// are accepted. Arrays of another rank, and elements other than 0 or 1, are
// errors that name the offending [step, neuron].
//
// The data is streamed, so the array never needs to fit in memory; only the
// spikes do.
func ReadSpikesNPY(r io.Reader) (steps, neurons int, spikes []Spike, err error) {
	defer func() {
		if err != nil {
			err = fmt.Errorf("results: spikes .npy: %w", err)
		}
	}()
	h, err := readNPYHeader(r)
	if err != nil {
		return 0, 0, nil, err
	}
	if len(h.shape) != 2 {
		return 0, 0, nil, fmt.Errorf("array has shape %v (rank %d); want rank 2, [steps, neurons]", h.shape, len(h.shape))
	}
	steps, neurons = h.shape[0], h.shape[1]
	if steps > math.MaxInt32 || neurons > math.MaxInt32 {
		return 0, 0, nil, fmt.Errorf("shape [%d, %d] is too large (at most %d steps and neurons)", steps, neurons, math.MaxInt32)
	}
	kind, order, err := parseDescr(h.descr)
	if err != nil {
		return 0, 0, nil, err
	}

	// Both dimensions fit in 31 bits, so their product fits in an int64.
	total := int64(steps) * int64(neurons)
	br := bufio.NewReaderSize(r, 1<<16)
	const chunkElems = 1 << 13
	buf := make([]byte, chunkElems*kind.size)
	for done := int64(0); done < total; {
		n := int64(chunkElems)
		if rem := total - done; rem < n {
			n = rem
		}
		b := buf[:n*int64(kind.size)]
		if _, err := io.ReadFull(br, b); err != nil {
			return 0, 0, nil, fmt.Errorf("array data for shape [%d, %d] %s ends after %d elements: %w",
				steps, neurons, h.descr, done, noEOF(err))
		}
		for i := int64(0); i < n; i++ {
			v := kind.decode(b[i*int64(kind.size):], order)
			if v == 0 {
				continue
			}
			flat := done + i
			var st, nr int64
			if h.fortran {
				st, nr = flat%int64(steps), flat/int64(steps)
			} else {
				st, nr = flat/int64(neurons), flat%int64(neurons)
			}
			if v != 1 {
				return 0, 0, nil, fmt.Errorf("element [%d, %d] is %v; a spike array holds only 0 and 1", st, nr, v)
			}
			spikes = append(spikes, Spike{Neuron: int32(nr), Step: int32(st)})
		}
		done += n
	}
	if _, err := br.ReadByte(); err != io.EOF {
		if err != nil {
			return 0, 0, nil, err
		}
		return 0, 0, nil, fmt.Errorf("data continues past the end of the [%d, %d] array; is the shape right?", steps, neurons)
	}
	if h.fortran {
		slices.SortFunc(spikes, compareSpikes)
	}
	return steps, neurons, spikes, nil
}

// writeNPY writes a little-endian array in .npy format version 1.0 (readable
// by every NumPy since 1.0), with the header padded so the data starts on a
// 64-byte boundary as NumPy itself does. data is the raw element bytes; its
// length must match shape and descr.
func writeNPY(w io.Writer, descr string, shape []int, data []byte) error {
	var dict strings.Builder
	dict.WriteString("{'descr': '")
	dict.WriteString(descr)
	dict.WriteString("', 'fortran_order': False, 'shape': (")
	for i, d := range shape {
		if i > 0 {
			dict.WriteString(", ")
		}
		dict.WriteString(strconv.Itoa(d))
	}
	if len(shape) == 1 {
		dict.WriteString(",")
	}
	dict.WriteString("), }")
	const pre = 6 + 2 + 2 // magic, version, header length
	total := pre + dict.Len() + 1
	pad := (64 - total%64) % 64
	hdr := make([]byte, 0, total+pad)
	hdr = append(hdr, npyMagic...)
	hdr = append(hdr, 1, 0)
	hdr = binary.LittleEndian.AppendUint16(hdr, uint16(dict.Len()+pad+1))
	hdr = append(hdr, dict.String()...)
	for range pad {
		hdr = append(hdr, ' ')
	}
	hdr = append(hdr, '\n')
	if _, err := w.Write(hdr); err != nil {
		return err
	}
	_, err := w.Write(data)
	return err
}

// float64Bytes encodes v little-endian.
func float64Bytes(v []float64) []byte {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(x))
	}
	return b
}

// int64Bytes encodes v little-endian.
func int64Bytes(v []int64) []byte {
	b := make([]byte, 0, 8*len(v))
	for _, x := range v {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}
