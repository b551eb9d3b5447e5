package compiler

import (
	"fmt"
	"math/bits"

	"github.com/somahw/soma/program"
)

// keyLayout is the zoned split of a 32-bit key: zone | slice | stage |
// neuron. Zones 0 … P−1 are the populations; zones P … 2P−1 their delay
// extensions, whose stage field numbers the delay stage (0 for ordinary
// vertices).
type keyLayout struct {
	zoneBits, sliceBits, stageBits, indexBits int
}

// allocateKeys gives every vertex a key space, zoned as PACMAN's allocator
// does: the population in the top bits, the slice within it next, then the
// delay stage, the neuron index at the bottom. One mask (all but the index
// bits) serves every key space packets are sent on, so a routing entry
// covers one slice (or one delay stage of one slice), and merging two
// slices of a population is clearing one slice bit.
func allocateKeys(s *state) error {
	maxN, maxSlices, maxStages := 1, 1, 0
	for _, vs := range s.popVerts {
		maxSlices = max(maxSlices, len(vs))
		for _, v := range vs {
			maxN = max(maxN, v.n)
		}
	}
	zones := len(s.popVerts)
	for _, dv := range s.delayOf {
		maxStages = max(maxStages, dv.stages)
	}
	if maxStages > 0 {
		zones *= 2
	}
	kl := keyLayout{
		zoneBits:  bits.Len(uint(zones - 1)),
		sliceBits: bits.Len(uint(maxSlices - 1)),
		stageBits: bits.Len(uint(max(maxStages, 1) - 1)),
		indexBits: indexBits(maxN),
	}
	if total := kl.zoneBits + kl.sliceBits + kl.stageBits + kl.indexBits; total > s.t.Router.KeyBits {
		return fmt.Errorf("keys need %d bits (%d populations, up to %d slices, %d delay stages, up to %d neurons a slice) but %s keys have %d",
			total, len(s.popVerts), maxSlices, maxStages, maxN, s.t.Name, s.t.Router.KeyBits)
	}
	s.keys = kl
	low := kl.stageBits + kl.indexBits
	for pop, vs := range s.popVerts {
		for slice, v := range vs {
			v.key = uint32(pop)<<(kl.sliceBits+low) | uint32(slice)<<low
			v.mask = ^uint32(1<<kl.indexBits - 1)
			if dv := s.delayOf[v]; dv != nil {
				dv.key = uint32(len(s.popVerts)+pop)<<(kl.sliceBits+low) | uint32(slice)<<low
				dv.mask = ^uint32(1<<low - 1) // the whole space: every stage
			}
		}
	}
	return nil
}

// checkKeys: key spaces are disjoint and each holds its neurons.
func checkKeys(s *state) error {
	seen := map[uint32]*vertex{}
	for _, v := range s.verts {
		need := uint64(v.n)
		if v.kind == program.DelayCore {
			need = uint64(v.stages) << s.keys.indexBits
		}
		if v.key&^v.mask != 0 || uint64(^v.mask)+1 < need {
			return fmt.Errorf("vertex %s[%d]: key %08x/%08x cannot number %d neurons", s.popName(v.pop), v.lo, v.key, v.mask, v.n)
		}
		if other := seen[v.key]; other != nil {
			return fmt.Errorf("vertices %s[%d] and %s[%d] share key %08x", s.popName(other.pop), other.lo, s.popName(v.pop), v.lo, v.key)
		}
		seen[v.key] = v
	}
	return nil
}
