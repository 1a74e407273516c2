package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/daemon"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
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
	for _, want := range []string{"another packline-agent has the store open", "stop it first", "packline-agent service stop", "--config", "local API"} {
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

// startBackupAgent runs a real agent against the TikTok Shop simulator on a
// store seeded by backupSeed, and returns its config file.
func startBackupAgent(t *testing.T) (cfgPath string, cfg *config.Config) {
	t.Helper()
	sim := tiktoksim.New(tiktoksim.Options{Seed: 7, Orders: 3})
	if _, err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	backupSeed(t, filepath.Join(data, "packline.db"))
	cfgPath = filepath.Join(dir, "agent.toml")
	body := fmt.Sprintf(`[agent]
data_dir = %q
[log]
file = "-"
[tiktok]
%s
poll_interval = "1h"
[api]
listen = %q
[store]
open_timeout = "200ms"
`, filepath.ToSlash(data), sim.AgentConfig(), ln.Addr().String())
	if err := os.WriteFile(cfgPath, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	cfg, err = config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := daemon.Start(context.Background(), cfg, nil, daemon.Options{Version: "test", Listener: ln,
		LabelCacheDir: filepath.Join(os.TempDir(), "packline-test-pdfium-cache")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := a.Stop(); err != nil {
			t.Errorf("stopping the agent: %v", err)
		}
	})
	return cfgPath, cfg
}

var backupCounts = regexp.MustCompile(`, (\d+) orders?, (\d+) events? waiting`)

func TestBackupVerbThroughRunningAgent(t *testing.T) {
	cfgPath, cfg := startBackupAgent(t)
	dir := t.TempDir()

	dst := filepath.Join(dir, "online.db")
	code, out, errs := backupCLI("backup", "--config", cfgPath, dst)
	if code != 0 || !strings.Contains(out, "through the running agent") || !strings.Contains(out, dst) || !strings.Contains(out, cfg.Store.Path) {
		t.Fatalf("backup of a running agent's store: code %d, out %q, err %q", code, out, errs)
	}
	backupCheck(t, dst)
	// The counts printed are those of the file written.
	m := backupCounts.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no counts in %q", out)
	}
	bk, err := store.Open(dst, store.Options{Timeout: time.Second, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	st, err := bk.Stats()
	bk.Close()
	if err != nil || strconv.Itoa(st.OrdersTotal) != m[1] || strconv.Itoa(st.Outbox.Depth) != m[2] {
		t.Errorf("printed %s orders, %s events; the backup holds %d and %d (%v)", m[1], m[2], st.OrdersTotal, st.Outbox.Depth, err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("backup file: %v, %v", fi, err)
	}

	// --db naming the same store, with the config to reach the agent.
	dst2 := filepath.Join(dir, "online2.db")
	if code, out, errs := backupCLI("backup", "--config", cfgPath, "--db", cfg.Store.Path, dst2); code != 0 || !strings.Contains(out, "through the running agent") {
		t.Fatalf("backup --db of a running agent's store: code %d, out %q, err %q", code, out, errs)
	}
	backupCheck(t, dst2)

	// An existing file is replaced only with --force.
	if code, _, errs := backupCLI("backup", "--config", cfgPath, dst); code != 1 || !strings.Contains(errs, "--force") {
		t.Errorf("existing destination: code %d, err %q", code, errs)
	}
	if code, out, errs := backupCLI("backup", "--config", cfgPath, "--force", dst); code != 0 || !strings.Contains(out, "through the running agent") {
		t.Errorf("--force: code %d, out %q, err %q", code, out, errs)
	}
	// The agent's own errors reach the user.
	if code, _, errs := backupCLI("backup", "--config", cfgPath, filepath.Join(dir, "missing", "b.db")); code != 1 || !strings.Contains(errs, "exists and is writable") {
		t.Errorf("unwritable destination: code %d, err %q", code, errs)
	}

	// Without the admin token, or with a wrong one, nothing is written.
	other := filepath.Join(dir, "other.toml")
	conf, err := os.ReadFile(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	tokFile := filepath.Join(dir, "admin-token")
	conf = bytes.Replace(conf, []byte("[api]\n"), []byte("[api]\nadmin_token_file = "+strconv.Quote(filepath.ToSlash(tokFile))+"\n"), 1)
	if err := os.WriteFile(other, conf, 0o640); err != nil {
		t.Fatal(err)
	}
	dst3 := filepath.Join(dir, "refused.db")
	if code, _, errs := backupCLI("backup", "--config", other, dst3); code != 1 || !strings.Contains(errs, "admin token") {
		t.Errorf("missing admin token: code %d, err %q", code, errs)
	}
	station, err := os.ReadFile(cfg.API.TokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokFile, station, 0o600); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := backupCLI("backup", "--config", other, dst3); code != 1 || !strings.Contains(errs, "HTTP 401") || !strings.Contains(errs, "admin token") {
		t.Errorf("station token instead of the admin token: code %d, err %q", code, errs)
	}
	if _, err := os.Stat(dst3); !os.IsNotExist(err) {
		t.Errorf("a refused backup left %s behind", dst3)
	}
}

func TestAPIAddr(t *testing.T) {
	for listen, want := range map[string]string{
		"127.0.0.1:7420": "127.0.0.1:7420",
		"0.0.0.0:7420":   "127.0.0.1:7420",
		":7420":          "127.0.0.1:7420",
		"[::]:7420":      "127.0.0.1:7420",
		"10.1.2.3:7420":  "10.1.2.3:7420",
		"[::1]:7420":     "[::1]:7420",
	} {
		if got := apiAddr(listen); got != want {
			t.Errorf("apiAddr(%q) = %q, want %q", listen, got, want)
		}
	}
}
