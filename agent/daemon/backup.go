package daemon

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/packline/packline/agent/localapi"
	"github.com/packline/packline/store"
)

// backupCheckEvery is how often the agent checks whether today's daily
// backup is due. Checking hourly, rather than sleeping until midnight,
// copes with clock changes and a machine that was asleep.
const backupCheckEvery = time.Hour

// backups takes the store's daily backups into store.backup_dir, keeping
// store.backup_keep of them, and writes backups asked for through the local
// API. One backup runs at a time.
type backups struct {
	db    *store.DB
	keep  int
	every time.Duration
	log   *slog.Logger

	mu     sync.Mutex
	last   prometheus.Gauge
	failed prometheus.Counter
}

var (
	_ localapi.Backuper    = (*backups)(nil)
	_ prometheus.Collector = (*backups)(nil)
)

func newBackups(db *store.DB, keep int, log *slog.Logger) *backups {
	return &backups{
		db: db, keep: keep, every: backupCheckEvery, log: log,
		last: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "packline_store_last_backup_timestamp_seconds",
			Help: "Unix time of the newest daily backup of the store (0: none yet).",
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "packline_store_backup_failures_total",
			Help: "Daily backups of the store that failed.",
		}),
	}
}

// Run takes today's backup unless it exists, then checks every b.every
// whether a new day needs one, until ctx ends.
func (b *backups) Run(ctx context.Context) error {
	b.daily(ctx)
	t := time.NewTicker(b.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			b.daily(ctx)
		}
	}
}

// daily takes today's backup if it is missing and logs the outcome. A
// failure is logged and counted, never fatal: the agent packs on.
func (b *backups) daily(ctx context.Context) {
	b.mu.Lock()
	defer b.mu.Unlock()
	info, taken, err := b.db.EnsureDailyBackup(ctx, b.keep)
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		b.failed.Inc()
		b.log.Error("daily backup failed: a damaged store could only be recovered from an older backup", "err", err)
		return
	}
	b.last.Set(float64(info.At.UnixNano()) / 1e9)
	if taken {
		b.log.Info("daily backup written", "path", info.Path, "bytes", info.Bytes, "orders", info.Orders, "keep", b.keep)
	}
}

// Backup implements localapi.Backuper: a consistent snapshot of the store
// written to path while the agent keeps working.
func (b *backups) Backup(ctx context.Context, path string) (localapi.BackupResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	info, err := b.db.BackupTo(ctx, path)
	if err != nil {
		return localapi.BackupResult{}, err
	}
	return localapi.BackupResult{
		Store: b.db.Path(), Path: info.Path, Bytes: info.Bytes, Orders: info.Orders, Events: info.Events, At: info.At,
	}, nil
}

// Describe implements prometheus.Collector.
func (b *backups) Describe(ch chan<- *prometheus.Desc) {
	b.last.Describe(ch)
	b.failed.Describe(ch)
}

// Collect implements prometheus.Collector.
func (b *backups) Collect(ch chan<- prometheus.Metric) {
	b.last.Collect(ch)
	b.failed.Collect(ch)
}
