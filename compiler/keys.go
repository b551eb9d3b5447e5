package compiler

import (
	"fmt"
	"math/bits"
)

// keyLayout is the zoned split of a 32-bit key: population | slice | neuron.
type keyLayout struct {
	popBits, sliceBits, indexBits int
}

// allocateKeys gives every vertex a key space, zoned as PACMAN's allocator
// does: the population number in the top bits, the slice within it next,
// the neuron index at the bottom. One mask (all but the index bits) serves
// every vertex, so a routing entry covers one slice and merging two slices
// of a population is clearing one slice bit.
func allocateKeys(s *state) error {
	maxN, maxSlices := 1, 1
	for _, vs := range s.popVerts {
		maxSlices = max(maxSlices, len(vs))
		for _, v := range vs {
			maxN = max(maxN, v.n)
		}
	}
	kl := keyLayout{
		popBits:   bits.Len(uint(len(s.popVerts) - 1)),
		sliceBits: bits.Len(uint(maxSlices - 1)),
		indexBits: indexBits(maxN),
	}
	if total := kl.popBits + kl.sliceBits + kl.indexBits; total > s.t.Router.KeyBits {
		return fmt.Errorf("keys need %d bits (%d populations, up to %d slices, up to %d neurons a slice) but %s keys have %d",
			total, len(s.popVerts), maxSlices, maxN, s.t.Name, s.t.Router.KeyBits)
	}
	mask := ^uint32(1<<kl.indexBits - 1)
	for pop, vs := range s.popVerts {
		for slice, v := range vs {
			v.key = uint32(pop)<<(kl.sliceBits+kl.indexBits) | uint32(slice)<<kl.indexBits
			v.mask = mask
		}
	}
	return nil
}

// checkKeys: key spaces are disjoint and each holds its neurons.
func checkKeys(s *state) error {
	seen := map[uint32]*vertex{}
	for _, v := range s.verts {
		if v.key&^v.mask != 0 || uint64(^v.mask)+1 < uint64(v.n) {
			return fmt.Errorf("vertex %s[%d]: key %08x/%08x cannot number %d neurons", s.popName(v.pop), v.lo, v.key, v.mask, v.n)
		}
		if other := seen[v.key]; other != nil {
			return fmt.Errorf("vertices %s[%d] and %s[%d] share key %08x", s.popName(other.pop), other.lo, s.popName(v.pop), v.lo, v.key)
		}
		seen[v.key] = v
	}
	return nil
}
