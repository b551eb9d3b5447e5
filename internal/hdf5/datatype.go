package hdf5

import (
	"fmt"
	"math"
	"strings"
)

// Kind is the class of a Datatype, as a Go user sees it.
type Kind int

// Kinds. Bool is h5py's encoding of numpy bool: an enum of int8 with
// members FALSE=0 and TRUE=1.
const (
	Invalid Kind = iota
	Int
	Uint
	Float
	String
	Bool
	Enum
	Array
	Compound  // decoded only as a type; values are unsupported
	Opaque    // ditto
	Reference // ditto
	Bitfield  // read as Uint
)

var kindNames = [...]string{"invalid", "int", "uint", "float", "string", "bool", "enum", "array", "compound", "opaque", "reference", "bitfield"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Datatype is a decoded datatype message ("Disk Format: Level 2A2 -
// Datatype Message").
type Datatype struct {
	Kind Kind
	// Size is the stored size of one element in bytes (for variable-length
	// strings, the size of the heap reference).
	Size      int
	BigEndian bool
	// VarLen marks variable-length strings (stored in the global heap).
	VarLen bool
	// UTF8 is the string character set (false: ASCII).
	UTF8 bool
	// Pad is the fixed-length string padding: 0 null-terminated, 1
	// null-padded, 2 space-padded.
	Pad int
	// Base is the base type of an Enum, Bool or Array.
	Base *Datatype
	// Dims are the dimensions of an Array element.
	Dims []int
	// EnumNames and EnumValues list the members of an Enum or Bool.
	EnumNames  []string
	EnumValues []int64

	bitOff, bitPrec int // fixed-point bit offset and precision
}

func (t Datatype) String() string {
	var b strings.Builder
	switch t.Kind {
	case String:
		if t.VarLen {
			b.WriteString("vlen string")
		} else {
			fmt.Fprintf(&b, "string[%d]", t.Size)
		}
	case Array:
		fmt.Fprintf(&b, "array%v of %s", t.Dims, t.Base)
	case Enum, Bool:
		fmt.Fprintf(&b, "%s(%s)", t.Kind, t.Base)
	default:
		fmt.Fprintf(&b, "%s%d", t.Kind, 8*t.Size)
		if t.BigEndian {
			b.WriteString("be")
		}
	}
	return b.String()
}

// scalar returns the innermost non-array type.
func (t *Datatype) scalar() *Datatype {
	for t.Kind == Array {
		t = t.Base
	}
	return t
}

// parseDatatype decodes a datatype message, recursing into base types up
// to a fixed depth.
func (f *File) parseDatatype(c *cursor, depth int) (*Datatype, error) {
	at := c.off()
	if depth > 8 {
		return nil, errAt(at, "datatype nested too deeply")
	}
	cv := c.u8()
	class, version := cv&0x0f, cv>>4
	bits := uint32(c.u8()) | uint32(c.u8())<<8 | uint32(c.u8())<<16
	size := c.u32()
	if c.err != nil {
		return nil, c.err
	}
	if size > 1<<24 {
		return nil, errAt(at, "datatype size %d", size)
	}
	t := &Datatype{Size: int(size), BigEndian: bits&1 != 0}
	switch class {
	case 0, 4: // fixed-point, bitfield
		t.Kind = Uint
		if class == 0 && bits&0x08 != 0 {
			t.Kind = Int
		}
		if class == 4 {
			t.Kind = Bitfield
		}
		t.bitOff, t.bitPrec = int(c.u16()), int(c.u16())
		if t.Size < 1 || t.Size > 8 || t.bitPrec < 1 || t.bitOff+t.bitPrec > 8*t.Size {
			return nil, unsupportedAt(at, "%d-byte integer with %d bits at offset %d", t.Size, t.bitPrec, t.bitOff)
		}
	case 1: // floating-point
		t.Kind = Float
		if bits&0x40 != 0 {
			return nil, unsupportedAt(at, "VAX-order float")
		}
		c.skip(2) // bit offset
		prec := c.u16()
		eloc, esize, mloc, msize := c.u8(), c.u8(), c.u8(), c.u8()
		c.u32() // exponent bias
		ieee := (t.Size == 2 && prec == 16 && eloc == 10 && esize == 5 && mloc == 0 && msize == 10) ||
			(t.Size == 4 && prec == 32 && eloc == 23 && esize == 8 && mloc == 0 && msize == 23) ||
			(t.Size == 8 && prec == 64 && eloc == 52 && esize == 11 && mloc == 0 && msize == 52)
		if c.err == nil && !ieee {
			return nil, unsupportedAt(at, "non-IEEE %d-byte float", t.Size)
		}
	case 3: // string
		t.Kind = String
		t.Pad = int(bits & 0x0f)
		t.UTF8 = (bits>>4)&0x0f == 1
	case 5:
		t.Kind = Opaque
	case 6:
		t.Kind = Compound
	case 7:
		t.Kind = Reference
	case 8: // enumeration
		base, err := f.parseDatatype(c, depth+1)
		if err != nil {
			return nil, err
		}
		if base.Kind != Int && base.Kind != Uint {
			return nil, unsupportedAt(at, "enum of %s", base)
		}
		n := int(bits & 0xffff)
		if n > c.rest() {
			return nil, errAt(at, "enum with %d members in a %d-byte message", n, c.rest())
		}
		t.Kind, t.Base = Enum, base
		for i := 0; i < n; i++ {
			start := c.p
			t.EnumNames = append(t.EnumNames, c.cstring())
			if version < 3 {
				// Names are padded to a multiple of eight bytes.
				c.skip((8 - (c.p-start)%8) % 8)
			}
		}
		for i := 0; i < n; i++ {
			v, _ := base.intAt(c.bytes(base.Size))
			t.EnumValues = append(t.EnumValues, v)
		}
		if c.err == nil && n == 2 && base.Kind == Int && base.Size == 1 &&
			t.EnumNames[0] == "FALSE" && t.EnumNames[1] == "TRUE" && t.EnumValues[0] == 0 && t.EnumValues[1] == 1 {
			t.Kind = Bool
		}
	case 9: // variable-length
		if bits&0x0f != 1 {
			return nil, unsupportedAt(at, "variable-length sequence")
		}
		t.Kind, t.VarLen = String, true
		t.Pad = int((bits >> 4) & 0x0f)
		t.UTF8 = (bits>>8)&0x0f == 1
		if t.Size != 4+f.offSize+4 {
			return nil, errAt(at, "variable-length string of size %d, want %d", t.Size, 4+f.offSize+4)
		}
		if _, err := f.parseDatatype(c, depth+1); err != nil { // base type (a character)
			return nil, err
		}
	case 10: // array
		rank := int(c.u8())
		if version < 3 {
			c.skip(3)
		}
		if rank == 0 || rank > 32 {
			return nil, errAt(at, "array datatype of rank %d", rank)
		}
		n := 1
		for i := 0; i < rank; i++ {
			d := int(c.u32())
			if d == 0 || d > 1<<24 || n*d > 1<<24 {
				return nil, errAt(at, "array datatype dimension %d", d)
			}
			n *= d
			t.Dims = append(t.Dims, d)
		}
		if version < 3 {
			c.skip(4 * rank) // permutation indices
		}
		if c.err != nil {
			return nil, c.err
		}
		base, err := f.parseDatatype(c, depth+1)
		if err != nil {
			return nil, err
		}
		t.Kind, t.Base = Array, base
		if base.Size*n != t.Size {
			return nil, errAt(at, "array datatype of %d bytes holds %d × %d bytes", t.Size, n, base.Size)
		}
	default:
		return nil, unsupportedAt(at, "datatype class %d", class)
	}
	if c.err != nil {
		return nil, c.err
	}
	if t.Size == 0 {
		return nil, errAt(at, "zero-size datatype")
	}
	return t, nil
}

// order returns b (one element) as little-endian bytes in a fresh slice.
func (t *Datatype) order(b []byte) [8]byte {
	var v [8]byte
	n := min(len(b), 8)
	if t.BigEndian {
		for i := 0; i < n; i++ {
			v[i] = b[n-1-i]
		}
	} else {
		copy(v[:], b[:n])
	}
	return v
}

// intAt decodes one integer element of an Int, Uint, Bitfield, Enum or Bool
// type. ok is false for a Uint above math.MaxInt64.
func (t *Datatype) intAt(b []byte) (v int64, ok bool) {
	switch t.Kind {
	case Enum, Bool:
		return t.Base.intAt(b)
	}
	u := t.uintAt(b)
	if t.Kind == Int {
		sh := uint(64 - t.bitPrec)
		return int64(u<<sh) >> sh, true
	}
	return int64(u), u <= math.MaxInt64
}

// uintAt decodes the raw bits of one integer element.
func (t *Datatype) uintAt(b []byte) uint64 {
	if t.Kind == Enum || t.Kind == Bool {
		return t.Base.uintAt(b)
	}
	v := t.order(b)
	u := le.Uint64(v[:]) >> uint(t.bitOff)
	if t.bitPrec < 64 {
		u &= 1<<uint(t.bitPrec) - 1
	}
	return u
}

// floatAt decodes one element of a numeric type as float64.
func (t *Datatype) floatAt(b []byte) float64 {
	switch t.Kind {
	case Float:
		v := t.order(b)
		switch t.Size {
		case 2:
			return halfToFloat(le.Uint16(v[:]))
		case 4:
			return float64(math.Float32frombits(le.Uint32(v[:])))
		default:
			return math.Float64frombits(le.Uint64(v[:]))
		}
	case Int, Enum, Bool:
		i, _ := t.intAt(b)
		return float64(i)
	default:
		return float64(t.uintAt(b))
	}
}

func halfToFloat(h uint16) float64 {
	sign := 1.0
	if h&0x8000 != 0 {
		sign = -1
	}
	exp := int(h>>10) & 0x1f
	frac := float64(h & 0x3ff)
	switch exp {
	case 0:
		return sign * math.Ldexp(frac, -24)
	case 0x1f:
		if frac == 0 {
			return math.Inf(int(sign))
		}
		return math.NaN()
	}
	return sign * math.Ldexp(1+frac/1024, exp-15)
}

// stringAt decodes one string element: a fixed-length string trimmed per
// its padding, or a variable-length string read from the global heap
// ("Disk Format: Level 1E - Global Heap"; the element is a 4-byte length,
// a collection address and a 4-byte object index).
func (f *File) stringAt(t *Datatype, b []byte, at int64) (string, error) {
	if !t.VarLen {
		switch t.Pad {
		case 0, 1: // null-terminated, null-padded
			for i, ch := range b {
				if ch == 0 {
					return string(b[:i]), nil
				}
			}
			return string(b), nil
		default:
			return strings.TrimRight(string(b), " "), nil
		}
	}
	c := &cursor{f: f, b: b, at: at}
	n := c.u32()
	addr := c.addr()
	idx := c.u32()
	if c.err != nil {
		return "", c.err
	}
	if addr == 0 || addr == undef || n == 0 {
		return "", nil
	}
	obj, err := f.globalHeapObject(addr, idx)
	if err != nil {
		return "", err
	}
	if uint64(n) > uint64(len(obj)) {
		return "", errAt(at, "variable-length string of %d bytes in a %d-byte heap object", n, len(obj))
	}
	s := obj[:n]
	if t.Pad == 0 {
		if i := strings.IndexByte(string(s), 0); i >= 0 {
			s = s[:i]
		}
	}
	return string(s), nil
}
