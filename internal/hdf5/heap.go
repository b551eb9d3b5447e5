package hdf5

import (
	"bytes"
	"encoding/binary"
)

// localHeap is a group's local heap ("Disk Format: Level 1D - Local Heaps"),
// holding the link names of an old-style group.
type localHeap struct{ data []byte }

func (f *File) localHeap(addr uint64) (*localHeap, error) {
	c, err := f.cursorAt(addr, uint64(4+1+3+2*f.lenSize+f.offSize))
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(c.bytes(4), []byte("HEAP")) {
		return nil, errAt(c.at, "expected local heap signature HEAP")
	}
	c.skip(4) // version, reserved
	size := c.length()
	c.length() // free list offset
	data := c.addr()
	if c.err != nil {
		return nil, c.err
	}
	b, err := f.read(data, size)
	if err != nil {
		return nil, err
	}
	return &localHeap{b}, nil
}

func (h *localHeap) str(off uint64) (string, bool) {
	if off >= uint64(len(h.data)) {
		return "", false
	}
	b := h.data[off:]
	i := bytes.IndexByte(b, 0)
	if i < 0 {
		return "", false
	}
	return string(b[:i]), true
}

// globalHeap is one global heap collection ("Disk Format: Level 1E - Global
// Heap"), which stores variable-length data such as h5py's str values.
type globalHeap struct {
	objs map[uint16][]byte
	err  error
}

func (f *File) globalHeapObject(addr uint64, index uint32) ([]byte, error) {
	f.mu.Lock()
	h := f.gheaps[addr]
	f.mu.Unlock()
	if h == nil {
		h = &globalHeap{}
		h.objs, h.err = f.parseGlobalHeap(addr)
		f.mu.Lock()
		f.gheaps[addr] = h
		f.mu.Unlock()
	}
	if h.err != nil {
		return nil, h.err
	}
	b, ok := h.objs[uint16(index)]
	if !ok || index > 0xffff {
		return nil, errAt(int64(addr+f.base), "global heap collection has no object %d", index)
	}
	return b, nil
}

func (f *File) parseGlobalHeap(addr uint64) (map[uint16][]byte, error) {
	c, err := f.cursorAt(addr, uint64(8+f.lenSize))
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(c.bytes(4), []byte("GCOL")) {
		return nil, errAt(c.at, "expected global heap signature GCOL")
	}
	c.skip(4)
	size := c.length()
	if c.err != nil {
		return nil, c.err
	}
	c, err = f.cursorAt(addr, size)
	if err != nil {
		return nil, err
	}
	c.skip(8 + f.lenSize)
	objs := map[uint16][]byte{}
	for c.rest() >= 8+f.lenSize {
		idx := c.u16()
		c.skip(6) // reference count, reserved
		n := c.length()
		if idx == 0 {
			break // free space: the rest of the collection
		}
		if n > uint64(c.rest()) {
			return nil, errAt(c.off(), "global heap object %d of %d bytes overruns its collection", idx, n)
		}
		objs[idx] = c.bytes(int(n))
		c.skip(min(int((8-n%8)%8), c.rest()))
	}
	return objs, c.err
}

// fractalHeap is a fractal heap header ("Disk Format: Level 1D - Fractal
// Heap"), used for dense link and attribute storage.
type fractalHeap struct {
	f          *File
	at         int64
	idLen      int
	filtered   bool
	maxManaged uint64
	width      uint64
	start      uint64
	maxDirect  uint64
	maxBits    int
	root       uint64
	rows       int
	offSize    int // width of a heap ID's offset and of block offsets
	lenSize    int // width of a heap ID's length
	maxDRows   int // rows of direct blocks in an indirect block
}

func (f *File) fractalHeap(addr uint64) (*fractalHeap, error) {
	n := 4 + 1 + 2 + 2 + 1 + 4 + 12*f.lenSize + 3*f.offSize + 2 + 2 + 2 + 2
	c, err := f.cursorAt(addr, uint64(n))
	if err != nil {
		return nil, err
	}
	if !bytes.Equal(c.bytes(4), []byte("FRHP")) {
		return nil, errAt(c.at, "expected fractal heap signature FRHP")
	}
	if v := c.u8(); v != 0 {
		return nil, unsupportedAt(c.at, "fractal heap version %d", v)
	}
	h := &fractalHeap{f: f, at: c.at}
	h.idLen = int(c.u16())
	h.filtered = c.u16() != 0
	c.skip(1) // flags
	h.maxManaged = uint64(c.u32())
	c.length() // next huge object ID
	c.addr()   // huge object B-tree
	c.length() // free space in managed blocks
	c.addr()   // free space manager
	for i := 0; i < 8; i++ {
		c.length() // managed/allocated space, iterator offset, object counts and sizes
	}
	h.width = uint64(c.u16())
	h.start = c.length()
	h.maxDirect = c.length()
	h.maxBits = int(c.u16())
	c.u16() // starting number of rows in root indirect block
	h.root = c.addr()
	h.rows = int(c.u16())
	if c.err != nil {
		return nil, c.err
	}
	pow2 := func(v uint64) bool { return v != 0 && v&(v-1) == 0 }
	if !pow2(h.width) || !pow2(h.start) || !pow2(h.maxDirect) || h.maxDirect < h.start ||
		h.maxBits < 1 || h.maxBits > 64 || h.rows > 64 {
		return nil, errAt(c.at, "fractal heap: bad doubling table (width %d, start %d, max direct %d, max heap bits %d, rows %d)",
			h.width, h.start, h.maxDirect, h.maxBits, h.rows)
	}
	h.offSize = (h.maxBits + 7) / 8
	h.lenSize = min((log2floor(h.maxDirect)+7)/8, bytesNeeded(h.maxManaged))
	h.maxDRows = log2floor(h.maxDirect) - log2floor(h.start) + 2
	return h, nil
}

