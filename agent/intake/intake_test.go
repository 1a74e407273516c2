package intake

import (
	"context"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/store"
)

// rig is the real client against the real simulator on loopback, with a
// real store file.
type rig struct {
	sim *tiktoksim.Sim
	cl  *tiktok.Client
	db  *store.DB
	in  *Intake

	mu      sync.Mutex
	changes []Change
}

// claim marks order id as claimed at station st1, as a packer's scan does.
func (r *rig) claim(t *testing.T, id string) {
	t.Helper()
	if err := r.db.Update(func(tx *store.Tx) error {
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		o.State = order.Claimed
		o.Pack = &order.Pack{Station: "st1", Scanned: map[string]int{}}
		return tx.PutOrder(&o)
	}); err != nil {
		t.Fatal(err)
	}
}

func newRig(t *testing.T, orders int) *rig {
	t.Helper()
	clock := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	var clockMu sync.Mutex
	now := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return clock }
	sim := tiktoksim.New(tiktoksim.Options{Seed: 7, Orders: orders, WarehouseID: "wh1", Now: now})
	base, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	info := sim.Info()
	cl, err := tiktok.New(tiktok.Config{
		AppKey: info.AppKey, AppSecret: info.AppSecret, APIBase: base, AuthBase: base, ShopCipher: info.ShopCipher,
		Tokens: tiktok.NewMemoryTokenStore(tokenOf(sim.IssueToken())), Now: sim.Now,
		Retry: tiktok.RetryPolicy{Base: time.Millisecond, Cap: 2 * time.Second, MaxAttempts: 3,
			Sleep: func(context.Context, time.Duration) error { return nil }},
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(t.TempDir(), "packline.db"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	r := &rig{sim: sim, cl: cl, db: db}
	r.in = New(db, cl, Options{WarehouseIDs: []string{"wh1"}, Now: sim.Now, OnChange: func(c []Change) {
		r.mu.Lock()
		r.changes = append(r.changes, c...)
		r.mu.Unlock()
	}})
	return r
}

func tokenOf(t tiktoksim.Token) tiktok.Token {
	return tiktok.Token{AccessToken: t.AccessToken, RefreshToken: t.RefreshToken,
		AccessExpiry: t.AccessTokenExpireAt, RefreshExpiry: t.RefreshTokenExpireAt}
}

func TestPullStoresOnlyPackableSellerOrders(t *testing.T) {
	r := newRig(t, 60)
	ctx := context.Background()
	res, err := r.in.Pull(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, o := range r.sim.Orders() {
		if o.Status == order.StatusAwaitingShipment && o.FulfillmentType == "FULFILLMENT_BY_SELLER" && o.WarehouseID == "wh1" {
			want[o.ID] = true
		}
	}
	if len(want) == 0 || len(want) == len(r.sim.Orders()) {
		t.Fatalf("seed has %d packable of %d orders; the test needs a mix", len(want), len(r.sim.Orders()))
	}
	var stored []order.Order
	r.db.View(func(tx *store.Tx) error {
		return tx.ForEachOrder(func(o *order.Order) error { stored = append(stored, *o); return nil })
	})
	if len(stored) != len(want) {
		t.Errorf("stored %d orders, want the %d awaiting seller-fulfilled ones (result %+v)", len(stored), len(want), res)
	}
	for _, o := range stored {
		if !want[o.ID] || o.State != order.Pulled || o.RTSDeadline.IsZero() || len(o.LineItems) == 0 {
			t.Errorf("stored order %s: state %s, deadline %v, %d line items", o.ID, o.State, o.RTSDeadline, len(o.LineItems))
		}
		for _, it := range o.Items() {
			var p order.Product
			err := r.db.View(func(tx *store.Tx) error { var err error; p, err = tx.Product(it.ProductID); return err })
			if err != nil || p.Weight <= 0 {
				t.Errorf("order %s: product %s weight not cached: %+v, %v", o.ID, it.ProductID, p, err)
			}
		}
	}
}

func TestPullSeesCancellationsAndReleasedHolds(t *testing.T) {
	r := newRig(t, 40)
	ctx := context.Background()
	if _, err := r.in.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	var packable, onHold string
	for _, o := range r.sim.Orders() {
		if o.Status == order.StatusAwaitingShipment && o.FulfillmentType == "FULFILLMENT_BY_SELLER" && packable == "" {
			packable = o.ID
		}
		if o.Status == order.StatusOnHold && o.FulfillmentType == "FULFILLMENT_BY_SELLER" && onHold == "" {
			onHold = o.ID
		}
	}
	if packable == "" || onHold == "" {
		t.Fatal("seed lacks an awaiting and an on-hold seller order")
	}
	// A packer has claimed the order when the buyer cancels.
	r.claim(t, packable)
	r.sim.Advance(time.Minute)
	if err := r.sim.CancelOrder(packable); err != nil {
		t.Fatal(err)
	}
	r.sim.Advance(2 * time.Hour) // the hold ends
	if _, err := r.in.Pull(ctx); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	changes := append([]Change(nil), r.changes...)
	r.mu.Unlock()
	var sawCancel bool
	for _, c := range changes {
		if c.OrderID == packable && c.After.Status == order.StatusCancelled && c.Before.State == order.Claimed {
			sawCancel = true
		}
	}
	if !sawCancel {
		t.Errorf("cancellation of claimed order %s not reported; changes: %d", packable, len(changes))
	}
	var got order.Order
	r.db.View(func(tx *store.Tx) error { var err error; got, err = tx.Order(packable); return err })
	if got.Status != order.StatusCancelled || got.State != order.Claimed || got.Pack == nil {
		t.Errorf("stored order: status %s state %s pack %v; want upstream CANCELLED with pack state untouched", got.Status, got.State, got.Pack)
	}
	if ok, _ := got.Packable(); ok {
		t.Error("a cancelled order is still packable")
	}
	var released order.Order
	err := r.db.View(func(tx *store.Tx) error { var err error; released, err = tx.Order(onHold); return err })
	if err != nil || released.Status != order.StatusAwaitingShipment {
		t.Errorf("released hold %s: %+v, %v", onHold, released.Status, err)
	}
}

func TestPullSurvivesUpstreamFaults(t *testing.T) {
	r := newRig(t, 20)
	ctx := context.Background()
	if err := r.sim.Inject(tiktoksim.Fault{Path: "/order/202309/orders/search", Kind: tiktoksim.RateLimit, Count: 1, RetryAfter: time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.in.Pull(ctx); err != nil {
		t.Fatalf("one 429 should be retried by the client: %v", err)
	}
	r.sim.SetOnline(false)
	_, err := r.in.Pull(ctx)
	if err == nil {
		t.Fatal("pull succeeded with upstream offline")
	}
	var n int
	r.db.View(func(tx *store.Tx) error { var err error; n, err = tx.CountOrders(); return err })
	if n == 0 {
		t.Error("orders pulled before the outage were lost")
	}
}

func BenchmarkIntakeMerge(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "packline.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	now := time.Now()
	const n = 20000
	orders := make([]order.Order, n)
	for i := range orders {
		orders[i] = order.Order{ID: "o" + string(rune('a'+i%26)) + itoa(i), Status: order.StatusAwaitingShipment, UpdateTime: now,
			LineItems: []order.LineItem{{ID: "l" + itoa(i), SKUID: "s1", ProductID: "p1"}, {ID: "m" + itoa(i), SKUID: "s2", ProductID: "p2"}}}
	}
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		if _, err := db.PutOrders(orders, func(old *order.Order, inc order.Order) (order.Order, bool) {
			m, keep, _ := Merge(old, inc, now)
			return m, keep
		}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/time.Since(start).Seconds(), "orders/s")
}

func itoa(i int) string {
	var buf [20]byte
	p := len(buf)
	for {
		p--
		buf[p] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(buf[p:])
		}
	}
}

func TestPullIndexesCatalogueBarcodes(t *testing.T) {
	r := newRig(t, 30)
	if _, err := r.in.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, c := range r.sim.Catalog() {
		var sku string
		err := r.db.View(func(tx *store.Tx) error { var err error; sku, _, err = tx.LookupBarcode(c.GTIN); return err })
		if err == nil {
			found++
			if sku != c.SKUID {
				t.Errorf("barcode %s maps to %s, want %s", c.GTIN, sku, c.SKUID)
			}
		}
	}
	if found == 0 {
		t.Error("no catalogue barcode reached the store")
	}
}

// TestIncrementalPullSkipsUnknownOrdersNotAwaiting pins a bug: later pulls
// search every status, and an ON_HOLD or cancelled order never stored before
// was stored as pulled, offered to packers and refused at every claim.
func TestIncrementalPullSkipsUnknownOrdersNotAwaiting(t *testing.T) {
	r := newRig(t, 60)
	ctx := context.Background()
	for range 2 { // the second pull is incremental, over every status
		if _, err := r.in.Pull(ctx); err != nil {
			t.Fatal(err)
		}
		r.sim.Advance(time.Minute)
	}
	r.db.View(func(tx *store.Tx) error {
		return tx.ForEachOrder(func(o *order.Order) error {
			if ok, why := o.Packable(); !ok && o.State == order.Pulled {
				t.Errorf("order %s stored as pulled but not packable: %s", o.ID, why)
			}
			return nil
		})
	})
}

// TestInterruptedFirstPullResumes pins a bug: the cursor and the product
// weights were saved only after the whole pull, so an agent restarted during
// a long first pull started over every time and could weigh nothing.
func TestInterruptedFirstPullResumes(t *testing.T) {
	r := newRig(t, 250)
	pages := 0
	stop := errors.New("agent stopped")
	interrupted := &pageLimit{Upstream: r.cl, after: 1, stop: stop, pages: &pages}
	in := New(r.db, interrupted, Options{WarehouseIDs: []string{"wh1"}, Now: r.sim.Now})
	if _, err := in.Pull(context.Background()); !errors.Is(err, stop) {
		t.Fatalf("interrupted pull: %v", err)
	}
	var cursor time.Time
	var stored []order.Order
	r.db.View(func(tx *store.Tx) error {
		tx.Meta(cursorKey, &cursor)
		return tx.ForEachOrder(func(o *order.Order) error { stored = append(stored, *o); return nil })
	})
	if cursor.IsZero() || len(stored) == 0 {
		t.Fatalf("after one page: cursor %v, %d orders stored", cursor, len(stored))
	}
	for _, o := range stored {
		for _, it := range o.Items() {
			if err := r.db.View(func(tx *store.Tx) error { _, err := tx.Product(it.ProductID); return err }); err != nil {
				t.Errorf("order %s stored without its product weight %s: %v", o.ID, it.ProductID, err)
			}
		}
	}
	// The next start goes on from the cursor and ends with every order.
	if _, err := r.in.Pull(context.Background()); err != nil {
		t.Fatal(err)
	}
	var n int
	r.db.View(func(tx *store.Tx) error { var err error; n, err = tx.CountOrders(); return err })
	want := 0
	for _, o := range r.sim.Orders() {
		if o.Status == order.StatusAwaitingShipment && o.FulfillmentType == "FULFILLMENT_BY_SELLER" && o.WarehouseID == "wh1" {
			want++
		}
	}
	if n != want {
		t.Errorf("after resuming: %d orders stored, want %d", n, want)
	}
}

// pageLimit stops a walk after some pages, as a killed agent would.
type pageLimit struct {
	Upstream
	after int
	stop  error
	pages *int
}

func (p *pageLimit) WalkOrders(ctx context.Context, q tiktok.OrderQuery, fn func([]tiktok.Order) error) error {
	q.PageSize = 50
	return p.Upstream.WalkOrders(ctx, q, func(page []tiktok.Order) error {
		if *p.pages == p.after {
			return p.stop
		}
		*p.pages++
		return fn(page)
	})
}
