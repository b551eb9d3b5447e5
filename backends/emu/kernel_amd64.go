package emu

import "golang.org/x/sys/cpu"

// haveKernel reports whether the vectorised neuron update can run here
// (AVX2). Tests turn it off to compare against the scalar loop.
var haveKernel = cpu.X86.HasAVX2

// ifceAVX2 runs the if_curr_exp update (updateIFCurrExpRange's
// arithmetic) on k.n neurons, eight at a time, and sets one bit per
// neuron that spiked in k.spikes.
//
//go:noescape
func ifceAVX2(k *ifceKernel)

func runIFCEKernel(k *ifceKernel) { ifceAVX2(k) }
