// Package tmk is TMK+PDQF, the video hash GIFCT members share: a video's
// temporal-match-kernel feature vectors over PDQ's float frame features
// (PDQF), as Meta's C++ reference (facebook/ThreatExchange tmk/cpp)
// computes, stores and scores them.
//
// A [Hash] reads and writes the reference's .tmk file form byte for byte
// ([Parse], [Hash.MarshalBinary]) and ThreatExchange's HASH_TMK string form
// ([ParseString], [Hash.String]). [Level1] and [Level2] score a pair as the
// reference does, [Compare] applies its two-level thresholds, and an
// [Index] finds the stored hashes whose level-1 score passes, for level 2 to
// confirm. Hashing a video lives in hashdb/media.
package tmk

// The reference's fixed parameters, which every accepted hash carries.
const (
	// FPS is the frame rate videos are resampled to before hashing.
	FPS = 15
	// NumPeriods is the number of periods, in frames.
	NumPeriods = 4
	// NumCoefficients is the number of Fourier coefficients per period.
	NumCoefficients = 32
	// Dim is the dimension of a PDQF frame feature: PDQ's 16×16 DCT.
	Dim = 256
)

// Periods are the reference's periods in frames ("Poullot" periods).
var Periods = [NumPeriods]int32{2731, 4391, 9767, 14653}

// Coefficients are the reference's Fourier coefficients, as float32.
var Coefficients = [NumCoefficients]float32{
	0.0708041893112, 0.13937789309, 0.132897260304,
	0.122765735552, 0.109878684888, 0.09529606433,
	0.0800986647852, 0.0652590650356, 0.0515478238322,
	0.0394851531195, 0.0293374252025, 0.0211492623679,
	0.0147973073245, 0.0100512818746, 0.0066306408014,
	0.00424947117334, 0.0026467615764, 0.00160270959695,
	0.000943882629639, 0.000540841638603, 0.000301633183798,
	0.000163800158855, 8.66454753015e-05, 4.46626303151e-05,
	2.24429442235e-05, 1.09982139799e-05, 5.25823487999e-06,
	2.45358229988e-06, 1.11781474895e-06, 4.97406489221e-07,
	2.16265487234e-07, 9.19087006565e-08,
}

// Features is one set of Fourier features: [period][coefficient][dimension].
type Features [NumPeriods][NumCoefficients][Dim]float32

// A Hash is a video's TMK+PDQF feature vectors. It is about 257 KiB; pass
// it by pointer.
type Hash struct {
	// Frames is the number of frames hashed, after resampling to 15 fps.
	// The reference records it for information; scores ignore it.
	Frames int32
	// Periods and Coefficients are the parameters the hash was made
	// with: [Periods] and [Coefficients] for every hash the reference
	// makes. They are kept so that a file re-writes byte for byte.
	Periods      [NumPeriods]int32
	Coefficients [NumCoefficients]float32
	// Average is the mean of the frame features, which level 1 compares.
	Average [Dim]float32
	// Cos and Sin are the L2-normalised cosine and sine features, each
	// scaled by the square root of its coefficient, which level 2
	// compares.
	Cos, Sin Features
}
