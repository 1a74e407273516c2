package daemon

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
			// An order this station had open before a restart is
			// scanned again, as the packer holding it would.
			mine := q.ClaimedBy == "st1" && (q.State == string(order.Claimed) || q.State == string(order.Verified))
			if mine || q.State == string(order.Pulled) && q.ClaimedBy == "" {
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
// Idempotency-Key. It can be told to refuse the next deliveries with a 503,
// or to record the next ones and then drop the connection unanswered, as a
// receiver that fails after committing does.
type sink struct {
	mu         sync.Mutex
	deliveries int
	perKey     map[string]int
	records    map[string]engine.PackRecord // by Idempotency-Key
	refuse     int                          // deliveries still to answer 503
	drop       int                          // deliveries still to record, then drop
	refused    int
	dropped    int
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
	if s.refuse > 0 {
		s.refuse--
		s.refused++
		s.mu.Unlock()
		http.Error(w, "sync store unavailable", http.StatusServiceUnavailable)
		return
	}
	s.deliveries++
	s.perKey[key]++
	s.records[key] = rec
	drop := s.drop > 0
	if drop {
		s.drop--
		s.dropped++
	}
	s.mu.Unlock()
	if drop {
		if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// createPackagesPath is TikTok's Create Packages: the label purchase.
const createPackagesPath = "/fulfillment/202309/packages"

// crashPlan is what the upstream proxy does to the next Create Packages
// request of a round (or, with document set, to the next request for a
// label document).
type crashPlan struct {
	document bool
	// fault is injected into the simulator for exactly that request.
	fault *tiktoksim.Fault
	// onAnswer kills the agent once the simulator has handled the request
	// (the label is bought) and before its answer leaves; otherwise the
	// agent is killed after the request arrived.
	onAnswer bool
	after    time.Duration
	kill     func()
	taken    chan struct{}
}

// upstreamProxy stands in front of the simulator. Requests under the
// packages path are serialised, so a fault injected for a Create Packages
// request is the one that request meets (the simulator matches faults by
// path prefix, which the package search and document paths share).
type upstreamProxy struct {
	sim   *tiktoksim.Sim
	next  http.Handler
	pkgMu sync.Mutex
	mu    sync.Mutex
	plan  *crashPlan
	err   error // from injecting a fault
}

// aims reports whether r is the request the plan waits for.
func (pl *crashPlan) aims(r *http.Request) bool {
	if pl.document {
		return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/shipping_documents")
	}
	return r.Method == http.MethodPost && r.URL.Path == createPackagesPath
}

func (p *upstreamProxy) arm(pl *crashPlan) {
	p.mu.Lock()
	p.plan = pl
	p.mu.Unlock()
}

func (p *upstreamProxy) take(r *http.Request) *crashPlan {
	p.mu.Lock()
	defer p.mu.Unlock()
	pl := p.plan
	if pl == nil || !pl.aims(r) {
		return nil
	}
	p.plan = nil
	return pl
}

func (p *upstreamProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, createPackagesPath) {
		p.next.ServeHTTP(w, r)
		return
	}
	p.pkgMu.Lock()
	defer p.pkgMu.Unlock()
	pl := p.take(r)
	if pl == nil {
		p.next.ServeHTTP(w, r)
		return
	}
	// With the body read, the server watches the connection and cancels
	// the request when the agent dies, ending a slow answer early.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	close(pl.taken)
	if pl.fault != nil {
		if err := p.sim.Inject(*pl.fault); err != nil {
			p.mu.Lock()
			p.err = err
			p.mu.Unlock()
		}
	}
	if pl.onAnswer {
		w = &answerHook{ResponseWriter: w, before: pl.kill}
	} else {
		time.AfterFunc(pl.after, pl.kill)
	}
	p.next.ServeHTTP(w, r)
}

// answerHook runs before once the handler starts to answer, whether by
// writing or by hijacking the connection to drop it.
type answerHook struct {
	http.ResponseWriter
	once   sync.Once
	before func()
}

func (a *answerHook) WriteHeader(code int) {
	a.once.Do(a.before)
	a.ResponseWriter.WriteHeader(code)
}

func (a *answerHook) Write(b []byte) (int, error) {
	a.once.Do(a.before)
	return a.ResponseWriter.Write(b)
}

func (a *answerHook) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	a.once.Do(a.before)
	return a.ResponseWriter.(http.Hijacker).Hijack()
}

// agentProc is one crash-test child.
type agentProc struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	exited chan struct{}
	killed atomic.Bool
}

