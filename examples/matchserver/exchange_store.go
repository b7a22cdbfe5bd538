package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hashshare/hashshare/hashdb"
)

// An exchange is one configured exchange (HMA's collaboration): its name,
// which is also its bank's, the API, whether it is fetched, the source its
// items are filed under and the API's own config.
type exchange struct {
	Name    string `json:"name"`
	API     string `json:"api"`
	Enabled bool   `json:"enabled"`
	// Source is where the fetched items are filed: the feeds API's name
	// ("ncmec"), or that and the exchange's name when another feed files
	// there already (a full fetch retracts what its source no longer
	// lists, so two feeds must not share one).
	Source string `json:"source"`
	// PrivacyGroup is fb_threatexchange's.
	PrivacyGroup int64 `json:"privacy_group,omitempty"`
	// Environment is ncmec's, as pytx's NCMECEnvironment value (a URL).
	Environment string `json:"environment,omitempty"`
}

// fetchStatus is what the scheduler last did with an exchange, kept with
// its config so that /status says it after a restart too.
type fetchStatus struct {
	// Complete is the end of the last fetch, in unix seconds (0: none).
	Complete int64 `json:"complete,omitempty"`
	// Succeeded reports the last fetch ended without error, and
	// UpToDate that it also fetched all there was (it was not cut
	// short by its time).
	Succeeded bool `json:"succeeded,omitempty"`
	UpToDate  bool `json:"up_to_date,omitempty"`
}

// Setting names: exchanges and their status under their own prefixes.
const (
	settingExchange = "matchserver/exchange/"
	settingStatus   = "matchserver/exchange-status/"
)

// loadExchanges returns the stored exchanges, by name.
func loadExchanges(db *hashdb.DB) (map[string]*exchange, error) {
	ss, err := db.Settings(settingExchange)
	if err != nil {
		return nil, err
	}
	out := map[string]*exchange{}
	for _, s := range ss {
		e := new(exchange)
		if err := json.Unmarshal(s.Value, e); err != nil {
			return nil, fmt.Errorf("stored exchange %s: %w", strings.TrimPrefix(s.Name, settingExchange), err)
		}
		if _, ok := exchangeAPINamed(e.API); !ok {
			return nil, fmt.Errorf("stored exchange %s: API %q is not one this server speaks", e.Name, e.API)
		}
		out[e.Name] = e
	}
	return out, nil
}

func putExchange(ctx context.Context, db *hashdb.DB, e *exchange) error {
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return db.PutSetting(ctx, settingExchange+e.Name, b)
}

func loadStatus(db *hashdb.DB, name string) (fetchStatus, error) {
	var st fetchStatus
	b, err := db.Setting(settingStatus + name)
	if errors.Is(err, hashdb.ErrNotFound) {
		return st, nil
	}
	if err != nil {
		return st, err
	}
	return st, json.Unmarshal(b, &st)
}

func putStatus(ctx context.Context, db *hashdb.DB, name string, st fetchStatus) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return db.PutSetting(ctx, settingStatus+name, b)
}

// credentialStore holds each exchange API's credentials, in a file of its
// own (see the package doc for why not in the database), or only in
// memory when it has no path.
type credentialStore struct {
	path string
	mu   sync.Mutex
	m    map[string]map[string]string // by API
}

// openCredentials reads the credentials file at path, if there is one. A
// file others may read is refused: it holds secrets.
func openCredentials(path string) (*credentialStore, error) {
	c := &credentialStore{path: path, m: map[string]map[string]string{}}
	if path == "" {
		return c, nil
	}
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return c, nil
	}
	if err != nil {
		return nil, fmt.Errorf("exchange credentials: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("exchange credentials %s: mode %v lets others read it; chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("exchange credentials: %w", err)
	}
	if err := json.Unmarshal(b, &c.m); err != nil || c.m == nil {
		// Not the decoder's text: it may quote the secrets.
		return nil, fmt.Errorf("exchange credentials %s: not a JSON object of objects of strings", path)
	}
	return c, nil
}

// get returns api's credentials, nil if none are set.
func (c *credentialStore) get(api string) map[string]string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[api]
}

// set stores api's credentials; nil clears them. The file is replaced
// whole (written aside, synced, renamed), so that a crash leaves the old
// one or the new one, and is created 0600.
func (c *credentialStore) set(api string, cred map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	next := make(map[string]map[string]string, len(c.m)+1)
	for k, v := range c.m {
		next[k] = v
	}
	if cred == nil {
		delete(next, api)
	} else {
		next[api] = cred
	}
	if c.path != "" {
		if err := writePrivate(c.path, next); err != nil {
			return fmt.Errorf("exchange credentials: %w", err)
		}
	}
	c.m = next
	return nil
}

func writePrivate(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*.tmp") // 0600
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(append(b, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
