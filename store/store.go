// Package store is Packline's embedded database: one bbolt file that holds
// the orders the warehouse packs, their indexes, the transactional outbox of
// events to sync upstream, the audit log, the product catalogue, barcodes,
// label documents and small settings.
//
// All access goes through DB.Update and DB.View. A Tx is valid only inside its
// callback; every value it returns is a copy, safe to keep after the callback
// returns. Never hold a transaction across I/O (network calls, device reads,
// printing): read what is needed, return, do the I/O, then open a new Update
// to record the result. A long write transaction blocks every other writer,
// and a long read transaction pins pages and makes the file grow.
//
// A state change and the outbox event it causes must be written in the same
// Update (DESIGN.md invariant 1): call PutOrder and Enqueue from one callback.
//
// Layout (schema v2). Values are JSON; sequence keys are 8-byte big-endian
// NextSequence values; time keys are 12 bytes that sort in time order.
//
//	meta          schema_version
//	settings      key -> JSON (SetMeta)
//	orders        order id -> order.Order
//	idx_state     state, 0, RTS deadline, order id -> ""
//	idx_deadline  RTS deadline, order id -> ""
//	idx_package   package id -> order id
//	outbox        seq -> Event; outbox_dead: seq -> Event
//	delivered     event id (UUIDv7) -> ack time
//	audit         seq -> AuditEntry; idx_audit: order id, 0, seq -> ""
//	documents     key -> bytes; products: id -> order.Product
//	barcodes      GTIN-14 or code -> {sku_id, units}
//
// Open checks the whole file (bbolt's tx.Check) before use. A damaged file is
// moved aside, never deleted, and the newest good backup is restored; see
// Recovery. Schema changes are migrations that run in one transaction after a
// backup of the file.
package store

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// DefaultTimeout is how long Open waits for the file lock.
const DefaultTimeout = 2 * time.Second

// Errors callers test with errors.Is.
var (
	// ErrLocked means another process (normally the agent service) holds the
	// store's file lock.
	ErrLocked = errors.New("another packline-agent has the store open (the file is locked): stop it first")
	// ErrNotFound means the record asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrFull means a write would grow the file past Options.MaxSize or the
	// disk is full. The write was rolled back; the store stays usable.
	ErrFull = errors.New("store full")
	// ErrCorrupt means a stored record or the file itself could not be read.
	ErrCorrupt = errors.New("store corrupt")
	// ErrMigration means Open could not bring the file to this agent's
	// schema: a migration step failed (the file is unchanged), the file is
	// from a newer agent, or no backup directory is set. Opening again
	// fails the same way until an operator acts.
	ErrMigration = errors.New("store schema migration failed")
)

// lockedError carries the path and wait of a lock timeout; it is ErrLocked.
type lockedError struct {
	path    string
	timeout time.Duration
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("another packline-agent has the store open (%s is locked; waited %s): stop it first (on a service install: packline-agent service stop)", e.path, e.timeout)
}

func (e *lockedError) Is(target error) bool { return target == ErrLocked }

// migrationError keeps the message of a failed migration; it is
// ErrMigration.
type migrationError struct{ err error }

func (e *migrationError) Error() string        { return e.err.Error() }
func (e *migrationError) Unwrap() error        { return e.err }
func (e *migrationError) Is(target error) bool { return target == ErrMigration }

// Options configure Open.
type Options struct {
	// Timeout is how long Open waits for the file lock (default 2s). When it
	// expires Open returns an error that is ErrLocked.
	Timeout time.Duration
	// MaxSize caps the file size in bytes; 0 means no cap. A write that
	// would grow the file past it fails with ErrFull.
	MaxSize int64
	// BackupDir receives automatic backups taken before schema migrations,
	// and is where recovery looks for the newest backup to restore.
	BackupDir string
	// Logger receives the store's log lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// ReadOnly opens an existing file for reading only (backups, reports):
	// nothing is created, migrated or recovered, and a damaged file is an
	// error that is ErrCorrupt. It still waits for the agent's lock.
	ReadOnly bool
}

