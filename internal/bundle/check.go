package bundle

import (
	"fmt"
	"sync"

	"google.golang.org/protobuf/reflect/protoreflect"

	pb "github.com/hashshare/hashshare/proto/hashshare/v1"
)

// FormatVersion is the bundle format this package writes: 2, whose
// seals let a reader refuse a forgery early (see [SealInterval]). A
// [Reader] also reads format 1, which has none, up to
// [Limits.MaxUnsealedBytes].
const FormatVersion = 2

// formatUnsealed is the first format, without seals.
const formatUnsealed = 1

// Sizes of fixed-length fields.
const (
	bundleIDLen  = 16
	digestLen    = 32
	signatureLen = 64
	maxNameLen   = 256
)

// checkKnown reports an unknown field or an unknown enum value anywhere in
// m. Protobuf keeps both silently; a bundle reader must not, or a producer
// could slip past it data it would not understand.
func checkKnown(m protoreflect.Message) error {
	if len(m.GetUnknown()) > 0 {
		return fmt.Errorf("unknown field in %s", m.Descriptor().Name())
	}
	for _, fd := range nested(m.Descriptor()) {
		if !m.Has(fd) {
			continue
		}
		v := m.Get(fd)
		if fd.IsList() {
			l := v.List()
			for i := range l.Len() {
				if err := checkKnownValue(fd, l.Get(i)); err != nil {
					return err
				}
			}
		} else if err := checkKnownValue(fd, v); err != nil {
			return err
		}
	}
	return nil
}

// nestedFields caches, per message type, the fields that can hold an
// unknown value: enums and messages. Walking only those keeps the check
// cheap on a stream of millions of entries.
var nestedFields sync.Map // protoreflect.FullName → []protoreflect.FieldDescriptor

func nested(md protoreflect.MessageDescriptor) []protoreflect.FieldDescriptor {
	if v, ok := nestedFields.Load(md.FullName()); ok {
		return v.([]protoreflect.FieldDescriptor)
	}
	var fds []protoreflect.FieldDescriptor
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		switch fd.Kind() {
		case protoreflect.EnumKind, protoreflect.MessageKind, protoreflect.GroupKind:
			fds = append(fds, fd)
		}
	}
	nestedFields.Store(md.FullName(), fds)
	return fds
}

func checkKnownValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) error {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		if fd.Enum().Values().ByNumber(v.Enum()) == nil {
			return fmt.Errorf("%s: unknown value %d", fd.Name(), v.Enum())
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return checkKnown(v.Message())
	}
	return nil
}

func checkHeader(h *pb.Header) error {
	switch {
	case h.GetFormatVersion() != FormatVersion && h.GetFormatVersion() != formatUnsealed:
		return fmt.Errorf("%w: %d (this code reads %d and %d)", ErrVersion, h.GetFormatVersion(), formatUnsealed, FormatVersion)
	case h.GetProducer() == "" || len(h.GetProducer()) > maxNameLen:
		return fmt.Errorf("%w: header: producer must be 1 to %d bytes", ErrMalformed, maxNameLen)
	case h.GetKeyId() == "" || len(h.GetKeyId()) > maxNameLen:
		return fmt.Errorf("%w: header: key id must be 1 to %d bytes", ErrMalformed, maxNameLen)
	case len(h.GetBundleId()) != bundleIDLen:
		return fmt.Errorf("%w: header: bundle id is %d bytes, want %d", ErrMalformed, len(h.GetBundleId()), bundleIDLen)
	case h.GetKind() == pb.BundleKind_BUNDLE_KIND_UNSPECIFIED:
		return fmt.Errorf("%w: header: no kind", ErrMalformed)
	case h.GetFromSeq() > h.GetToSeq():
		return fmt.Errorf("%w: header: sequence range (%d, %d] runs backwards", ErrMalformed, h.GetFromSeq(), h.GetToSeq())
	case h.GetKind() == pb.BundleKind_BUNDLE_KIND_FULL && h.GetFromSeq() != 0:
		return fmt.Errorf("%w: header: a full bundle starts from sequence %d, want 0", ErrMalformed, h.GetFromSeq())
	case len(h.GetPreviousDigest()) != 0 && len(h.GetPreviousDigest()) != digestLen:
		return fmt.Errorf("%w: header: previous digest is %d bytes, want %d", ErrMalformed, len(h.GetPreviousDigest()), digestLen)
	case len(h.GetAudience()) > maxNameLen:
		return fmt.Errorf("%w: header: audience longer than %d bytes", ErrMalformed, maxNameLen)
	}
	if err := checkKnown(h.ProtoReflect()); err != nil {
		return fmt.Errorf("%w: header: %v", ErrMalformed, err)
	}
	return nil
}

