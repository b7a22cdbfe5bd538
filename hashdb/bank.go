package hashdb

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/hashshare/hashshare/internal/store"
)

// Errors of banks.
var (
	// ErrInvalidBank reports a bank that cannot be stored: a bad name or
	// match ratio.
	ErrInvalidBank = errors.New("invalid bank")
	// ErrBankExists reports a bank created, or renamed, to a name a bank
	// already has.
	ErrBankExists = errors.New("bank exists")
)

// BankLabelPrefix starts the label that makes an item a member of a bank.
const BankLabelPrefix = "bank:"

// A Bank is a named collection of the local organisation's items: those
// that carry its [Bank.Label]. Membership is a label, so an item's banks
// go with it (to readers, into match results, to partners within its TLP
// level), and a bank is found by a filter on the label
// ([Filter.Labels]). The bank record itself holds what a label cannot:
// how often matching consults it.
type Bank struct {
	// Name is upper case letters, digits and '_', not starting with a
	// digit (HMA's rule), at most MaxLabelLen-5 bytes.
	Name string
	// MatchRatio is the fraction of lookups that consult the bank, from 0
	// (none: the bank is off) to 1 (all).
	MatchRatio float64
}

// Label returns the label of the bank's items: "bank:" and the name in
// lower case. Names are upper case, so the mapping is one to one.
func (b Bank) Label() string { return BankLabelPrefix + strings.ToLower(b.Name) }

// BankOfLabel returns the name of the bank whose label is l, or false if
// l is no bank's label.
func BankOfLabel(l string) (string, bool) {
	rest, ok := strings.CutPrefix(l, BankLabelPrefix)
	if !ok || ValidateBankName(strings.ToUpper(rest)) != nil || strings.ToLower(rest) != rest {
		return "", false
	}
	return strings.ToUpper(rest), true
}

// ValidateBankName reports whether name is a valid bank name, wrapping
// [ErrInvalidBank] if not.
func ValidateBankName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty name", ErrInvalidBank)
	}
	if len(name) > MaxLabelLen-len(BankLabelPrefix) {
		return fmt.Errorf("%w: name %q: %d bytes, more than %d", ErrInvalidBank, truncate(name), len(name), MaxLabelLen-len(BankLabelPrefix))
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c == '_' || i > 0 && c >= '0' && c <= '9') {
			return fmt.Errorf("%w: name %q: character %q at offset %d (want A-Z, '_', and after the first 0-9)", ErrInvalidBank, truncate(name), c, i)
		}
	}
	return nil
}

func (b Bank) validate() error {
	if err := ValidateBankName(b.Name); err != nil {
		return err
	}
	if !(b.MatchRatio >= 0 && b.MatchRatio <= 1) {
		return fmt.Errorf("%w: %s: match ratio %v, want 0 to 1", ErrInvalidBank, b.Name, b.MatchRatio)
	}
	return nil
}

func encodeBank(b Bank) []byte {
	return binary.BigEndian.AppendUint64(nil, math.Float64bits(b.MatchRatio))
}

func decodeBank(name, v []byte) (Bank, error) {
	if len(v) != 8 {
		return Bank{}, fmt.Errorf("%w: bank %q: record of %d bytes", ErrCorrupt, name, len(v))
	}
	return Bank{Name: string(name), MatchRatio: math.Float64frombits(binary.BigEndian.Uint64(v))}, nil
}

// Banks returns every bank, by name.
func (db *DB) Banks() (_ []Bank, err error) {
	defer wrapErr(&err, "banks")
	var out []Bank
	err = db.view(func(v *view) error {
		bb := v.Bucket(store.BucketBanks)
		if bb == nil {
			return nil
		}
		return bb.ForEach(func(k, val []byte) error {
			b, err := decodeBank(k, val)
			out = append(out, b)
			return err
		})
	})
	return out, err
}

