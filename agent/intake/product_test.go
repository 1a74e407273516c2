package intake

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/packing"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/store"
)

// catalogueGaps is the real client, except that a product of the first page
// has no package weight and another was deleted from the catalogue.
type catalogueGaps struct {
	Upstream
	mu       sync.Mutex
	noWeight string
	gone     string
	reads    map[string]int
}

func (c *catalogueGaps) WalkOrders(ctx context.Context, q tiktok.OrderQuery, fn func([]tiktok.Order) error) error {
	q.PageSize = 50
	return c.Upstream.WalkOrders(ctx, q, func(page []tiktok.Order) error {
		c.mu.Lock()
		for _, w := range page {
			o := w.Domain()
			if o.Status != order.StatusAwaitingShipment || o.FulfillmentType != "FULFILLMENT_BY_SELLER" {
				continue
			}
			for _, id := range productIDs(&o) {
				switch {
				case c.noWeight == "":
					c.noWeight = id
				case c.gone == "" && id != c.noWeight:
					c.gone = id
				}
			}
		}
		c.mu.Unlock()
		return fn(page)
	})
}

func (c *catalogueGaps) Product(ctx context.Context, id string) (order.Product, error) {
	c.mu.Lock()
	c.reads[id]++
	noWeight, gone := c.noWeight, c.gone
	c.mu.Unlock()
	switch id {
	case noWeight:
		return order.Product{ID: id}, fmt.Errorf("tiktok /product/202309/products/%s: product %s: %w", id, id, tiktok.ErrNoWeight)
	case gone:
		return order.Product{}, fmt.Errorf("tiktok /product/202309/products/%s: %w", id, tiktok.ErrNotFound)
	}
	return c.Upstream.Product(ctx, id)
}

// TestPullGoesOnPastProductsWithoutWeight pins a bug: a product without a
// catalogue weight failed the whole page, so the cursor never moved, later
// orders were never pulled and orders being packed were never re-read.
func TestPullGoesOnPastProductsWithoutWeight(t *testing.T) {
	r := newRig(t, 250)
	var logs bytes.Buffer
	var logMu sync.Mutex
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil))
	up := &catalogueGaps{Upstream: r.cl, reads: map[string]int{}}
	var changes []Change
	in := New(r.db, up, Options{WarehouseIDs: []string{"wh1"}, Now: r.sim.Now, Logger: log, OnChange: func(c []Change) { changes = append(changes, c...) }})
	ctx := context.Background()
	res, err := in.Pull(ctx)
	if err != nil {
		t.Fatalf("pull with a product lacking its weight: %v", err)
	}
	if up.noWeight == "" || up.gone == "" {
		t.Fatal("the first page has too few products for the test")
	}
	if res.Cursor.IsZero() {
		t.Error("the cursor did not move past the pull")
	}
	want := 0
	for _, o := range r.sim.Orders() {
		if o.Status == order.StatusAwaitingShipment && o.FulfillmentType == "FULFILLMENT_BY_SELLER" && o.WarehouseID == "wh1" {
			want++
		}
	}
	var n int
	r.db.View(func(tx *store.Tx) error { var err error; n, err = tx.CountOrders(); return err })
	if n != want {
		t.Errorf("%d orders stored, want every one of the %d awaiting (later pages too)", n, want)
	}

	// Both products are known, with their weight unknown.
	for _, id := range []string{up.noWeight, up.gone} {
		var p order.Product
		if err := r.db.View(func(tx *store.Tx) error { var err error; p, err = tx.Product(id); return err }); err != nil || p.Weight != 0 {
			t.Errorf("product %s: %+v, %v; want it stored with no weight", id, p, err)
		}
	}

	// The order holding the product packs up to the scale, where the
	// unknown_product policy decides.
	var held order.Order
	r.db.View(func(tx *store.Tx) error {
		return tx.ForEachOrder(func(o *order.Order) error {
			for _, id := range productIDs(o) {
				if id == up.noWeight && held.ID == "" {
					held = *o
				}
			}
			return nil
		})
	})
	if held.ID == "" {
		t.Fatalf("no stored order holds product %s", up.noWeight)
	}
	if ok, why := held.Packable(); !ok || held.State != order.Pulled {
		t.Fatalf("order %s: state %s, packable %v (%s); want pulled and packable", held.ID, held.State, ok, why)
	}
	box := &order.Box{Code: "BOX-S", Tare: 100 * order.Gram}
	var exp packing.Expected
	r.db.View(func(tx *store.Tx) error {
		exp = packing.ExpectedWeight(&held, box, func(id string) (order.Mass, bool) {
			p, err := tx.Product(id)
			return p.Weight, err == nil && p.Weight > 0
		})
		return nil
	})
	if !strings.Contains(strings.Join(exp.Unknown, ","), up.noWeight) {
		t.Fatalf("expected weight of order %s: unknown %v, want %s among them", held.ID, exp.Unknown, up.noWeight)
	}
	if _, err := (packing.Policy{ToleranceGrams: 50}).Check(900*order.Gram, exp); !errors.Is(err, packing.ErrUnknownWeight) {
		t.Errorf("unknown_product = exception: %v, want ErrUnknownWeight", err)
	}
	if chk, err := (packing.Policy{ToleranceGrams: 50, SkipUnknown: true}).Check(900*order.Gram, exp); err != nil || !chk.OK || !chk.Skipped {
		t.Errorf("unknown_product = skip: %+v, %v; want the check skipped", chk, err)
	}

	// Orders being packed are re-read again: a cancellation reaches the
	// pack flow. The product is read again later, and not reported twice.
	r.claim(t, held.ID)
	r.sim.Advance(time.Minute)
	if err := r.sim.CancelOrder(held.ID); err != nil {
		t.Fatal(err)
	}
	r.sim.Advance(15 * time.Minute)
	if _, err := in.Pull(ctx); err != nil {
		t.Fatalf("second pull: %v", err)
	}
	cancelled := false
	for _, c := range changes {
		if c.OrderID == held.ID && c.After.Status == order.StatusCancelled {
			cancelled = true
		}
	}
	if !cancelled {
		t.Errorf("cancellation of claimed order %s not reported", held.ID)
	}
	if up.reads[up.noWeight] < 2 {
		t.Errorf("product %s read %d times; want it read again to pick up a weight added later", up.noWeight, up.reads[up.noWeight])
	}
	logMu.Lock()
	warned := strings.Count(logs.String(), "product="+up.noWeight)
	logMu.Unlock()
	if warned != 1 {
		t.Errorf("product %s logged %d times, want once:\n%s", up.noWeight, warned, logs.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
