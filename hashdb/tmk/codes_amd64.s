//go:build amd64 && !purego

#include "textflag.h"

// CHUNK adds to X8 and X9 the products of codes off…off+15 of the row
// at DI with the query's int16s at SI: each byte is unpacked against
// itself into a word and shifted right arithmetically by 8, which is its
// value sign-extended, and PMADDWD sums adjacent products into int32s.
#define CHUNK(off) \
	MOVOU     off(DI), X0 \
	MOVO      X0, X1 \
	PUNPCKLBW X0, X0 \
	PUNPCKHBW X1, X1 \
	PSRAW     $8, X0 \
	PSRAW     $8, X1 \
	MOVOU     (2*off)(SI), X2 \
	MOVOU     (2*off+16)(SI), X3 \
	PMADDWL   X2, X0 \
	PMADDWL   X3, X1 \
	PADDL     X0, X8 \
	PADDL     X1, X9

// func dotCodesSSE(q *[Dim]int16, codes *int8, out *int32, n int)
TEXT ·dotCodesSSE(SB), NOSPLIT, $0-32
	MOVQ q+0(FP), SI
	MOVQ codes+8(FP), DI
	MOVQ out+16(FP), R8
	MOVQ n+24(FP), CX
	TESTQ CX, CX
	JZ   done

row:
	PXOR X8, X8
	PXOR X9, X9
	CHUNK(0)
	CHUNK(16)
	CHUNK(32)
	CHUNK(48)
	CHUNK(64)
	CHUNK(80)
	CHUNK(96)
	CHUNK(112)
	CHUNK(128)
	CHUNK(144)
	CHUNK(160)
	CHUNK(176)
	CHUNK(192)
	CHUNK(208)
	CHUNK(224)
	CHUNK(240)
	PADDL  X9, X8
	PSHUFD $0x4e, X8, X0 // swap the halves
	PADDL  X0, X8
	PSHUFD $0xb1, X8, X0 // swap within each half
	PADDL  X0, X8
	MOVL   X8, AX
	MOVL   AX, (R8)
	ADDQ   $256, DI
	ADDQ   $4, R8
	DECQ   CX
	JNZ    row

done:
	RET
