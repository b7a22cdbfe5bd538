package pdq

// The reference blurs with two rounds of a one-dimensional box filter along
// rows and then along columns (a Jarosz filter, approximating a tent), and
// then point-samples 64×64 pixels. Its box filter keeps one float32 running
// sum per line: it adds the entering sample and subtracts the leaving one
// (in that order), and divides by the number of samples in the window, which
// is truncated at the ends. Rounding makes that sum differ in its low bits
// from a fresh sum over each window, so the functions below perform exactly
// the reference's additions and subtractions in the reference's order.
//
// Only 64 columns of the second row pass and 64 rows of the second column
// pass are ever sampled, so those two passes keep running sums everywhere (to
// get the same rounding) but divide and store only where a sample is taken.

// windowSize is the reference's box width for blurring a line of dim samples
// down to 64: ceil(dim/128), half a 64th of the line since the filter runs
// twice.
func windowSize(dim int) int { return (dim + 2*64 - 1) / (2 * 64) }

// sampleIndex is the reference's point sample: the input index of output
// index i of 64, floor((i+0.5)·dim/64), computed exactly in integers.
func sampleIndex(i, dim int) int { return (2*i + 1) * dim / 128 }

// window describes the reference's box filter of width full over a line of n
// samples. Its running sum covers samples [o-full+half, o+half-1], clipped to
// the line, when it writes output o.
type window struct{ n, full, half int }

func newWindow(n, full int) window { return window{n, full, (full + 2) / 2} }

// count is how many samples the reference's running sum holds when it writes
// output o: it grows from half at the start to full and shrinks back to half
// at the end.
func (w window) count(o int) int {
	return min(o+w.half, w.full, w.n-o+w.full-w.half)
}

// boxRows runs the box filter along each of the h rows of in (w wide) into
// out. A row's running sum is one long chain of dependent additions, so rows
// are filtered four at a time to let the processor overlap four chains.
func boxRows(in, out []float32, w, h int, win window) {
	y := 0
	for ; y+4 <= h; y += 4 {
		boxLines4(in[y*w:(y+4)*w], out[y*w:(y+4)*w], w, win, true)
	}
	for ; y < h; y++ {
		boxLine(in[y*w:y*w+w:y*w+w], out[y*w:y*w+w:y*w+w], win)
	}
}

// boxLines4 runs the reference's four-phase box filter along four
// consecutive rows of in (each w wide) at once, writing the averages to out,
// or only the running sums when divide is false.
func boxLines4(in, out []float32, w int, win window, divide bool) {
	i0, i1, i2, i3 := in[:w:w], in[w:2*w:2*w], in[2*w:3*w:3*w], in[3*w:4*w:4*w]
	o0, o1, o2, o3 := out[:w:w], out[w:2*w:2*w], out[2*w:3*w:3*w], out[3*w:4*w:4*w]
	var s0, s1, s2, s3 float32
	n := float32(0)
	ri, oi, li := 0, 0, 0
	for ; ri < win.half-1; ri++ { // accumulate, no output yet
		s0 += i0[ri]
		s1 += i1[ri]
		s2 += i2[ri]
		s3 += i3[ri]
		n++
	}
	if divide {
		for ; ri < win.full; ri++ { // window growing
			s0 += i0[ri]
			s1 += i1[ri]
			s2 += i2[ri]
			s3 += i3[ri]
			n++
			o0[oi], o1[oi], o2[oi], o3[oi] = s0/n, s1/n, s2/n, s3/n
			oi++
		}
		for ; ri < w; ri++ { // full window sliding
			s0 += i0[ri]
			s1 += i1[ri]
			s2 += i2[ri]
			s3 += i3[ri]
			s0 -= i0[li]
			s1 -= i1[li]
			s2 -= i2[li]
			s3 -= i3[li]
			li++
			o0[oi], o1[oi], o2[oi], o3[oi] = s0/n, s1/n, s2/n, s3/n
			oi++
		}
		for ; oi < w; oi++ { // window shrinking
			s0 -= i0[li]
			s1 -= i1[li]
			s2 -= i2[li]
			s3 -= i3[li]
			li++
			n--
			o0[oi], o1[oi], o2[oi], o3[oi] = s0/n, s1/n, s2/n, s3/n
		}
		return
	}
	// Sums only; the caller divides the few it samples.
	for ; ri < win.full; ri++ {
		s0 += i0[ri]
		s1 += i1[ri]
		s2 += i2[ri]
		s3 += i3[ri]
		o0[oi], o1[oi], o2[oi], o3[oi] = s0, s1, s2, s3
		oi++
	}
	for ; ri < w; ri++ {
		s0 += i0[ri]
		s1 += i1[ri]
		s2 += i2[ri]
		s3 += i3[ri]
		s0 -= i0[li]
		s1 -= i1[li]
		s2 -= i2[li]
		s3 -= i3[li]
		li++
		o0[oi], o1[oi], o2[oi], o3[oi] = s0, s1, s2, s3
		oi++
	}
	for ; oi < w; oi++ {
		s0 -= i0[li]
		s1 -= i1[li]
		s2 -= i2[li]
		s3 -= i3[li]
		li++
		o0[oi], o1[oi], o2[oi], o3[oi] = s0, s1, s2, s3
	}
}

