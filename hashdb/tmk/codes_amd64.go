//go:build amd64 && !purego

package tmk

// dotCodes sets out[i] to the dot product of q with the i-th row of
// codes; codes holds at least len(out) rows. SSE2 (baseline on amd64)
// widens sixteen codes at a time to int16 and multiplies them into
// int32 pairs, the same exact integers as dotCodesGeneric.
func dotCodes(q *[Dim]int16, codes []int8, out []int32) {
	if len(out) == 0 {
		return
	}
	_ = codes[len(out)*Dim-1]
	dotCodesSSE(q, &codes[0], &out[0], len(out))
}

// dotCodesSSE is dotCodes on n rows (codes_amd64.s).
//
//go:noescape
func dotCodesSSE(q *[Dim]int16, codes *int8, out *int32, n int)
