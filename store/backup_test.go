package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestBackupToCountsTheSnapshot(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	fill(t, db, "A", "B")
	dst := filepath.Join(e.dir, "copy.db")
	info, err := db.BackupTo(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if info.Path != dst || info.Bytes != fi.Size() || info.Orders != 2 || info.Events != 2 || !info.At.Equal(t0) {
		t.Errorf("BackupTo = %+v, want %s, %d bytes, 2 orders, 2 events at %s", info, dst, fi.Size(), t0)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("backup mode %v is readable by others", fi.Mode())
	}

	for name, path := range map[string]string{
		"relative":  "copy.db",
		"the store": e.path,
	} {
		if _, err := db.BackupTo(context.Background(), path); err == nil {
			t.Errorf("backup to %s (%s) accepted", path, name)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := filepath.Join(e.dir, "cancelled.db")
	if _, err := db.BackupTo(ctx, gone); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled backup: %v, want context.Canceled", err)
	}
	ents, _ := os.ReadDir(e.dir)
	for _, de := range ents {
		if de.Name() == "cancelled.db" || strings.HasSuffix(de.Name(), ".tmp") {
			t.Errorf("a cancelled backup left %s behind", de.Name())
		}
	}
}

func TestEnsureDailyBackup(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	fill(t, db, "A")
	ctx := context.Background()

	info, taken, err := db.EnsureDailyBackup(ctx, 2)
	if err != nil || !taken || filepath.Base(info.Path) != "daily-20260302.db" || info.Orders != 1 {
		t.Fatalf("first EnsureDailyBackup = %+v, %v, %v", info, taken, err)
	}
	// Later the same day the backup is there: nothing is written.
	fill(t, db, "B")
	e.clk.Add(time.Hour)
	again, taken, err := db.EnsureDailyBackup(ctx, 2)
	if err != nil || taken || again.Path != info.Path || again.Bytes != info.Bytes || again.At.IsZero() {
		t.Fatalf("same day = %+v, %v, %v; want the existing %s", again, taken, err, info.Path)
	}
	// Over the following days one backup a day is added and only the
	// newest two are kept; a backup taken before a migration stays.
	pre := filepath.Join(e.backups, "pre-migration-v1-20260101T000000Z.db")
	if err := os.WriteFile(pre, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	for range 3 {
		e.clk.Add(24 * time.Hour)
		if _, taken, err := db.EnsureDailyBackup(ctx, 2); err != nil || !taken {
			t.Fatalf("%s: taken %v, %v", e.clk.Now().Format(time.DateOnly), taken, err)
		}
	}
	left, _ := filepath.Glob(filepath.Join(e.backups, "*.db"))
	var names []string
	for _, p := range left {
		names = append(names, filepath.Base(p))
	}
	if got, want := strings.Join(names, ","), "daily-20260304.db,daily-20260305.db,"+filepath.Base(pre); got != want {
		t.Errorf("backups kept: %s, want %s", got, want)
	}

	noDir := newEnv(t)
	noDir.backups = ""
	db2 := noDir.open(t)
	if _, _, err := db2.EnsureDailyBackup(ctx, 2); err == nil || !strings.Contains(err.Error(), "store.backup_dir") {
		t.Errorf("no backup dir: %v", err)
	}
}
