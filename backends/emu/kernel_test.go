package emu

import (
	"fmt"
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
	var p ifceParams
	got := map[string]uintptr{
		"v": unsafe.Offsetof(k.v), "refT": unsafe.Offsetof(k.refT), "isE": unsafe.Offsetof(k.isE),
		"isI": unsafe.Offsetof(k.isI), "ringE": unsafe.Offsetof(k.ringE), "ringI": unsafe.Offsetof(k.ringI),
		"spikes": unsafe.Offsetof(k.spikes), "n": unsafe.Offsetof(k.n), "sE": unsafe.Offsetof(k.sE),
		"sI": unsafe.Offsetof(k.sI), "params": unsafe.Offsetof(k.params),
		"p.initE": unsafe.Offsetof(p.initE), "p.initEFix": unsafe.Offsetof(p.initEFix),
		"p.initI": unsafe.Offsetof(p.initI), "p.initIFix": unsafe.Offsetof(p.initIFix), "p.decE": unsafe.Offsetof(p.decE),
		"p.decEFix": unsafe.Offsetof(p.decEFix), "p.decI": unsafe.Offsetof(p.decI), "p.decIFix": unsafe.Offsetof(p.decIFix),
		"p.r": unsafe.Offsetof(p.r), "p.expTC": unsafe.Offsetof(p.expTC), "p.iOff": unsafe.Offsetof(p.iOff),
		"p.vRest": unsafe.Offsetof(p.vRest), "p.vThMinus1": unsafe.Offsetof(p.vThMinus1),
		"p.vReset": unsafe.Offsetof(p.vReset), "p.refS": unsafe.Offsetof(p.refS),
	}
	want := map[string]uintptr{
		"v": 0, "refT": 8, "isE": 16, "isI": 24, "ringE": 32, "ringI": 40, "spikes": 48, "n": 56, "sE": 64, "sI": 72,
		"params": 80, "p.initE": 0, "p.initEFix": 32, "p.initI": 64, "p.initIFix": 96, "p.decE": 128, "p.decEFix": 160,
		"p.decI": 192, "p.decIFix": 224, "p.r": 256, "p.expTC": 288, "p.iOff": 320, "p.vRest": 352, "p.vThMinus1": 384,
		"p.vReset": 416, "p.refS": 448,
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
			return rng.Uint32() >> 1
		default:
			return 1<<31 | rng.Uint32()>>1
		}
	}
	one := func(x int32) []int32 { return slices.Repeat([]int32{x}, n) }
	oneU := func(x uint32) []uint32 { return slices.Repeat([]uint32{x}, n) }
	c := &core{n: n, model: "if_curr_exp", frac: 15, decayFrac: 32, uniform: true, key: 0x1200, pc: &program.Core{Key: 0x1200}}
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
	c.typeStride = (n + 15) &^ 15
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
	defer func(was bool) { useAVX512 = was }(useAVX512)
	for _, avx512 := range []bool{false, true} {
		t.Run(map[bool]string{false: "avx2", true: "avx512"}[avx512], func(t *testing.T) {
			if avx512 && !hasAVX512 {
				t.Skip("no AVX-512F/DQ on this CPU")
			}
			useAVX512 = avx512
			kernelMatchesScalar(t)
		})
	}
}

func kernelMatchesScalar(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ran := 0
	for trial := range 300 {
		n := 1 + rng.IntN(70)
		scalar := randomIFCECore(rng, n)
		vec := cloneCore(scalar)
		vec.attachKernel(nil)
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

// BenchmarkKernel measures the vectorised update alone, per neuron, on one
// core (its state in L1) and on 48 cores of 83 (CUBA's partition on
// SpiNNaker targets: the state of all of them is in L2).
func BenchmarkKernel(b *testing.B) {
	if !haveKernel {
		b.Skip("no AVX2 on this machine")
	}
	defer func(was bool) { useAVX512 = was }(useAVX512)
	for _, tc := range []struct {
		cores, n int
		avx512   bool
	}{{1, 88, false}, {1, 4000, false}, {48, 83, false}, {1, 88, true}, {1, 4000, true}, {48, 83, true}} {
		name := fmt.Sprintf("%dx%d/%s", tc.cores, tc.n, map[bool]string{false: "avx2", true: "avx512"}[tc.avx512])
		b.Run(name, func(b *testing.B) {
			if tc.avx512 && !hasAVX512 {
				b.Skip("no AVX-512F/DQ on this CPU")
			}
			useAVX512 = tc.avx512
			rng := rand.New(rand.NewPCG(1, 2))
			var cs []*core
			for range tc.cores {
				c := randomIFCECore(rng, tc.n)
				c.attachKernel(nil)
				cs = append(cs, c)
			}
			b.ResetTimer()
			for range b.N {
				for _, c := range cs {
					c.updateIFCurrExpUniform(0)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*tc.cores*tc.n), "ns/neuron")
		})
	}
}
