// Package intake pulls the TikTok Shop orders assigned to the warehouse into
// the store and keeps them current. It never changes an order's pack state:
// it records what upstream says and reports the changes the pack flow must
// act on (a cancellation, a cancel request, a hold released).
package intake

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/store"
)

// Upstream is the part of the TikTok Shop client intake uses.
type Upstream interface {
	WalkOrders(ctx context.Context, q tiktok.OrderQuery, fn func([]tiktok.Order) error) error
	OrderDetail(ctx context.Context, ids []string) ([]tiktok.Order, error)
	Product(ctx context.Context, id string) (order.Product, error)
}

// Change is an upstream change to an order the pack flow must act on.
type Change struct {
	OrderID string
	// Before is the order as stored before the change; After as stored after.
	Before, After order.Order
}

// Options configure an Intake.
type Options struct {
	WarehouseIDs []string
	// Interval is the time between pulls (default 30 s).
	Interval time.Duration
	// Overlap re-reads this much before the cursor, because TikTok's
	// update times can land outside the requested range (default 10 min).
	Overlap time.Duration
	// ProductTTL is how long a product's catalogue weight is trusted (24 h).
	ProductTTL time.Duration
	// FullRefresh is how often every open order is re-read by id (10 min);
	// orders being packed are re-read on every pull.
	FullRefresh time.Duration
	Now         func() time.Time
	Logger      *slog.Logger
	// OnChange receives the changes of each pull, after they are committed.
	OnChange func([]Change)
	// OnLink reports each pull's outcome: nil when upstream answered.
	OnLink func(error)
}

// Result summarises one pull.
type Result struct {
	Seen, Stored, Skipped, Products int
	Changes                         []Change
	Cursor                          time.Time
}

// cursorKey is the store meta key of the update-time cursor.
const cursorKey = "intake.cursor"

// Intake pulls orders on a timer and on demand.
type Intake struct {
	db   *store.DB
	up   Upstream
	opt  Options
	log  *slog.Logger
	kick chan struct{}

	mu          sync.Mutex // serialises pulls
	lastFullRef time.Time
	// unknown holds the products already reported without a catalogue
	// weight, so each is logged once, not on every re-read.
	unknown map[string]bool
}

