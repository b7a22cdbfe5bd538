package tmk

// dotCodesGeneric sets out[i] to the dot product of q with the i-th row
// of codes (Dim a row). Integer sums are exact in any order (see
// filter.go for why they fit), so this and the assembly agree.
func dotCodesGeneric(q *[Dim]int16, codes []int8, out []int32) {
	codes = codes[:len(out)*Dim]
	for i := range out {
		r := (*[Dim]int8)(codes[i*Dim:])
		var s0, s1, s2, s3 int32
		for k := range Dim / 4 {
			q4, r4 := (*[4]int16)(q[4*k:]), (*[4]int8)(r[4*k:])
			s0 += int32(q4[0]) * int32(r4[0])
			s1 += int32(q4[1]) * int32(r4[1])
			s2 += int32(q4[2]) * int32(r4[2])
			s3 += int32(q4[3]) * int32(r4[3])
		}
		out[i] = s0 + s1 + s2 + s3
	}
}
