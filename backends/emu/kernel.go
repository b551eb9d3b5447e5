package emu

import (
	"math"
	"math/bits"
)

// ifceKernel holds what the vectorised if_curr_exp update needs for one
// core: pointers to the state and this step's ring slot, the weight shifts,
// and the parameters. Field order and sizes are the assembly's offsets
// (kernel_amd64.s); keep them together.
type ifceKernel struct {
	v, refT, isE, isI *int32      // 0, 8, 16, 24
	ringE, ringI      *uint32     // 32, 40: this step's ring slot
	spikes            *uint8      // 48: one bit per neuron
	n                 int         // 56: neurons, padded to kernelLanes
	sE, sI            uint64      // 64, 72: ring → state shifts
	params            *ifceParams // 80
}

// ifceParams is a population's parameters in eight lanes, 32 bytes each,
// so the assembly reads them as memory operands. Cores with the same
// parameters share one (attachKernel), which then stays in cache across
// the step's cores. The u0.32 factors are held as signed words, and the
// *Fix masks are all ones where the factor is ≥ 2³¹: then
// hi(x·c) = hi(x·int32(c)) + x.
type ifceParams struct {
	initE, initEFix, initI, initIFix [8]int32 // 0, 32, 64, 96
	decE, decEFix, decI, decIFix     [8]int32 // 128, 160, 192, 224
	r, expTC, iOff, vRest            [8]int32 // 256, 288, 320, 352
	vThMinus1, vReset, refS          [8]int32 // 384, 416, 448
}

// kernelLanes is the block the kernels run: sixteen where the CPU has
// AVX-512 (either kernel can then run: tests compare them), else eight.
var kernelLanes = map[bool]int{false: 8, true: 16}[hasAVX512]

// attachKernel prepares the vectorised update for a uniform if_curr_exp
// core in SpiNNaker's formats, once its state, parameters and weight
// shifts are decoded. It leaves c.kernel nil when the kernel cannot run
// the core bit-exactly (a threshold of −2³¹, whose "v ≥ θ" it writes as
// v > θ−1). The kernel runs whole blocks of kernelLanes: the state arrays
// get room for the padding lanes (their length stays n), and the ring's
// per-type blocks are already padded (core.typeStride).
//
// shared holds the parameter blocks made so far (nil: make one).
func (c *core) attachKernel(shared map[ifceParams]*ifceParams) {
	if c.vTh[0] == math.MinInt32 {
		return
	}
	padded := (c.n + kernelLanes - 1) &^ (kernelLanes - 1)
	pad := func(x []int32) []int32 {
		y := make([]int32, padded)
		copy(y, x)
		return y[:c.n]
	}
	c.v, c.refTimer, c.isE, c.isI = pad(c.v), pad(c.refTimer), pad(c.isE), pad(c.isI)
	k := &ifceKernel{n: padded, sE: uint64(c.shift[0] & 31), sI: uint64(c.shift[1] & 31)}
	var pr ifceParams
	lanes := func(dst *[8]int32, x int32) {
		for i := range dst {
			dst[i] = x
		}
	}
	factor := func(dst, fix *[8]int32, f uint32) {
		lanes(dst, int32(f))
		if f >= 1<<31 {
			lanes(fix, -1)
		}
	}
	factor(&pr.initE, &pr.initEFix, c.initE[0])
	factor(&pr.initI, &pr.initIFix, c.initI[0])
	factor(&pr.decE, &pr.decEFix, c.decE[0])
	factor(&pr.decI, &pr.decIFix, c.decI[0])
	lanes(&pr.r, c.r[0])
	lanes(&pr.expTC, c.expTC[0])
	lanes(&pr.iOff, c.iOff[0])
	lanes(&pr.vRest, c.vRest[0])
	lanes(&pr.vThMinus1, c.vTh[0]-1)
	lanes(&pr.vReset, c.vReset[0])
	lanes(&pr.refS, c.refSteps[0])
	if shared == nil {
		shared = map[ifceParams]*ifceParams{}
	}
	if k.params = shared[pr]; k.params == nil {
		k.params = &pr
		shared[pr] = k.params
	}
	c.spikeBits = make([]uint8, padded/8)
	c.spikeBytes = (c.n + 7) / 8
	c.lastLanes = uint8(1<<(c.n-8*(c.spikeBytes-1)) - 1)
	k.v, k.refT, k.isE, k.isI = &c.v[0], &c.refTimer[0], &c.isE[0], &c.isI[0]
	k.spikes = &c.spikeBits[0]
	c.kernel = k
}

// appendSpikes appends the keys of the neurons whose bits are set, in
// neuron order.
func appendSpikes(out []uint32, bitsPer8 []uint8, key uint32) []uint32 {
	for j, b := range bitsPer8 {
		for b != 0 {
			out = append(out, key|uint32(j*8+bits.TrailingZeros8(b)))
			b &= b - 1
		}
	}
	return out
}