// New returns an Intake; it does no I/O until Pull or Run.
func New(db *store.DB, up Upstream, opt Options) *Intake {
	if opt.Interval <= 0 {
		opt.Interval = 30 * time.Second
	}
	if opt.Overlap <= 0 {
		opt.Overlap = 10 * time.Minute
	}
	if opt.ProductTTL <= 0 {
		opt.ProductTTL = 24 * time.Hour
	}
	if opt.FullRefresh <= 0 {
		opt.FullRefresh = 10 * time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	return &Intake{db: db, up: up, opt: opt, log: opt.Logger, kick: make(chan struct{}, 1), unknown: map[string]bool{}}
}

// Kick asks for a pull as soon as possible.
func (in *Intake) Kick() {
	select {
	case in.kick <- struct{}{}:
	default:
	}
}

// Run pulls until ctx ends, every Interval and whenever kicked. Failed pulls
// back off up to ten intervals; they are reported through OnLink.
func (in *Intake) Run(ctx context.Context) error {
	fails := 0
	for {
		_, err := in.Pull(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := in.opt.Interval
		if err != nil {
			fails++
			in.log.Warn("order intake failed", "err", err, "attempt", fails)
			wait = min(in.opt.Interval*time.Duration(1<<min(fails, 4))/4, 10*in.opt.Interval)
		} else {
			fails = 0
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-in.kick:
			t.Stop()
		case <-t.C:
		}
	}
}

// Pull runs one intake cycle: new and changed orders since the cursor, a
// re-read of the orders being packed, and missing product weights.
func (in *Intake) Pull(ctx context.Context) (Result, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	res, err := in.pull(ctx)
	if in.opt.OnLink != nil {
		in.opt.OnLink(err)
	}
	if len(res.Changes) > 0 && in.opt.OnChange != nil {
		in.opt.OnChange(res.Changes)
	}
	return res, err
}

func (in *Intake) pull(ctx context.Context) (Result, error) {
	var res Result
	start := in.opt.Now()
	var cursor time.Time
	if err := in.db.View(func(tx *store.Tx) error {
		_, err := tx.Meta(cursorKey, &cursor)
		return err
	}); err != nil {
		return res, fmt.Errorf("reading intake cursor: %w", err)
	}

	q := tiktok.OrderQuery{SortField: "update_time", SortOrder: "ASC", WarehouseIDs: in.opt.WarehouseIDs, PageSize: tiktok.MaxOrderPageSize}
	if cursor.IsZero() {
		// First pull: everything waiting to ship.
		q.Status = order.StatusAwaitingShipment
	} else {
		// Later pulls: every change since the cursor, whatever the status,
		// so cancellations and released holds are seen.
		q.UpdateTimeGE = cursor.Add(-in.opt.Overlap)
	}
	// Each page is finished before the next: its orders stored, their
	// product weights fetched and the cursor moved past it. Pages come in
	// ascending update time, so an agent restarted in the middle of a long
	// first pull resumes where it stopped instead of starting over.
	err := in.up.WalkOrders(ctx, q, func(page []tiktok.Order) error {
		res.Seen += len(page)
		products := map[string]bool{}
		if err := in.store(page, &res, products); err != nil {
			return err
		}
		n, err := in.fetchProducts(ctx, products)
		res.Products += n
		if err != nil {
			return err
		}
		var last time.Time
		for _, w := range page {
			if t := w.UpdateTime.Time(); t.After(last) {
				last = t
			}
		}
		if last.After(cursor) {
			cursor = last
			if err := in.db.Update(func(tx *store.Tx) error { return tx.SetMeta(cursorKey, cursor) }); err != nil {
				return fmt.Errorf("saving intake cursor: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("searching orders: %w", err)
	}

	products := map[string]bool{}
	if err := in.refresh(ctx, start, &res, products); err != nil {
		return res, err
	}
	n, err := in.fetchProducts(ctx, products)
	res.Products += n
	if err != nil {
		return res, err
	}
	res.Cursor = start
	if err := in.db.Update(func(tx *store.Tx) error { return tx.SetMeta(cursorKey, start) }); err != nil {
		return res, fmt.Errorf("saving intake cursor: %w", err)
	}
	return res, nil
}

// store merges one page of upstream orders into the store.
func (in *Intake) store(page []tiktok.Order, res *Result, products map[string]bool) error {
	orders := make([]order.Order, 0, len(page))
	for _, w := range page {
		o := w.Domain()
		if o.FulfillmentType != "" && o.FulfillmentType != "FULFILLMENT_BY_SELLER" {
			res.Skipped++
			continue
		}
		orders = append(orders, o)
	}
	if len(orders) == 0 {
		return nil
	}
	now := in.opt.Now()
	// The store consults the merge only for orders it holds, so decide here
	// what an order not stored yet becomes: only an order waiting to ship is
	// worth keeping, as pulled.
	var known map[string]bool
	if err := in.db.View(func(tx *store.Tx) error {
		for _, o := range orders {
			if o.Status == order.StatusAwaitingShipment {
				continue
			}
			if _, err := tx.Order(o.ID); err == nil {
				if known == nil {
					known = map[string]bool{}
				}
				known[o.ID] = true
			} else if !errors.Is(err, store.ErrNotFound) {
				return err
			}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("reading stored orders: %w", err)
	}
	kept := orders[:0]
	for _, o := range orders {
		if o.Status != order.StatusAwaitingShipment && !known[o.ID] {
			continue
		}
		if o.Status == order.StatusAwaitingShipment {
			// As a new order; a stored one keeps its own state in Merge.
			o, _, _ = Merge(nil, o, now)
		}
		kept = append(kept, o)
	}
	res.Skipped += len(orders) - len(kept)
	orders = kept
	if len(orders) == 0 {
		return nil
	}
	for i := range orders {
		for _, id := range productIDs(&orders[i]) {
			products[id] = true
		}
	}
	var changes []Change
	n, err := in.db.PutOrders(orders, func(old *order.Order, inc order.Order) (order.Order, bool) {
		merged, keep, ch := Merge(old, inc, now)
		if ch != nil {
			changes = append(changes, *ch)
		}
		return merged, keep
	})
	if err != nil {
		return fmt.Errorf("storing orders: %w", err)
	}
	res.Stored += n
	res.Skipped += len(orders) - n
	res.Changes = append(res.Changes, changes...)
	return nil
}

// Merge decides what the store keeps when upstream sends inc. old is nil for
// an order not stored yet. Upstream fields are taken from inc; the
// warehouse's own progress (state, pack, intent, label, exception) is never
// overwritten. It reports a Change when the pack flow must react.
func Merge(old *order.Order, inc order.Order, now time.Time) (order.Order, bool, *Change) {
	if old == nil {
		// Only orders that can become packable are worth keeping.
		if inc.Status != order.StatusAwaitingShipment {
			return order.Order{}, false, nil
		}
		inc.State = order.Pulled
		inc.PulledAt = now
		return inc, true, nil
	}
	if !inc.UpdateTime.IsZero() && inc.UpdateTime.Before(old.UpdateTime) {
		return order.Order{}, false, nil // an older copy, from the overlap
	}
	m := *old
	m.Status = inc.Status
	m.OnHold = inc.OnHold
	m.BuyerRequestCancel = inc.BuyerRequestCancel
	m.UpdateTime = inc.UpdateTime
	if !inc.RTSDeadline.IsZero() {
		m.RTSDeadline = inc.RTSDeadline
	}
	if !inc.ShippingDue.IsZero() {
		m.ShippingDue = inc.ShippingDue
	}
	m.Recipient = inc.Recipient
	m.BuyerMessage, m.SellerNote = inc.BuyerMessage, inc.SellerNote
	if len(inc.LineItems) > 0 {
		m.LineItems = inc.LineItems
	}
	m.Packages = union(old.Packages, inc.Packages)
	var ch *Change
	// An unclaimed order TikTok no longer waits for is reported until the
	// pack flow has taken it off the queue, also when nothing changed since
	// the last read (the agent may have stopped before it acted).
	stale := old.State == order.Pulled && m.ClosedUpstream()
	if stale || old.Status != m.Status || old.BuyerRequestCancel != m.BuyerRequestCancel || old.OnHold != m.OnHold || lineItemsCancelled(old) != lineItemsCancelled(&m) {
		ch = &Change{OrderID: m.ID, Before: *old, After: m}
	}
	return m, true, ch
}

func lineItemsCancelled(o *order.Order) int {
	n := 0
	for _, li := range o.LineItems {
		if li.Cancelled {
			n++
		}
	}
	return n
}

func union(a, b []string) []string {
	out := append([]string(nil), a...)
	for _, s := range b {
		found := false
		for _, t := range out {
			if s == t {
				found = true
				break
			}
		}
		if !found {
			out = append(out, s)
		}
	}
	return out
}

func productIDs(o *order.Order) []string {
	var ids []string
	for _, li := range o.LineItems {
		if len(li.Components) == 0 {
			ids = append(ids, li.ProductID)
		}
		for _, c := range li.Components {
			ids = append(ids, c.ProductID)
		}
	}
	return ids
}

// inProgress are the states whose orders are re-read on every pull, so a
// cancellation reaches the packer even when search misses it.
var inProgress = []order.State{order.Claimed, order.Verified, order.Weighed, order.Exception, order.Staged}

// refresh re-reads by id, in batches of 50, the orders being packed and,
// every FullRefresh, every open order.
func (in *Intake) refresh(ctx context.Context, start time.Time, res *Result, products map[string]bool) error {
	var ids []string
	full := start.Sub(in.lastFullRef) >= in.opt.FullRefresh
	if err := in.db.View(func(tx *store.Tx) error {
		var orders []order.Order
		var err error
		if full {
			orders, err = tx.OpenOrders()
		} else {
			orders, err = tx.OrdersInState(inProgress...)
		}
		for _, o := range orders {
			if o.State != order.LabelBought {
				ids = append(ids, o.ID)
			}
		}
		return err
	}); err != nil {
		return fmt.Errorf("listing open orders: %w", err)
	}
	for len(ids) > 0 {
		batch := ids[:min(len(ids), 50)]
		ids = ids[len(batch):]
		page, err := in.up.OrderDetail(ctx, batch)
		if err != nil {
			return fmt.Errorf("re-reading orders: %w", err)
		}
		if err := in.store(page, res, products); err != nil {
			return err
		}
	}
	if full {
		in.lastFullRef = start
	}
	return nil
}

// fetchProducts reads the catalogue weight of products not stored or stale.
// A product without a package weight, or one the catalogue no longer has, is
// stored with its weight unknown: the weight policy (weight.unknown_product)
// decides at weighing time, and the pull goes on. Such a product is read
// again every FullRefresh, so a weight added in Seller Center is picked up.
func (in *Intake) fetchProducts(ctx context.Context, ids map[string]bool) (int, error) {
	now := in.opt.Now()
	unknownTTL := min(in.opt.FullRefresh, in.opt.ProductTTL)
	var need []string
	if err := in.db.View(func(tx *store.Tx) error {
		for id := range ids {
			if id == "" {
				continue
			}
			p, err := tx.Product(id)
			switch {
			case errors.Is(err, store.ErrNotFound):
				need = append(need, id)
			case err != nil:
				return err
			case now.Sub(p.FetchedAt) > in.opt.ProductTTL, p.Weight <= 0 && now.Sub(p.FetchedAt) > unknownTTL:
				need = append(need, id)
			}
		}
		return nil
	}); err != nil {
		return 0, fmt.Errorf("reading product cache: %w", err)
	}
	if len(need) == 0 {
		return 0, nil
	}
	got := make([]order.Product, len(need))
	why := make([]error, len(need))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for i, id := range need {
		g.Go(func() error {
			p, err := in.up.Product(gctx, id)
			if errors.Is(err, tiktok.ErrNoWeight) || errors.Is(err, tiktok.ErrNotFound) {
				// Known now as "weight unknown"; whatever else the
				// catalogue returned (barcodes) is kept.
				p.ID, p.Weight, why[i] = id, 0, err
			} else if err != nil {
				return fmt.Errorf("reading product %s: %w", id, err)
			}
			if p.FetchedAt.IsZero() {
				p.FetchedAt = now
			}
			got[i] = p
			return nil
		})
	}
	err := g.Wait()
	for i, p := range got {
		switch {
		case p.ID == "":
		case why[i] != nil && !in.unknown[p.ID]:
			in.unknown[p.ID] = true
			in.log.Warn("product has no catalogue weight: its orders are weighed under weight.unknown_product", "product", p.ID, "err", why[i])
		case why[i] == nil && in.unknown[p.ID]:
			delete(in.unknown, p.ID)
			in.log.Info("product has a catalogue weight again", "product", p.ID, "weight", p.Weight.String())
		}
	}
	n := 0
	if uerr := in.db.Update(func(tx *store.Tx) error {
		for _, p := range got {
			if p.ID == "" {
				continue
			}
			if err := tx.PutProduct(p); err != nil {
				return err
			}
			for code, sku := range p.Barcodes {
				// A code the catalogue holds but that is no valid
				// barcode is skipped, not fatal: the SKU can still be
				// scanned by its seller SKU.
				if err := tx.PutBarcode(code, sku, 1); err != nil {
					in.log.Warn("catalogue barcode skipped", "product", p.ID, "sku", sku, "code", code, "err", err)
				}
			}
			n++
		}
		return nil
	}); uerr != nil {
		return n, fmt.Errorf("storing products: %w", uerr)
	}
	return n, err
}