// DB is an open store. Its methods are safe for concurrent use.
type DB struct {
	path string
	opt  Options
	log  *slog.Logger
	now  func() time.Time

	// mu guards bolt: Update, View and the backups hold it shared;
	// Compact and Close hold it exclusively while they swap or close the file.
	mu       sync.RWMutex
	bolt     *bolt.DB
	recovery *Recovery
	schema   int
}

// Path returns the store file's path.
func (db *DB) Path() string { return db.path }

// SchemaVersion returns the schema version of the open file.
func (db *DB) SchemaVersion() int { return db.schema }

// Recovery returns what Open did to recover a damaged file, or nil when the
// file opened cleanly.
func (db *DB) Recovery() *Recovery { return db.recovery }

// Close closes the file and releases its lock.
func (db *DB) Close() error {
	db.mu.Lock()
	defer db.mu.Unlock()
	if db.bolt == nil {
		return nil
	}
	err := db.bolt.Close()
	db.bolt = nil
	if err != nil {
		return fmt.Errorf("closing store %s: %w", db.path, err)
	}
	return nil
}

var errClosed = errors.New("store is closed")

// Update runs fn in one read-write transaction: everything fn writes commits
// together, or nothing does when fn returns an error. fn must not do I/O.
func (db *DB) Update(fn func(*Tx) error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.bolt == nil {
		return errClosed
	}
	err := db.bolt.Update(func(btx *bolt.Tx) error {
		tx := &Tx{tx: btx, db: db}
		defer tx.close()
		return fn(tx)
	})
	return db.mapErr(err)
}

// View runs fn in one read-only transaction. fn must not do I/O.
func (db *DB) View(fn func(*Tx) error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.bolt == nil {
		return errClosed
	}
	return db.bolt.View(func(btx *bolt.Tx) error {
		tx := &Tx{tx: btx, db: db}
		defer tx.close()
		return fn(tx)
	})
}

// mapErr turns size-cap and disk-full failures into ErrFull with advice.
func (db *DB) mapErr(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, berrors.ErrMaxSizeReached) {
		return fmt.Errorf("%w: the write would grow %s past its cap of %s; raise store.max_size_mb in the config, or prune and compact the store (nothing was written): %v",
			ErrFull, db.path, mb(db.opt.MaxSize), err)
	}
	if isNoSpace(err) {
		return fmt.Errorf("%w: the disk holding %s is full; free disk space (nothing was written): %v", ErrFull, db.path, err)
	}
	return err
}

func isNoSpace(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || strings.Contains(err.Error(), "no space left on device") ||
		strings.Contains(strings.ToLower(err.Error()), "not enough space on the disk")
}

func mb(n int64) string {
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// Tx is one transaction, valid only inside the Update or View callback that
// received it.
type Tx struct {
	tx   *bolt.Tx
	db   *DB
	done bool
}

func (tx *Tx) close() { tx.done = true }

var errTxDone = errors.New("store: transaction used after its callback returned")

// bucket returns a bucket of the transaction, or an error when the
// transaction is over or the bucket is missing.
func (tx *Tx) bucket(name []byte) (*bolt.Bucket, error) {
	if tx.done {
		return nil, errTxDone
	}
	b := tx.tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("%w: bucket %q is missing", ErrCorrupt, name)
	}
	return b, nil
}

// Writable reports whether the transaction may write.
func (tx *Tx) Writable() bool { return tx.tx.Writable() }

func fileExists(path string) (bool, int64, error) {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, 0, nil
	}
	if err != nil {
		return false, 0, err
	}
	if !fi.Mode().IsRegular() {
		return false, 0, fmt.Errorf("%s is not a regular file", path)
	}
	return true, fi.Size(), nil
}
