package hdf5

import (
	"fmt"
	"slices"
	"strings"
)

// Dataset is an HDF5 dataset. Its metadata is decoded when it is opened;
// values are read on each call to Raw, Float64s, … (nothing is cached).
type Dataset struct {
	f     *File
	name  string
	path  string
	addr  uint64
	dtype *Datatype
	st    *storage
}

func (f *File) dataset(oh *objectHeader, name, path string) (*Dataset, error) {
	d := &Dataset{f: f, name: name, path: path, addr: oh.addr}
	st := &storage{f: f}
	var haveSpace bool
	for _, m := range oh.msgs {
		b, at, err := f.resolve(m, 0)
		if err != nil {
			return nil, err
		}
		c := &cursor{f: f, b: b, at: at}
		switch m.typ {
		case msgDatatype:
			d.dtype, err = f.parseDatatype(c, 0)
		case msgDataspace:
			st.space, err = f.parseDataspace(c)
			haveSpace = true
		case msgLayout:
			st.layout, err = f.parseLayout(c)
		case msgFilters:
			st.filters, err = f.parseFilters(c)
		case msgFill, msgFillOld:
			if fill := f.parseFill(c, m.typ); fill != nil {
				st.fill = fill
			}
		}
		if err != nil {
			return nil, err
		}
	}
	if d.dtype == nil || !haveSpace || st.layout == nil {
		return nil, errAt(int64(oh.addr+f.base), "dataset object header lacks a datatype, dataspace or layout message")
	}
	st.elem = d.dtype.Size
	d.st = st
	return d, nil
}

// Name returns the dataset's link name.
func (d *Dataset) Name() string { return d.name }

// Path returns the dataset's path.
func (d *Dataset) Path() string { return d.path }

// Attrs lists the dataset's attributes sorted by name.
func (d *Dataset) Attrs() ([]*Attribute, error) {
	oh, err := d.f.header(d.addr)
	if err != nil {
		return nil, withPath(err, d.path)
	}
	a, err := d.f.attributes(oh, d.path)
	return a, withPath(err, d.path)
}

// Shape returns the dataset's dimensions: empty for a scalar, nil for a
// null dataspace (h5py.Empty). Array-typed elements add Type().Dims.
func (d *Dataset) Shape() []int { return d.st.space.shape() }

// Type returns the dataset's element type.
func (d *Dataset) Type() Datatype { return *d.dtype }

// Len is the number of elements (1 for a scalar, 0 for a null dataspace).
func (d *Dataset) Len() int {
	n, _ := d.st.space.count()
	return int(n)
}

// Raw returns the stored elements in C order, in the file's byte order.
func (d *Dataset) Raw() ([]byte, error) {
	b, err := d.st.read()
	return b, withPath(err, d.path)
}

func (d *Dataset) values() (*values, error) {
	b, err := d.Raw()
	if err != nil {
		return nil, err
	}
	return &values{f: d.f, t: d.dtype, raw: b, at: int64(d.addr + d.f.base), path: d.path}, nil
}

// Float64s returns every value converted to float64 (C order; array
// elements flattened). Any numeric, enum or bool type converts.
func (d *Dataset) Float64s() ([]float64, error) {
	v, err := d.values()
	if err != nil {
		return nil, err
	}
	return v.floats()
}

// Int64s returns every value of an integer, enum or bool dataset as int64.
func (d *Dataset) Int64s() ([]int64, error) {
	v, err := d.values()
	if err != nil {
		return nil, err
	}
	return v.ints()
}

// Uint64s returns every value of an unsigned (or non-negative) integer
// dataset as uint64.
func (d *Dataset) Uint64s() ([]uint64, error) {
	v, err := d.values()
	if err != nil {
		return nil, err
	}
	return v.uints()
}

// Strings returns every value of a string dataset.
func (d *Dataset) Strings() ([]string, error) {
	v, err := d.values()
	if err != nil {
		return nil, err
	}
	return v.strings()
}

// Bools returns every value of a bool (or integer: non-zero is true) dataset.
func (d *Dataset) Bools() ([]bool, error) {
	v, err := d.values()
	if err != nil {
		return nil, err
	}
	return v.bools()
}

// Value returns the dataset's value as Attribute.Value does: a Go scalar
// for a scalar dataspace, a slice otherwise, nil for a null dataspace.
func (d *Dataset) Value() (any, error) {
	v, err := d.values()
	if err != nil {
		return nil, err
	}
	return v.value(d.st.space)
}

func (d *Dataset) String() string {
	return fmt.Sprintf("dataset %s %v %s", d.path, d.Shape(), d.dtype)
}

// Attribute is an attribute of a group or dataset.
type Attribute struct {
	Name string
	// Shape is empty for a scalar and nil for a null dataspace.
	Shape []int
	Type  *Datatype

	f     *File
	space dataspace
	raw   []byte
	at    int64
	path  string // of the owner
}

