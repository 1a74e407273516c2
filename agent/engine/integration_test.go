package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/packing"
	"github.com/packline/packline/agent/relay"
	"github.com/packline/packline/agent/sla"
	"github.com/packline/packline/agent/tiktok"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/raster"
	"github.com/packline/packline/store"
)

// simShop adapts the real TikTok client to Shop, as the daemon does.
type simShop struct{ c *tiktok.Client }

func (s simShop) OrderDetail(ctx context.Context, id string) (order.Order, error) {
	os, err := s.c.OrderDetail(ctx, []string{id})
	if err != nil {
		return order.Order{}, classify(err)
	}
	for _, o := range os {
		if o.ID == id {
			return o.Domain(), nil
		}
	}
	return order.Order{}, fmt.Errorf("order %s: %w", id, ErrNotFound)
}

func (s simShop) OrderPackages(ctx context.Context, id string) ([]Package, error) {
	ps, err := s.c.OrderPackages(ctx, id)
	if err != nil {
		return nil, classify(err)
	}
	var out []Package
	for _, p := range ps {
		if !p.Cancelled() {
			out = append(out, Package{ID: p.PackageID, LineItemIDs: p.OrderLineItemIDs, TrackingNumber: p.TrackingNumber, Status: p.PackageStatus, Carrier: p.ShippingProviderName})
		}
	}
	return out, nil
}

func (s simShop) CreatePackage(ctx context.Context, r PackageRequest) (Package, error) {
	p, err := s.c.CreatePackage(ctx, tiktok.CreatePackageRequest{OrderID: r.OrderID, LineItemIDs: r.LineItemIDs,
		Weight: tiktok.Weight{Value: r.Weight, Unit: r.WeightUnit}, Dimension: &tiktok.Dimension{Length: r.Length, Width: r.Width, Height: r.Height, Unit: r.DimUnit}})
	if err != nil {
		return Package{}, classify(err)
	}
	return Package{ID: p.PackageID, LineItemIDs: p.OrderLineItemIDs, Carrier: p.ShippingServiceInfo.ShippingProviderName, Service: p.ShippingServiceInfo.Name}, nil
}

func (s simShop) ShippingDocument(ctx context.Context, pkg string) (Document, error) {
	d, err := s.c.ShippingDocument(ctx, pkg, "SHIPPING_LABEL", "A6")
	if err != nil {
		return Document{}, classify(err)
	}
	return Document{URL: d.DocURL, TrackingNumber: d.TrackingNumber}, nil
}

func (s simShop) Download(ctx context.Context, url string) ([]byte, error) {
	b, err := s.c.Download(ctx, url)
	return b, classify(err)
}

func classify(err error) error {
	var apiErr *tiktok.APIError
	var op *net.OpError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, tiktok.ErrUnclear):
		return fmt.Errorf("%w: %w", ErrUnclear, err)
	case errors.Is(err, tiktok.ErrRateLimited), errors.Is(err, tiktok.ErrServer), errors.Is(err, tiktok.ErrTokenExpired):
		return fmt.Errorf("%w: %w", ErrTransient, err)
	case errors.Is(err, syscall.ECONNREFUSED), errors.As(err, &op), !errors.As(err, &apiErr):
		return fmt.Errorf("%w: %w", ErrOffline, err)
	}
	return err
}

// realLabeler renders with the real PDF renderer, shared by the package's
// tests because compiling PDFium takes a while.
var sharedRenderer struct {
	once sync.Once
	r    *label.Renderer
	err  error
}

type realLabeler struct{ r *label.Renderer }

func (l realLabeler) Prepare(ctx context.Context, pdf []byte, spec LabelSpec, want string) (*raster.Bitmap, error) {
	return l.r.Prepare(ctx, pdf, label.Spec{DPI: spec.DPI, Stock: spec.Stock}, want)
}

func renderer(tb testing.TB) Labeler {
	tb.Helper()
	sharedRenderer.once.Do(func() {
		dir := filepath.Join(os.TempDir(), "packline-engine-test-pdfium")
		sharedRenderer.r, sharedRenderer.err = label.NewRenderer(context.Background(), label.Options{CacheDir: dir})
	})
	if sharedRenderer.err != nil {
		tb.Fatal(sharedRenderer.err)
	}
	return realLabeler{sharedRenderer.r}
}

