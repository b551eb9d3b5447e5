#include "textflag.h"

// Offsets into ifceKernel and ifceParams (kernel.go; TestKernelLayout
// checks them).
#define K_V      0
#define K_REFT   8
#define K_ISE    16
#define K_ISI    24
#define K_RINGE  32
#define K_RINGI  40
#define K_SPIKES 48
#define K_N      56
#define K_SE     64
#define K_SI     72
#define K_PARAMS 80
#define P_INITE  0
#define P_INITEF 32
#define P_INITI  64
#define P_INITIF 96
#define P_DECE   128
#define P_DECEF  160
#define P_DECI   192
#define P_DECIF  224
#define P_R      256
#define P_EXPTC  288
#define P_IOFF   320
#define P_VREST  352
#define P_VTHM1  384
#define P_VRESET 416
#define P_REFS   448

// MULHI: out = the high 32 bits of x·c in each lane (x, c signed): the
// even lanes' 64-bit products shifted down, the odd lanes' left in place.
#define MULHI(x, cmem, out, t) \
	VPMULDQ cmem, x, out \
	VPSRLQ  $32, out, out \
	VPSRLQ  $32, x, t \
	VPMULDQ cmem, t, t \
	VPBLENDD $0xAA, t, out, out

// MULSH15: out = bits 15..46 of x·c in each lane, i.e. int32((x·c) >> 15).
#define MULSH15(x, cmem, out, t) \
	VPMULDQ cmem, x, out \
	VPSRLQ  $15, out, out \
	VPSRLQ  $32, x, t \
	VPMULDQ cmem, t, t \
	VPSLLQ  $17, t, t \
	VPBLENDD $0xAA, t, out, out

// func ifceAVX2(k *ifceKernel)
TEXT ·ifceAVX2(SB), NOSPLIT, $0-8
	MOVQ k+0(FP), DI
	MOVQ K_V(DI), R8
	MOVQ K_REFT(DI), R9
	MOVQ K_ISE(DI), R10
	MOVQ K_ISI(DI), R11
	MOVQ K_RINGE(DI), R12
	MOVQ K_RINGI(DI), R13
	MOVQ K_SPIKES(DI), R15
	MOVQ K_N(DI), CX
	SHLQ $2, CX          // bytes
	MOVQ K_SE(DI), X13
	MOVQ K_SI(DI), X14
	MOVQ K_PARAMS(DI), SI
	VPXOR Y15, Y15, Y15  // zero
	XORQ BX, BX          // byte offset of the eight neurons
	XORQ DX, DX          // spike byte index

loop:
	CMPQ BX, CX
	JGE  done

	// e = isE + hi(int32(ringE << sE) · initE)
	VMOVDQU (R12)(BX*1), Y0
	VPSLLD  X13, Y0, Y0
	MULHI(Y0, P_INITE(SI), Y1, Y2)
	VPAND   P_INITEF(SI), Y0, Y2
	VPADDD  Y2, Y1, Y1
	VPADDD  (R10)(BX*1), Y1, Y1

	// in = isI + hi(int32(ringI << sI) · initI)
	VMOVDQU (R13)(BX*1), Y0
	VPSLLD  X14, Y0, Y0
	MULHI(Y0, P_INITI(SI), Y3, Y2)
	VPAND   P_INITIF(SI), Y0, Y2
	VPADDD  Y2, Y3, Y3
	VPADDD  (R11)(BX*1), Y3, Y3

	// alpha = ((e − in + iOff)·r >> 15) + vRest
	VPSUBD  Y3, Y1, Y0
	VPADDD  P_IOFF(SI), Y0, Y0
	MULSH15(Y0, P_R(SI), Y4, Y2)
	VPADDD  P_VREST(SI), Y4, Y4

	// vn = alpha − (expTC·(alpha − v) >> 15)
	VMOVDQU (R8)(BX*1), Y5
	VPSUBD  Y5, Y4, Y0
	MULSH15(Y0, P_EXPTC(SI), Y6, Y2)
	VPSUBD  Y6, Y4, Y6

	// refractory (rt > 0): keep v, count down
	VMOVDQU   (R9)(BX*1), Y7
	VPCMPGTD  Y15, Y7, Y8
	VPBLENDVB Y8, Y5, Y6, Y6
	VPADDD    Y8, Y7, Y7

	// spike (vn ≥ θ, as vn > θ−1): reset, start the refractory timer
	VPCMPGTD  P_VTHM1(SI), Y6, Y9
	VPBLENDVB Y9, P_VRESET(SI), Y6, Y6
	VPBLENDVB Y9, P_REFS(SI), Y7, Y7
	VMOVMSKPS Y9, AX
	MOVB      AX, (R15)(DX*1)
	VMOVDQU   Y6, (R8)(BX*1)
	VMOVDQU   Y7, (R9)(BX*1)

	// the synaptic currents decay
	MULHI(Y1, P_DECE(SI), Y0, Y2)
	VPAND   P_DECEF(SI), Y1, Y2
	VPADDD  Y2, Y0, Y0
	VMOVDQU Y0, (R10)(BX*1)
	MULHI(Y3, P_DECI(SI), Y0, Y2)
	VPAND   P_DECIF(SI), Y3, Y2
	VPADDD  Y2, Y0, Y0
	VMOVDQU Y0, (R11)(BX*1)

	// the ring slot is consumed
	VMOVDQU Y15, (R12)(BX*1)
	VMOVDQU Y15, (R13)(BX*1)

	ADDQ $32, BX
	INCQ DX
	JMP  loop

done:
	VZEROUPPER
	RET

