//go:build !amd64

package emu

// haveKernel is false off amd64: the scalar loop runs everywhere else.
var haveKernel, hasAVX512, useAVX512 = false, false, false

func runIFCEKernel(k *ifceKernel) { panic("emu: no vectorised kernel on this architecture") }
