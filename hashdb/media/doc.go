// Package media turns the bytes of a piece of media into every signal
// hashshare computes, in one pass and within fixed limits: the MD5, SHA-1
// and SHA-256 digests of the raw bytes and, when the bytes are an image,
// Meta's PDQ and goimagehash's pHash, dHash and aHash of its pixels, or,
// when they are a video, its vPDQ (Hashes.Video).
//
//	h, err := media.HashFile(ctx, "upload.jpg", nil)
//	if err != nil {
//		// a corrupt or oversized image still has h.Signals: its digests
//	}
//	results, err := db.MatchHashes(ctx, h, nil) // package hashdb
//
// [HashReader] hashes a stream, [HashFile] a file, [HashImage] an image
// already decoded, and [HashTree] every file under a directory on every
// core. Each returns [Hashes]: the signals, in signal.Algorithms() order,
// which of them carry too little information to match on, PDQ's quality,
// and, when [Options.Dihedral] asks, the PDQ hashes of the image's eight
// rotations and reflections, indexed by [Transform]. Hashes' JSON form,
// [JSON], is the one hashshare's command-line tool and match server print.
//
// # Limits
//
// [Options] leave every field zero for its default, so &Options{MaxPixels:
// 1e6} changes only the one limit. The first bytes decide the format. Bytes
// that are not an image stream through the digests in constant memory,
// whatever their size: that is not an error, and Hashes.Skipped says why
// the perceptual hashes do not apply. Image bytes are buffered (up to
// [Options.MaxImageBytes]), digested on one core while another decodes
// them, and decoded once after the header has been checked against
// [Options.MaxPixels], so that a crafted header declaring a huge image
// costs no more than reading the header ([ErrImageTooLarge]). A corrupt
// image is [ErrImageDecode]. Any panic in a third-party decoder or hash is
// recovered and returned as an error ([ErrHashFailed] or ErrImageDecode);
// none escapes.
//
// # Pixels
//
// Every perceptual algorithm hashes the same normalised copy of the pixels:
// an opaque RGBA image whose bounds start at (0,0). The rule for alpha is
// the one Meta's PDQ reference applies: alpha is ignored, and the straight
// (non-premultiplied) 8-bit colour of each pixel is hashed without
// compositing onto any background. Colour a format stores under a
// transparent pixel is therefore hashed as it is; a fully transparent pixel
// of a premultiplied image (image.RGBA, a GIF's transparent index) has no
// colour left and is black. 16-bit samples keep their high byte.
//
// Pixels are hashed as stored, before any EXIF orientation is applied, as
// the PDQ reference does: a rotated photo is matched through PDQ's dihedral
// hashes, not by guessing its orientation. A GIF is hashed from its first
// frame. PDQ is bit-exact with the reference on lossless input.
//
// # goimagehash, guarded
//
// The pHash, dHash and aHash values are exactly what
// github.com/corona10/goimagehash v1.1.0 returns for the normalised image.
// Handing it that image, rather than the decoded one, avoids its traps: an
// image already at its working size whose bounds do not start at (0,0) is
// read from the wrong pixels, transparent pixels count as black, and an image
// with no pixels makes PerceptionHash read a stale pooled buffer.
//
// # Video
//
// A video (ISO-BMFF other than HEIF/AVIF images, Matroska/WebM, AVI, FLV,
// MPEG-TS, MPEG-PS, ASF, as its first bytes say) is digested in the one
// read while it is spooled to a temporary file (mode 0600, removed before
// the call returns), which ffprobe and ffmpeg then read as child processes,
// probed and limited as [VideoOptions] describes. Its vPDQ is the PDQ of
// one frame a second (or of every frame), hashed on every core, with each
// frame's number, quality and timestamp, exactly as Meta's C++ reference
// computes it on the same FFmpeg: on the shared sample videos, the output
// is byte-identical with the reference's at full resolution, at one frame
// a second and at 128×128. A video refused by its probe (too long, too
// many or too large frames, a codec or container not allowed), one that
// does not decode or times out, and any video when ffmpeg is not installed
// come back with their digests, Video nil, VideoSkipped saying why and an
// error wrapping [ErrVideoTooLarge], [ErrVideoUnsupported],
// [ErrVideoDecode], [ErrVideoTimeout] or [ErrNoVideoDecoder] (whose message
// says how to install ffmpeg).
//
// # Files
//
// The stages each have their file: read.go (one read of the bytes),
// decode.go (formats and the guarded decode), image.go (a decoded image),
// normalise.go, perceive.go (the perceptual hashes), digest.go, tree.go (a
// directory on every core), and for videos sniff_video.go, video.go and
// video_options.go; hashes.go, json.go and transform.go hold what they
// produce.
package media