// MULHI512 is MULHI on sixteen lanes: K1 holds 0xAAAA (the odd lanes).
#define MULHI512(x, c, out, t) \
	VPMULDQ   c, x, out \
	VPSRLQ    $32, out, out \
	VPSRLQ    $32, x, t \
	VPMULDQ   c, t, t \
	VPBLENDMD t, out, K1, out

// MULSH15_512 is MULSH15 on sixteen lanes.
#define MULSH15_512(x, c, out, t) \
	VPMULDQ   c, x, out \
	VPSRLQ    $15, out, out \
	VPSRLQ    $32, x, t \
	VPMULDQ   c, t, t \
	VPSLLQ    $17, t, t \
	VPBLENDMD t, out, K1, out

// func ifceAVX512(k *ifceKernel)
//
// ifceAVX2's arithmetic on sixteen neurons per iteration (AVX-512F): the
// same products, the comparisons into mask registers, the parameters held
// in registers. k.n is a multiple of 16 (attachKernel pads for it).
TEXT ·ifceAVX512(SB), NOSPLIT, $0-8
	MOVQ k+0(FP), DI
	MOVQ K_V(DI), R8
	MOVQ K_REFT(DI), R9
	MOVQ K_ISE(DI), R10
	MOVQ K_ISI(DI), R11
	MOVQ K_RINGE(DI), R12
	MOVQ K_RINGI(DI), R13
	MOVQ K_SPIKES(DI), R15
	MOVQ K_N(DI), CX
	SHLQ $2, CX          // bytes
	MOVQ K_SE(DI), X13
	MOVQ K_SI(DI), X14
	MOVQ K_PARAMS(DI), SI
	VBROADCASTI32X8 P_INITE(SI), Z16
	VBROADCASTI32X8 P_INITEF(SI), Z17
	VBROADCASTI32X8 P_INITI(SI), Z18
	VBROADCASTI32X8 P_INITIF(SI), Z19
	VBROADCASTI32X8 P_DECE(SI), Z20
	VBROADCASTI32X8 P_DECEF(SI), Z21
	VBROADCASTI32X8 P_DECI(SI), Z22
	VBROADCASTI32X8 P_DECIF(SI), Z23
	VBROADCASTI32X8 P_R(SI), Z24
	VBROADCASTI32X8 P_EXPTC(SI), Z25
	VBROADCASTI32X8 P_IOFF(SI), Z26
	VBROADCASTI32X8 P_VREST(SI), Z27
	VBROADCASTI32X8 P_VTHM1(SI), Z10
	VBROADCASTI32X8 P_VRESET(SI), Z11
	VBROADCASTI32X8 P_REFS(SI), Z12
	VPXORD     Z15, Z15, Z15  // zero
	VPTERNLOGD $0xff, Z28, Z28, Z28 // −1
	MOVQ       $0xAAAA, AX
	KMOVW      AX, K1
	XORQ BX, BX          // byte offset of the sixteen neurons
	XORQ DX, DX          // spike byte index

loop16:
	CMPQ BX, CX
	JGE  done16

	// e = isE + hi(int32(ringE << sE) · initE)
	VMOVDQU32 (R12)(BX*1), Z0
	VPSLLD    X13, Z0, Z0
	MULHI512(Z0, Z16, Z1, Z2)
	VPANDD    Z17, Z0, Z2
	VPADDD    Z2, Z1, Z1
	VPADDD    (R10)(BX*1), Z1, Z1

	// in = isI + hi(int32(ringI << sI) · initI)
	VMOVDQU32 (R13)(BX*1), Z0
	VPSLLD    X14, Z0, Z0
	MULHI512(Z0, Z18, Z3, Z2)
	VPANDD    Z19, Z0, Z2
	VPADDD    Z2, Z3, Z3
	VPADDD    (R11)(BX*1), Z3, Z3

	// alpha = ((e − in + iOff)·r >> 15) + vRest
	VPSUBD Z3, Z1, Z0
	VPADDD Z26, Z0, Z0
	MULSH15_512(Z0, Z24, Z4, Z2)
	VPADDD Z27, Z4, Z4

	// vn = alpha − (expTC·(alpha − v) >> 15)
	VMOVDQU32 (R8)(BX*1), Z5
	VPSUBD    Z5, Z4, Z0
	MULSH15_512(Z0, Z25, Z6, Z2)
	VPSUBD    Z6, Z4, Z6

	// refractory (rt > 0): keep v, count down
	VMOVDQU32 (R9)(BX*1), Z7
	VPCMPGTD  Z15, Z7, K2
	VPBLENDMD Z5, Z6, K2, Z6
	VPADDD    Z28, Z7, K2, Z7

	// spike (vn ≥ θ, as vn > θ−1): reset, start the refractory timer
	VPCMPGTD  Z10, Z6, K3
	VPBLENDMD Z11, Z6, K3, Z6
	VPBLENDMD Z12, Z7, K3, Z7
	KMOVW     K3, (R15)(DX*1)
	VMOVDQU32 Z6, (R8)(BX*1)
	VMOVDQU32 Z7, (R9)(BX*1)

	// the synaptic currents decay
	MULHI512(Z1, Z20, Z0, Z2)
	VPANDD    Z21, Z1, Z2
	VPADDD    Z2, Z0, Z0
	VMOVDQU32 Z0, (R10)(BX*1)
	MULHI512(Z3, Z22, Z0, Z2)
	VPANDD    Z23, Z3, Z2
	VPADDD    Z2, Z0, Z0
	VMOVDQU32 Z0, (R11)(BX*1)

	// the ring slot is consumed
	VMOVDQU32 Z15, (R12)(BX*1)
	VMOVDQU32 Z15, (R13)(BX*1)

	ADDQ $64, BX
	ADDQ $2, DX
	JMP  loop16

done16:
	VZEROUPPER
	RET
