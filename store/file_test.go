package store

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
	bolt "go.etcd.io/bbolt"
)

// fill writes orders with the given ids and one event each.
func fill(t *testing.T, db *DB, idList ...string) {
	t.Helper()
	err := db.Update(func(tx *Tx) error {
		for i, id := range idList {
			o := mkOrder(id, order.Pulled, t0.Add(time.Duration(i)*time.Hour), "PKG-"+id)
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
			if _, err := tx.Enqueue("order.pulled", id, map[string]string{"id": id}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func orderIDs(t *testing.T, db *DB) []string {
	t.Helper()
	var out []string
	if err := db.View(func(tx *Tx) error {
		return tx.ForEachOrder(func(o *order.Order) error { out = append(out, o.ID); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBackupOpensWithSameData(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	fill(t, db, "A", "B", "C")
	_ = db.Update(func(tx *Tx) error { return tx.PutDocument("label/A", []byte("%PDF")) })

	dst := filepath.Join(e.dir, "copy.db")
	if err := db.BackupFile(dst); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := db.Backup(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, buf.Len())
	}
	// The store stays writable during and after a backup.
	fill(t, db, "D")

	e2 := newEnv(t)
	e2.path = dst
	cp := e2.open(t)
	if cp.Recovery() != nil {
		t.Fatalf("backup needed recovery: %+v", cp.Recovery())
	}
	if got := strings.Join(orderIDs(t, cp), ","); got != "A,B,C" {
		t.Errorf("backup holds orders %s, want A,B,C", got)
	}
	_ = cp.View(func(tx *Tx) error {
		s, _ := tx.OutboxStats()
		doc, err := tx.Document("label/A")
		if s.Depth != 3 || string(doc) != "%PDF" || err != nil {
			t.Errorf("backup: outbox depth %d, document %q, %v", s.Depth, doc, err)
		}
		return nil
	})
	ents, _ := os.ReadDir(e.dir)
	for _, de := range ents {
		if strings.HasSuffix(de.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", de.Name())
		}
	}
	// An unwritable destination is a clear error and leaves nothing behind.
	err = db.BackupFile(filepath.Join(e.dir, "no-such-dir", "x.db"))
	if err == nil || !strings.Contains(err.Error(), "exists and is writable") {
		t.Errorf("backup into a missing directory: %v", err)
	}
}

func TestSecondOpenIsLocked(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	_, err := Open(e.path, e.opts())
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if errors.Is(err, ErrMigration) {
		t.Errorf("a locked store is reported as a failed migration: %v", err)
	}
	for _, want := range []string{"another packline-agent has the store open", e.path, "stop it first"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("lock error %q does not mention %q", err, want)
		}
	}
	if db.Recovery() != nil {
		t.Error("a locked store was treated as damaged")
	}
	// The lock goes with Close.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := Open(e.path, e.opts())
	if err != nil {
		t.Fatalf("Open after Close: %v", err)
	}
	db2.Close()
}

// leafPage returns the id of a page in use that holds keys.
func leafPage(t *testing.T, path string) (int, int) {
	t.Helper()
	b, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ps := b.Info().PageSize
	id := -1
	_ = b.View(func(tx *bolt.Tx) error {
		for i := 2; ; i++ {
			pi, err := tx.Page(i)
			if err != nil || pi == nil {
				return err
			}
			if pi.Type == "leaf" && pi.Count > 2 {
				id = i
			}
		}
	})
	if id < 0 {
		t.Fatal("no leaf page found")
	}
	return id, ps
}

func TestRecoveryFromDamagedFile(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"meta pages overwritten", func(t *testing.T, path string) {
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if _, err := f.WriteAt(bytes.Repeat([]byte{0x5A}, 8192), 0); err != nil {
				t.Fatal(err)
			}
		}},
		{"leaf page scribbled", func(t *testing.T, path string) {
			id, ps := leafPage(t, path)
			f, err := os.OpenFile(path, os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			junk := bytes.Repeat([]byte{0xA7, 0x13}, ps/2)
			if _, err := f.WriteAt(junk[8:], int64(id*ps)+8); err != nil {
				t.Fatal(err)
			}
		}},
		{"truncated", func(t *testing.T, path string) {
			fi, _ := os.Stat(path)
			if err := os.Truncate(path, fi.Size()/2); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, withBackup := range []bool{true, false} {
				t.Run(fmt.Sprintf("backup=%v", withBackup), func(t *testing.T) {
					e := newEnv(t)
					db := e.open(t)
					var many []string
					for i := range 300 {
						many = append(many, fmt.Sprintf("A%03d", i))
					}
					fill(t, db, many...)
					if withBackup {
						if err := os.MkdirAll(e.backups, 0o750); err != nil {
							t.Fatal(err)
						}
						if err := db.BackupFile(filepath.Join(e.backups, "daily-1.db")); err != nil {
							t.Fatal(err)
						}
						// A newer backup that is itself damaged is skipped.
						bad := filepath.Join(e.backups, "daily-2.db")
						if err := os.WriteFile(bad, bytes.Repeat([]byte("x"), 16384), 0o600); err != nil {
							t.Fatal(err)
						}
						_ = os.Chtimes(bad, time.Now().Add(time.Hour), time.Now().Add(time.Hour))
					}
					fill(t, db, "LATE")
					if err := db.Close(); err != nil {
						t.Fatal(err)
					}
					tc.damage(t, e.path)
					damaged, _ := os.ReadFile(e.path)

					e.clk.Add(time.Minute)
					db2 := e.open(t)
					rec := db2.Recovery()
					if rec == nil {
						t.Fatal("a damaged file opened without recovery")
					}
					t.Logf("cause: %s", rec.Cause)
					kept, err := os.ReadFile(rec.MovedTo)
					if err != nil || !bytes.Equal(kept, damaged) {
						t.Errorf("the damaged file was not kept intact at %s: %v", rec.MovedTo, err)
					}
					if !strings.HasPrefix(filepath.Base(rec.MovedTo), "corrupt-") || filepath.Dir(rec.MovedTo) != e.dir {
						t.Errorf("moved to %s", rec.MovedTo)
					}
					ids := orderIDs(t, db2)
					if withBackup {
						if filepath.Base(rec.RestoredFrom) != "daily-1.db" || len(rec.Skipped) != 1 || !strings.Contains(rec.Skipped[0], "daily-2.db") {
							t.Errorf("recovery = %+v", rec)
						}
						if len(ids) != 300 || ids[0] != "A000" {
							t.Errorf("restored %d orders, want the 300 of the backup", len(ids))
						}
						if !strings.Contains(rec.Message, "daily-1.db") || !strings.Contains(rec.Message, rec.MovedTo) {
							t.Errorf("message: %s", rec.Message)
						}
					} else {
						if rec.RestoredFrom != "" || len(ids) != 0 || !strings.Contains(rec.Message, "empty store") {
							t.Errorf("recovery without backup = %+v, %d orders", rec, len(ids))
						}
					}
					// The recovered store works.
					fill(t, db2, "NEW")
				})
			}
		})
	}
}

func TestSizeCapIsErrFullAndStoreStaysUsable(t *testing.T) {
	e := newEnv(t)
	opt := e.opts()
	opt.MaxSize = 1 << 20
	db, err := Open(e.path, opt)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	chunk := bytes.Repeat([]byte("label-pdf-bytes "), 4096) // 64 KiB
	var full error
	stored := 0
	for i := 0; i < 64 && full == nil; i++ {
		full = db.Update(func(tx *Tx) error { return tx.PutDocument(fmt.Sprintf("doc/%02d", i), chunk) })
		if full == nil {
			stored++
		}
	}
	if !errors.Is(full, ErrFull) {
		t.Fatalf("writing past a 1 MB cap: %v, want ErrFull", full)
	}
	for _, want := range []string{"store.max_size_mb", "1.0 MB", "nothing was written"} {
		if !strings.Contains(full.Error(), want) {
			t.Errorf("ErrFull message %q does not mention %q", full, want)
		}
	}
	if fi, _ := os.Stat(e.path); fi.Size() > opt.MaxSize {
		t.Errorf("file grew to %d bytes past the %d cap", fi.Size(), opt.MaxSize)
	}
	// Small writes still go through, and everything stored is intact.
	fill(t, db, "SMALL")
	err = db.View(func(tx *Tx) error {
		for i := range stored {
			d, err := tx.Document(fmt.Sprintf("doc/%02d", i))
			if err != nil || !bytes.Equal(d, chunk) {
				return fmt.Errorf("doc %d: %v", i, err)
			}
		}
		_, err := tx.Document(fmt.Sprintf("doc/%02d", stored))
		if !errors.Is(err, ErrNotFound) {
			return fmt.Errorf("the refused document exists: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := db.Stats()
	if st.MaxSize != opt.MaxSize {
		t.Errorf("Stats.MaxSize = %d", st.MaxSize)
	}
}

func TestNoSpaceMapsToErrFull(t *testing.T) {
	db := newEnv(t).open(t)
	err := db.mapErr(fmt.Errorf("write /x: %w", os.NewSyscallError("pwrite", errNoSpace())))
	if !errors.Is(err, ErrFull) || !strings.Contains(err.Error(), "free disk space") {
		t.Errorf("ENOSPC mapped to %v", err)
	}
}

// writeV1 creates a schema-v1 file holding one order and two audit entries,
// written the way the v1 code wrote them.
func writeV1(t *testing.T, e *env) {
	t.Helper()
	db, err := openWith(e.path, e.opts(), migrations()[:1])
	if err != nil {
		t.Fatal(err)
	}
	o := mkOrder("V1", order.Claimed, t0.Add(5*time.Hour))
	o.Rev = 4
	err = db.bolt.Update(func(tx *bolt.Tx) error {
		v, _ := jsonMarshal(o)
		if err := tx.Bucket([]byte(bOrders)).Put([]byte(o.ID), v); err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bIdxState)).Put(stateKey(o.State, o.RTSDeadline, o.ID), nil); err != nil {
			return err
		}
		ab := tx.Bucket([]byte(bAudit))
		for _, a := range []AuditEntry{{At: t0, OrderID: "V1", Action: "claim"}, {At: t0, Action: "login"}} {
			seq, _ := ab.NextSequence()
			v, _ := jsonMarshal(a)
			if err := ab.Put(seqKey(seq), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if db.SchemaVersion() != 1 {
		t.Fatalf("v1 file has schema %d", db.SchemaVersion())
	}
	db.Close()
}

func TestMigrationV1ToV2(t *testing.T) {
	e := newEnv(t)
	writeV1(t, e)

	db := e.open(t)
	if db.SchemaVersion() != 2 {
		t.Fatalf("schema after migration = %d", db.SchemaVersion())
	}
	backups, _ := filepath.Glob(filepath.Join(e.backups, "pre-migrate-v2-*.db"))
	if len(backups) != 1 {
		t.Fatalf("backups before migration: %v", backups)
	}
	// The backup is the v1 file.
	old, err := openWith(backups[0], Options{Timeout: time.Second}, migrations()[:1])
	if err != nil {
		t.Fatal(err)
	}
	if old.SchemaVersion() != 1 {
		t.Errorf("backup schema = %d", old.SchemaVersion())
	}
	old.Close()

	err = db.View(func(tx *Tx) error {
		due, err := tx.OrderIDsDueBefore(t0.Add(6*time.Hour), 0)
		if err != nil || len(due) != 1 || due[0] != "V1" {
			t.Errorf("deadline index after migration: %v, %v", due, err)
		}
		log, err := tx.AuditLog("V1")
		if err != nil || len(log) != 1 || log[0].Action != "claim" {
			t.Errorf("audit index after migration: %+v, %v", log, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Writes keep the migrated indexes in step.
	err = db.Update(func(tx *Tx) error {
		o, err := tx.Order("V1")
		if err != nil {
			return err
		}
		o.RTSDeadline = t0.Add(48 * time.Hour)
		return tx.PutOrder(&o)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := rawCount(t, db, bIdxDeadline); n != 1 {
		t.Errorf("deadline index holds %d entries", n)
	}
	// Reopening a current file migrates nothing and backs up nothing.
	db.Close()
	db = e.open(t)
	if again, _ := filepath.Glob(filepath.Join(e.backups, "*.db")); len(again) != 1 {
		t.Errorf("backups after a plain reopen: %v", again)
	}
}

func TestFailedMigrationLeavesFileUntouched(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	fill(t, db, "A")
	db.Close()
	before, _ := os.ReadFile(e.path)

	migs := append(migrations(), migration{to: 3, name: "split documents", up: func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket([]byte(bOrders)); err != nil {
			return err
		}
		return errors.New("document 17 is not a PDF")
	}})
	_, err := openWith(e.path, e.opts(), migs)
	if err == nil {
		t.Fatal("a failing migration opened the store")
	}
	if !errors.Is(err, ErrMigration) {
		t.Errorf("failed migration error %v is not ErrMigration", err)
	}
	if after, _ := os.ReadFile(e.path); !bytes.Equal(before, after) {
		t.Error("a failed migration changed the file")
	}
	for _, want := range []string{"from schema v2 to v3", "split documents", "document 17 is not a PDF", "was not changed", "pre-migrate-v3-"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("migration error %q does not mention %q", err, want)
		}
	}
	db = e.open(t)
	if db.SchemaVersion() != 2 || strings.Join(orderIDs(t, db), ",") != "A" {
		t.Errorf("after a failed migration: schema %d, orders %v", db.SchemaVersion(), orderIDs(t, db))
	}
	db.Close()

	// A file from a newer agent is refused, not downgraded.
	_, err = openWith(e.path, e.opts(), migrations()[:1])
	if err == nil || !strings.Contains(err.Error(), "newer than this packline-agent") || !errors.Is(err, ErrMigration) {
		t.Errorf("opening a newer schema: %v", err)
	}
}

func TestNotAStoreIsRefused(t *testing.T) {
	e := newEnv(t)
	b, err := bolt.Open(e.path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = b.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket([]byte("keys")); return err })
	b.Close()
	if _, err := Open(e.path, e.opts()); err == nil || !strings.Contains(err.Error(), "not a Packline store") {
		t.Errorf("opening a foreign bbolt file: %v", err)
	}
}

func TestCompactShrinksSparseFile(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	big := bytes.Repeat([]byte("x"), 8192)
	err := db.Update(func(tx *Tx) error {
		for i := range 500 {
			if err := tx.PutDocument(fmt.Sprintf("d%03d", i), big); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	fill(t, db, "KEEP")
	_ = db.Update(func(tx *Tx) error {
		for i := range 500 {
			if err := tx.DeleteDocument(fmt.Sprintf("d%03d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	before, _ := db.Stats()
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
	after, _ := db.Stats()
	if after.FileSize >= before.FileSize/2 {
		t.Errorf("compaction: %d -> %d bytes", before.FileSize, after.FileSize)
	}
	if strings.Join(orderIDs(t, db), ",") != "KEEP" {
		t.Errorf("orders after compaction: %v", orderIDs(t, db))
	}
	fill(t, db, "AFTER")
	// A dense file is left alone.
	if err := db.Compact(); err != nil {
		t.Fatal(err)
	}
}

// TestChildWriter is run as a child process by TestReopenAfterProcessExit.
func TestChildWriter(t *testing.T) {
	path := os.Getenv("PACKLINE_STORE_CHILD")
	if path == "" {
		t.Skip("runs as a child process only")
	}
	db, err := Open(path, Options{Timeout: time.Second})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	fill(t, db, "CHILD")
	// Exit without Close, as a process that is stopped does.
	os.Exit(0)
}

func TestReopenAfterProcessExit(t *testing.T) {
	e := newEnv(t)
	for range 3 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestChildWriter$")
		cmd.Env = append(os.Environ(), "PACKLINE_STORE_CHILD="+e.path)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("child: %v\n%s", err, out)
		}
	}
	db := e.open(t)
	if db.Recovery() != nil {
		t.Fatalf("reopen after a process exit needed recovery: %+v", db.Recovery())
	}
	_ = db.View(func(tx *Tx) error {
		s, _ := tx.OutboxStats()
		evs, _ := tx.PendingEvents("CHILD")
		if s.Depth != 3 || len(evs) != 3 || !(evs[0].Seq < evs[1].Seq && evs[1].Seq < evs[2].Seq) {
			t.Errorf("after three child runs: depth %d, events %+v", s.Depth, evs)
		}
		o, err := tx.Order("CHILD")
		if err != nil || o.Rev != 3 {
			t.Errorf("order after three writes: rev %d, %v", o.Rev, err)
		}
		return nil
	})
}

func TestReadOnlyOpen(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	fill(t, db, "A")
	before, _ := os.ReadFile(e.path)

	// While the writer holds the store, a reader waits and gives up clearly.
	opt := e.opts()
	opt.ReadOnly = true
	if _, err := Open(e.path, opt); !errors.Is(err, ErrLocked) {
		t.Errorf("read-only open of a held store: %v, want ErrLocked", err)
	}
	db.Close()

	ro, err := Open(e.path, opt)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(orderIDs(t, ro), ","); got != "A" || ro.SchemaVersion() != 2 {
		t.Errorf("read-only: orders %s, schema %d", got, ro.SchemaVersion())
	}
	if err := ro.Update(func(tx *Tx) error { return tx.SetMeta("x", 1) }); err == nil {
		t.Error("a read-only store accepted a write")
	}
	ro.Close()
	if after, _ := os.ReadFile(e.path); !bytes.Equal(before, after) {
		t.Error("a read-only open changed the file")
	}
	if _, err := Open(filepath.Join(e.dir, "absent.db"), opt); err == nil || !strings.Contains(err.Error(), "no store at") {
		t.Errorf("read-only open of a missing file: %v", err)
	}
	// A damaged file is reported, not moved.
	if err := os.WriteFile(e.path, bytes.Repeat([]byte{1}, 16384), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(e.path, opt); !errors.Is(err, ErrCorrupt) {
		t.Errorf("read-only open of a damaged file: %v, want ErrCorrupt", err)
	}
	if _, err := os.Stat(e.path); err != nil {
		t.Errorf("the damaged file was moved by a read-only open: %v", err)
	}
}

func TestClosedStoreRefusesWork(t *testing.T) {
	db := newEnv(t).open(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.View(func(*Tx) error { return nil }); err == nil {
		t.Error("View on a closed store")
	}
	if _, err := db.Stats(); err == nil {
		t.Error("Stats on a closed store")
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestBackupDailyRotates(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	fill(t, db, "A")
	var paths []string
	for range 4 {
		p, err := db.BackupDaily(2)
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
		e.clk.Add(24 * time.Hour)
	}
	e.clk.Add(-23 * time.Hour)
	if _, err := db.BackupDaily(2); err != nil { // the same day again: replaced, not added
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(e.backups, "*.db"))
	if len(left) != 2 || filepath.Base(left[0]) != "daily-20260304.db" || filepath.Base(left[1]) != "daily-20260305.db" {
		t.Errorf("backups kept: %v (made %v)", left, paths)
	}
}

func TestEmptyFileWithBackupsIsRecovered(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	fill(t, db, "A")
	if _, err := db.BackupDaily(3); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if err := os.Truncate(e.path, 0); err != nil {
		t.Fatal(err)
	}
	db = e.open(t)
	if db.Recovery() == nil || !strings.Contains(db.Recovery().Cause, "empty") || strings.Join(orderIDs(t, db), ",") != "A" {
		t.Errorf("empty file: recovery %+v, orders %v", db.Recovery(), orderIDs(t, db))
	}
}

func TestConcurrentUseDuringCompaction(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	db.bolt.NoSync = true // speed only; the file is a throwaway
	_ = db.Update(func(tx *Tx) error {
		for i := range 300 {
			if err := tx.PutDocument(fmt.Sprintf("d%03d", i), bytes.Repeat([]byte("x"), 8192)); err != nil {
				return err
			}
		}
		return nil
	})
	_ = db.Update(func(tx *Tx) error {
		for i := range 300 {
			if err := tx.DeleteDocument(fmt.Sprintf("d%03d", i)); err != nil {
				return err
			}
		}
		return nil
	})
	done := make(chan error, 3)
	for w := range 2 {
		go func() {
			for i := range 50 {
				id := fmt.Sprintf("W%d-%02d", w, i)
				err := db.Update(func(tx *Tx) error {
					o := mkOrder(id, order.Pulled, t0)
					if err := tx.PutOrder(&o); err != nil {
						return err
					}
					_, err := tx.Enqueue("order.pulled", id, nil)
					return err
				})
				if err == nil {
					err = db.View(func(tx *Tx) error { _, err := tx.Order(id); return err })
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	go func() { done <- db.Compact() }()
	for range 3 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(orderIDs(t, db)); n != 100 {
		t.Errorf("%d orders after concurrent writes and a compaction, want 100", n)
	}
}
