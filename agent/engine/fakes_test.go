package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/packing"
	"github.com/packline/packline/agent/sla"
	"github.com/packline/packline/drivers/raster"
	"github.com/packline/packline/store"
)

// fakeShop is TikTok in memory, with faults per call.
type fakeShop struct {
	mu        sync.Mutex
	orders    map[string]order.Order
	packages  map[string][]Package
	purchases int
	calls     []string
	// faults maps a method name to errors returned on its next calls.
	faults map[string][]error
	// dropAfterSuccess makes the next CreatePackage buy and then fail.
	dropAfterSuccess bool
	next             int
}

func newFakeShop() *fakeShop {
	return &fakeShop{orders: map[string]order.Order{}, packages: map[string][]Package{}, faults: map[string][]error{}}
}

func (s *fakeShop) fault(method string) error {
	s.calls = append(s.calls, method)
	if f := s.faults[method]; len(f) > 0 {
		s.faults[method] = f[1:]
		return f[0]
	}
	return nil
}

func (s *fakeShop) inject(method string, errs ...error) {
	s.mu.Lock()
	s.faults[method] = append(s.faults[method], errs...)
	s.mu.Unlock()
}

func (s *fakeShop) OrderDetail(ctx context.Context, id string) (order.Order, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("OrderDetail"); err != nil {
		return order.Order{}, err
	}
	o, ok := s.orders[id]
	if !ok {
		return order.Order{}, fmt.Errorf("order %s does not exist upstream", id)
	}
	for _, p := range s.packages[id] {
		o.Packages = append(o.Packages, p.ID)
	}
	return o, nil
}

func (s *fakeShop) OrderPackages(ctx context.Context, id string) ([]Package, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("OrderPackages"); err != nil {
		return nil, err
	}
	return slices.Clone(s.packages[id]), nil
}

func (s *fakeShop) CreatePackage(ctx context.Context, req PackageRequest) (Package, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("CreatePackage"); err != nil {
		return Package{}, err
	}
	s.purchases++
	s.next++
	p := Package{ID: fmt.Sprintf("PKG%d", s.next), LineItemIDs: req.LineItemIDs, TrackingNumber: fmt.Sprintf("TRK%d", s.next), Carrier: "USPS"}
	s.packages[req.OrderID] = append(s.packages[req.OrderID], p)
	o := s.orders[req.OrderID]
	o.Status = order.StatusAwaitingCollection
	s.orders[req.OrderID] = o
	if s.dropAfterSuccess {
		s.dropAfterSuccess = false
		return Package{}, fmt.Errorf("connection reset after sending: %w", ErrUnclear)
	}
	return p, nil
}

func (s *fakeShop) ShippingDocument(ctx context.Context, pkg string) (Document, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("ShippingDocument"); err != nil {
		return Document{}, err
	}
	for _, ps := range s.packages {
		for _, p := range ps {
			if p.ID == pkg {
				return Document{URL: "https://docs.example/" + pkg, TrackingNumber: p.TrackingNumber}, nil
			}
		}
	}
	return Document{}, fmt.Errorf("package %s not found", pkg)
}

func (s *fakeShop) Download(ctx context.Context, url string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.fault("Download"); err != nil {
		return nil, err
	}
	return []byte("%PDF-1.4 " + url), nil
}

func (s *fakeShop) setOrder(o order.Order) {
	s.mu.Lock()
	s.orders[o.ID] = o
	s.mu.Unlock()
}

func (s *fakeShop) purchased() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.purchases
}

type fakeLabeler struct {
	mu   sync.Mutex
	err  error
	pdfs [][]byte
}

func (l *fakeLabeler) Prepare(ctx context.Context, pdf []byte, spec LabelSpec, want string) (*raster.Bitmap, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return nil, l.err
	}
	l.pdfs = append(l.pdfs, pdf)
	return raster.New(8, 8), nil
}

type fakePrinter struct {
	mu   sync.Mutex
	err  error
	jobs []PrintJob
}

