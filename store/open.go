package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// errDamaged marks a file that exists but cannot be trusted.
var errDamaged = errors.New("damaged store file")

// Open opens (creating if needed) the store at path, takes its lock, checks
// its consistency, recovers a damaged file and migrates the schema.
//
// A damaged or unreadable file is never deleted: it is renamed to
// corrupt-<timestamp>.db beside the store, the newest good backup from
// Options.BackupDir is restored (or an empty store is started), and
// DB.Recovery says what happened.
func Open(path string, opt Options) (*DB, error) {
	return openWith(path, opt, migrations())
}

func openWith(path string, opt Options, migs []migration) (*DB, error) {
	if path == "" {
		return nil, errors.New("store path is empty: set store.path in the config")
	}
	if !filepath.IsAbs(path) {
		return nil, fmt.Errorf("store path %q is relative: give an absolute path", path)
	}
	if opt.Timeout <= 0 {
		opt.Timeout = DefaultTimeout
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	db := &DB{path: path, opt: opt, log: opt.Logger, now: opt.Now}
	if opt.ReadOnly {
		return db.openReadOnly()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, fmt.Errorf("creating the store directory: %w", err)
	}

	b, err := db.openChecked()
	if errors.Is(err, errDamaged) {
		db.log.Error("store file is damaged; recovering", "path", path, "err", err)
		if rerr := db.recoverFile(err); rerr != nil {
			return nil, rerr
		}
		b, err = db.openChecked()
		if err != nil {
			return nil, fmt.Errorf("opening store %s after recovery: %w", path, err)
		}
	}
	if err != nil {
		return nil, err
	}
	db.bolt = b
	if err := db.migrate(migs); err != nil {
		_ = b.Close()
		db.bolt = nil
		return nil, err
	}
	return db, nil
}

// openReadOnly opens an existing file without changing it.
func (db *DB) openReadOnly() (*DB, error) {
	exists, _, err := fileExists(db.path)
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	if !exists {
		return nil, fmt.Errorf("there is no store at %s: check store.path in the config", db.path)
	}
	o := db.boltOptions()
	o.ReadOnly = true
	b, err := openBolt(db.path, o)
	if err == nil {
		err = verify(b)
		if err != nil {
			_ = b.Close()
		}
	}
	if errors.Is(err, berrors.ErrTimeout) {
		return nil, &lockedError{path: db.path, timeout: db.opt.Timeout}
	}
	if errors.Is(err, errDamaged) {
		return nil, fmt.Errorf("%w: %v: the agent recovers it from a backup when it next starts", ErrCorrupt, err)
	}
	if err != nil {
		return nil, err
	}
	db.bolt = b
	if err := b.View(func(tx *bolt.Tx) (err error) { db.schema, err = schemaVersion(tx); return err }); err != nil {
		_ = b.Close()
		return nil, fmt.Errorf("opening store %s: %w", db.path, err)
	}
	return db, nil
}

// boltOptions returns the bbolt options for the store file.
func (db *DB) boltOptions() *bolt.Options {
	return &bolt.Options{
		Timeout:      db.opt.Timeout,
		MaxSize:      int(db.opt.MaxSize),
		FreelistType: bolt.FreelistMapType,
	}
}

// openChecked opens the file and verifies it. Errors that mean the file is
// damaged wrap errDamaged; a lock timeout is ErrLocked.
func (db *DB) openChecked() (*bolt.DB, error) {
	exists, size, err := fileExists(db.path)
	if err != nil {
		return nil, fmt.Errorf("opening store: %w", err)
	}
	if exists && size == 0 {
		// bbolt would initialise an empty file as a new store. With backups
		// around, an empty file means a store was lost (a crash during its
		// first write); unless another agent holds it, it is damaged.
		if bk, _ := db.backups(); len(bk) > 0 {
			o := db.boltOptions()
			o.ReadOnly = true
			b, err := openBolt(db.path, o)
			if err == nil {
				_ = b.Close()
			}
			if errors.Is(err, berrors.ErrTimeout) {
				return nil, &lockedError{path: db.path, timeout: db.opt.Timeout}
			}
			return nil, fmt.Errorf("%w: %s is empty although backups exist", errDamaged, db.path)
		}
	}
	b, err := openBolt(db.path, db.boltOptions())
	if err != nil {
		if errors.Is(err, errDamaged) {
			// Say what is wrong in plain terms when the meta pages can.
			if merr := checkMeta(db.path); merr != nil {
				return nil, merr
			}
		}
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, &lockedError{path: db.path, timeout: db.opt.Timeout}
		}
		return nil, db.mapErr(err)
	}
	if err := verify(b); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// openBolt opens a bbolt file, turning a panic or memory fault while reading
// a broken file into an error that wraps errDamaged.
func openBolt(path string, o *bolt.Options) (b *bolt.DB, err error) {
	// Keep the file handle: bbolt does not close it when it panics, and
	// the lock it holds must go before the file can be moved aside.
	var file *os.File
	o.OpenFile = func(name string, flag int, mode os.FileMode) (*os.File, error) {
		f, err := os.OpenFile(name, flag, mode)
		file = f
		return f, err
	}
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if file != nil {
				_ = file.Close()
			}
			b, err = nil, fmt.Errorf("%w: reading %s failed: %v", errDamaged, path, r)
		}
	}()
	b, err = bolt.Open(path, 0o600, o)
	if err == nil {
		return b, nil
	}
	if errors.Is(err, berrors.ErrInvalid) || errors.Is(err, berrors.ErrChecksum) || errors.Is(err, berrors.ErrVersionMismatch) ||
		strings.Contains(err.Error(), "file size too small") {
		return nil, fmt.Errorf("%w: %s: %v", errDamaged, path, err)
	}
	return nil, fmt.Errorf("opening store %s: %w", path, err)
}