type simRig struct {
	t       testing.TB
	sim     *tiktoksim.Sim
	client  *tiktok.Client
	path    string
	db      *store.DB
	e       *Engine
	printer *fakePrinter
	pub     *recPublisher
	labeler Labeler
	tick    atomic.Int64
	catalog map[string]tiktoksim.CatalogItem
}

func newSimRig(t testing.TB, realRender bool, httpTimeout time.Duration) *simRig {
	t.Helper()
	r := &simRig{t: t, printer: &fakePrinter{}, pub: &recPublisher{notify: make(chan struct{}, 1)}, catalog: map[string]tiktoksim.CatalogItem{}}
	r.sim = tiktoksim.New(tiktoksim.Options{Seed: 3, WarehouseID: "wh1"})
	base, err := r.sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sim.Close() })
	info := r.sim.Info()
	tok := r.sim.IssueToken()
	if httpTimeout == 0 {
		httpTimeout = 10 * time.Second
	}
	r.client, err = tiktok.New(tiktok.Config{
		AppKey: info.AppKey, AppSecret: info.AppSecret, APIBase: base, AuthBase: base, ShopCipher: info.ShopCipher,
		HTTPClient: &http.Client{Timeout: httpTimeout},
		Tokens: tiktok.NewMemoryTokenStore(tiktok.Token{AccessToken: tok.AccessToken, RefreshToken: tok.RefreshToken,
			AccessExpiry: tok.AccessTokenExpireAt, RefreshExpiry: tok.RefreshTokenExpireAt}),
		Retry: tiktok.RetryPolicy{Base: time.Millisecond, Cap: 5 * time.Millisecond, MaxAttempts: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	r.labeler = &fakeLabeler{}
	if realRender {
		r.labeler = renderer(t)
	}
	r.path = filepath.Join(t.TempDir(), "packline.db")
	r.open()
	err = r.db.Update(func(tx *store.Tx) error {
		for _, c := range r.sim.Catalog() {
			r.catalog[c.SKUID] = c
			if err := tx.PutProduct(order.Product{ID: c.ProductID, Weight: c.Weight}); err != nil {
				return err
			}
			if err := tx.PutBarcode(c.GTIN, c.SKUID, 1); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *simRig) open() {
	r.t.Helper()
	db, err := store.Open(r.path, store.Options{Timeout: time.Second})
	if err != nil {
		r.t.Fatal(err)
	}
	r.db = db
	r.t.Cleanup(func() { db.Close() })
	cal, _ := sla.New("America/Los_Angeles", nil, 2)
	base := time.Now()
	r.e, err = New(Deps{Store: FromStore(db), Shop: simShop{r.client}, Labeler: r.labeler, Publisher: r.pub, Calendar: cal,
		// Each reading of the clock is a millisecond later, so the order of
		// events shows in their times.
		Now:      func() time.Time { return base.Add(time.Duration(r.tick.Add(1)) * time.Millisecond) },
		Stations: []StationDevices{{ID: "A", Printer: r.printer, Label: LabelSpec{DPI: 203, Stock: "4x6"}}},
	}, Options{Weight: packing.Policy{ToleranceGrams: 30, TolerancePercent: 5}, Boxes: testBoxes, UpstreamTimeout: 20 * time.Second})
	if err != nil {
		r.t.Fatal(err)
	}
}

// addOrder adds an order of the given catalogue SKUs to the sim and pulls
// it into the store.
func (r *simRig) addOrder(skus ...string) string {
	r.t.Helper()
	id, err := r.sim.AddOrder(tiktoksim.OrderSpec{SKUs: skus, WarehouseID: "wh1"})
	if err != nil {
		r.t.Fatal(err)
	}
	os, err := r.client.OrderDetail(context.Background(), []string{id})
	if err != nil || len(os) != 1 {
		r.t.Fatalf("order detail: %v %d", err, len(os))
	}
	o := os[0].Domain()
	o.State = order.Pulled
	if err := r.db.Update(func(tx *store.Tx) error { return tx.PutOrder(&o) }); err != nil {
		r.t.Fatal(err)
	}
	return id
}

func (r *simRig) do(cmd apitype.Command) apitype.Result {
	return r.e.Do(context.Background(), "A", cmd)
}

func (r *simRig) must(cmd apitype.Command) apitype.Result {
	r.t.Helper()
	res := r.do(cmd)
	if !res.OK {
		r.t.Fatalf("%+v: %v", cmd, res.Error)
	}
	return res
}

// pack scans the order and its units by GTIN, the box, and weighs the box
// at its expected weight.
func (r *simRig) pack(id string) {
	r.t.Helper()
	r.must(scan(id))
	o := r.order(id)
	var grams float64 = 100
	for _, it := range o.Items() {
		c := r.catalog[it.SKUID]
		r.must(scan(c.GTIN))
		grams += c.Weight.Grams()
	}
	r.must(scan("BOX-S"))
	r.must(weigh(grams))
}

func (r *simRig) order(id string) order.Order {
	r.t.Helper()
	var o order.Order
	if err := r.db.View(func(tx *store.Tx) error {
		var err error
		o, err = tx.Order(id)
		return err
	}); err != nil {
		r.t.Fatal(err)
	}
	return o
}

// settle runs the label work until the order leaves the buying states,
// as the worker and the staged loop would.
func (r *simRig) settle(id string) order.Order {
	r.t.Helper()
	for range 6 {
		_ = r.e.Process(context.Background(), id)
		if o := r.order(id); o.State != order.Weighed && o.State != order.Staged {
			return o
		}
	}
	return r.order(id)
}

func (r *simRig) skus(n int) []string {
	var out []string
	for _, c := range r.sim.Catalog() {
		if len(out) == n {
			break
		}
		out = append(out, c.SKUID)
	}
	return out
}

func TestSimHappyPathRealRender(t *testing.T) {
	if testing.Short() {
		t.Skip("renders a real PDF")
	}
	r := newSimRig(t, true, 0)
	skus := r.skus(2)
	id := r.addOrder(skus[0], skus[0], skus[1])
	r.pack(id)
	o := r.settle(id)
	if o.State != order.LabelPrinted || o.Label == nil || o.Label.TrackingNumber == "" {
		t.Fatalf("state %s label %+v", o.State, o.Label)
	}
	if n := r.sim.Purchases(id); n != 1 {
		t.Fatalf("purchases %d", n)
	}
	var pdf []byte
	_ = r.db.View(func(tx *store.Tx) error { pdf, _ = tx.Document(o.Label.Document); return nil })
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("stored document is not a PDF: %.20q", pdf)
	}
	if r.printer.printed() != 1 || r.printer.jobs[0].Image.Width < 800 {
		t.Fatalf("printed %d", r.printer.printed())
	}
	p, ok := r.sim.Package(o.Label.PackageID)
	if !ok || p.Weight.Value != o.Intent.Weight {
		t.Errorf("sim package %+v, declared %s", p, o.Intent.Weight)
	}
	// The station shows a preview of the printed label, small enough to
	// travel inside its view.
	v, _, _, _ := r.e.Snapshot("A")
	if v.Label == nil || len(v.Label.PreviewPNG) == 0 {
		t.Fatal("no label preview in the station view")
	}
	img, err := png.Decode(bytes.NewReader(v.Label.PreviewPNG))
	if err != nil {
		t.Fatalf("preview is not a PNG: %v", err)
	}
	if w := img.Bounds().Dx(); w < 100 || w > 400 {
		t.Errorf("preview is %d px wide", w)
	}
	if msg, _ := json.Marshal(v); len(msg) > apitype.MaxMessageBytes {
		t.Errorf("station view with its preview is %d bytes, over %d", len(msg), apitype.MaxMessageBytes)
	}
	// Scanning the printed tracking number confirms dispatch.
	r.must(scan(o.Label.TrackingNumber))
	if got := r.order(id).State; got != order.Dispatched {
		t.Errorf("state %s", got)
	}
}

func TestSimFaultsBuyExactlyOnce(t *testing.T) {
	const create = "/fulfillment/202309/packages"
	for _, tc := range []struct {
		name    string
		fault   tiktoksim.Fault
		timeout time.Duration
	}{
		{"rate limit", tiktoksim.Fault{Path: create, Kind: tiktoksim.RateLimit, Count: 1, RetryAfter: time.Millisecond}, 0},
		{"server error", tiktoksim.Fault{Path: create, Kind: tiktoksim.ServerError, Count: 1}, 0},
		{"server error 503", tiktoksim.Fault{Path: create, Kind: tiktoksim.ServerError, Count: 1, Status: 503}, 0},
		{"slow past the timeout", tiktoksim.Fault{Path: create, Kind: tiktoksim.Slow, Count: 1, Delay: 600 * time.Millisecond}, 300 * time.Millisecond},
		{"reset", tiktoksim.Fault{Path: create, Kind: tiktoksim.Reset, Count: 1}, 0},
		{"drop after success", tiktoksim.Fault{Path: create, Kind: tiktoksim.DropAfterSuccess, Count: 1}, 0},
		{"token expiry", tiktoksim.Fault{Path: create, Kind: tiktoksim.TokenExpiry, Count: 1}, 0},
		{"order detail down", tiktoksim.Fault{Path: "/order/202309/orders", Kind: tiktoksim.ServerError, Count: 3}, 0},
		{"document reset", tiktoksim.Fault{Path: "/_sim/docs/", Kind: tiktoksim.Reset, Count: 3}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newSimRig(t, false, tc.timeout)
			id := r.addOrder(r.skus(1)...)
			r.pack(id)
			if err := r.sim.Inject(tc.fault); err != nil {
				t.Fatal(err)
			}
			o := r.settle(id)
			if o.State != order.LabelPrinted {
				t.Fatalf("state %s label %+v intent %+v", o.State, o.Label, o.Intent)
			}
			if n := r.sim.Purchases(id); n != 1 {
				t.Fatalf("purchases %d, want exactly 1", n)
			}
			if left := r.sim.Faults(); len(left) != 0 {
				t.Fatalf("fault never fired: %+v", left)
			}
		})
	}
}

func TestSimCancellationMidPack(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cancel func(*tiktoksim.Sim, string) error
		state  order.State
	}{
		{"cancelled", (*tiktoksim.Sim).CancelOrder, order.Cancelled},
		// A request is not a cancellation: the order waits for TikTok's decision.
		{"cancel request", (*tiktoksim.Sim).RequestCancel, order.Exception},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newSimRig(t, false, 0)
			skus := r.skus(2)
			id := r.addOrder(skus[0], skus[1])
			r.must(scan(id))
			r.must(scan(r.catalog[skus[0]].GTIN))
			if err := tc.cancel(r.sim, id); err != nil {
				t.Fatal(err)
			}
			r.must(scan(r.catalog[skus[1]].GTIN))
			r.must(scan("BOX-S"))
			r.must(weigh(r.catalog[skus[0]].Weight.Grams() + r.catalog[skus[1]].Weight.Grams() + 100))
			o := r.settle(id)
			if o.State != tc.state || o.Label != nil {
				t.Fatalf("state %s label %+v", o.State, o.Label)
			}
			if o.State == order.Exception && (o.Exception == nil || o.Exception.Reason != ReasonCancelRequest || o.Exception.From != order.Weighed) {
				t.Fatalf("exception %+v, want a cancel-request hold of the weighed order", o.Exception)
			}
			if n := r.sim.Purchases(id); n != 0 {
				t.Fatalf("purchases %d", n)
			}
			a := r.pub.alerts()
			if len(a) == 0 || a[len(a)-1].Kind != apitype.AlertCancelled {
				t.Fatalf("alerts %+v", a)
			}
		})
	}
}

