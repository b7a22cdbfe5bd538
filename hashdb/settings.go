package hashdb

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/internal/store"
)

// ErrInvalidSetting reports a setting that cannot be stored: a bad name
// or a value too large.
var ErrInvalidSetting = errors.New("invalid setting")

// MaxSettingLen is the largest value of a setting, in bytes.
const MaxSettingLen = 1 << 20

// A Setting is a named value an application keeps with the database,
// such as a server's configuration, so that it survives a restart and
// travels with the file. Settings are never exchanged, exported or
// logged in the change log: they are the local installation's.
type Setting struct {
	// Name is 1 to 512 bytes without NUL; applications put their own
	// prefix on it ("matchserver/exchange/NAME").
	Name string
	// Value is at most MaxSettingLen bytes.
	Value []byte
}

func validateSettingName(name string) error {
	if name == "" || len(name) > maxIDLen || strings.ContainsRune(name, 0) {
		return fmt.Errorf("%w: name %q: want 1 to %d bytes without NUL", ErrInvalidSetting, truncate(name), maxIDLen)
	}
	return nil
}

// Setting returns the value of the setting called name; the error wraps
// [ErrNotFound] if there is none.
func (db *DB) Setting(name string) (_ []byte, err error) {
	defer wrapErrOf(&err, func() string { return "setting " + name })
	var out []byte
	err = db.view(func(v *view) error {
		val := v.Get(store.BucketSettings, []byte(name))
		if val == nil {
			return ErrNotFound
		}
		out = bytes.Clone(val)
		return nil
	})
	return out, err
}

// Settings returns the settings whose names start with prefix, by name.
func (db *DB) Settings(prefix string) (_ []Setting, err error) {
	defer wrapErrOf(&err, func() string { return "settings " + prefix })
	var out []Setting
	err = db.view(func(v *view) error {
		c := v.Cursor(store.BucketSettings)
		for k, val := c.Seek([]byte(prefix)); k != nil && bytes.HasPrefix(k, []byte(prefix)); k, val = c.Next() {
			out = append(out, Setting{Name: string(k), Value: bytes.Clone(val)})
		}
		return nil
	})
	return out, err
}

// PutSetting stores value as the setting called name, replacing any; the
// error wraps [ErrInvalidSetting] if it cannot be stored.
func (db *DB) PutSetting(ctx context.Context, name string, value []byte) (err error) {
	defer wrapErrOf(&err, func() string { return "put setting " + name })
	if err := validateSettingName(name); err != nil {
		return err
	}
	if len(value) > MaxSettingLen {
		return fmt.Errorf("%w: %s: value of %d bytes, more than %d", ErrInvalidSetting, name, len(value), MaxSettingLen)
	}
	return db.update(ctx, func(w *writer) error {
		if err := w.t.Create(store.BucketSettings); err != nil {
			return err
		}
		return w.t.Bucket(store.BucketSettings).Put([]byte(name), bytes.Clone(value))
	})
}

// DeleteSetting removes the setting called name; removing one that does
// not exist is not an error.
func (db *DB) DeleteSetting(ctx context.Context, name string) (err error) {
	defer wrapErrOf(&err, func() string { return "delete setting " + name })
	return db.update(ctx, func(w *writer) error {
		b := w.t.Bucket(store.BucketSettings)
		if !b.Exists() {
			return nil
		}
		return b.Delete([]byte(name))
	})
}