// valueLen is the value length of each algorithm's signals, in bytes.
var valueLen = map[pb.Algorithm]int{
	pb.Algorithm_ALGORITHM_PDQ:    32,
	pb.Algorithm_ALGORITHM_PHASH:  8,
	pb.Algorithm_ALGORITHM_DHASH:  8,
	pb.Algorithm_ALGORITHM_AHASH:  8,
	pb.Algorithm_ALGORITHM_MD5:    16,
	pb.Algorithm_ALGORITHM_SHA1:   20,
	pb.Algorithm_ALGORITHM_SHA256: 32,
}

func checkSignal(s *pb.Signal) error {
	n, ok := valueLen[s.GetAlgorithm()]
	switch {
	case !ok:
		return fmt.Errorf("%w: signal: algorithm %d", ErrMalformed, s.GetAlgorithm())
	case len(s.GetValue()) != n:
		return fmt.Errorf("%w: %v signal of %d bytes, want %d", ErrMalformed, s.GetAlgorithm(), len(s.GetValue()), n)
	}
	return nil
}

func checkKey(k *pb.ItemKey) error {
	switch {
	case k.GetSource() == "" || k.GetId() == "":
		return fmt.Errorf("%w: item key without a source or an id", ErrMalformed)
	case k.GetVia() != "":
		// A bundle's producer is the only via there is.
		return fmt.Errorf("%w: item key %s/%s names a via", ErrMalformed, k.GetSource(), k.GetId())
	}
	return nil
}