func TestSimOfflineStagedThenMostUrgentFirst(t *testing.T) {
	r := newSimRig(t, false, 2*time.Second)
	sku := r.skus(1)
	relaxed := r.addOrder(sku...)
	urgent := r.addOrder(sku...)
	// The urgent order is due sooner.
	for id, d := range map[string]time.Duration{relaxed: 48 * time.Hour, urgent: 2 * time.Hour} {
		_ = r.db.Update(func(tx *store.Tx) error {
			o, err := tx.Order(id)
			if err != nil {
				return err
			}
			o.RTSDeadline = time.Now().Add(d).Truncate(time.Second)
			return tx.PutOrder(&o)
		})
	}
	if err := r.sim.SetOnline(false); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{relaxed, urgent} {
		r.pack(id)
		if err := r.e.Process(context.Background(), id); !errors.Is(err, ErrOffline) {
			t.Fatalf("offline process: %v", err)
		}
		if got := r.order(id).State; got != order.Staged {
			t.Fatalf("state %s", got)
		}
		r.must(apitype.Command{Kind: apitype.CmdRelease})
	}
	if _, _, link, _ := r.e.Snapshot("A"); link.Online || link.Staged != 2 {
		t.Fatalf("link %+v", link)
	}
	if err := r.sim.SetOnline(true); err != nil {
		t.Fatal(err)
	}
	if err := r.e.DrainStaged(context.Background()); err != nil {
		t.Fatal(err)
	}
	u, l := r.order(urgent), r.order(relaxed)
	if u.State != order.LabelPrinted || l.State != order.LabelPrinted {
		t.Fatalf("states %s %s", u.State, l.State)
	}
	if !u.Label.BoughtAt.Before(l.Label.BoughtAt) {
		t.Errorf("urgent bought at %v, relaxed at %v", u.Label.BoughtAt, l.Label.BoughtAt)
	}
	if r.sim.Purchases(urgent) != 1 || r.sim.Purchases(relaxed) != 1 {
		t.Errorf("purchases %d %d", r.sim.Purchases(urgent), r.sim.Purchases(relaxed))
	}
}