func (h *fractalHeap) rowSize(r int) uint64 {
	if r == 0 {
		return h.start
	}
	return h.start << uint(r-1)
}

// object returns the object a heap ID names ("Fractal Heap ID" encoding):
// managed objects in direct blocks and tiny objects stored in the ID itself.
func (h *fractalHeap) object(id []byte, at int64) ([]byte, error) {
	if len(id) < 1 {
		return nil, errAt(at, "empty fractal heap ID")
	}
	if id[0]>>6 != 0 {
		return nil, unsupportedAt(at, "fractal heap ID version %d", id[0]>>6)
	}
	switch (id[0] >> 4) & 3 {
	case 0: // managed
	case 2: // tiny
		n := int(id[0]&0x0f) + 1
		d := id[1:]
		if h.idLen > 18 {
			if len(id) < 2 {
				return nil, errAt(at, "short tiny heap ID")
			}
			n = int(id[0]&0x0f)<<8 | int(id[1]) + 1
			d = id[2:]
		}
		if n > len(d) {
			return nil, errAt(at, "tiny heap object of %d bytes in a %d-byte ID", n, len(id))
		}
		return d[:n], nil
	default:
		return nil, unsupportedAt(at, "huge fractal heap object")
	}
	if h.filtered {
		return nil, unsupportedAt(at, "filtered fractal heap")
	}
	c := &cursor{f: h.f, b: id, at: at, p: 1}
	off := c.uvar(h.offSize)
	n := c.uvar(h.lenSize)
	if c.err != nil {
		return nil, c.err
	}
	if h.root == undef {
		return nil, errAt(at, "fractal heap is empty")
	}
	if h.rows == 0 {
		// The root is a single direct block of the starting size.
		if off > h.start || n > h.start-off {
			return nil, errAt(at, "heap object [%d,+%d) outside the %d-byte root block", off, n, h.start)
		}
		return h.f.read(h.root+off, n)
	}
	block, nrows, blockOff := h.root, h.rows, uint64(0)
	firstRowBits := log2floor(h.start) + log2floor(h.width)
	for depth := 0; depth < maxTreeDepth; depth++ {
		rel := off - blockOff
		var acc uint64
		r := 0
		for ; r < nrows; r++ {
			span := h.width * h.rowSize(r)
			if rel < acc+span {
				break
			}
			acc += span
		}
		if r == nrows {
			return nil, errAt(at, "heap offset %d outside indirect block", off)
		}
		col := (rel - acc) / h.rowSize(r)
		idx := uint64(r)*h.width + col
		// "Fractal Heap Indirect Block": signature, version, heap header
		// address and block offset, then one address per child block,
		// direct rows first (filtered heaps, whose direct entries are
		// larger, are rejected above).
		pos := uint64(4+1+h.f.offSize+h.offSize) + idx*uint64(h.f.offSize)
		c, err := h.f.cursorAt(block+pos, uint64(h.f.offSize))
		if err != nil {
			return nil, err
		}
		child := c.addr()
		if child == undef {
			return nil, errAt(at, "heap object in an unallocated block")
		}
		within := rel - acc - col*h.rowSize(r)
		if r < h.maxDRows {
			if n > h.rowSize(r)-within {
				return nil, errAt(at, "heap object overruns its direct block")
			}
			return h.f.read(child+within, n)
		}
		block = child
		blockOff += acc + col*h.rowSize(r)
		nrows = log2floor(h.rowSize(r)) - firstRowBits + 1
		if nrows < 1 || nrows > 64 {
			return nil, errAt(at, "fractal heap: bad child indirect block")
		}
	}
	return nil, errAt(at, "fractal heap too deep")
}

var le = binary.LittleEndian