// Value returns the attribute's value: for a scalar dataspace float64,
// int64 (Int and Enum), uint64 (Uint), string or bool; for others the slice
// of those ([]float64, []int64, []uint64, []string, []bool), flattened in C
// order (array-typed scalars give slices too); nil for a null dataspace.
func (a *Attribute) Value() (any, error) {
	v := &values{f: a.f, t: a.Type, raw: a.raw, at: a.at, path: a.path + " attribute " + a.Name}
	return v.value(a.space)
}

// Float64s, Int64s and Strings return the attribute's values as Dataset's
// methods of the same name do.
func (a *Attribute) Float64s() ([]float64, error) { return a.vals().floats() }

// Int64s: see Float64s.
func (a *Attribute) Int64s() ([]int64, error) { return a.vals().ints() }

// Strings: see Float64s.
func (a *Attribute) Strings() ([]string, error) { return a.vals().strings() }

func (a *Attribute) vals() *values {
	return &values{f: a.f, t: a.Type, raw: a.raw, at: a.at, path: a.path + " attribute " + a.Name}
}

// attributes lists an object's attributes: attribute messages in the
// header, and the dense storage named by an attribute info message
// ("Attribute Info Message": a fractal heap indexed by a v2 B-tree of
// record type 8).
func (f *File) attributes(oh *objectHeader, path string) ([]*Attribute, error) {
	var as []*Attribute
	for _, m := range oh.msgs {
		switch m.typ {
		case msgAttribute:
			a, err := f.parseAttribute(m.data, m.at, path)
			if err != nil {
				return nil, err
			}
			as = append(as, a)
		case msgAttrInfo:
			c := &cursor{f: f, b: m.data, at: m.at}
			c.u8() // version
			if c.u8()&1 != 0 {
				c.skip(2) // maximum creation index
			}
			heapAddr, nameIdx := c.addr(), c.addr()
			if c.err != nil {
				return nil, c.err
			}
			if heapAddr == undef || nameIdx == undef {
				continue
			}
			heap, err := f.fractalHeap(heapAddr)
			if err != nil {
				return nil, err
			}
			err = f.walkBTree2(nameIdx, func(rec []byte, at int64) error {
				if len(rec) < 9+1 {
					return errAt(at, "short attribute name record")
				}
				obj, err := heap.object(rec[:len(rec)-9], at)
				if err != nil {
					return err
				}
				a, err := f.parseAttribute(obj, at, path)
				if err != nil {
					return err
				}
				as = append(as, a)
				if len(as) > f.maxLinks() {
					return errAt(at, "too many attributes")
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}
	slices.SortFunc(as, func(a, b *Attribute) int { return strings.Compare(a.Name, b.Name) })
	return as, nil
}

// parseAttribute decodes an attribute message ("Attribute Message"),
// versions 1 (fields padded to 8 bytes), 2 and 3.
func (f *File) parseAttribute(b []byte, at int64, path string) (*Attribute, error) {
	c := &cursor{f: f, b: b, at: at}
	v := c.u8()
	flags := c.u8()
	nameLen := int(c.u16())
	dtLen := int(c.u16())
	dsLen := int(c.u16())
	if v == 3 {
		c.skip(1) // name character set
	} else if v != 1 && v != 2 {
		return nil, unsupportedAt(at, "attribute message version %d", v)
	}
	pad := func(n int) int {
		if v == 1 {
			return (n + 7) / 8 * 8
		}
		return n
	}
	nameAt := c.p
	name := c.cstring()
	c.p = nameAt
	c.skip(pad(nameLen))
	dtAt := c.off()
	dtBytes := c.bytes(pad(dtLen))
	dsAt := c.off()
	dsBytes := c.bytes(pad(dsLen))
	if c.err != nil {
		return nil, c.err
	}
	a := &Attribute{Name: name, f: f, path: path}
	if flags&1 != 0 {
		var err error
		dtBytes, dtAt, err = f.resolve(message{typ: msgDatatype, flags: 2, data: dtBytes, at: dtAt}, 0)
		if err != nil {
			return nil, err
		}
	}
	if flags&2 != 0 {
		var err error
		dsBytes, dsAt, err = f.resolve(message{typ: msgDataspace, flags: 2, data: dsBytes, at: dsAt}, 0)
		if err != nil {
			return nil, err
		}
	}
	t, err := f.parseDatatype(&cursor{f: f, b: dtBytes, at: dtAt}, 0)
	if err != nil {
		return nil, err
	}
	sp, err := f.parseDataspace(&cursor{f: f, b: dsBytes, at: dsAt})
	if err != nil {
		return nil, err
	}
	n, _ := sp.count()
	if n > uint64(c.rest())/uint64(t.Size) {
		return nil, errAt(at, "attribute %q: %d elements of %d bytes overrun its %d-byte message", name, n, t.Size, c.rest())
	}
	a.Type, a.space, a.Shape = t, sp, sp.shape()
	a.at = c.off()
	a.raw = c.bytes(int(n) * t.Size)
	return a, c.err
}

// values converts raw elements of type t.
type values struct {
	f    *File
	t    *Datatype
	raw  []byte
	at   int64
	path string
}

func (v *values) each(fn func(b []byte, at int64) error) error {
	st := v.t.scalar()
	for i := 0; i+st.Size <= len(v.raw); i += st.Size {
		if err := fn(v.raw[i:i+st.Size], v.at); err != nil {
			return err
		}
	}
	return nil
}

func (v *values) n() int { return len(v.raw) / v.t.scalar().Size }

func (v *values) wrongKind(want string) error {
	return &Error{Path: v.path, Offset: -1, Msg: fmt.Sprintf("cannot read %s values as %s", v.t, want)}
}

func isInteger(k Kind) bool { return k == Int || k == Uint || k == Bitfield || k == Enum || k == Bool }

func (v *values) floats() ([]float64, error) {
	st := v.t.scalar()
	if !isInteger(st.Kind) && st.Kind != Float {
		return nil, v.wrongKind("float64")
	}
	out := make([]float64, 0, v.n())
	v.each(func(b []byte, _ int64) error { out = append(out, st.floatAt(b)); return nil })
	return out, nil
}

func (v *values) ints() ([]int64, error) {
	st := v.t.scalar()
	if !isInteger(st.Kind) {
		return nil, v.wrongKind("int64")
	}
	out := make([]int64, 0, v.n())
	err := v.each(func(b []byte, _ int64) error {
		i, ok := st.intAt(b)
		if !ok {
			return &Error{Path: v.path, Offset: -1, Msg: fmt.Sprintf("value %d overflows int64", st.uintAt(b))}
		}
		out = append(out, i)
		return nil
	})
	return out, err
}

func (v *values) uints() ([]uint64, error) {
	st := v.t.scalar()
	if !isInteger(st.Kind) {
		return nil, v.wrongKind("uint64")
	}
	out := make([]uint64, 0, v.n())
	err := v.each(func(b []byte, _ int64) error {
		if st.Kind == Int || st.Kind == Enum || st.Kind == Bool {
			i, _ := st.intAt(b)
			if i < 0 {
				return &Error{Path: v.path, Offset: -1, Msg: fmt.Sprintf("negative value %d read as uint64", i)}
			}
			out = append(out, uint64(i))
			return nil
		}
		out = append(out, st.uintAt(b))
		return nil
	})
	return out, err
}

func (v *values) bools() ([]bool, error) {
	st := v.t.scalar()
	if !isInteger(st.Kind) {
		return nil, v.wrongKind("bool")
	}
	out := make([]bool, 0, v.n())
	v.each(func(b []byte, _ int64) error { out = append(out, st.uintAt(b) != 0); return nil })
	return out, nil
}

func (v *values) strings() ([]string, error) {
	st := v.t.scalar()
	if st.Kind != String {
		return nil, v.wrongKind("string")
	}
	out := make([]string, 0, v.n())
	err := v.each(func(b []byte, at int64) error {
		s, err := v.f.stringAt(st, b, at)
		if err != nil {
			return withPath(err, v.path)
		}
		out = append(out, s)
		return nil
	})
	return out, err
}

func (v *values) value(sp dataspace) (any, error) {
	if sp.kind == spaceNull {
		return nil, nil
	}
	st := v.t.scalar()
	one := sp.kind == spaceScalar && v.t.Kind != Array
	var out any
	var err error
	switch st.Kind {
	case Float:
		out, err = v.floats()
	case Int, Enum:
		out, err = v.ints()
	case Uint, Bitfield:
		out, err = v.uints()
	case Bool:
		out, err = v.bools()
	case String:
		out, err = v.strings()
	default:
		return nil, &Error{Path: v.path, Offset: -1, Msg: fmt.Sprintf("values of type %s", v.t), Err: ErrUnsupported}
	}
	if err != nil || !one {
		return out, err
	}
	switch s := out.(type) {
	case []float64:
		if len(s) == 1 {
			return s[0], nil
		}
	case []int64:
		if len(s) == 1 {
			return s[0], nil
		}
	case []uint64:
		if len(s) == 1 {
			return s[0], nil
		}
	case []bool:
		if len(s) == 1 {
			return s[0], nil
		}
	case []string:
		if len(s) == 1 {
			return s[0], nil
		}
	}
	return nil, &Error{Path: v.path, Offset: -1, Msg: "scalar without a value"}
}
