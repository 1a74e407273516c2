package daemon

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/daemon/daemontest"
	"github.com/packline/packline/agent/engine"
	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/scale/scalesim"
	"github.com/packline/packline/store"
)

// testOptions share one label-renderer compilation cache between tests.
var testOptions = Options{Version: "test", LabelCacheDir: filepath.Join(os.TempDir(), "packline-test-pdfium-cache")}

func newSim(t *testing.T, orders int) *tiktoksim.Sim {
	t.Helper()
	sim := tiktoksim.New(tiktoksim.Options{Seed: 11, Orders: orders})
	if _, err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	return sim
}

// waitView polls the station until ok accepts its view.
func waitView(t *testing.T, a *Agent, ok func(apitype.StationView) bool) apitype.StationView {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, _, _, _ := a.Engine.Snapshot("st1")
		if ok(v) {
			return v
		}
		if time.Now().After(deadline) {
			t.Fatalf("station never reached the expected view; last: phase %s, prompt %q, label %+v", v.Phase, v.Prompt, v.Label)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func do(t *testing.T, a *Agent, cmd apitype.Command) apitype.Result {
	t.Helper()
	r := a.Engine.Do(context.Background(), "st1", cmd)
	if !r.OK {
		t.Fatalf("%s %q: %+v", cmd.Kind, cmd.Code, r.Error)
	}
	return r
}

// TestAgentPacksAnOrderEndToEnd runs the whole agent against the simulator:
// intake, claim, unit scans, box, a stable weight from the simulated scale,
// the label bought once, rendered, checked and printed.
func TestAgentPacksAnOrderEndToEnd(t *testing.T) {
	sim := newSim(t, 16)
	scaleName := "e2e-" + t.Name()
	cfg := testConfig(t, sim, scaleName)
	ctx := context.Background()
	a, err := Start(ctx, cfg, nil, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	if _, err := a.Intake.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	_, queue, _, _ := a.Engine.Snapshot("st1")
	if len(queue) == 0 {
		t.Fatal("queue is empty after intake")
	}
	id := queue[0].OrderID
	so, _ := sim.Order(id)

	do(t, a, apitype.Command{Kind: apitype.CmdScan, Code: id})
	for _, li := range so.LineItems {
		if len(li.CombinedListingSKUs) > 0 {
			for _, c := range li.CombinedListingSKUs {
				for range c.SKUCount {
					do(t, a, apitype.Command{Kind: apitype.CmdScan, Code: c.SellerSKU})
				}
			}
			continue
		}
		do(t, a, apitype.Command{Kind: apitype.CmdScan, Code: li.SellerSKU})
	}
	v := do(t, a, apitype.Command{Kind: apitype.CmdScan, Code: "BOX-M"}).View
	if v == nil || v.Phase != apitype.PhaseWeighing {
		t.Fatalf("after the box: view %+v", v)
	}
	// The box goes on the scale: it settles at the catalogue weight of its
	// items plus the box tare, plus 12 g.
	weights := map[string]order.Mass{}
	for _, c := range sim.Catalog() {
		weights[c.SKUID] = c.Weight
	}
	expected := 150 * order.Gram
	for _, li := range so.LineItems {
		if len(li.CombinedListingSKUs) == 0 {
			expected += weights[li.SKUID]
		}
		for _, c := range li.CombinedListingSKUs {
			expected += weights[c.SKUID] * order.Mass(c.SKUCount)
		}
	}
	if d := v.ExpectedGrams - expected.Grams(); d > 0.001 || d < -0.001 || v.ToleranceGrams < 40 {
		t.Errorf("before weighing the station shows expected %.3f g ± %.1f g, want %.3f g ± at least 40 g", v.ExpectedGrams, v.ToleranceGrams, expected.Grams())
	}
	if err := scalesim.Shared(scaleName).SetWeight(fmt.Sprintf("%.1f", expected.Grams()+12), "g"); err != nil {
		t.Fatal(err)
	}
	do(t, a, apitype.Command{Kind: apitype.CmdAcceptWeight})
	done := waitView(t, a, func(v apitype.StationView) bool { return v.Label != nil && v.Label.Printed })
	v = &done

	if got := sim.Purchases(id); got != 1 {
		t.Errorf("label purchases for %s = %d, want 1", id, got)
	}
	if v.Label.TrackingNumber == "" || !strings.Contains(v.Label.DeclaredWeight, ".") {
		t.Errorf("label view %+v", v.Label)
	}
	pngs, _ := filepath.Glob(filepath.Join(cfg.Agent.DataDir, "labels", "*.png"))
	if len(pngs) != 1 {
		t.Errorf("printer wrote %d label PNGs, want 1", len(pngs))
	}
	var o order.Order
	a.DB.View(func(tx *store.Tx) error { o, err = tx.Order(id); return err })
	if o.Label == nil || o.Label.TrackingNumber != v.Label.TrackingNumber || (o.State != order.LabelPrinted && o.State != order.Dispatched) {
		t.Errorf("stored order: state %s label %+v", o.State, o.Label)
	}
	// The declared weight is the measured weight rounded up, in pounds.
	want, _ := (o.Pack.Measured).CeilIn("lb", 2)
	if o.Label.Weight != want {
		t.Errorf("declared %s, want measured %v rounded up = %s", o.Label.Weight, o.Pack.Measured, want)
	}
}

// TestStartRefusesASecondAgent shows the clear error a second agent on the
// same store gets.
func TestStartRefusesASecondAgent(t *testing.T) {
	sim := newSim(t, 2)
	cfg := testConfig(t, sim, "second-"+t.Name())
	cfg.Store.OpenTimeout.Duration = 200 * time.Millisecond
	a, err := Start(context.Background(), cfg, nil, testOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Stop()
	_, err = Start(context.Background(), cfg, nil, testOptions)
	if err == nil || !strings.Contains(err.Error(), "another packline-agent") {
		t.Fatalf("second Start: %v, want the store-locked error", err)
	}
	if _, statErr := os.Stat(cfg.Store.Path); statErr != nil {
		t.Fatal(statErr)
	}
}

// TestStartErrorsPermanentOrNot: a store from a newer agent and a bad
// setting are permanent start failures; a store held by another process is
// not, since it clears when that process goes.
func TestStartErrorsPermanentOrNot(t *testing.T) {
	sim := newSim(t, 0)
	cfg := testConfig(t, sim, "permanent-"+t.Name())
	cfg.Store.OpenTimeout.Duration = 100 * time.Millisecond
	ctx := context.Background()

	held, err := store.Open(cfg.Store.Path, store.Options{BackupDir: cfg.Store.BackupDir})
	if err != nil {
		t.Fatal(err)
	}
	_, err = Start(ctx, cfg, nil, testOptions)
	if err == nil || !errors.Is(err, store.ErrLocked) || Permanent(err) {
		t.Errorf("locked store: Start = %v (permanent %v), want a transient ErrLocked", err, Permanent(err))
	}
	held.Close()

	bad := *cfg
	bad.Sync.URL = "ftp://sync.example"
	_, err = Start(ctx, &bad, nil, testOptions)
	if err == nil || !errors.Is(err, ErrConfig) || !Permanent(err) || !strings.Contains(err.Error(), "sync") {
		t.Errorf("bad sync url: Start = %v, want a permanent configuration error", err)
	}
	bad = *cfg
	bad.TikTok.AppKey = ""
	_, err = Start(ctx, &bad, nil, testOptions)
	if err == nil || !Permanent(err) || !strings.Contains(err.Error(), "app key is empty") {
		t.Errorf("no app key: Start = %v, want a permanent configuration error", err)
	}

	b, err := bolt.Open(cfg.Store.Path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("meta")).Put([]byte("schema_version"), []byte("99")) }); err != nil {
		t.Fatal(err)
	}
	b.Close()
	_, err = Start(ctx, cfg, nil, testOptions)
	if err == nil || !errors.Is(err, store.ErrMigration) || !Permanent(err) {
		t.Errorf("store from a newer agent: Start = %v, want a permanent migration error", err)
	}
}

// TestLabelerCloseDoesNotWaitForStart: closing the renderer while it still
// compiles abandons it, so an agent stopped right after a cold start stops
// within the service manager's budget; a label asked for later fails.
func TestLabelerCloseDoesNotWaitForStart(t *testing.T) {
	l := startLabeler(context.Background(), label.Options{CacheDir: testOptions.LabelCacheDir})
	if err := l.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if !errors.Is(l.err, context.Canceled) {
		t.Errorf("Close waited for the renderer to start: err %v, want it cancelled", l.err)
	}
	if _, err := l.Prepare(context.Background(), nil, engine.LabelSpec{DPI: 203}, ""); err == nil {
		t.Error("a closed labeler prepared a label")
	}
}

// testConfig is a whole agent configuration against the simulator, with a
// simulated scale and printer at one station.
func testConfig(t *testing.T, sim *tiktoksim.Sim, scaleName string) *config.Config {
	return daemontest.Config(t, sim, daemontest.Station{ScaleName: scaleName})
}
