package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/store"
)

func backupSeed(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *store.Tx) error {
		o := order.Order{ID: "576460752303423488", State: order.Weighed, RTSDeadline: time.Date(2026, 3, 3, 0, 0, 0, 0, time.UTC)}
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		_, err := tx.Enqueue("order.weighed", o.ID, map[string]string{"weight": "1.25"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func backupCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestBackupVerb(t *testing.T) {
	dir := t.TempDir()
	dataDir := filepath.Join(dir, "data")
	src := filepath.Join(dataDir, "packline.db")
	backupSeed(t, src)
	cfg := filepath.Join(dir, "agent.toml")
	if err := os.WriteFile(cfg, []byte("[agent]\ndata_dir = "+strconv.Quote(dataDir)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	// Through the config file.
	dst := filepath.Join(dir, "b1.db")
	code, out, errs := backupCLI("backup", "--config", cfg, dst)
	if code != 0 || !strings.Contains(out, dst) || !strings.Contains(out, "1 order, 1 event waiting") || !strings.Contains(out, " bytes)") {
		t.Fatalf("backup --config: code %d, out %q, err %q", code, out, errs)
	}
	backupCheck(t, dst)

	// Straight from the file.
	dst2 := filepath.Join(dir, "b2.db")
	if code, out, errs := backupCLI("backup", "--db", src, dst2); code != 0 {
		t.Fatalf("backup --db: code %d, out %q, err %q", code, out, errs)
	}
	backupCheck(t, dst2)

	// An existing destination is kept unless --force.
	if code, _, errs := backupCLI("backup", "--db", src, dst2); code != 1 || !strings.Contains(errs, "--force") {
		t.Errorf("existing destination: code %d, err %q", code, errs)
	}
	if code, _, errs := backupCLI("backup", "--db", src, "--force", dst2); code != 0 {
		t.Errorf("--force: code %d, err %q", code, errs)
	}

	// An unwritable destination.
	if code, _, errs := backupCLI("backup", "--db", src, filepath.Join(dir, "missing", "b.db")); code != 1 || !strings.Contains(errs, "exists and is writable") {
		t.Errorf("unwritable destination: code %d, err %q", code, errs)
	}
	// No such store.
	if code, _, errs := backupCLI("backup", "--db", filepath.Join(dir, "nope.db"), filepath.Join(dir, "b3.db")); code != 1 || !strings.Contains(errs, "no store at") {
		t.Errorf("missing store: code %d, err %q", code, errs)
	}
	// Usage.
	if code, _, errs := backupCLI("backup"); code != 2 || !strings.Contains(errs, "usage: packline-agent backup") {
		t.Errorf("no FILE: code %d, err %q", code, errs)
	}
}

func TestBackupVerbWhileAgentRuns(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "packline.db")
	backupSeed(t, src)
	running, err := store.Open(src, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	dst := filepath.Join(dir, "b.db")
	code, _, errs := backupCLI("backup", "--db", src, "--timeout", "100ms", dst)
	if code != 1 {
		t.Fatalf("backup of a locked store: code %d, err %q", code, errs)
	}
	for _, want := range []string{"another packline-agent has the store open", "stop it first", "packline-agent service stop", "local API"} {
		if !strings.Contains(errs, want) {
			t.Errorf("locked error lacks %q:\n%s", want, errs)
		}
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("a failed backup left %s behind", dst)
	}
}

func backupCheck(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(path, store.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatalf("opening the backup: %v", err)
	}
	defer db.Close()
	err = db.View(func(tx *store.Tx) error {
		o, err := tx.Order("576460752303423488")
		if err != nil {
			return err
		}
		if o.State != order.Weighed {
			t.Errorf("backup order state %s", o.State)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
