package tmk

import "math"

// The index scans a coarse copy of each row and rechecks exactly only the
// rows that copy cannot rule out. Soundness rests on one bound.
//
// Take q and r in the regular range (finite, Euclidean norm in
// [2⁻⁴¹, 2⁴¹]; checked as [2⁻⁴⁰, 2⁴⁰] on the float64 norm, which is off
// by far less than that margin). Let c = q·r/(‖q‖‖r‖) be the true
// cosine, m_q and m_r the largest |q_k| and |r_k|.
//
// Exact score. Level1 sums 256 float32 products in order, so
// fl(q·r) = q·r + e with |e| ≤ γ₂₅₆ Σ|q_k r_k| + 256·2⁻¹⁵⁰ (the last term
// for products that underflow), γ₂₅₆ = 256u/(1−256u), u = 2⁻²⁴: that is
// |e| ≤ 1.53e-5·‖q‖‖r‖, since ‖q‖‖r‖ ≥ 2⁻⁸² makes the underflow term
// negligible, and ‖q‖‖r‖ ≤ 2⁸² keeps every partial sum below 2⁹⁰ (no
// overflow). Each norm is ‖·‖(1+η) with |η| ≤ γ₂₅₆/2 + u + 2⁻⁵² ≤ 7.7e-6,
// the product of norms (normal, never zero) and the quotient add one u
// each, so Level1 = (c + e′)(1+ρ) with |e′| ≤ 1.53e-5, |ρ| ≤ 1.6e-5, and
// |Level1 − c| ≤ 3.2e-5 < exactSlack.
//
// Coarse score. A row is stored as r̂_k = round(127 r_k/m_r), an int8, so
// r′_k = r̂_k m_r/127 = r_k + b_k with |b_k| ≤ m_r/254; the query as
// q̂_k = round(32767 q_k/m_q), an int16, so q′_k = q_k + a_k with
// |a_k| ≤ m_q/65534. The integer dot product Σ q̂_k r̂_k is exact (each
// partial sum is at most 256·32767·127 < 2³¹ in size), and
// A = Σq̂_k r̂_k · m_q/(32767‖q‖) · m_r/(127‖r‖) = q′·r′/(‖q‖‖r‖). Then
// q′·r′ − q·r = Σ q_k b_k + Σ a_k r′_k, and |r′_k| ≤ m_r, so
//
//	|A − c| ≤ (m_r/‖r‖) · (‖q‖₁/(254‖q‖) + 256 m_q/(65534‖q‖)) = g_r · B_q,
//
// a row factor g_r and a query factor B_q. What the search computes
// differs from these only by rounding: the float32 f_r and g_r (relative
// 2⁻²⁴), norms and codes found in float64 (relative 1e-13), and the
// float64 products and sum (fused or not): with |A| < 1.1 and
// g_r B_q < 0.07 that is below 1e-7, well inside approxSlack.
//
// Hence Level1 ≥ t implies A + g_r B_q ≥ t − exactSlack − approxSlack,
// and a row failing that test cannot pass: the filter never drops a
// candidate. Rows outside the regular range (zero, tiny, huge, or not
// finite) get g_r = +Inf and are always rechecked; a query outside it
// is scanned exactly.
const (
	exactSlack  = 1e-4
	approxSlack = 1e-5
	minRegular  = 0x1p-40
	maxRegular  = 0x1p40
	rowMax      = 127
	queryMax    = 32767
)

// A rowScale turns a row's integer dot product into its coarse cosine
// (times the query's factor) and bounds that cosine's error.
type rowScale struct {
	f float32 // m_r/(127‖r‖)
	g float32 // m_r/‖r‖, or +Inf for a row outside the regular range
}

// code writes r's int8 code to c (Dim long) and returns its scale; a row
// outside the regular range gets a zero code and g = +Inf.
func code(r []float32, c []int8) rowScale {
	m, nr, ok := regular(r)
	if !ok {
		clear(c)
		return rowScale{g: float32(math.Inf(1))}
	}
	for k, v := range r[:len(c)] {
		c[k] = int8(math.Round(float64(v) * rowMax / m))
	}
	return rowScale{f: float32(m / (rowMax * nr)), g: float32(m / nr)}
}

// codeQuery writes q's int16 code to c and returns the factor that, with
// a row's f, scales integer dot products to cosines, and the query's
// share B_q of the error bound; ok is false outside the regular range.
func codeQuery(q []float32, c *[Dim]int16) (fq, bq float64, ok bool) {
	m, nq, ok := regular(q)
	if !ok {
		return 0, 0, false
	}
	var l1 float64
	for k, v := range q[:Dim] {
		c[k] = int16(math.Round(float64(v) * queryMax / m))
		l1 += math.Abs(float64(v))
	}
	return m / (queryMax * nq), l1/(2*rowMax*nq) + Dim*m/(2*queryMax*nq), true
}

// regular returns u's largest magnitude and norm (in float64), and
// whether u is in the range where the bound above holds.
func regular(u []float32) (m, n float64, ok bool) {
	var ss float64
	for _, v := range u {
		a := math.Abs(float64(v))
		m = max(m, a)
		ss += a * a
	}
	n = math.Sqrt(ss)
	// NaN and Inf fail here: n is then NaN or +Inf.
	return m, n, n >= minRegular && n <= maxRegular
}