// checkEntry checks e against the schema and the limits. It is the same
// check for writing and reading, so a Writer never produces what a Reader
// with the same limits refuses.
func checkEntry(e *pb.Entry, lim *Limits) error {
	switch c := e.GetChange().(type) {
	case *pb.Entry_Upsert:
		if err := checkItem(c.Upsert, lim); err != nil {
			return err
		}
		if len(e.ProtoReflect().GetUnknown()) > 0 {
			return fmt.Errorf("%w: unknown field in Entry", ErrMalformed)
		}
		return nil
	case *pb.Entry_Retract:
		if err := checkKey(c.Retract.GetItem()); err != nil {
			return fmt.Errorf("retraction: %w", err)
		}
	case *pb.Entry_Opinion:
		op := c.Opinion
		switch t := op.GetTarget().(type) {
		case *pb.Opinion_Item:
			if err := checkKey(t.Item); err != nil {
				return fmt.Errorf("opinion: %w", err)
			}
		case *pb.Opinion_Signal:
			if err := checkSignal(t.Signal); err != nil {
				return fmt.Errorf("opinion: %w", err)
			}
		default:
			return fmt.Errorf("%w: opinion without a target", ErrMalformed)
		}
		switch {
		case op.GetVerdict() == pb.Verdict_VERDICT_UNSPECIFIED:
			return fmt.Errorf("%w: opinion without a verdict", ErrMalformed)
		case op.GetOrg() == "":
			return fmt.Errorf("%w: opinion without an org", ErrMalformed)
		}
	default:
		return fmt.Errorf("%w: empty entry", ErrMalformed)
	}
	if err := checkKnown(e.ProtoReflect()); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// checkItem is checkEntry for an upsert's item: everything it checks of
// an upsert but the Entry's own unknown fields. [Writer.AppendUpsert],
// which writes the Entry itself, checks only this.
func checkItem(it *pb.Item, lim *Limits) error {
	if err := checkKey(&pb.ItemKey{Source: it.GetSource(), Id: it.GetId()}); err != nil {
		return err
	}
	switch {
	case len(it.GetSignals()) == 0 && it.GetVideo() == nil && it.GetTmk() == nil:
		return fmt.Errorf("%w: item %s/%s has no signals", ErrMalformed, it.GetSource(), it.GetId())
	case len(it.GetSignals()) > lim.MaxSignals:
		return fmt.Errorf("%w: item %s/%s has %d signals, more than %d", ErrLimit, it.GetSource(), it.GetId(), len(it.GetSignals()), lim.MaxSignals)
	case len(it.GetLabels()) > lim.MaxLabels:
		return fmt.Errorf("%w: item %s/%s has %d labels, more than %d", ErrLimit, it.GetSource(), it.GetId(), len(it.GetLabels()), lim.MaxLabels)
	case it.GetTlp() == pb.TLP_TLP_UNSPECIFIED:
		return fmt.Errorf("%w: item %s/%s has no TLP", ErrMalformed, it.GetSource(), it.GetId())
	}
	for _, s := range it.GetSignals() {
		if err := checkSignal(s); err != nil {
			return fmt.Errorf("item %s/%s: %w", it.GetSource(), it.GetId(), err)
		}
	}
	for _, l := range it.GetLabels() {
		if l == "" || len(l) > lim.MaxLabelLen {
			return fmt.Errorf("%w: item %s/%s: a label of %d bytes (want 1 to %d)", ErrLimit, it.GetSource(), it.GetId(), len(l), lim.MaxLabelLen)
		}
	}
	if v := it.GetVideo(); v != nil {
		if err := checkVideo(v); err != nil {
			return fmt.Errorf("%w: item %s/%s: %v", ErrMalformed, it.GetSource(), it.GetId(), err)
		}
	}
	if v := it.GetTmk(); v != nil {
		if err := checkTMK(v); err != nil {
			return fmt.Errorf("%w: item %s/%s: %v", ErrMalformed, it.GetSource(), it.GetId(), err)
		}
	}
	if err := checkKnownItem(it); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}

// checkTMK checks the shape of a TMK+PDQF hash: the size of each field
// (tmk.proto). hashdb checks the values when it imports the item.
func checkTMK(v *pb.TMKHash) error {
	const features = 4 * 4 * 32 * 256
	switch {
	case len(v.GetPeriods()) != 0 && len(v.GetPeriods()) != 4,
		len(v.GetCoefficients()) != 0 && len(v.GetCoefficients()) != 4*32,
		len(v.GetAverage()) != 4*256, len(v.GetCos()) != features, len(v.GetSin()) != features:
		return fmt.Errorf("tmk hash of %d periods and %d, %d, %d, %d bytes of coefficients, average, cos and sin",
			len(v.GetPeriods()), len(v.GetCoefficients()), len(v.GetAverage()), len(v.GetCos()), len(v.GetSin()))
	}
	return nil
}

// checkVideo checks the shape of a video hash: one quality per 32-byte
// frame hash, and each per-frame list empty or one per frame. hashdb
// checks the values when it imports the item.
func checkVideo(v *pb.VideoHash) error {
	n := len(v.GetHashes()) / 32
	switch {
	case n == 0 || len(v.GetHashes())%32 != 0:
		return fmt.Errorf("video hash of %d bytes, want a positive multiple of 32", len(v.GetHashes()))
	case len(v.GetQualities()) != n:
		return fmt.Errorf("video hash: %d qualities for %d frames", len(v.GetQualities()), n)
	}
	for _, l := range []int{len(v.GetFrameDeltas()), len(v.GetTimeDeltas()), len(v.GetSeconds())} {
		if l != 0 && l != n {
			return fmt.Errorf("video hash: a list of %d values for %d frames", l, n)
		}
	}
	return nil
}

// checkKnownUpsert is checkKnown for an upsert entry e holding it.
func checkKnownUpsert(e *pb.Entry, it *pb.Item) error {
	if len(e.ProtoReflect().GetUnknown()) > 0 {
		return fmt.Errorf("unknown field in Entry")
	}
	return checkKnownItem(it)
}

// checkKnownItem is checkKnown for an upsert's item, the bulk of every
// bundle, without reflection, which cost more than the rest of reading an
// entry. It must visit every field checkKnown would:
// TestCheckKnownUpsertFields fails when the schema gains one it does not.
func checkKnownItem(it *pb.Item) error {
	if len(it.ProtoReflect().GetUnknown()) > 0 {
		return fmt.Errorf("unknown field in Item")
	}
	if _, ok := pb.TLP_name[int32(it.GetTlp())]; !ok {
		return fmt.Errorf("tlp: unknown value %d", it.GetTlp())
	}
	if _, ok := pb.ContentType_name[int32(it.GetContentType())]; !ok {
		return fmt.Errorf("content_type: unknown value %d", it.GetContentType())
	}
	if v := it.GetVideo(); v != nil && len(v.ProtoReflect().GetUnknown()) > 0 {
		return fmt.Errorf("unknown field in VideoHash")
	}
	if v := it.GetTmk(); v != nil && len(v.ProtoReflect().GetUnknown()) > 0 {
		return fmt.Errorf("unknown field in TMKHash")
	}
	for _, s := range it.GetSignals() {
		if len(s.ProtoReflect().GetUnknown()) > 0 {
			return fmt.Errorf("unknown field in Signal")
		}
		if _, ok := pb.Algorithm_name[int32(s.GetAlgorithm())]; !ok {
			return fmt.Errorf("algorithm: unknown value %d", s.GetAlgorithm())
		}
	}
	return nil
}

func checkTrailer(t *pb.Trailer) error {
	switch {
	case len(t.GetSetDigest()) != digestLen:
		return fmt.Errorf("%w: trailer: set digest is %d bytes, want %d", ErrMalformed, len(t.GetSetDigest()), digestLen)
	case len(t.GetSignature()) != signatureLen:
		return fmt.Errorf("%w: trailer: signature is %d bytes, want %d", ErrMalformed, len(t.GetSignature()), signatureLen)
	}
	if err := checkKnown(t.ProtoReflect()); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return nil
}
