package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/engine"
	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/printer/printersim"
	"github.com/packline/packline/store"
)

// Environment of a crash-test child: the config to run, and whether to pack
// everything and exit instead of waiting to be killed.
const (
	envCrashChild  = "PACKLINE_CRASH_CHILD"
	envCrashFinish = "PACKLINE_CRASH_FINISH"
)

func TestMain(m *testing.M) {
	if path := os.Getenv(envCrashChild); path != "" {
		os.Exit(crashChild(path, os.Getenv(envCrashFinish) != ""))
	}
	os.Exit(m.Run())
}

// crashChild is the agent process of the crash test: the real agent with a
// packer robot at station st1. It packs until killed or, when finish is
// set, until the queue is empty.
func crashChild(cfgPath string, finish bool) int {
	cfg, err := config.Load(cfgPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx := context.Background()
	a, err := Start(ctx, cfg, nil, Options{LabelCacheDir: os.Getenv("PACKLINE_CRASH_CACHE")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start:", err)
		return 3
	}
	if os.Getenv(envIdleChild) != "" {
		select {} // measured from outside, then killed
	}
	// The agent pulls orders in the background; the robot packs what the
	// store already holds and never waits for intake. Only the final run,
	// which must leave nothing unpacked, waits for one complete pull.
	if finish {
		if _, err := a.Intake.Pull(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "pull:", err)
			return 6
		}
	}
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		idle, err := robotStep(ctx, a)
		if err != nil {
			fmt.Fprintln(os.Stderr, "robot:", err)
		}
		if idle && finish {
			// Let the relay deliver what is left, then stop cleanly.
			if _, err := a.Relay.Drain(ctx); err != nil {
				fmt.Fprintln(os.Stderr, "drain:", err)
			}
			if st, err := a.Relay.Stats(); err == nil && st.Depth == 0 {
				if err := a.Stop(); err != nil {
					fmt.Fprintln(os.Stderr, "stop:", err)
					return 4
				}
				return 0
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, "robot did not finish in time")
	return 5
}

// robotStep does the next thing a packer would do at st1. It reports idle
// when nothing is left to pack.
func robotStep(ctx context.Context, a *Agent) (idle bool, err error) {
	do := func(cmd apitype.Command) error {
		if r := a.Engine.Do(ctx, "st1", cmd); !r.OK {
			return fmt.Errorf("%s %s: %v", cmd.Kind, cmd.Code, r.Error)
		}
		return nil
	}
	v, queue, _, _ := a.Engine.Snapshot("st1")
	switch v.Phase {
	case apitype.PhaseIdle, apitype.PhaseDone:
		for _, q := range queue {
			if q.State == string(order.Pulled) && q.ClaimedBy == "" {
				return false, do(apitype.Command{Kind: apitype.CmdScan, Code: q.OrderID})
			}
		}
		return true, nil
	case apitype.PhaseScanning:
		for _, l := range v.Order.Lines {
			if l.Got < l.Want {
				return false, do(apitype.Command{Kind: apitype.CmdScan, Code: l.SKUID})
			}
		}
	case apitype.PhaseBoxing:
		return false, do(apitype.Command{Kind: apitype.CmdScan, Code: "BOX-M"})
	case apitype.PhaseWeighing:
		grams, err := expectedGrams(a.DB, v.Order.ID)
		if err != nil {
			return false, err
		}
		// The robot's weights are typed in, as a lead does for a box weighed elsewhere.
		return false, do(apitype.Command{Kind: apitype.CmdAcceptWeight, WeightGrams: grams + 5, Lead: "robot", Reason: "weighed by the test robot"})
	case apitype.PhaseException, apitype.PhaseStaged:
		if v.Label != nil && v.Label.Error != "" {
			return false, do(apitype.Command{Kind: apitype.CmdRetryLabel})
		}
	}
	return false, nil
}

// expectedGrams is what the robot's box weighs: catalogue weights plus the
// 150 g box.
func expectedGrams(db *store.DB, id string) (float64, error) {
	m := 150 * order.Gram
	err := db.View(func(tx *store.Tx) error {
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		for _, it := range o.Items() {
			p, err := tx.Product(it.ProductID)
			if err != nil {
				return fmt.Errorf("product %s: %w", it.ProductID, err)
			}
			m += p.Weight
		}
		return nil
	})
	return m.Grams(), err
}

// sink is the seller's sync endpoint: it records every delivery by its
// Idempotency-Key.
type sink struct {
	mu         sync.Mutex
	deliveries int
	records    map[string]engine.PackRecord // by Idempotency-Key
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	b, _ := io.ReadAll(r.Body)
	var rec engine.PackRecord
	if key == "" || json.Unmarshal(b, &rec) != nil {
		http.Error(w, "want a JSON pack record with an Idempotency-Key", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.deliveries++
	s.records[key] = rec
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// TestCrashKillNine kills the agent process with SIGKILL at random points of
// the pack flow, many times over, then lets it finish. No order may get two
// labels, no pack record may be lost or duplicated upstream, and the store
// must open cleanly.
func TestCrashKillNine(t *testing.T) {
	// About one order in three kills gets its label; seed enough that every
	// kill lands in the middle of the flow, not on an idle agent, and few
	// enough that the final run packs the rest quickly.
	kills, orders := 200, 200
	if testing.Short() {
		kills, orders = 20, 40
	}
	dir := t.TempDir()
	sim := tiktoksim.New(tiktoksim.Options{Seed: 5, Orders: orders})
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ps := printersim.New(printersim.Options{Dir: filepath.Join(dir, "printed")})
	paddr, err := ps.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	sk := &sink{records: map[string]engine.PackRecord{}}
	srv := httptest.NewServer(sk)
	defer srv.Close()

	info := sim.Info()
	cfgPath := filepath.Join(dir, "agent.toml")
	data := filepath.Join(dir, "data")
	os.WriteFile(cfgPath, fmt.Appendf(nil, `
[agent]
data_dir = %q
[log]
file = %q
[tiktok]
app_key = %q
app_secret = %q
api_base = %q
auth_base = %q
shop_cipher = %q
warehouse_ids = [%q]
poll_interval = "2s"
[api]
listen = "127.0.0.1:0"
[sync]
url = %q
[weight]
tolerance_grams = 40
[[box]]
code = "BOX-M"
length = "12"
width = "9"
height = "6"
tare_grams = 150
[[station]]
id = "st1"
printer = "zpl+tcp://%s"
`, filepath.ToSlash(data), filepath.ToSlash(filepath.Join(dir, "agent.log")), info.AppKey, info.AppSecret, base, base, info.ShopCipher,
		info.WarehouseID, srv.URL, paddr), 0o600)
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	// The seller token is in the store before the first start, as after
	// authorisation.
	os.MkdirAll(data, 0o750)
	db, err := store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tok := sim.IssueToken()
	StoreTokens{DB: db}.SaveToken(context.Background(), tiktok.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
		AccessExpiry: tok.AccessTokenExpireAt, RefreshExpiry: tok.RefreshTokenExpireAt})
	db.Close()

	cache := filepath.Join(os.TempDir(), "packline-test-pdfium-cache")
	child := func(finish bool) *exec.Cmd {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envCrashChild+"="+cfgPath, "PACKLINE_CRASH_CACHE="+cache)
		if finish {
			cmd.Env = append(cmd.Env, envCrashFinish+"=1")
		}
		return cmd
	}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	for i := range kills {
		cmd := child(false)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(30+rng.IntN(600)) * time.Millisecond)
		cmd.Process.Kill()
		cmd.Wait()
		if i%50 == 49 {
			t.Logf("%d kills, %d labels bought so far", i+1, sim.TotalPurchases())
		}
	}

	fin := child(true)
	out, err := fin.CombinedOutput()
	if err != nil {
		t.Fatalf("final run after %d kills: %v\n%s", kills, err, out)
	}

	// No order got two labels, and every label bought is the one the store
	// recorded.
	db, err = store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatalf("store after the kills: %v", err)
	}
	defer db.Close()
	if rec := db.Recovery(); rec != nil {
		t.Errorf("store needed recovery after the kills: %+v", rec)
	}
	labelled := 0
	for _, so := range sim.Orders() {
		n := sim.Purchases(so.ID)
		if n > 1 {
			t.Errorf("order %s: %d labels bought", so.ID, n)
		}
		var o order.Order
		err := db.View(func(tx *store.Tx) error { var err error; o, err = tx.Order(so.ID); return err })
		if n == 1 {
			labelled++
			if err != nil || o.Label == nil {
				t.Errorf("order %s: label bought upstream but not recorded (%v)", so.ID, err)
			}
		}
		if err == nil && o.Label != nil && n != 1 {
			t.Errorf("order %s: store has label %s, upstream sold %d", so.ID, o.Label.PackageID, n)
		}
	}
	if labelled == 0 {
		t.Fatal("no order was labelled: the robot never got through")
	}
	var stats store.OutboxStats
	db.View(func(tx *store.Tx) error { stats, err = tx.OutboxStats(); return err })
	if stats.Depth != 0 || stats.Dead != 0 {
		t.Errorf("outbox after the final run: %+v", stats)
	}

	// Upstream saw each state change of each order exactly once (duplicate
	// deliveries carry the same Idempotency-Key and are absorbed), and none
	// is missing: the last record of each order is its stored state.
	sk.mu.Lock()
	defer sk.mu.Unlock()
	type transition struct{ order, from, to string }
	seen := map[transition]string{}
	last := map[string]engine.PackRecord{}
	for key, r := range sk.records {
		tr := transition{r.OrderID, r.From, r.State}
		if prev, dup := seen[tr]; dup {
			t.Errorf("order %s %s→%s recorded under two keys %s and %s", r.OrderID, r.From, r.State, prev, key)
		}
		seen[tr] = key
		if l, ok := last[r.OrderID]; !ok || r.At.After(l.At) {
			last[r.OrderID] = r
		}
	}
	var ids []string
	for id := range last {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		var o order.Order
		if err := db.View(func(tx *store.Tx) error { var err error; o, err = tx.Order(id); return err }); err != nil {
			t.Errorf("order %s: %v", id, err)
			continue
		}
		if string(o.State) != last[id].State {
			t.Errorf("order %s: stored state %s, last record upstream %s→%s", id, o.State, last[id].From, last[id].State)
		}
	}
	if len(ps.Labels()) < labelled {
		t.Errorf("%d orders labelled but only %d labels printed", labelled, len(ps.Labels()))
	}
	t.Logf("%d kills; %d orders labelled, %d printed labels; %d pack records (%d deliveries)", kills, labelled, len(ps.Labels()), len(sk.records), sk.deliveries)
}
