package daemon

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/store"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// waitFile waits until path exists.
func waitFile(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s was never written", path)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func dailyBackups(t *testing.T, dir string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "daily-*.db"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		names = append(names, filepath.Base(p))
	}
	return names
}

// TestDailyBackups: the agent takes today's backup when it starts, one more
// each new day, keeps backup_keep of them and shows the newest's time.
func TestDailyBackups(t *testing.T) {
	dir := t.TempDir()
	bdir := filepath.Join(dir, "backups")
	clk := &testClock{t: time.Date(2026, 3, 2, 23, 30, 0, 0, time.Local)}
	db, err := store.Open(filepath.Join(dir, "packline.db"), store.Options{BackupDir: bdir, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *store.Tx) error {
		return tx.PutOrder(&order.Order{ID: "576460752303423488", State: order.Pulled})
	}); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		logMu.Lock()
		defer logMu.Unlock()
		return logs.Write(p)
	}), nil))
	b := newBackups(db, 2, log)
	b.every = 5 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()

	waitFile(t, filepath.Join(bdir, "daily-20260302.db"))
	for _, day := range []string{"20260303", "20260304", "20260305"} {
		clk.Add(24 * time.Hour)
		waitFile(t, filepath.Join(bdir, "daily-"+day+".db"))
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
	// Pruning follows the write of the last backup inside the same call.
	if got, want := strings.Join(dailyBackups(t, bdir), ","), "daily-20260304.db,daily-20260305.db"; got != want {
		t.Errorf("backups kept: %s, want %s", got, want)
	}
	fi, err := os.Stat(filepath.Join(bdir, "daily-20260305.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The gauge holds the snapshot's time, or the file's modification time
	// once a later check found the backup in place.
	got := metricValue(t, b, "packline_store_last_backup_timestamp_seconds")
	if taken, found := float64(clk.Now().UnixNano())/1e9, float64(fi.ModTime().UnixNano())/1e9; got != taken && got != found {
		t.Errorf("last backup gauge = %v, want %v or %v", got, taken, found)
	}
	if n := metricValue(t, b, "packline_store_backup_failures_total"); n != 0 {
		t.Errorf("%v failures counted", n)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	if strings.Count(out, "daily backup written") != 4 {
		t.Errorf("log lacks the four backups:\n%s", out)
	}

	// A backup directory that cannot be created is logged and counted; the
	// loop goes on.
	blocker := filepath.Join(dir, "file")
	if err := os.WriteFile(blocker, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	db2, err := store.Open(filepath.Join(dir, "second.db"), store.Options{BackupDir: filepath.Join(blocker, "backups")})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	b2 := newBackups(db2, 2, slog.New(slog.DiscardHandler))
	b2.daily(context.Background())
	if n := metricValue(t, b2, "packline_store_backup_failures_total"); n != 1 {
		t.Errorf("failed backup counted %v times, want 1", n)
	}
}

// metricValue gathers c and returns the value of its metric name.
func metricValue(t *testing.T, c prometheus.Collector, name string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.GetMetric()) != 1 {
			continue
		}
		m := mf.GetMetric()[0]
		if g := m.GetGauge(); g != nil {
			return g.GetValue()
		}
		return m.GetCounter().GetValue()
	}
	t.Fatalf("no metric %s", name)
	return 0
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestDamagedStoreIsRestoredFromTheDailyBackup runs the agent, lets it take
// its daily backup, damages the store file and starts again: the backup's
// orders are back, later work is not, and the damaged file is kept aside.
func TestDamagedStoreIsRestoredFromTheDailyBackup(t *testing.T) {
	sim := newSim(t, 12)
	cfg := testConfig(t, sim, "restore-"+t.Name())
	ctx := context.Background()
	a, err := Start(ctx, cfg, nil, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	daily := filepath.Join(cfg.Store.BackupDir, "daily-"+time.Now().Format("20060102")+".db")
	waitFile(t, daily)
	if _, err := a.Intake.Pull(ctx); err != nil {
		a.Stop()
		t.Fatal(err)
	}
	if err := a.DB.Update(func(tx *store.Tx) error { return tx.SetMeta("test.before", "kept") }); err != nil {
		t.Fatal(err)
	}
	// The next day's backup, as the agent takes it.
	if _, err := a.DB.BackupDaily(cfg.Store.BackupKeep); err != nil {
		t.Fatal(err)
	}
	st, err := a.DB.Stats()
	if err != nil || st.OrdersTotal == 0 {
		t.Fatalf("before the damage: %d orders, %v", st.OrdersTotal, err)
	}
	if err := a.DB.Update(func(tx *store.Tx) error { return tx.SetMeta("test.after", "lost") }); err != nil {
		t.Fatal(err)
	}
	if err := a.Stop(); err != nil {
		t.Fatal(err)
	}

	f, err := os.OpenFile(cfg.Store.Path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt(bytes.Repeat([]byte{0x5A}, 8192), 0); err != nil {
		t.Fatal(err)
	}
	f.Close()
	damaged, _ := os.ReadFile(cfg.Store.Path)

	a, err = Start(ctx, cfg, nil, testOptions)
	if err != nil {
		t.Fatalf("start on a damaged store: %v", err)
	}
	defer a.Stop()
	rec := a.DB.Recovery()
	if rec == nil {
		t.Fatal("the damaged store opened without recovery")
	}
	if rec.RestoredFrom != daily {
		t.Errorf("restored from %q, want the daily backup %s", rec.RestoredFrom, daily)
	}
	if kept, err := os.ReadFile(rec.MovedTo); err != nil || !bytes.Equal(kept, damaged) || filepath.Dir(rec.MovedTo) != filepath.Dir(cfg.Store.Path) {
		t.Errorf("the damaged file was not kept intact beside the store at %s: %v", rec.MovedTo, err)
	}
	for _, want := range []string{rec.MovedTo, daily, "damaged"} {
		if !strings.Contains(rec.Message, want) {
			t.Errorf("recovery message lacks %q: %s", want, rec.Message)
		}
	}
	var before, after string
	err = a.DB.View(func(tx *store.Tx) error {
		if _, err := tx.Meta("test.before", &before); err != nil {
			return err
		}
		_, err := tx.Meta("test.after", &after)
		return err
	})
	if err != nil || before != "kept" || after != "" {
		t.Errorf("restored store: before %q, after %q, %v; want the backup's state", before, after, err)
	}
	st2, err := a.DB.Stats()
	if err != nil || st2.OrdersTotal != st.OrdersTotal {
		t.Errorf("restored %d orders (%v), want the backup's %d", st2.OrdersTotal, err, st.OrdersTotal)
	}
}
