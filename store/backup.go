package store

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

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

// BackupFile writes a consistent snapshot to path atomically: a temporary
// file in the same directory, synced, then renamed over path. A failed
// backup leaves no partial file behind.
func (db *DB) BackupFile(path string) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.bolt == nil {
		return errClosed
	}
	return db.backupFile(path)
}

func (db *DB) backupFile(path string) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".packline-backup-*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write a backup in %s: %w: check that the directory exists and is writable", dir, err)
	}
	tmp := f.Name()
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return db.mapErr(err)
	}
	err = db.bolt.View(func(tx *bolt.Tx) error {
		_, err := tx.WriteTo(f)
		return err
	})
	if err != nil {
		return fail(fmt.Errorf("writing backup %s: %w", path, err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("syncing backup %s: %w", path, err))
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("closing backup %s: %w", path, err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("putting backup in place at %s: %w", path, err)
	}
	syncDir(dir)
	return nil
}

// BackupDaily writes today's backup, daily-YYYYMMDD.db, into BackupDir
// (replacing today's earlier one) and deletes the oldest daily backups beyond
// keep. Backups taken before migrations are never deleted. It returns the
// backup's path.
func (db *DB) BackupDaily(keep int) (string, error) {
	if db.opt.BackupDir == "" {
		return "", errors.New("no backup directory is set: set store.backup_dir")
	}
	if keep < 1 {
		keep = 1
	}
	if err := os.MkdirAll(db.opt.BackupDir, 0o750); err != nil {
		return "", fmt.Errorf("creating backup directory: %w", err)
	}
	path := filepath.Join(db.opt.BackupDir, "daily-"+db.now().Format("20060102")+".db")
	if err := db.BackupFile(path); err != nil {
		return "", err
	}
	old, err := filepath.Glob(filepath.Join(db.opt.BackupDir, "daily-????????.db"))
	if err != nil {
		return path, err
	}
	sort.Strings(old)
	for len(old) > keep {
		if err := os.Remove(old[0]); err != nil {
			return path, fmt.Errorf("removing old backup: %w", err)
		}
		db.log.Info("old backup removed", "path", old[0])
		old = old[1:]
	}
	return path, nil
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
