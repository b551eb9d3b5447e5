package hdf5

import "math/bits"

type spaceKind int

const (
	spaceScalar spaceKind = iota
	spaceSimple
	spaceNull
)

// dataspace is a decoded dataspace message ("Disk Format: Level 2A2 -
// Dataspace Message"), versions 1 and 2.
type dataspace struct {
	kind    spaceKind
	dims    []uint64
	maxDims []uint64 // nil when not stored (then equal to dims)
}

func (f *File) parseDataspace(c *cursor) (dataspace, error) {
	at := c.off()
	var s dataspace
	v := c.u8()
	rank := int(c.u8())
	flags := c.u8()
	switch v {
	case 1:
		c.skip(5)
		if rank == 0 {
			s.kind = spaceScalar
		} else {
			s.kind = spaceSimple
		}
	case 2:
		switch c.u8() {
		case 0:
			s.kind = spaceScalar
		case 1:
			s.kind = spaceSimple
		case 2:
			s.kind = spaceNull
		default:
			return s, errAt(at, "unknown dataspace type")
		}
	default:
		return s, unsupportedAt(at, "dataspace version %d", v)
	}
	if rank > 32 {
		return s, errAt(at, "dataspace of rank %d (the library allows 32)", rank)
	}
	if s.kind != spaceSimple && rank != 0 {
		return s, errAt(at, "scalar or null dataspace with rank %d", rank)
	}
	for i := 0; i < rank; i++ {
		s.dims = append(s.dims, c.length())
	}
	if flags&1 != 0 {
		for i := 0; i < rank; i++ {
			s.maxDims = append(s.maxDims, c.length())
		}
	}
	if c.err != nil {
		return s, c.err
	}
	if s.kind == spaceSimple && s.dims == nil {
		s.dims = []uint64{}
	}
	if _, ok := s.count(); !ok {
		return s, errAt(at, "dataspace %v has too many elements", s.dims)
	}
	return s, nil
}

// count is the number of elements; ok is false on overflow past 2^62.
func (s dataspace) count() (uint64, bool) {
	switch s.kind {
	case spaceNull:
		return 0, true
	case spaceScalar:
		return 1, true
	}
	n := uint64(1)
	for _, d := range s.dims {
		if d > 1<<62 {
			return 0, false
		}
		hi, lo := bits.Mul64(n, d)
		if hi != 0 || lo > 1<<62 {
			return 0, false
		}
		n = lo
	}
	return n, true
}

// shape is the public form: nil for a null dataspace, empty for a scalar.
func (s dataspace) shape() []int {
	switch s.kind {
	case spaceNull:
		return nil
	case spaceScalar:
		return []int{}
	}
	out := make([]int, len(s.dims))
	for i, d := range s.dims {
		out[i] = int(d)
	}
	return out
}
