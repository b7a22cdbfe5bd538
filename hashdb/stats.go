package hashdb

import (
	"fmt"
	"strings"

	"github.com/hashshare/hashshare/hashdb/signal"

	bolt "go.etcd.io/bbolt"
)

// Stats describe a database. Except for Retracted, counts are of live
// items: retracted ones no longer match and are not counted by source,
// label, level or signal.
type Stats struct {
	// Items is the number of live items.
	Items int
	// Retracted is the number of retracted items (tombstones).
	Retracted int
	// Signals counts the live items' signals by algorithm.
	Signals map[signal.Algorithm]int
	// Sources counts live items by source.
	Sources map[string]int
	// Labels counts live items by label.
	Labels map[string]int
	// TLP counts live items by sharing level.
	TLP map[TLP]int
	// Opinions is the number of opinions stored.
	Opinions int
	// Peers is the number of peers.
	Peers int
	// LastSeq is the sequence number of the last change; 0 for none.
	LastSeq uint64
	// FileSize is the size of the database file in bytes.
	FileSize int64
}

// Stats returns counts kept up to date by every commit, so it costs the
// number of distinct sources, labels and levels, not of items.
func (db *DB) Stats() (Stats, error) {
	var st Stats
	err := db.view(func(tx *bolt.Tx) error {
		m, _, err := readMeta(tx)
		if err != nil {
			return err
		}
		st, err = readStats(tx.Bucket(bucketCounts))
		if err != nil {
			return err
		}
		st.LastSeq = m.GetLastSeq()
		st.FileSize = tx.Size()
		st.Peers = tx.Bucket(bucketPeers).Stats().KeyN
		return nil
	})
	return st, err
}

// readStats decodes the counters bucket.
func readStats(b *bolt.Bucket) (Stats, error) {
	st := Stats{
		Signals: make(map[signal.Algorithm]int),
		Sources: make(map[string]int),
		Labels:  make(map[string]int),
		TLP:     make(map[TLP]int),
	}
	err := b.ForEach(func(k, v []byte) error {
		n, err := readCount(v)
		if err != nil {
			return fmt.Errorf("counter %q: %w", k, err)
		}
		key := string(k)
		switch {
		case key == countLive:
			st.Items = int(n)
		case key == countRetracted:
			st.Retracted = int(n)
		case key == countOpinions:
			st.Opinions = int(n)
		case strings.HasPrefix(key, countSourcePrefix):
			st.Sources[key[len(countSourcePrefix):]] = int(n)
		case strings.HasPrefix(key, countLabelPrefix):
			st.Labels[key[len(countLabelPrefix):]] = int(n)
		case strings.HasPrefix(key, countAlgPrefix):
			a, err := signal.ParseAlgorithm(key[len(countAlgPrefix):])
			if err != nil {
				return fmt.Errorf("%w: counter %q", ErrCorrupt, k)
			}
			st.Signals[a] = int(n)
		case strings.HasPrefix(key, countTLPPrefix):
			t, err := parseTLP(key[len(countTLPPrefix):])
			if err != nil {
				return fmt.Errorf("%w: counter %q", ErrCorrupt, k)
			}
			st.TLP[t] = int(n)
		default:
			return fmt.Errorf("%w: unknown counter %q", ErrCorrupt, k)
		}
		return nil
	})
	return st, err
}
