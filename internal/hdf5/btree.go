package hdf5

import (
	"bytes"
	"math/bits"
)

// maxTreeDepth bounds B-tree and heap recursion; real files stay below 10.
const maxTreeDepth = 64

// walkBTree1 visits the leaf entries of a version 1 B-tree ("Disk Format:
// Level 1A1 - Version 1 B-trees"). Node type 0 trees index group symbol
// nodes (key: a local heap offset), type 1 trees index raw data chunks (key:
// chunk size, filter mask and chunk offsets). keySize is the size of one key;
// fn gets each leaf key and child address. Nodes are visited at most once
// and levels must decrease towards the leaves, so cycles end with an error.
func (f *File) walkBTree1(addr uint64, typ uint8, keySize int, fn func(key []byte, keyAt int64, child uint64) error) error {
	seen := map[uint64]bool{}
	budget := f.treeBudget()
	var walk func(addr uint64, wantLevel int) error
	walk = func(addr uint64, wantLevel int) error {
		if seen[addr] {
			return errAt(int64(addr+f.base), "B-tree node visited twice (cycle)")
		}
		seen[addr] = true
		hdr := 4 + 1 + 1 + 2 + 2*f.offSize
		c, err := f.cursorAt(addr, uint64(hdr))
		if err != nil {
			return err
		}
		if !bytes.Equal(c.bytes(4), []byte("TREE")) {
			return errAt(c.at, "expected B-tree node signature TREE")
		}
		if t := c.u8(); t != typ {
			return errAt(c.at, "B-tree node type %d, want %d", t, typ)
		}
		level := int(c.u8())
		n := int(c.u16())
		if wantLevel >= 0 && level != wantLevel {
			return errAt(c.at, "B-tree node level %d, want %d", level, wantLevel)
		}
		if level > maxTreeDepth {
			return errAt(c.at, "B-tree node level %d too deep", level)
		}
		entry := keySize + f.offSize
		if !budget.spend(hdr + n*entry + keySize) {
			return errAt(c.at, "B-tree nodes add up to more than the file (overlapping nodes)")
		}
		c, err = f.cursorAt(addr+uint64(hdr), uint64(n*entry+keySize))
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			keyAt := c.off()
			key := c.bytes(keySize)
			child := c.addr()
			if c.err != nil {
				return c.err
			}
			if level == 0 {
				if err := fn(key, keyAt, child); err != nil {
					return err
				}
			} else if err := walk(child, level-1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(addr, -1)
}

// bt2 is the header of a version 2 B-tree ("Disk Format: Level 1A2 -
// Version 2 B-trees"), with the derived field widths the library computes
// in H5B2__hdr_init.
type bt2 struct {
	typ      uint8
	nodeSize uint64
	recSize  int
	depth    int
	root     uint64
	rootN    int
	// maxRecSize is the width of "Number of Records for Child Node";
	// cumSize[d] the width of "Total Number of Records for Child Node" in
	// nodes at depth d.
	maxRecSize int
	cumSize    []int
	maxRec     []uint64
}

// walkBTree2 visits every record of the version 2 B-tree whose header is at
// addr, in no particular order.
func (f *File) walkBTree2(addr uint64, fn func(rec []byte, at int64) error) error {
	c, err := f.cursorAt(addr, uint64(4+1+1+4+2+2+1+1+f.offSize+2+f.lenSize+4))
	if err != nil {
		return err
	}
	if !bytes.Equal(c.bytes(4), []byte("BTHD")) {
		return errAt(c.at, "expected v2 B-tree header signature BTHD")
	}
	if v := c.u8(); v != 0 {
		return unsupportedAt(c.at, "v2 B-tree header version %d", v)
	}
	h := &bt2{typ: c.u8(), nodeSize: uint64(c.u32()), recSize: int(c.u16()), depth: int(c.u16())}
	c.skip(2) // split and merge percents
	h.root = c.addr()
	h.rootN = int(c.u16())
	total := c.length()
	if c.err != nil {
		return c.err
	}
	if h.root == undef || total == 0 {
		return nil
	}
	const prefix = 4 + 1 + 1 + 4 // signature, version, type, checksum
	if h.recSize == 0 || h.nodeSize <= prefix || h.nodeSize > uint64(f.size) || h.depth > maxTreeDepth {
		return errAt(c.at, "v2 B-tree header: node size %d, record size %d, depth %d", h.nodeSize, h.recSize, h.depth)
	}
	h.maxRec = make([]uint64, h.depth+1)
	h.cumSize = make([]int, h.depth+1)
	cum := make([]uint64, h.depth+1)
	h.maxRec[0] = (h.nodeSize - prefix) / uint64(h.recSize)
	if h.maxRec[0] == 0 {
		return errAt(c.at, "v2 B-tree node holds no records")
	}
	cum[0] = h.maxRec[0]
	h.maxRecSize = bytesNeeded(h.maxRec[0])
	for d := 1; d <= h.depth; d++ {
		ptr := uint64(f.offSize + h.maxRecSize)
		if d > 1 {
			ptr += uint64(h.cumSize[d-1])
		}
		if h.nodeSize < prefix+ptr {
			return errAt(c.at, "v2 B-tree node too small")
		}
		h.maxRec[d] = (h.nodeSize - (prefix + ptr)) / (uint64(h.recSize) + ptr)
		if hi, lo := bits.Mul64(h.maxRec[d]+1, cum[d-1]); hi != 0 || lo+h.maxRec[d] < lo {
			cum[d] = ^uint64(0) // the width saturates at 8 bytes
		} else {
			cum[d] = lo + h.maxRec[d]
		}
		h.cumSize[d] = bytesNeeded(cum[d])
	}
	seen := map[uint64]bool{}
	budget := f.treeBudget()
	var walk func(addr uint64, n, depth int) error
	walk = func(addr uint64, n, depth int) error {
		if seen[addr] {
			return errAt(int64(addr+f.base), "v2 B-tree node visited twice (cycle)")
		}
		seen[addr] = true
		if !budget.spend(int(h.nodeSize)) {
			return errAt(int64(addr+f.base), "v2 B-tree nodes add up to more than the file (overlapping nodes)")
		}
		if uint64(n) > h.maxRec[depth] {
			return errAt(int64(addr+f.base), "v2 B-tree node claims %d records, at most %d fit", n, h.maxRec[depth])
		}
		c, err := f.cursorAt(addr, h.nodeSize)
		if err != nil {
			return err
		}
		sig := "BTLF"
		if depth > 0 {
			sig = "BTIN"
		}
		if !bytes.Equal(c.bytes(4), []byte(sig)) {
			return errAt(c.at, "expected v2 B-tree node signature %s", sig)
		}
		c.skip(1)
		if t := c.u8(); t != h.typ {
			return errAt(c.at, "v2 B-tree node type %d, want %d", t, h.typ)
		}
		for i := 0; i < n; i++ {
			at := c.off()
			rec := c.bytes(h.recSize)
			if c.err != nil {
				return c.err
			}
			if err := fn(rec, at); err != nil {
				return err
			}
		}
		if depth == 0 {
			return c.err
		}
		for i := 0; i <= n; i++ {
			child := c.addr()
			cn := int(c.uvar(h.maxRecSize))
			if depth > 1 {
				c.uvar(h.cumSize[depth-1])
			}
			if c.err != nil {
				return c.err
			}
			if err := walk(child, cn, depth-1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(h.root, h.rootN, h.depth)
}

// budget bounds the bytes a walk may read. Nodes of a valid tree (or blocks
// of an object header) never overlap, so together they fit in the file; a
// hostile file reusing bytes for many nodes runs out of budget instead of
// taking quadratic time.
type budget struct{ left int64 }

func (f *File) treeBudget() *budget { return &budget{left: f.size + 4096} }

func (b *budget) spend(n int) bool {
	b.left -= int64(n)
	return b.left >= 0
}