func startAgentProc(cmd *exec.Cmd) (*agentProc, error) {
	p := &agentProc{cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.out, &p.out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() {
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// kill sends SIGKILL and returns once the process is gone.
func (p *agentProc) kill() {
	p.killed.Store(true)
	p.cmd.Process.Kill()
	<-p.exited
}

// Where a kill landed, judged from the store and the simulator after it,
// by the most delicate step any order was at.
const (
	landedBoughtUnrecorded = "label bought upstream, not recorded"
	landedAttemptUnbought  = "purchase attempt committed, no label upstream"
	landedIntentUnsent     = "intent committed, purchase not attempted"
	landedLabelUnprinted   = "label recorded, not printed"
	landedPacking          = "scanning, weighing or between orders"
	landedIdle             = "no order moved (starting or idle)"
)

var landings = []string{landedBoughtUnrecorded, landedAttemptUnbought, landedIntentUnsent, landedLabelUnprinted, landedPacking, landedIdle}

// orderMark is how far one order is, locally and upstream.
type orderMark struct {
	state    order.State
	intent   bool
	attempts int
	label    bool
	upstream int // packages TikTok holds for it
}

func (m orderMark) landing() string {
	switch {
	case m.intent && !m.label && m.upstream > 0:
		return landedBoughtUnrecorded
	case m.intent && !m.label && m.attempts > 0:
		return landedAttemptUnbought
	case m.intent && !m.label:
		return landedIntentUnsent
	case m.state == order.LabelBought:
		return landedLabelUnprinted
	}
	return landedPacking
}

// markOrders reads every order's progress from the store (opened read-only,
// so looking changes nothing) and the simulator.
func markOrders(path string, sim *tiktoksim.Sim) (map[string]orderMark, error) {
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer db.Close()
	marks := map[string]orderMark{}
	err = db.View(func(tx *store.Tx) error {
		return tx.ForEachOrder(func(o *order.Order) error {
			m := orderMark{state: o.State, intent: o.Intent != nil, label: o.Label != nil}
			if o.Intent != nil {
				m.attempts = o.Intent.Attempts
			}
			if so, ok := sim.Order(o.ID); ok {
				m.upstream = len(so.Packages)
			}
			marks[o.ID] = m
			return nil
		})
	})
	return marks, err
}

// landing judges one kill by the orders that moved since the last one: the
// most delicate step any of them was at, or landedIdle if none moved.
func landing(before, after map[string]orderMark) string {
	best := len(landings) - 1
	for id, m := range after {
		if before[id] == m {
			continue
		}
		best = min(best, slices.Index(landings, m.landing()))
	}
	return landings[best]
}

// Kinds of crash-test round.
const (
	roundRandom     = "random time"
	roundStarting   = "while the agent starts"
	roundFirstScans = "in the first scans after a start"
	roundDocument   = "fetching the document of a recorded label"
	roundPurchased  = "after the purchase, before the answer"
	roundReconcile  = "after the purchase, then package search 503"
	roundSlow       = "during a slow purchase"
	roundRateLimit  = "in the wait after a 429"
	roundServerErr  = "after a 5xx or reset purchase"
	roundDropped    = "after the answer to a purchase was dropped"
	roundSinkFaults = "random time, sync endpoint failing"
)

// TestCrashKillNine kills the agent process with SIGKILL during the pack
// flow, many times over, then lets it finish. Most kills are aimed at the
// label purchase: once TikTok has sold the label and before the agent has
// heard so (sometimes with the first package search after the restart
// failing), while the request is in flight, in the wait after a 429 and
// after 5xx, reset and dropped answers. Others are aimed at the document
// fetch of a recorded label and at the agent's start; the rest land at
// random times, some while the sync endpoint fails. Where each kill landed
// is read back from the store and the simulator, and each place must have
// been hit often enough to mean something. No order may get two labels, every order that
// reached the purchase must end with the one label TikTok sold it, no pack
// record may be lost or duplicated upstream, and the store must open
// cleanly.
func TestCrashKillNine(t *testing.T) {
	mix := map[string]int{
		roundPurchased: 40, roundReconcile: 20, roundSlow: 20, roundRateLimit: 15,
		roundServerErr: 15, roundDropped: 15, roundRandom: 30, roundSinkFaults: 15,
		roundStarting: 10, roundFirstScans: 10, roundDocument: 10,
	}
	// Minimum kills per landing place.
	want := map[string]int{
		landedBoughtUnrecorded: 45, landedAttemptUnbought: 30, landedIntentUnsent: 15,
		landedLabelUnprinted: 5, landedPacking: 8, landedIdle: 5,
	}
	orders := 255
	if testing.Short() {
		mix = map[string]int{
			roundPurchased: 5, roundReconcile: 2, roundSlow: 3, roundRateLimit: 2,
			roundServerErr: 2, roundDropped: 2, roundRandom: 4, roundSinkFaults: 2,
			roundStarting: 1, roundFirstScans: 1, roundDocument: 1,
		}
		want = map[string]int{landedBoughtUnrecorded: 4, landedAttemptUnbought: 3}
		orders = 60
	}
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(1, seed))
	var rounds []string
	for _, k := range slices.Sorted(maps.Keys(mix)) {
		for range mix[k] {
			rounds = append(rounds, k)
		}
	}
	rng.Shuffle(len(rounds), func(i, j int) { rounds[i], rounds[j] = rounds[j], rounds[i] })
	kills := len(rounds)
	t.Logf("%d kills, schedule seed %d", kills, seed)

	dir := t.TempDir()
	sim := tiktoksim.New(tiktoksim.Options{Seed: 5, Orders: orders})
	proxy := &upstreamProxy{sim: sim, next: sim.Handler()}
	up := httptest.NewServer(proxy)
	defer up.Close()
	base := up.URL
	ps := printersim.New(printersim.Options{Dir: filepath.Join(dir, "printed")})
	paddr, err := ps.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ps.Close()
	sk := &sink{records: map[string]engine.PackRecord{}, perKey: map[string]int{}}
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
	ms := func(lo, hi int) time.Duration { return time.Duration(lo+rng.IntN(hi-lo)) * time.Millisecond }

	landed := map[string]int{}
	byRound := map[string]map[string]int{}
	planned := map[string]int{} // rounds aimed at a request
	aimed := map[string]int{}   // of them, those whose request came in time
	aimWait := map[string]time.Duration{}
	var longestAim time.Duration
	marks := map[string]orderMark{}
	start := time.Now()
	for i, kind := range rounds {
		began := time.Now()
		p, err := startAgentProc(child(false))
		if err != nil {
			t.Fatal(err)
		}
		pl := &crashPlan{kill: p.kill, taken: make(chan struct{})}
		var search *tiktoksim.Fault
		switch kind {
		case roundPurchased:
			pl.onAnswer = true
		case roundReconcile:
			// After the restart, the first read of the packages fails.
			pl.onAnswer = true
			search = &tiktoksim.Fault{Path: createPackagesPath + "/search", Kind: tiktoksim.ServerError, Status: 503}
		case roundSlow:
			pl.fault = &tiktoksim.Fault{Kind: tiktoksim.Slow, Delay: 2 * time.Second}
			pl.after = ms(5, 150)
		case roundRateLimit:
			pl.fault = &tiktoksim.Fault{Kind: tiktoksim.RateLimit, RetryAfter: time.Second}
			pl.after = ms(10, 300)
		case roundServerErr:
			pl.fault = &tiktoksim.Fault{Kind: tiktoksim.ServerError, Status: 500 + 3*rng.IntN(2)}
			if rng.IntN(2) == 0 {
				pl.fault = &tiktoksim.Fault{Kind: tiktoksim.Reset}
			}
			pl.after = ms(0, 150)
		case roundDropped:
			pl.fault = &tiktoksim.Fault{Kind: tiktoksim.DropAfterSuccess}
			pl.after = ms(0, 150)
		case roundDocument:
			pl.document = true
		case roundStarting, roundFirstScans:
			pl = nil
		case roundSinkFaults:
			sk.mu.Lock()
			sk.refuse, sk.drop = rng.IntN(3), 1+rng.IntN(2)
			sk.mu.Unlock()
			pl = nil
		case roundRandom:
			pl = nil
		}
		if pl != nil {
			if pl.fault != nil {
				pl.fault.Path, pl.fault.Count = createPackagesPath, 1
			}
			planned[kind]++
			proxy.arm(pl)
			select {
			case <-pl.taken:
				aimed[kind]++
				waited := time.Since(began)
				aimWait[kind] += waited
				longestAim = max(longestAim, waited)
				<-p.exited
			case <-p.exited:
			case <-time.After(4 * time.Second):
			}
		} else {
			wait := ms(20, 300)
			switch kind {
			case roundStarting:
				wait = ms(1, 10)
			case roundFirstScans:
				wait = ms(15, 60)
			}
			select {
			case <-p.exited:
			case <-time.After(wait):
			}
		}
		proxy.arm(nil)
		proxy.mu.Lock()
		if proxy.err != nil {
			t.Fatalf("round %d (%s): %v", i, kind, proxy.err)
		}
		proxy.mu.Unlock()
		if !p.killed.Load() {
			select {
			case <-p.exited:
				t.Fatalf("round %d (%s): the agent exited by itself\n%s", i, kind, p.out.Bytes())
			default:
			}
		}
		p.kill()
		for _, f := range sim.Faults() {
			if f.Path == createPackagesPath {
				t.Fatalf("round %d (%s): a purchase fault was left untaken: %+v", i, kind, f)
			}
		}
		if search != nil {
			if err := sim.Inject(*search); err != nil {
				t.Fatal(err)
			}
		}
		after, err := markOrders(cfg.Store.Path, sim)
		if err != nil {
			t.Fatalf("round %d (%s): store after the kill: %v", i, kind, err)
		}
		l := landing(marks, after)
		marks = after
		landed[l]++
		if byRound[kind] == nil {
			byRound[kind] = map[string]int{}
		}
		byRound[kind][l]++
	}
	killTime := time.Since(start)

	sim.ClearFaults()
	sk.mu.Lock()
	sk.refuse, sk.drop = 0, 0
	sk.mu.Unlock()
	finStart := time.Now()
	fin := child(true)
	out, err := fin.CombinedOutput()
	if err != nil {
		t.Fatalf("final run after %d kills: %v\n%s", kills, err, out)
	}
	finTime := time.Since(finStart)

	t.Logf("where the %d kills landed (%s of kills, then %s to finish):", kills, killTime.Round(time.Millisecond), finTime.Round(time.Millisecond))
	for _, l := range landings {
		t.Logf("  %3d  %s", landed[l], l)
	}
	for _, k := range slices.Sorted(maps.Keys(mix)) {
		var mean time.Duration
		if aimed[k] > 0 {
			mean = (aimWait[k] / time.Duration(aimed[k])).Round(time.Millisecond)
		}
		t.Logf("  round %q: %d aimed of %d (request after %s on average), landed %v", k, aimed[k], mix[k], mean, byRound[k])
	}
	t.Logf("  the longest wait for an aimed request was %s", longestAim.Round(time.Millisecond))
	for k, n := range planned {
		if 2*aimed[k] < n {
			t.Errorf("round %q: only %d of %d met the request they were aimed at", k, aimed[k], n)
		}
	}
	for _, l := range landings {
		if landed[l] < want[l] {
			t.Errorf("only %d kills landed with %s, want at least %d", landed[l], l, want[l])
		}
	}

	// No order got two labels; every order that reached the purchase ends
	// printed with the one label TikTok sold it.
	db, err = store.Open(cfg.Store.Path, store.Options{})
	if err != nil {
		t.Fatalf("store after the kills: %v", err)
	}
	defer db.Close()
	if rec := db.Recovery(); rec != nil {
		t.Errorf("store needed recovery after the kills: %+v", rec)
	}
	labelled, purchased := 0, 0
	for _, so := range sim.Orders() {
		n := sim.Purchases(so.ID)
		if n > 1 {
			t.Errorf("order %s: %d labels bought", so.ID, n)
		}
		var o order.Order
		err := db.View(func(tx *store.Tx) error { var err error; o, err = tx.Order(so.ID); return err })
		if errors.Is(err, store.ErrNotFound) {
			if n != 0 {
				t.Errorf("order %s: never pulled, yet %d labels bought", so.ID, n)
			}
			continue
		}
		if err != nil {
			t.Errorf("order %s: %v", so.ID, err)
			continue
		}
		if n == 1 {
			purchased++
		}
		switch {
		case o.Intent != nil:
			if o.Label == nil || len(so.Packages) != 1 || o.Label.PackageID != so.Packages[0].ID || o.State != order.LabelPrinted {
				t.Errorf("order %s reached the purchase: state %s, label %+v, upstream packages %v, %d bought", so.ID, o.State, o.Label, so.Packages, n)
				continue
			}
			labelled++
		case o.Label != nil || n != 0 || len(so.Packages) != 0:
			t.Errorf("order %s: no label intent, yet label %+v, upstream packages %v, %d bought", so.ID, o.Label, so.Packages, n)
		case o.Pack != nil && o.State != order.Cancelled && o.State != order.Exception:
			t.Errorf("order %s: packing started but it ended %s", so.ID, o.State)
		}
	}
	var byState map[order.State]int
	db.View(func(tx *store.Tx) error { byState, err = tx.CountByState(); return err })
	t.Logf("orders by state after the final run: %v", byState)
	if labelled == 0 || labelled != purchased {
		t.Fatalf("%d orders labelled, %d bought upstream", labelled, purchased)
	}
	var stats store.OutboxStats
	db.View(func(tx *store.Tx) error { stats, err = tx.OutboxStats(); return err })
	if stats.Depth != 0 || stats.Dead != 0 {
		t.Errorf("outbox after the final run: %+v", stats)
	}

	// Upstream saw each state change of each order exactly once (duplicate
	// deliveries carry the same Idempotency-Key and are absorbed), and none
	// is missing: each order's records chain from one state to the next,
	// and the last is its stored state.
	sk.mu.Lock()
	defer sk.mu.Unlock()
	type transition struct{ order, from, to string }
	seen := map[transition]string{}
	chains := map[string][]engine.PackRecord{}
	redelivered := 0
	for key, r := range sk.records {
		tr := transition{r.OrderID, r.From, r.State}
		if prev, dup := seen[tr]; dup {
			t.Errorf("order %s %s→%s recorded under two keys %s and %s", r.OrderID, r.From, r.State, prev, key)
		}
		seen[tr] = key
		chains[r.OrderID] = append(chains[r.OrderID], r)
		if sk.perKey[key] > 1 {
			redelivered++
		}
	}
	for _, so := range sim.Orders() {
		var o order.Order
		if err := db.View(func(tx *store.Tx) error { var err error; o, err = tx.Order(so.ID); return err }); err != nil {
			continue
		}
		recs := chains[so.ID]
		if len(recs) == 0 {
			if o.State != order.Pulled && o.Pack != nil {
				t.Errorf("order %s is %s but upstream has no record of it", so.ID, o.State)
			}
			continue
		}
		sort.Slice(recs, func(i, j int) bool { return recs[i].At.Before(recs[j].At) })
		for k := 1; k < len(recs); k++ {
			if recs[k].From != recs[k-1].State {
				t.Errorf("order %s: upstream has %s→%s then %s→%s: a record is missing", so.ID, recs[k-1].From, recs[k-1].State, recs[k].From, recs[k].State)
			}
		}
		if last := recs[len(recs)-1]; string(o.State) != last.State {
			t.Errorf("order %s: stored state %s, last record upstream %s→%s", so.ID, o.State, last.From, last.State)
		}
	}
	if sk.dropped == 0 || redelivered == 0 {
		t.Errorf("the sync endpoint dropped %d answers and %d records were delivered again: the duplicate path was not exercised", sk.dropped, redelivered)
	}
	if len(ps.Labels()) < labelled {
		t.Errorf("%d orders labelled but only %d labels printed", labelled, len(ps.Labels()))
	}
	t.Logf("%d orders labelled, %d printed labels; %d pack records (%d deliveries, %d redelivered, %d refused, %d answers dropped)",
		labelled, len(ps.Labels()), len(sk.records), sk.deliveries, redelivered, sk.refused, sk.dropped)
}