func (p *fakePrinter) Print(ctx context.Context, j PrintJob) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err != nil {
		return p.err
	}
	p.jobs = append(p.jobs, j)
	return nil
}

func (p *fakePrinter) printed() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.jobs)
}

type fakeScale struct {
	r   Reading
	err error
}

func (s *fakeScale) Stable(ctx context.Context) (Reading, error) { return s.r, s.err }
func (s *fakeScale) Watch(ctx context.Context, fn func(Reading)) error {
	<-ctx.Done()
	return ctx.Err()
}

type event struct {
	station, kind string
	data          any
}

type recPublisher struct {
	mu     sync.Mutex
	events []event
	notify chan struct{}
}

func (p *recPublisher) Publish(station, kind string, data any) {
	p.mu.Lock()
	p.events = append(p.events, event{station, kind, data})
	p.mu.Unlock()
	select {
	case p.notify <- struct{}{}:
	default:
	}
}

func (p *recPublisher) alerts() []apitype.Alert {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []apitype.Alert
	for _, e := range p.events {
		if a, ok := e.data.(apitype.Alert); ok {
			out = append(out, a)
		}
	}
	return out
}

type harness struct {
	t       testing.TB
	db      *store.DB
	path    string
	e       *Engine
	shop    *fakeShop
	printer *fakePrinter
	labeler *fakeLabeler
	scale   *fakeScale
	pub     *recPublisher
	now     time.Time
	ctx     context.Context
	// wrap, when set, stands between the engine and the store from the
	// next open on.
	wrap func(Store) Store
}

var testBoxes = []order.Box{{Code: "BOX-S", Name: "Small", Length: "10", Width: "8", Height: "4", Unit: "INCH", Tare: 100 * order.Gram}}

func testOrder(id string) order.Order {
	paid := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	return order.Order{
		ID: id, Status: order.StatusAwaitingShipment, FulfillmentType: "FULFILLMENT_BY_SELLER", ShippingType: "TIKTOK",
		PaidTime: paid, CreateTime: paid,
		LineItems: []order.LineItem{
			{ID: id + "-1", SKUID: "sku-red", SellerSKU: "RED-L", ProductID: "p-shirt", ProductName: "Shirt"},
			{ID: id + "-2", SKUID: "sku-red", SellerSKU: "RED-L", ProductID: "p-shirt", ProductName: "Shirt"},
			{ID: id + "-3", SKUID: "sku-mug", SellerSKU: "MUG", ProductID: "p-mug", ProductName: "Mug"},
		},
		State: order.Pulled,
	}
}

