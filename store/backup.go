package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/packline/packline/agent/order"
	bolt "go.etcd.io/bbolt"
)

// Backup writes a consistent snapshot of the whole store to w while the
// store stays in use, and returns the bytes written.
func (db *DB) Backup(w io.Writer) (int64, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.bolt == nil {
		return 0, errClosed
	}
	var n int64
	err := db.bolt.View(func(tx *bolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return n, fmt.Errorf("writing backup of %s: %w", db.path, err)
	}
	return n, nil
}

// BackupInfo describes a backup file.
type BackupInfo struct {
	// Path is the backup file.
	Path string `json:"path"`
	// Bytes is its size.
	Bytes int64 `json:"bytes"`
	// Orders and Events count the orders and the outbox events waiting in
	// the snapshot; both are -1 for a backup that was found, not written.
	Orders int `json:"orders"`
	Events int `json:"events"`
	// At is when the snapshot was taken (for a found backup, its
	// modification time).
	At time.Time `json:"at"`
}

// BackupFile writes a consistent snapshot to path atomically: a temporary
// file in the same directory, synced, then renamed over path. A failed
// backup leaves no partial file behind.
func (db *DB) BackupFile(path string) error {
	_, err := db.BackupTo(context.Background(), path)
	return err
}

// BackupTo writes a consistent snapshot to path like BackupFile while the
// store stays in use, and returns its size and what it holds. Cancelling
// ctx abandons the backup and removes the partial file.
func (db *DB) BackupTo(ctx context.Context, path string) (BackupInfo, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.bolt == nil {
		return BackupInfo{}, errClosed
	}
	return db.backupTo(ctx, path)
}

func (db *DB) backupFile(path string) error {
	_, err := db.backupTo(context.Background(), path)
	return err
}

// ctxWriter fails writes once its context is done, so a long snapshot stops
// when the agent does.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}

func (db *DB) backupTo(ctx context.Context, path string) (BackupInfo, error) {
	if !filepath.IsAbs(path) {
		return BackupInfo{}, fmt.Errorf("backup path %q is relative: give an absolute path", path)
	}
	if path == db.path {
		return BackupInfo{}, fmt.Errorf("the backup file %s is the store itself: choose another path", path)
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".packline-backup-*.tmp")
	if err != nil {
		return BackupInfo{}, fmt.Errorf("cannot write a backup in %s: %w: check that the directory exists and is writable", dir, err)
	}
	tmp := f.Name()
	fail := func(err error) (BackupInfo, error) {
		f.Close()
		os.Remove(tmp)
		return BackupInfo{}, db.mapErr(err)
	}
	info := BackupInfo{Path: path, At: db.now()}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		// Counted in the snapshot's own transaction, so the numbers are
		// those of the file. Buckets may be missing in an old schema.
		if b := tx.Bucket([]byte(bOrders)); b != nil {
			info.Orders = countKeys(b)
		}
		if b := tx.Bucket([]byte(bOutbox)); b != nil {
			info.Events = countKeys(b)
		}
		var err error
		info.Bytes, err = tx.WriteTo(ctxWriter{ctx: ctx, w: f})
		return err
	})
	if err != nil && ctx.Err() != nil {
		// bbolt does not wrap the writer's error.
		return fail(fmt.Errorf("backup %s abandoned: %w", path, ctx.Err()))
	}
	if err != nil {
		return fail(fmt.Errorf("writing backup %s: %w", path, err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("syncing backup %s: %w", path, err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("closing backup %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("backup %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return BackupInfo{}, fmt.Errorf("putting backup in place at %s: %w", path, err)
	}
	syncDir(dir)
	return info, nil
}

// dailyName is the file name of the daily backup taken on day t.
func dailyName(t time.Time) string { return "daily-" + t.Format("20060102") + ".db" }

// BackupDaily writes today's backup, daily-YYYYMMDD.db, into BackupDir
// (replacing today's earlier one) and deletes the oldest daily backups beyond
// keep. Backups taken before migrations are never deleted. It returns the
// backup's path.
func (db *DB) BackupDaily(keep int) (string, error) {
	info, err := db.backupDaily(context.Background(), keep)
	return info.Path, err
}

// EnsureDailyBackup takes today's daily backup like BackupDaily unless it
// exists already, in which case it describes that one and reports false.
func (db *DB) EnsureDailyBackup(ctx context.Context, keep int) (BackupInfo, bool, error) {
	if db.opt.BackupDir == "" {
		return BackupInfo{}, false, errNoBackupDir
	}
	path := filepath.Join(db.opt.BackupDir, dailyName(db.now()))
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		return BackupInfo{Path: path, Bytes: fi.Size(), Orders: -1, Events: -1, At: fi.ModTime()}, false, nil
	}
	info, err := db.backupDaily(ctx, keep)
	if err != nil {
		return info, false, err
	}
	return info, true, nil
}

var errNoBackupDir = errors.New("no backup directory is set: set store.backup_dir")

func (db *DB) backupDaily(ctx context.Context, keep int) (BackupInfo, error) {
	if db.opt.BackupDir == "" {
		return BackupInfo{}, errNoBackupDir
	}
	if keep < 1 {
		keep = 1
	}
	if err := os.MkdirAll(db.opt.BackupDir, 0o750); err != nil {
		return BackupInfo{}, fmt.Errorf("creating backup directory: %w", err)
	}
	path := filepath.Join(db.opt.BackupDir, dailyName(db.now()))
	info, err := db.BackupTo(ctx, path)
	if err != nil {
		return BackupInfo{}, err
	}
	old, err := filepath.Glob(filepath.Join(db.opt.BackupDir, "daily-????????.db"))
	if err != nil {
		return info, err
	}
	sort.Strings(old)
	for len(old) > keep {
		if err := os.Remove(old[0]); err != nil {
			return info, fmt.Errorf("removing old backup: %w", err)
		}
		db.log.Info("old backup removed", "path", old[0])
		old = old[1:]
	}
	return info, nil
}

// Stats describe the store for the lead's screen and /metrics.
type Stats struct {
	// Orders counts orders per state; OrdersTotal is their sum.
	Orders      map[order.State]int `json:"orders"`
	OrdersTotal int                 `json:"orders_total"`
	Outbox      OutboxStats         `json:"outbox"`
	// FileSize is the file's size in bytes; MaxSize the configured cap (0 = none).
	FileSize int64 `json:"file_size"`
	MaxSize  int64 `json:"max_size"`
	PageSize int   `json:"page_size"`
	// FreePages are pages inside the file that hold no data (reusable).
	FreePages     int `json:"free_pages"`
	SchemaVersion int `json:"schema_version"`
}

// Stats returns order counts, outbox figures and file usage.
func (db *DB) Stats() (Stats, error) {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.bolt == nil {
		return Stats{}, errClosed
	}
	s := Stats{MaxSize: db.opt.MaxSize, SchemaVersion: db.schema, PageSize: db.bolt.Info().PageSize}
	err := db.bolt.View(func(btx *bolt.Tx) error {
		tx := &Tx{tx: btx, db: db}
		defer tx.close()
		var err error
		if s.Orders, err = tx.CountByState(); err != nil {
			return err
		}
		for _, n := range s.Orders {
			s.OrdersTotal += n
		}
		s.Outbox, err = tx.OutboxStats()
		s.FileSize = btx.Size()
		return err
	})
	if err != nil {
		return Stats{}, err
	}
	bs := db.bolt.Stats()
	s.FreePages = bs.FreePageN + bs.PendingPageN
	return s, nil
}

// Compact rewrites the store into a fresh file when more than half of its
// pages are free (deletes never shrink a bbolt file), then reopens it. It
// holds the store exclusively meanwhile. It returns nil without doing
// anything when the file is dense enough.
func (db *DB) Compact() error {
	st, err := db.Stats()
	if err != nil {
		return err
	}
	if st.PageSize == 0 || int64(st.FreePages)*2 <= st.FileSize/int64(st.PageSize) {
		return nil
	}
	return db.compact()
}

func (db *DB) compact() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.bolt == nil {
		return errClosed
	}
	tmp := db.path + ".compact"
	_ = os.Remove(tmp)
	dst, err := bolt.Open(tmp, 0o600, &bolt.Options{Timeout: db.opt.Timeout, NoFreelistSync: false, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("compacting %s: %w", db.path, db.mapErr(err))
	}
	if err := bolt.Compact(dst, db.bolt, 64<<20); err != nil {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("compacting %s (the store is unchanged): %w", db.path, db.mapErr(err))
	}
	if err := dst.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compacting %s (the store is unchanged): %w", db.path, err)
	}
	// Close before renaming: Windows cannot replace an open file.
	if err := db.bolt.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("compacting %s: closing: %w", db.path, err)
	}
	db.bolt = nil
	renameErr := os.Rename(tmp, db.path)
	if renameErr != nil {
		os.Remove(tmp)
	} else {
		syncDir(filepath.Dir(db.path))
	}
	b, err := bolt.Open(db.path, 0o600, db.boltOptions())
	if err != nil {
		return fmt.Errorf("reopening %s after compaction: %w", db.path, err)
	}
	db.bolt = b
	if renameErr != nil {
		return fmt.Errorf("compacting %s (the store is unchanged): %w", db.path, renameErr)
	}
	db.log.Info("store compacted", "path", db.path)
	return nil
}