func TestSimRestartMidPurchase(t *testing.T) {
	r := newSimRig(t, false, 0)
	id := r.addOrder(r.skus(1)...)
	r.pack(id)
	// The agent committed its attempt and sent Create Packages; TikTok
	// bought the label; the agent died before it read the answer.
	var in order.LabelIntent
	if err := r.db.Update(func(tx *store.Tx) error {
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		o.Intent.Attempts++
		in = *o.Intent
		return tx.PutOrder(&o)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.CreatePackage(context.Background(), tiktok.CreatePackageRequest{OrderID: id, LineItemIDs: in.LineItemIDs,
		Weight: tiktok.Weight{Value: in.Weight, Unit: in.WeightUnit}}); err != nil {
		t.Fatal(err)
	}
	if err := r.db.Close(); err != nil {
		t.Fatal(err)
	}
	r.open()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.e.Run(ctx) }()
	deadline := time.After(20 * time.Second)
	for r.order(id).State != order.LabelPrinted {
		select {
		case <-r.pub.notify:
		case <-deadline:
			t.Fatalf("state %s", r.order(id).State)
		}
	}
	cancel()
	<-done
	if n := r.sim.Purchases(id); n != 1 {
		t.Fatalf("purchases %d, want 1", n)
	}
}

func TestSimRelayBuysThroughOutbox(t *testing.T) {
	r := newSimRig(t, false, 0)
	id := r.addOrder(r.skus(1)...)
	r.pack(id)
	rl := relay.New(relay.FromStore(r.db), relay.Options{})
	rl.Register(KindLabelPurchase, r.e.LabelPurchaseHandler())
	var records atomic.Int32
	rl.Register(KindPackRecord, func(ctx context.Context, ev relay.Event) error { records.Add(1); return nil })
	if _, err := rl.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	if o := r.order(id); o.State != order.LabelPrinted || r.sim.Purchases(id) != 1 {
		t.Fatalf("state %s purchases %d", o.State, r.sim.Purchases(id))
	}
	if _, err := rl.Drain(context.Background()); err != nil {
		t.Fatal(err)
	}
	st, _ := rl.Stats()
	if st.Depth != 0 || st.Dead != 0 || records.Load() < 4 {
		t.Fatalf("stats %+v records %d", st, records.Load())
	}
}
