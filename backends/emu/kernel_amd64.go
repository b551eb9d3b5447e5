package emu

import "golang.org/x/sys/cpu"

// haveKernel reports whether the vectorised neuron update can run here
// (AVX2). Tests turn it off to compare against the scalar loop.
var haveKernel = cpu.X86.HasAVX2

// useAVX512 picks the sixteen-lane kernel where the CPU has AVX-512F (and
// DQ for its broadcasts). Tests run both where the CPU has both.
var (
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
	useAVX512 = hasAVX512
)

// ifceAVX2 runs the if_curr_exp update (updateIFCurrExpRange's
// arithmetic) on k.n neurons, eight at a time, and sets one bit per
// neuron that spiked in k.spikes.
//
//go:noescape
func ifceAVX2(k *ifceKernel)

// ifceAVX512 is ifceAVX2 sixteen neurons at a time (k.n a multiple of 16).
//
//go:noescape
func ifceAVX512(k *ifceKernel)

func runIFCEKernel(k *ifceKernel) {
	if useAVX512 {
		ifceAVX512(k)
		return
	}
	ifceAVX2(k)
}
