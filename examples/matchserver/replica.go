package main

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/prometheus/client_golang/prometheus"
	"gocloud.dev/blob"
	_ "gocloud.dev/blob/azureblob" // the bucket URL schemes -follow opens
	_ "gocloud.dev/blob/fileblob"
	_ "gocloud.dev/blob/gcsblob"
	_ "gocloud.dev/blob/memblob"
	_ "gocloud.dev/blob/s3blob"

	"github.com/hashshare/hashshare/hashdb"
	"github.com/hashshare/hashshare/hashdb/replica"
	"github.com/hashshare/hashshare/hashdb/replica/natswake"
)

// followConfig is what -follow and its companion flags ask for.
type followConfig struct {
	URL, Peer string
	Interval  time.Duration
	NATS      string // optional: a NATS URL whose key wakes the follower
	TempDir   string
}

// natsWakeBucket is the JetStream key-value bucket hashdb publish --nats
// puts the manifest's sequence in, under the publisher's organisation.
const natsWakeBucket = "hashshare-replicas"

// startFollow runs a follower of cfg.Peer's bucket into db in the
// background while the server serves from db: imports are staged, so
// requests see the last good state until each commits. The follower's
// lag is exported on reg. The returned function stops it and waits.
func startFollow(ctx context.Context, db *hashdb.DB, reg prometheus.Registerer, cfg followConfig, log *slog.Logger) (stop func(), err error) {
	b, err := blob.OpenBucket(ctx, cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("-follow: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	var closers []func()
	defer func() {
		if err != nil {
			cancel()
			for _, c := range closers {
				c()
			}
			b.Close()
		}
	}()
	opts := replica.FollowerOptions{Peer: cfg.Peer, Interval: cfg.Interval, TempDir: cfg.TempDir}
	if cfg.NATS != "" {
		nc, err := nats.Connect(cfg.NATS)
		if err != nil {
			return nil, fmt.Errorf("-follow-nats: %w", err)
		}
		closers = append(closers, nc.Close)
		js, err := jetstream.New(nc)
		if err != nil {
			return nil, fmt.Errorf("-follow-nats: %w", err)
		}
		w, err := natswake.Open(ctx, js, natsWakeBucket, cfg.Peer)
		if err != nil {
			return nil, err
		}
		if opts.Wake, err = w.Watch(ctx); err != nil {
			return nil, err
		}
	}
	m := newReplicaMetrics(cfg.Peer)
	opts.OnSync = func(st replica.Status, err error) {
		m.observe(st, err)
		switch {
		case err != nil:
			log.Warn("follow: sync failed; serving the last good state", "peer", cfg.Peer, "seq", st.Seq, "err", err)
		case st.Fallback != "":
			log.Warn("follow: loaded the FULL bundle", "peer", cfg.Peer, "seq", st.Seq, "why", st.Fallback)
		case st.Deltas+st.Fulls > 0:
			log.Info("follow: synced", "peer", cfg.Peer, "seq", st.Seq, "deltas", st.Deltas, "fulls", st.Fulls)
		}
	}
	f, err := replica.NewFollower(db, b, opts)
	if err != nil {
		return nil, err
	}
	m.follower = f
	if err := reg.Register(m); err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	wg.Go(func() { f.Run(ctx) })
	log.Info("following", "url", cfg.URL, "peer", cfg.Peer, "interval", cfg.Interval, "nats", cfg.NATS != "")
	return func() {
		cancel()
		wg.Wait()
		for _, c := range closers {
			c()
		}
		b.Close()
	}, nil
}

// replicaMetrics export a follower's lag, read when scraped.
type replicaMetrics struct {
	follower *replica.Follower
	seq      *prometheus.Desc
	behind   *prometheus.Desc
	age      *prometheus.Desc
	current  *prometheus.Desc
	syncs    *prometheus.CounterVec
	fulls    prometheus.Counter
}

func newReplicaMetrics(peer string) *replicaMetrics {
	l := prometheus.Labels{"peer": peer}
	return &replicaMetrics{
		seq:     prometheus.NewDesc("hashshare_replica_seq", "The producer's sequence number the replica holds.", nil, l),
		behind:  prometheus.NewDesc("hashshare_replica_behind", "Sequence numbers the replica is behind the last manifest read.", nil, l),
		age:     prometheus.NewDesc("hashshare_replica_age_seconds", "Age of the newest change the replica holds (when the producer wrote its bundle).", nil, l),
		current: prometheus.NewDesc("hashshare_replica_current", "1 if the replica holds the manifest's sequence and set digest, else 0.", nil, l),
		syncs: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "hashshare_replica_syncs_total",
			Help: "Syncs with the producer's bucket, by result.", ConstLabels: l}, []string{"result"}),
		fulls: prometheus.NewCounter(prometheus.CounterOpts{Name: "hashshare_replica_full_loads_total",
			Help: "FULL bundles loaded.", ConstLabels: l}),
	}
}

func (m *replicaMetrics) observe(st replica.Status, err error) {
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.syncs.WithLabelValues(result).Inc()
	m.fulls.Add(float64(st.Fulls))
}

// Describe implements prometheus.Collector.
func (m *replicaMetrics) Describe(c chan<- *prometheus.Desc) {
	c <- m.seq
	c <- m.behind
	c <- m.age
	c <- m.current
	m.syncs.Describe(c)
	m.fulls.Describe(c)
}

// Collect implements prometheus.Collector.
func (m *replicaMetrics) Collect(c chan<- prometheus.Metric) {
	st := m.follower.Status()
	cur := 0.0
	if st.Current {
		cur = 1
	}
	c <- prometheus.MustNewConstMetric(m.seq, prometheus.GaugeValue, float64(st.Seq))
	c <- prometheus.MustNewConstMetric(m.behind, prometheus.GaugeValue, float64(st.Behind()))
	c <- prometheus.MustNewConstMetric(m.age, prometheus.GaugeValue, st.Age(time.Now()).Seconds())
	c <- prometheus.MustNewConstMetric(m.current, prometheus.GaugeValue, cur)
	m.syncs.Collect(c)
	m.fulls.Collect(c)
}