// GetBank returns the bank called name; the error wraps [ErrNotFound] if
// there is none.
func (db *DB) GetBank(name string) (_ Bank, err error) {
	defer wrapErrOf(&err, func() string { return "get bank " + name })
	var b Bank
	err = db.view(func(v *view) error {
		val := v.Get(store.BucketBanks, []byte(name))
		if val == nil {
			return ErrNotFound
		}
		b, err = decodeBank([]byte(name), val)
		return err
	})
	return b, err
}

// CreateBank stores a new bank; the error wraps [ErrBankExists] if one
// has its name.
func (db *DB) CreateBank(ctx context.Context, b Bank) (err error) {
	defer wrapErrOf(&err, func() string { return "create bank " + b.Name })
	if err := b.validate(); err != nil {
		return err
	}
	return db.update(ctx, func(w *writer) error {
		if err := w.t.Create(store.BucketBanks); err != nil {
			return err
		}
		bb := w.t.Bucket(store.BucketBanks)
		if bb.Get([]byte(b.Name)) != nil {
			return ErrBankExists
		}
		return bb.Put([]byte(b.Name), encodeBank(b))
	})
}

// UpdateBank replaces the bank called name by b. A new name renames it:
// its items' label changes to the new one, in the same transaction, so
// renaming a large bank is a large write. The error wraps [ErrNotFound]
// if there is no bank called name and [ErrBankExists] if another has b's
// name.
func (db *DB) UpdateBank(ctx context.Context, name string, b Bank) (err error) {
	defer wrapErrOf(&err, func() string { return "update bank " + name })
	if err := b.validate(); err != nil {
		return err
	}
	return db.update(ctx, func(w *writer) error {
		bb := w.t.Bucket(store.BucketBanks)
		if bb.Get([]byte(name)) == nil {
			return ErrNotFound
		}
		if b.Name == name {
			return bb.Put([]byte(name), encodeBank(b))
		}
		if bb.Get([]byte(b.Name)) != nil {
			return ErrBankExists
		}
		if err := bb.Delete([]byte(name)); err != nil {
			return err
		}
		if err := bb.Put([]byte(b.Name), encodeBank(b)); err != nil {
			return err
		}
		from, to := Bank{Name: name}.Label(), b.Label()
		return w.eachMember(from, true, func(it Item) error {
			i := slices.Index(it.Labels, from)
			it.Labels[i] = to
			slices.Sort(it.Labels)
			_, err := w.putItem(it)
			return err
		})
	})
}

// DeleteBank removes the bank called name and retracts its live items,
// returning how many; they stay as tombstones, so partners that hold them
// learn they are withdrawn. Deleting a bank that does not exist retracts
// nothing and is not an error.
func (db *DB) DeleteBank(ctx context.Context, name string) (n int, err error) {
	defer wrapErrOf(&err, func() string { return "delete bank " + name })
	err = db.update(ctx, func(w *writer) error {
		n = 0
		bb := w.t.Bucket(store.BucketBanks)
		if bb.Get([]byte(name)) == nil {
			return nil
		}
		if err := bb.Delete([]byte(name)); err != nil {
			return err
		}
		return w.eachMember(Bank{Name: name}.Label(), false, func(it Item) error {
			it.Retracted, it.RetractReason = true, "bank "+name+" deleted"
			n++
			_, err := w.putItem(it)
			return err
		})
	})
	return n, err
}

// eachMember calls fn with each of the local organisation's items that
// carry label, live ones only unless retracted is set. It reads them all
// before the first call, since fn writes.
func (w *writer) eachMember(label string, retracted bool, fn func(Item) error) error {
	prefix := store.SourcePrefix(w.db.opts.Organization)
	var members []Item
	c := w.items.Cursor()
	for k, v := c.Seek(prefix); k != nil && hasPrefix(k, prefix); k, v = c.Next() {
		r, err := decodeRecord(k, v)
		if err != nil {
			return err
		}
		if (retracted || !r.Retracted) && slices.Contains(r.Labels, label) {
			members = append(members, r.Item)
		}
	}
	for _, it := range members {
		if err := fn(it); err != nil {
			return err
		}
	}
	return nil
}