func newHarness(t testing.TB) *harness {
	t.Helper()
	h := &harness{t: t, shop: newFakeShop(), printer: &fakePrinter{}, labeler: &fakeLabeler{}, scale: &fakeScale{},
		pub: &recPublisher{notify: make(chan struct{}, 1)}, now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC), ctx: context.Background()}
	h.path = filepath.Join(t.TempDir(), "packline.db")
	h.open()
	err := h.db.Update(func(tx *store.Tx) error {
		for _, p := range []order.Product{{ID: "p-shirt", Weight: 200 * order.Gram}, {ID: "p-mug", Weight: 350 * order.Gram}} {
			if err := tx.PutProduct(p); err != nil {
				return err
			}
		}
		return tx.PutBarcode("036000291452", "sku-mug", 1)
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (h *harness) open() {
	h.t.Helper()
	db, err := store.Open(h.path, store.Options{Timeout: time.Second})
	if err != nil {
		h.t.Fatal(err)
	}
	h.db = db
	h.t.Cleanup(func() { db.Close() })
	cal, err := sla.New("America/Los_Angeles", nil, 2)
	if err != nil {
		h.t.Fatal(err)
	}
	st := FromStore(db)
	if h.wrap != nil {
		st = h.wrap(st)
	}
	h.e, err = New(Deps{
		Store: st, Shop: h.shop, Labeler: h.labeler, Publisher: h.pub, Calendar: cal,
		Now: func() time.Time { return h.now },
		Stations: []StationDevices{
			{ID: "A", Scale: h.scale, Printer: h.printer, Label: LabelSpec{DPI: 203, Stock: "4x6"}},
			{ID: "B", Printer: h.printer},
		},
	}, Options{Weight: packing.Policy{ToleranceGrams: 30, TolerancePercent: 5}, Boxes: testBoxes,
		Barcodes: map[string]BarcodeEntry{"CASE-RED": {SKUID: "sku-red", Units: 2}}})
	if err != nil {
		h.t.Fatal(err)
	}
}

// reopen closes the store and builds a new engine on it, as after a crash.
func (h *harness) reopen() {
	h.t.Helper()
	if err := h.db.Close(); err != nil {
		h.t.Fatal(err)
	}
	h.open()
	if err := h.e.restore(); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) addOrder(o order.Order) {
	h.t.Helper()
	if err := h.db.Update(func(tx *store.Tx) error { return tx.PutOrder(&o) }); err != nil {
		h.t.Fatal(err)
	}
	h.shop.setOrder(o)
}

func (h *harness) do(station string, cmd apitype.Command) apitype.Result {
	h.t.Helper()
	return h.e.Do(h.ctx, station, cmd)
}

func (h *harness) ok(station string, cmd apitype.Command) apitype.Result {
	h.t.Helper()
	r := h.do(station, cmd)
	if !r.OK {
		h.t.Fatalf("%s %+v: %v", station, cmd, r.Error)
	}
	return r
}

func (h *harness) fail(station string, cmd apitype.Command, code, msg string) apitype.Result {
	h.t.Helper()
	r := h.do(station, cmd)
	if r.OK || r.Error == nil {
		h.t.Fatalf("%s %+v succeeded, want %s", station, cmd, code)
	}
	if r.Error.Code != code || (msg != "" && r.Error.Message != msg) {
		h.t.Fatalf("%s %+v: got %s %q, want %s %q", station, cmd, r.Error.Code, r.Error.Message, code, msg)
	}
	return r
}

func scan(code string) apitype.Command { return apitype.Command{Kind: apitype.CmdScan, Code: code} }

// weigh enters a weight as a lead does for a box weighed on another scale;
// weigh(0) reads the station's scale.
func weigh(g float64) apitype.Command {
	c := apitype.Command{Kind: apitype.CmdAcceptWeight, WeightGrams: g}
	if g > 0 {
		c.Lead, c.Reason = "Dana", "weighed on the bench scale"
	}
	return c
}

func (h *harness) order(id string) order.Order {
	h.t.Helper()
	var o order.Order
	if err := h.db.View(func(tx *store.Tx) error {
		var err error
		o, err = tx.Order(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return o
}

func (h *harness) events(id string) []store.Event {
	h.t.Helper()
	var evs []store.Event
	if err := h.db.View(func(tx *store.Tx) error {
		var err error
		evs, err = tx.PendingEvents(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return evs
}

func (h *harness) audit(id string) []store.AuditEntry {
	h.t.Helper()
	var a []store.AuditEntry
	if err := h.db.View(func(tx *store.Tx) error {
		var err error
		a, err = tx.AuditLog(id)
		return err
	}); err != nil {
		h.t.Fatal(err)
	}
	return a
}

// packToWeighed claims, scans and boxes an order at station A and weighs it
// at 650 g (expected 2×200 + 350 + 100 tare = 850 g... see weights).
func (h *harness) packToVerified(id string) {
	h.t.Helper()
	h.ok("A", scan(id))
	h.ok("A", scan("RED-L"))
	h.ok("A", scan("sku-red"))
	h.ok("A", scan("036000291452"))
	h.ok("A", scan("BOX-S"))
}

var errNet = errors.New("dial tcp 127.0.0.1:1: connection refused")

// fullStore is a store whose disk filled up: every write fails with err,
// reads still work.
type fullStore struct {
	Store
	err error
}

func (s fullStore) Update(func(Tx) error) error { return s.err }