// verify checks the open file: its meta pages against the file size (a
// truncated file), then bbolt's full consistency check.
func verify(b *bolt.DB) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: checking %s failed: %v", errDamaged, b.Path(), r)
		}
	}()
	if err := checkMeta(b.Path()); err != nil {
		return err
	}
	return b.View(func(tx *bolt.Tx) error {
		var problems []string
		for e := range tx.Check() {
			if len(problems) < 5 {
				problems = append(problems, e.Error())
			}
		}
		if len(problems) > 0 {
			return fmt.Errorf("%w: consistency check of %s failed: %s", errDamaged, b.Path(), strings.Join(problems, "; "))
		}
		// The check read every page; let them go from the resident set.
		releaseMapped(b, tx.Size())
		return nil
	})
}

// bbolt meta page layout (native little-endian), after a 16-byte page header.
const (
	pageHeaderSize = 16
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	metaSumEnd     = 56 // bytes of the meta struct covered by its checksum
)

type metaPage struct {
	pageSize uint32
	pgid     uint64
	txid     uint64
}

// parseMeta decodes and validates one meta page.
func parseMeta(p []byte) (metaPage, error) {
	if len(p) < pageHeaderSize+metaSumEnd+8 {
		return metaPage{}, errors.New("short meta page")
	}
	m := p[pageHeaderSize:]
	le := binary.LittleEndian
	if le.Uint32(m[0:]) != boltMagic {
		return metaPage{}, errors.New("bad magic")
	}
	if le.Uint32(m[4:]) != boltVersion {
		return metaPage{}, errors.New("unknown file version")
	}
	h := fnv.New64a()
	h.Write(m[:metaSumEnd])
	if h.Sum64() != le.Uint64(m[metaSumEnd:]) {
		return metaPage{}, errors.New("checksum mismatch")
	}
	return metaPage{pageSize: le.Uint32(m[8:]), pgid: le.Uint64(m[40:]), txid: le.Uint64(m[48:])}, nil
}

// checkMeta reads the two meta pages of the file at path and reports a file
// shorter than its own high-water mark (a truncated file) as damaged.
func checkMeta(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("opening store: %w", err)
	}
	buf := make([]byte, 4096)
	if _, err := io.ReadFull(f, buf); err != nil {
		return fmt.Errorf("%w: %s is %d bytes, too short for a store", errDamaged, path, fi.Size())
	}
	m0, err0 := parseMeta(buf)
	sizes := []int64{4096, 8192, 16384, 65536}
	if err0 == nil {
		sizes = []int64{int64(m0.pageSize)}
	}
	best, bestErr := m0, err0
	for _, ps := range sizes {
		p := make([]byte, 4096)
		if _, err := f.ReadAt(p, ps); err != nil {
			continue
		}
		m1, err1 := parseMeta(p)
		if err1 == nil && (bestErr != nil || m1.txid > best.txid) {
			best, bestErr = m1, nil
		}
	}
	if bestErr != nil {
		return fmt.Errorf("%w: %s: both meta pages are invalid (%v)", errDamaged, path, err0)
	}
	if need := int64(best.pgid) * int64(best.pageSize); fi.Size() < need {
		return fmt.Errorf("%w: %s is truncated: %d bytes, its pages need %d", errDamaged, path, fi.Size(), need)
	}
	return nil
}

