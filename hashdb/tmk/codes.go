package tmk

// dotCodesGeneric sets out[i] to the dot product of q with the i-th row
// of codes (Dim a row). Integer sums are exact in any order (see
// filter.go for why they fit), so this and the assembly agree.
func dotCodesGeneric(q *[Dim]int16, codes []int8, out []int32) {
	codes = codes[:len(out)*Dim]
	for i := range out {
		r := codes[i*Dim : (i+1)*Dim : (i+1)*Dim]
		var s0, s1, s2, s3 int32
		for k := 0; k < Dim; k += 4 {
			s0 += int32(q[k]) * int32(r[k])
			s1 += int32(q[k+1]) * int32(r[k+1])
			s2 += int32(q[k+2]) * int32(r[k+2])
			s3 += int32(q[k+3]) * int32(r[k+3])
		}
		out[i] = s0 + s1 + s2 + s3
	}
}