// boxLine is the reference's four-phase box filter along one line.
func boxLine(in, out []float32, win window) {
	var sum float32
	n := float32(0)
	ri, oi, li := 0, 0, 0
	for ; ri < win.half-1; ri++ { // accumulate, no output yet
		sum += in[ri]
		n++
	}
	for ; ri < win.full; ri++ { // window growing
		sum += in[ri]
		n++
		out[oi] = sum / n
		oi++
	}
	for ; ri < win.n; ri++ { // full window sliding
		sum += in[ri]
		sum -= in[li]
		li++
		out[oi] = sum / n
		oi++
	}
	for ; oi < win.n; oi++ { // window shrinking
		sum -= in[li]
		li++
		n--
		out[oi] = sum / n
	}
}

// boxCols runs the box filter down each of the w columns of in (h tall) into
// out. It walks the rows once, keeping every column's running sum in sums
// (length w), which performs each column's operations in the reference's
// order while reading memory row by row.
func boxCols(in, out, sums []float32, w, h int, win window) {
	sums = sums[:w:w]
	clear(sums)
	row := func(i int) []float32 { return in[i*w : i*w+w : i*w+w] }
	put := func(o int, n float32) {
		dst := out[o*w : o*w+w : o*w+w]
		for j, s := range sums {
			dst[j] = s / n
		}
	}
	n := float32(0)
	ri, oi, li := 0, 0, 0
	for ; ri < win.half-1; ri++ {
		for j, v := range row(ri) {
			sums[j] += v
		}
		n++
	}
	for ; ri < win.full; ri++ {
		for j, v := range row(ri) {
			sums[j] += v
		}
		n++
		put(oi, n)
		oi++
	}
	for ; ri < h; ri++ {
		add, sub := row(ri), row(li)
		for j := range sums {
			s := sums[j] + add[j]
			sums[j] = s - sub[j]
		}
		li++
		put(oi, n)
		oi++
	}
	for ; oi < h; oi++ {
		for j, v := range row(li) {
			sums[j] -= v
		}
		li++
		n--
		put(oi, n)
	}
}

// boxRowsSampled runs the box filter along each row of in (w wide, h tall)
// but keeps only the 64 sampled columns xs, writing an h×64 out. run is
// scratch of length 4w for four rows' running sums.
func boxRowsSampled(in, out, run []float32, w, h int, win window, xs *[64]int) {
	var div [64]float32
	for k, x := range xs {
		div[k] = float32(win.count(x))
	}
	run = run[: 4*w : 4*w]
	for y := 0; y < h; y += 4 {
		rows := min(4, h-y)
		if rows == 4 {
			boxLines4(in[y*w:(y+4)*w], run, w, win, false)
		} else {
			for r := range rows {
				sumLine(in[(y+r)*w:(y+r+1)*w], run[r*w:(r+1)*w], win)
			}
		}
		for r := range rows {
			sums, dst := run[r*w:(r+1)*w], out[(y+r)*64:(y+r+1)*64]
			for k, x := range xs {
				dst[k] = sums[x] / div[k]
			}
		}
	}
}

// sumLine is boxLine without the division: it stores the running sums.
func sumLine(in, out []float32, win window) {
	var sum float32
	ri, oi, li := 0, 0, 0
	for ; ri < win.half-1; ri++ {
		sum += in[ri]
	}
	for ; ri < win.full; ri++ {
		sum += in[ri]
		out[oi] = sum
		oi++
	}
	for ; ri < win.n; ri++ {
		sum += in[ri]
		sum -= in[li]
		li++
		out[oi] = sum
		oi++
	}
	for ; oi < win.n; oi++ {
		sum -= in[li]
		li++
		out[oi] = sum
	}
}

// boxColsSampled runs the box filter down the 64 columns of in (h tall) and
// writes only the 64 sampled rows ys into out.
func boxColsSampled(in []float32, out *[64 * 64]float32, h int, win window, ys *[64]int) {
	var sums [64]float32
	row := func(i int) *[64]float32 { return (*[64]float32)(in[i*64 : i*64+64]) }
	next := 0 // next sample to write
	put := func(o int) {
		for next < 64 && ys[next] == o {
			n := float32(win.count(o))
			dst := out[next*64 : next*64+64 : next*64+64]
			for j, s := range sums {
				dst[j] = s / n
			}
			next++
		}
	}
	ri, oi, li := 0, 0, 0
	for ; ri < win.half-1; ri++ {
		for j, v := range row(ri) {
			sums[j] += v
		}
	}
	for ; ri < win.full; ri++ {
		for j, v := range row(ri) {
			sums[j] += v
		}
		put(oi)
		oi++
	}
	for ; ri < h; ri++ {
		add, sub := row(ri), row(li)
		for j := range sums {
			s := sums[j] + add[j]
			sums[j] = s - sub[j]
		}
		li++
		put(oi)
		oi++
	}
	for ; oi < h; oi++ {
		for j, v := range row(li) {
			sums[j] -= v
		}
		li++
		put(oi)
	}
}