// Recovery describes what Open did with a damaged store file.
type Recovery struct {
	At time.Time `json:"at"`
	// Cause is why the file was judged damaged.
	Cause string `json:"cause"`
	// MovedTo is where the damaged file now is; it is kept for inspection.
	MovedTo string `json:"moved_to"`
	// RestoredFrom is the backup copied into place; empty when the store
	// started empty.
	RestoredFrom string `json:"restored_from,omitempty"`
	// BackupTime is the backup's modification time.
	BackupTime time.Time `json:"backup_time,omitzero"`
	// Skipped lists backups that were themselves unreadable, with why.
	Skipped []string `json:"skipped,omitempty"`
	// Message explains it all in words for the UI.
	Message string `json:"message"`
}

type backupFile struct {
	path string
	mod  time.Time
}

// backups lists the *.db files in BackupDir, newest first.
func (db *DB) backups() ([]backupFile, error) {
	if db.opt.BackupDir == "" {
		return nil, nil
	}
	ents, err := os.ReadDir(db.opt.BackupDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing backups: %w", err)
	}
	var out []backupFile
	for _, e := range ents {
		if !e.Type().IsRegular() || !strings.HasSuffix(e.Name(), ".db") {
			continue
		}
		fi, err := e.Info()
		if err != nil || fi.Size() == 0 {
			continue
		}
		out = append(out, backupFile{path: filepath.Join(db.opt.BackupDir, e.Name()), mod: fi.ModTime()})
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].mod.Equal(out[j].mod) {
			return out[i].mod.After(out[j].mod)
		}
		return out[i].path > out[j].path
	})
	return out, nil
}

// recoverFile moves the damaged file aside and restores the newest readable
// backup, recording it all in db.recovery.
func (db *DB) recoverFile(cause error) error {
	now := db.now()
	rec := &Recovery{At: now, Cause: cause.Error()}
	dir := filepath.Dir(db.path)
	stamp := now.UTC().Format("20060102T150405.000Z")
	moved := filepath.Join(dir, "corrupt-"+stamp+".db")
	for i := 1; ; i++ {
		if ok, _, _ := fileExists(moved); !ok {
			break
		}
		moved = filepath.Join(dir, fmt.Sprintf("corrupt-%s-%d.db", stamp, i))
	}
	if err := os.Rename(db.path, moved); err != nil {
		return fmt.Errorf("%w: %v; moving it aside to %s failed: %v: move or repair it by hand (bbolt surgery revert-meta-page), then start again", ErrCorrupt, cause, moved, err)
	}
	rec.MovedTo = moved
	db.log.Error("damaged store moved aside", "from", db.path, "to", moved)

	bks, err := db.backups()
	if err != nil {
		rec.Skipped = append(rec.Skipped, err.Error())
	}
	for _, bk := range bks {
		if err := db.restore(bk.path); err != nil {
			db.log.Warn("backup not usable", "backup", bk.path, "err", err)
			rec.Skipped = append(rec.Skipped, fmt.Sprintf("%s: %v", bk.path, err))
			continue
		}
		rec.RestoredFrom, rec.BackupTime = bk.path, bk.mod
		break
	}
	if rec.RestoredFrom != "" {
		rec.Message = fmt.Sprintf("The store was damaged (%s). The damaged file was kept as %s. The backup %s from %s was restored: work recorded after that time is not in the store, so open orders are pulled again from TikTok; check labels bought since then in Seller Center.",
			cause, moved, rec.RestoredFrom, rec.BackupTime.Format(time.RFC3339))
	} else {
		rec.Message = fmt.Sprintf("The store was damaged (%s). The damaged file was kept as %s. No usable backup was found, so an empty store was started: orders are pulled again from TikTok; check labels already bought in Seller Center.",
			cause, moved)
	}
	db.log.Error("store recovered", "message", rec.Message)
	db.recovery = rec
	return nil
}

// restore copies the backup at src into place after checking it.
func (db *DB) restore(src string) error {
	tmp := db.path + ".restore"
	if err := copyFile(src, tmp); err != nil {
		return err
	}
	b, err := openBolt(tmp, &bolt.Options{Timeout: db.opt.Timeout})
	if err == nil {
		err = verify(b)
		if cerr := b.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, db.path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("restoring backup: %w", err)
	}
	syncDir(filepath.Dir(db.path))
	return nil
}

// copyFile copies src to dst and syncs it.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("reading backup: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("copying backup: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying backup: %w", err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return fmt.Errorf("copying backup: %w", err)
	}
	return out.Close()
}

// syncDir makes a rename in dir durable. Directories cannot be synced on
// Windows; there the error is ignored.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	_ = d.Sync()
}
