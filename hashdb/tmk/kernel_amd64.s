//go:build amd64 && !purego

#include "textflag.h"

// ones is 1.0 in four float32 lanes.
DATA ones<>+0(SB)/4, $0x3f800000
DATA ones<>+4(SB)/4, $0x3f800000
DATA ones<>+8(SB)/4, $0x3f800000
DATA ones<>+12(SB)/4, $0x3f800000
GLOBL ones<>(SB), RODATA|NOPTR, $16

// func kernels8(cc, ss *[NumCoefficients]float32, alpha, beta, out *float32, n int)
//
// kernelAt at eight offsets per pass, in two sets of four lanes (two
// sets keep both float32 pipes busy across the recurrence's latency):
//	set 0: cos X0, sin X1, k X2, α X3, β X4
//	set 1: cos X5, sin X6, k X7, α X8, β X9
// X10 and X11 are cc[j] and ss[j] in every lane; X12–X14 are scratch.
// Every operation is a packed float32 multiply, add or subtract, in
// kernelAt's order, so each lane rounds exactly as kernelAt does.
TEXT ·kernels8(SB), NOSPLIT, $0-48
	MOVQ cc+0(FP), SI
	MOVQ ss+8(FP), DI
	MOVQ alpha+16(FP), R8
	MOVQ beta+24(FP), R9
	MOVQ out+32(FP), R10
	MOVQ n+40(FP), CX
	SHRQ $3, CX
	JZ   done

pass:
	MOVUPS (R8), X3
	MOVUPS 16(R8), X8
	MOVUPS (R9), X4
	MOVUPS 16(R9), X9
	MOVSS  (SI), X2
	SHUFPS $0, X2, X2 // k = cc[0]
	MOVAPS X2, X7
	MOVUPS ones<>(SB), X0 // cos = 1
	MOVAPS X0, X5
	XORPS  X1, X1     // sin = 0
	XORPS  X6, X6
	MOVQ   $4, DX     // byte offset of cc[1]

coef:
	MOVSS  (SI)(DX*1), X10
	SHUFPS $0, X10, X10
	MOVSS  (DI)(DX*1), X11
	SHUFPS $0, X11, X11
	MOVAPS X0, X12
	MULPS  X3, X12 // α·cos
	MOVAPS X1, X13
	MULPS  X4, X13 // β·sin
	ADDPS  X13, X12 // nc = α·cos + β·sin
	MOVAPS X1, X13
	MULPS  X3, X13 // α·sin
	MOVAPS X0, X14
	MULPS  X4, X14 // β·cos
	SUBPS  X14, X13 // ns = α·sin − β·cos
	SUBPS  X12, X0  // cos −= nc
	SUBPS  X13, X1  // sin −= ns
	MOVAPS X0, X12
	MULPS  X10, X12 // cos·cc[j]
	ADDPS  X12, X2  // k += cos·cc[j]
	MOVAPS X1, X13
	MULPS  X11, X13 // sin·ss[j]
	ADDPS  X13, X2  // k += sin·ss[j]
	MOVAPS X5, X12
	MULPS  X8, X12 // α·cos
	MOVAPS X6, X13
	MULPS  X9, X13 // β·sin
	ADDPS  X13, X12 // nc = α·cos + β·sin
	MOVAPS X6, X13
	MULPS  X8, X13 // α·sin
	MOVAPS X5, X14
	MULPS  X9, X14 // β·cos
	SUBPS  X14, X13 // ns = α·sin − β·cos
	SUBPS  X12, X5  // cos −= nc
	SUBPS  X13, X6  // sin −= ns
	MOVAPS X5, X12
	MULPS  X10, X12 // cos·cc[j]
	ADDPS  X12, X7  // k += cos·cc[j]
	MOVAPS X6, X13
	MULPS  X11, X13 // sin·ss[j]
	ADDPS  X13, X7  // k += sin·ss[j]
	ADDQ $4, DX
	CMPQ DX, $128 // 4·NumCoefficients
	JLT  coef

	MOVUPS X2, (R10)
	MOVUPS X7, 16(R10)
	ADDQ   $32, R8
	ADDQ   $32, R9
	ADDQ   $32, R10
	DECQ   CX
	JNZ    pass

done:
	RET
