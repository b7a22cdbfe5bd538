//go:build !amd64 || purego

package tmk

// dotCodes sets out[i] to the dot product of q with the i-th row of
// codes; codes holds at least len(out) rows.
func dotCodes(q *[Dim]int16, codes []int8, out []int32) {
	dotCodesGeneric(q, codes, out)
}
