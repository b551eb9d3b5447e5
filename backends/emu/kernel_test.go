package emu

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"github.com/somahw/soma/program"
)

// TestKernelLayout checks the offsets kernel_amd64.s uses.
func TestKernelLayout(t *testing.T) {
	var k ifceKernel
	got := map[string]uintptr{
		"v": unsafe.Offsetof(k.v), "refT": unsafe.Offsetof(k.refT), "isE": unsafe.Offsetof(k.isE),
		"isI": unsafe.Offsetof(k.isI), "ringE": unsafe.Offsetof(k.ringE), "ringI": unsafe.Offsetof(k.ringI),
		"spikes": unsafe.Offsetof(k.spikes), "n": unsafe.Offsetof(k.n), "sE": unsafe.Offsetof(k.sE),
		"sI": unsafe.Offsetof(k.sI), "initE": unsafe.Offsetof(k.initE), "initEFix": unsafe.Offsetof(k.initEFix),
		"initI": unsafe.Offsetof(k.initI), "initIFix": unsafe.Offsetof(k.initIFix), "decE": unsafe.Offsetof(k.decE),
		"decEFix": unsafe.Offsetof(k.decEFix), "decI": unsafe.Offsetof(k.decI), "decIFix": unsafe.Offsetof(k.decIFix),
		"r": unsafe.Offsetof(k.r), "expTC": unsafe.Offsetof(k.expTC), "iOff": unsafe.Offsetof(k.iOff),
		"vRest": unsafe.Offsetof(k.vRest), "vThMinus1": unsafe.Offsetof(k.vThMinus1),
		"vReset": unsafe.Offsetof(k.vReset), "refS": unsafe.Offsetof(k.refS),
	}
	want := map[string]uintptr{
		"v": 0, "refT": 8, "isE": 16, "isI": 24, "ringE": 32, "ringI": 40, "spikes": 48, "n": 56, "sE": 64, "sI": 72,
		"initE": 80, "initEFix": 112, "initI": 144, "initIFix": 176, "decE": 208, "decEFix": 240, "decI": 272,
		"decIFix": 304, "r": 336, "expTC": 368, "iOff": 400, "vRest": 432, "vThMinus1": 464, "vReset": 496, "refS": 528,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ifceKernel layout differs from kernel_amd64.s (-asm +Go):\n%s", d)
	}
}

// randomIFCECore makes a uniform if_curr_exp core of n neurons in
// SpiNNaker's formats with random state, parameters and ring input,
// including extreme values, so that wrapping arithmetic is exercised.
func randomIFCECore(rng *rand.Rand, n int) *core {
	pick := func(typical int32) int32 {
		switch rng.IntN(8) {
		case 0:
			return int32(rng.Uint32())
		case 1:
			return []int32{math.MinInt32 + 1, math.MaxInt32, 0, -1, 1}[rng.IntN(5)]
		default:
			return typical + int32(rng.IntN(1<<16)) - 1<<15
		}
	}
	factor := func() uint32 {
		switch rng.IntN(4) {
		case 0:
			return rng.Uint32()
		case 1:
			return uint32(rng.IntN(1 << 31))
		default:
			return 1<<31 + uint32(rng.IntN(1<<31))
		}
	}
	one := func(x int32) []int32 { return slices.Repeat([]int32{x}, n) }
	oneU := func(x uint32) []uint32 { return slices.Repeat([]uint32{x}, n) }
	c := &core{n: n, model: "if_curr_exp", frac: 15, decayFrac: 32, uniform: true, pc: &program.Core{Key: 0x1200}}
	c.vRest, c.vReset, c.vTh = one(pick(-65<<15)), one(pick(-70<<15)), one(pick(-50<<15))
	c.r, c.expTC, c.iOff = one(pick(1<<15)), one(pick(30000)), one(pick(0))
	c.refSteps = one(int32(rng.IntN(30)))
	c.decE, c.decI, c.initE, c.initI = oneU(factor()), oneU(factor()), oneU(factor()), oneU(factor())
	c.shift = [2]uint{uint(rng.IntN(20)), uint(rng.IntN(20))}
	c.v, c.refTimer, c.isE, c.isI = make([]int32, n), make([]int32, n), make([]int32, n), make([]int32, n)
	for i := range n {
		c.v[i] = pick(-60 << 15)
		c.refTimer[i] = int32(rng.IntN(6)) - 1
		c.isE[i], c.isI[i] = pick(0), pick(0)
	}
	c.typeStride = (n + 7) &^ 7
	c.slotStride = 2 * c.typeStride
	c.ring = make([]uint32, 3*c.slotStride)
	// dense, sparse (most blocks of eight without input) or no input
	density := []int{3, 40, 0}[rng.IntN(3)]
	for i := range c.ring {
		if i%c.typeStride < n && density > 0 && rng.IntN(density) == 0 { // no synapse targets the padding
			c.ring[i] = rng.Uint32() >> rng.IntN(32)
		}
	}
	return c
}

func cloneCore(c *core) *core {
	d := *c
	d.v, d.refTimer, d.isE, d.isI = slices.Clone(c.v), slices.Clone(c.refTimer), slices.Clone(c.isE), slices.Clone(c.isI)
	d.ring = slices.Clone(c.ring)
	d.out = nil
	return &d
}

// TestKernelMatchesScalar runs the vectorised update and the scalar loop
// on the same random cores for a few steps and requires identical state,
// ring and spikes.
func TestKernelMatchesScalar(t *testing.T) {
	if !haveKernel {
		t.Skip("no vectorised kernel on this CPU (needs AVX2)")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	ran := 0
	for trial := range 300 {
		n := 1 + rng.IntN(70)
		scalar := randomIFCECore(rng, n)
		vec := cloneCore(scalar)
		vec.attachKernel()
		if vec.kernel == nil {
			continue
		}
		ran++
		for step := range 3 {
			base := step * scalar.slotStride
			scalar.updateIFCurrExpRange(base, 0)
			vec.updateIFCurrExpUniform(base)
			type state struct{ V, Ref, E, I, Out, Ring []int32 }
			snap := func(c *core) state {
				r := make([]int32, len(c.ring))
				for i, x := range c.ring {
					r[i] = int32(x)
				}
				o := make([]int32, len(c.out))
				for i, x := range c.out {
					o[i] = int32(x)
				}
				return state{c.v, c.refTimer, c.isE, c.isI, o, r}
			}
			if d := cmp.Diff(snap(scalar), snap(vec)); d != "" {
				t.Fatalf("trial %d (n=%d) step %d: kernel differs from the scalar loop (-scalar +kernel):\n%s", trial, n, step, d)
			}
		}
	}
	if ran < 200 {
		t.Fatalf("the kernel ran on only %d of 300 random cores", ran)
	}
}
