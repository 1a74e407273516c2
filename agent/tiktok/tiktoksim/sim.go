package tiktoksim

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/packline/packline/agent/order"
)

// Upstream order statuses the simulator uses.
const (
	StatusOnHold             = "ON_HOLD"
	StatusAwaitingShipment   = "AWAITING_SHIPMENT"
	StatusPartiallyShipping  = "PARTIALLY_SHIPPING"
	StatusAwaitingCollection = "AWAITING_COLLECTION"
	StatusInTransit          = "IN_TRANSIT"
	StatusCancelled          = "CANCELLED"
)

// Defaults used when Options leaves a field empty.
const (
	DefaultAppKey      = "6e8kq2simpack"
	DefaultAppSecret   = "a1f0c3d9e2b84f5aa1f0c3d9e2b84f5a"
	DefaultShopCipher  = "ROW_pSimPacklineDemoShop"
	DefaultShopID      = "7495610238475629104"
	DefaultWarehouseID = "7294839165023718201"
)

// Options configure a simulator. Zero values take the defaults.
type Options struct {
	AppKey     string
	AppSecret  string
	ShopCipher string
	ShopID     string
	ShopName   string
	// WarehouseID is the seller warehouse the seeded orders ship from.
	WarehouseID string
	// Seed makes catalogue, orders, ids and tracking numbers reproducible.
	Seed int64
	// Orders is how many orders to seed.
	Orders int
	// Now is the simulator's clock (time.Now if nil). Advance shifts it.
	Now    func() time.Time
	Logger *slog.Logger
	// TokenTTL is the access token lifetime (7 days).
	TokenTTL time.Duration
	// RefreshTTL is the refresh token lifetime (365 days).
	RefreshTTL time.Duration
	// OnHoldDelay is how long after payment an ON_HOLD order becomes
	// AWAITING_SHIPMENT (1 hour).
	OnHoldDelay time.Duration
	// DocTTL is how long a doc_url stays valid (24 hours).
	DocTTL time.Duration
	// QPS, if positive, rate-limits each API path to QPS requests per
	// second of wall-clock time with bursts of Burst (default 1 s worth),
	// answering 429 / 36009002 beyond it, as TikTok's per-endpoint limits do.
	QPS   float64
	Burst int
	// Arrivals, if positive, pays a new random order every Arrivals of sim
	// time; each starts ON_HOLD and is released after OnHoldDelay.
	Arrivals time.Duration
	// MidPackCancels is the share, from 0 to 1, of orders whose buyer
	// changes their mind while the order is being packed: some time after
	// the order is first read as AWAITING_SHIPMENT through Search Orders or
	// Get Order Detail, the buyer asks to cancel it (is_buyer_request_cancel)
	// or it is cancelled outright, alternately, with update_time bumped to
	// that moment. Nothing happens to an order whose shipping was arranged
	// first. Which orders and when follow from Seed: a positive share picks
	// at least one seller-fulfilled seeded order, and each arrival with that
	// probability.
	MidPackCancels float64
	// MidPackDelay is the longest time from that first read to the change of
	// mind (2 minutes); each order's delay is drawn from Seed between half
	// of it and all of it, and is at least a second.
	MidPackDelay time.Duration
}

func (o *Options) defaults() {
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&o.AppKey, DefaultAppKey)
	def(&o.AppSecret, DefaultAppSecret)
	def(&o.ShopCipher, DefaultShopCipher)
	def(&o.ShopID, DefaultShopID)
	def(&o.ShopName, "Packline Demo Shop")
	def(&o.WarehouseID, DefaultWarehouseID)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 7 * 24 * time.Hour
	}
	if o.RefreshTTL <= 0 {
		o.RefreshTTL = 365 * 24 * time.Hour
	}
	if o.OnHoldDelay <= 0 {
		o.OnHoldDelay = time.Hour
	}
	if o.DocTTL <= 0 {
		o.DocTTL = 24 * time.Hour
	}
	if o.MidPackDelay <= 0 {
		o.MidPackDelay = 2 * time.Minute
	}
	if !(o.MidPackCancels > 0) { // NaN too
		o.MidPackCancels = 0
	}
	o.MidPackCancels = min(o.MidPackCancels, 1)
}

// Sim is a TikTok Shop simulator for one shop and one warehouse. All its
// methods are safe for concurrent use.
type Sim struct {
	opts Options
	log  *slog.Logger

	offset atomic.Int64 // Advance, in nanoseconds
	reqSeq atomic.Uint64

	mu               sync.Mutex
	rng              *rand.Rand
	ids              *idGen
	gtins            map[string]bool
	products         map[string]*product
	productList      []*product
	skus             map[string]*sku
	orders           map[string]*simOrder
	orderList        []*simOrder
	held             []*simOrder // ON_HOLD orders, released by tick
	minded           []*simOrder // orders with a pending change of mind, applied by tick
	mindIDs          []string    // orders given a change of mind, in order
	packages         map[string]*simPackage
	packageList      []*simPackage
	purchases        map[string]int
	totalPurchases   int
	detailLag        time.Duration // see SetOrderDetailLag
	codes            map[string]time.Time
	access           map[string]*token
	refresh          map[string]*token
	docs             map[string]*doc
	faults           []*activeFault
	secretSeq        uint64
	nextArrival      time.Time
	otherWarehouseID string
	returnWarehouse  string

	apiRoutes []route
	limiter   limiter
	net       netState
}

type simOrder struct {
	w Order
	// holdUntil is when an ON_HOLD order becomes AWAITING_SHIPMENT.
	holdUntil time.Time
	// address is revealed when the hold ends.
	address *Address
	// mind is the buyer's change of mind while the order is packed
	// (Options.MidPackCancels), nil for most orders.
	mind *changeOfMind
}

// changeOfMind is a scheduled cancel request or cancellation: after is how
// long after the order's first read it happens, at when (zero until read).
type changeOfMind struct {
	after  time.Duration
	cancel bool
	reason string
	at     time.Time
}

type simPackage struct {
	w       Package
	orderID string
	pdf     []byte
	label   Label
}

type token struct {
	value   string
	expires time.Time
	refresh bool
}

type doc struct {
	packageID string
	expires   time.Time
}

// New builds a simulator and seeds its catalogue and Options.Orders orders.
// It opens no socket: use Handler or Start.
func New(opts Options) *Sim {
	opts.defaults()
	seed := uint64(opts.Seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	s := &Sim{
		opts:      opts,
		log:       opts.Logger,
		rng:       rng,
		ids:       &idGen{rng: rng, used: map[string]bool{}},
		gtins:     map[string]bool{},
		products:  map[string]*product{},
		skus:      map[string]*sku{},
		orders:    map[string]*simOrder{},
		packages:  map[string]*simPackage{},
		purchases: map[string]int{},
		codes:     map[string]time.Time{},
		access:    map[string]*token{},
		refresh:   map[string]*token{},
		docs:      map[string]*doc{},
	}
	s.net.online = true
	s.apiRoutes = s.routes()
	s.otherWarehouseID = s.ids.next("72948", 19)
	s.returnWarehouse = s.ids.next("72948", 19)
	now := s.Now()
	s.mu.Lock()
	s.seedCatalog(now)
	s.seedOrders(now, opts.Orders)
	s.nextArrival = now.Add(opts.Arrivals)
	s.mu.Unlock()
	return s
}

// Now is the simulator's current time: Options.Now plus every Advance.
func (s *Sim) Now() time.Time {
	return s.opts.Now().Add(time.Duration(s.offset.Load()))
}

// Advance moves the simulator's clock forward by d (ON_HOLD releases,
// token and document expiry follow it).
func (s *Sim) Advance(d time.Duration) {
	s.offset.Add(int64(d))
}

// Options returns the effective options (defaults filled in).
func (s *Sim) Options() Options { return s.opts }

// OrderSpec describes an order for AddOrder. Zero fields are chosen for you.
type OrderSpec struct {
	// Status is AWAITING_SHIPMENT (default), ON_HOLD, CANCELLED or
	// AWAITING_COLLECTION (already shipped, with a package).
	Status string `json:"status,omitempty"`
	// FulfillmentType is FULFILLMENT_BY_SELLER (default) or FULFILLMENT_BY_TIKTOK.
	FulfillmentType string `json:"fulfillment_type,omitempty"`
	WarehouseID     string `json:"warehouse_id,omitempty"`
	// SKUs lists one SKU id per unit (repeat an id for several units);
	// empty picks 1-6 random units.
	SKUs []string `json:"skus,omitempty"`
	// Gifts lists SKU ids added as free gift line items.
	Gifts []string `json:"gifts,omitempty"`
	// PaidTime defaults to now for ON_HOLD, else to OnHoldDelay ago.
	PaidTime time.Time `json:"paid_time,omitzero"`
	// BuyerRequestCancel starts the order with a pending cancel request.
	BuyerRequestCancel bool `json:"buyer_request_cancel,omitempty"`
}

// AddOrder adds an order and returns its id.
func (s *Sim) AddOrder(spec OrderSpec) (string, error) {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if spec.PaidTime.IsZero() {
		spec.PaidTime = now.Add(-s.opts.OnHoldDelay)
		if spec.Status == StatusOnHold {
			spec.PaidTime = now
		}
	}
	return s.addOrderLocked(spec, now)
}

func (s *Sim) addOrderLocked(spec OrderSpec, now time.Time) (string, error) {
	switch spec.Status {
	case "":
		spec.Status = StatusAwaitingShipment
	case StatusAwaitingShipment, StatusOnHold, StatusCancelled, StatusAwaitingCollection:
	default:
		return "", fmt.Errorf("order status %q cannot be seeded: use %s, %s, %s or %s", spec.Status, StatusAwaitingShipment, StatusOnHold, StatusCancelled, StatusAwaitingCollection)
	}
	switch spec.FulfillmentType {
	case "":
		spec.FulfillmentType = "FULFILLMENT_BY_SELLER"
	case "FULFILLMENT_BY_SELLER", "FULFILLMENT_BY_TIKTOK":
	default:
		return "", fmt.Errorf("fulfillment type %q is unknown: use FULFILLMENT_BY_SELLER or FULFILLMENT_BY_TIKTOK", spec.FulfillmentType)
	}
	if spec.WarehouseID == "" {
		spec.WarehouseID = s.opts.WarehouseID
	}
	var lines []*sku
	for _, id := range spec.SKUs {
		k, ok := s.skus[id]
		if !ok {
			return "", fmt.Errorf("sku %q is not in the catalogue: see Catalog", id)
		}
		lines = append(lines, k)
	}
	if len(lines) == 0 {
		lines = s.randomLines()
	}
	gifts := len(lines)
	for _, id := range spec.Gifts {
		k, ok := s.skus[id]
		if !ok {
			return "", fmt.Errorf("gift sku %q is not in the catalogue: see Catalog", id)
		}
		lines = append(lines, k)
	}

	paid := spec.PaidTime.UTC().Truncate(time.Second)
	created := paid.Add(-time.Duration(5+s.rng.IntN(300)) * time.Second)
	o := &simOrder{}
	w := &o.w
	w.ID = s.ids.next("5764", 18)
	w.Status = spec.Status
	if spec.Status == StatusAwaitingCollection {
		w.Status = StatusAwaitingShipment // createPackageLocked ships it below
	}
	w.CreateTime = created.Unix()
	w.PaidTime = paid.Unix()
	w.UpdateTime = paid.Add(s.opts.OnHoldDelay).Unix()
	w.OrderType = "NORMAL"
	w.FulfillmentType = spec.FulfillmentType
	w.ShippingType = "TIKTOK"
	w.WarehouseID = spec.WarehouseID
	w.DeliveryOptionID = "7091146663229654785"
	w.DeliveryOptionName = "Standard shipping"
	w.DeliveryType = "HOME_DELIVERY"
	rts := addBusinessDays(paid, 2)
	w.RTSSLATime = rts.Unix()
	w.TTSSLATime = rts.Add(48 * time.Hour).Unix()
	w.ShippingDueTime = rts.Add(72 * time.Hour).Unix()
	w.CancelOrderSLATime = rts.Add(72 * time.Hour).Unix()
	w.UserID = s.ids.next("7494", 19)
	w.BuyerMessage = buyerMessages[s.rng.IntN(len(buyerMessages))]
	addr := s.randomAddress()
	w.RecipientAddress = addr
	subtotal := 0
	for i, k := range lines {
		p := k.prod
		li := LineItem{
			ID:              s.ids.next("5764", 18),
			SKUID:           k.id,
			SellerSKU:       k.sellerSKU,
			SKUName:         k.name,
			SKUImage:        "https://p16-oec-va.ibyteimg.com/tos-maliva-i-o3syd03w52-us/" + k.id + "~tplv-o3syd03w52-origin-jpeg.jpeg",
			SKUType:         "NORMAL",
			ProductID:       p.id,
			ProductName:     p.title,
			IsDangerousGood: p.hazmat,
			IsGift:          i >= gifts || p.gift,
			Currency:        "USD",
			OriginalPrice:   money(p.price),
			SalePrice:       money(p.price),
		}
		if li.IsGift {
			li.SalePrice = "0.00"
		}
		for _, bp := range p.bundle {
			li.CombinedListingSKUs = append(li.CombinedListingSKUs, CombinedSKU{SKUID: bp.sku.id, SellerSKU: bp.sku.sellerSKU, ProductID: bp.sku.prod.id, SKUCount: bp.count})
		}
		if !li.IsGift {
			subtotal += p.price
		}
		w.LineItems = append(w.LineItems, li)
	}
	ship := 0
	if subtotal < 3500 {
		ship = 599
	}
	tax := subtotal * 8 / 100
	w.Payment = Payment{Currency: "USD", SubTotal: money(subtotal), ShippingFee: money(ship), Tax: money(tax), TotalAmount: money(subtotal + ship + tax), OriginalTotalProd: money(subtotal)}

	switch spec.Status {
	case StatusOnHold:
		w.IsOnHoldOrder = true
		w.UpdateTime = paid.Unix()
		o.holdUntil = paid.Add(s.opts.OnHoldDelay)
		o.address = addr
		w.RecipientAddress = nil
	case StatusCancelled:
		ct := paid.Add(time.Duration(1+s.rng.IntN(50)) * time.Minute)
		if ct.After(now) {
			ct = now
		}
		s.cancelLocked(o, ct, "BUYER", "No longer needed")
	}
	if w.UpdateTime > now.Unix() {
		w.UpdateTime = now.Unix()
	}
	s.setDisplayStatus(o)
	s.orders[w.ID] = o
	s.orderList = append(s.orderList, o)
	if w.Status == StatusOnHold {
		s.held = append(s.held, o)
	}
	if spec.BuyerRequestCancel && (w.Status == StatusAwaitingShipment || w.Status == StatusOnHold) {
		w.IsBuyerRequestCancel = true
		w.RequestCancelTime = now.Unix()
	}
	if spec.Status == StatusAwaitingCollection {
		at := time.Unix(w.UpdateTime, 0).Add(time.Duration(10+s.rng.IntN(600)) * time.Minute)
		if at.After(now) {
			at = now
		}
		// Declared like a careful packer: catalogue weights plus a box,
		// rounded up to the hundredth of a pound.
		total := 150 * order.Gram
		req := createPackageReq{OrderID: w.ID}
		for _, li := range w.LineItems {
			req.LineItemIDs = append(req.LineItemIDs, li.ID)
			total += s.products[li.ProductID].mass
		}
		v, err := total.CeilIn("POUND", 2)
		if err != nil {
			return "", fmt.Errorf("ship seeded order: %w", err)
		}
		req.Weight, req.Mass = Weight{Value: v, Unit: "POUND"}, total
		if _, aerr := s.createPackageLocked(req, at); aerr != nil {
			return "", fmt.Errorf("ship seeded order: %s", aerr.msg)
		}
	}
	return w.ID, nil
}

// setDisplayStatus mirrors the order status onto its live line items.
func (s *Sim) setDisplayStatus(o *simOrder) {
	for i := range o.w.LineItems {
		li := &o.w.LineItems[i]
		if li.CancelUser != "" {
			li.DisplayStatus = StatusCancelled
			continue
		}
		if li.PackageID != "" {
			li.DisplayStatus = StatusAwaitingCollection
			continue
		}
		li.DisplayStatus = o.w.Status
		if o.w.Status == StatusPartiallyShipping {
			li.DisplayStatus = StatusAwaitingShipment
		}
	}
}

// tick applies what time does: ON_HOLD orders whose hold has ended become
// AWAITING_SHIPMENT, with their address revealed. Callers hold s.mu.
func (s *Sim) tick(now time.Time) {
	// New orders paid since the last look, at most a day's worth at once.
	for n := 0; s.opts.Arrivals > 0 && !s.nextArrival.After(now) && n < 10000; n++ {
		id, err := s.addOrderLocked(OrderSpec{Status: StatusOnHold, PaidTime: s.nextArrival}, now)
		if err != nil {
			s.log.Error("tiktoksim: new order", "err", err)
		} else if s.opts.MidPackCancels > 0 && s.rng.Float64() < s.opts.MidPackCancels {
			s.scheduleMind(s.orders[id], len(s.mindIDs)%2 == 1)
		}
		s.nextArrival = s.nextArrival.Add(s.opts.Arrivals)
	}
	if s.opts.Arrivals > 0 && s.nextArrival.Before(now) {
		s.nextArrival = now.Add(s.opts.Arrivals)
	}
	held := s.held[:0]
	for _, o := range s.held {
		if o.w.Status != StatusOnHold {
			continue // cancelled while on hold
		}
		if o.holdUntil.After(now) {
			held = append(held, o)
			continue
		}
		o.w.Status = StatusAwaitingShipment
		o.w.IsOnHoldOrder = false
		o.w.RecipientAddress = o.address
		o.w.UpdateTime = o.holdUntil.Unix()
		s.setDisplayStatus(o)
	}
	clear(s.held[len(held):])
	s.held = held
	minded := s.minded[:0]
	for _, o := range s.minded {
		m := o.mind
		if o.w.FulfillmentType != "FULFILLMENT_BY_SELLER" || o.w.Status != StatusAwaitingShipment && o.w.Status != StatusOnHold {
			o.mind = nil // shipped, cancelled or not the seller's to pack: too late
			continue
		}
		if m.at.IsZero() || m.at.After(now) {
			minded = append(minded, o)
			continue
		}
		o.mind = nil
		at := m.at.Truncate(time.Second)
		if last := time.Unix(o.w.UpdateTime, 0); at.Before(last) {
			at = last
		}
		switch {
		case m.cancel:
			s.cancelLocked(o, at, "BUYER", m.reason)
		case !o.w.IsBuyerRequestCancel:
			o.w.IsBuyerRequestCancel = true
			o.w.RequestCancelTime = at.Unix()
			o.w.UpdateTime = at.Unix()
		}
	}
	clear(s.minded[len(minded):])
	s.minded = minded
}

// scheduleMind gives o a change of mind: an outright cancellation if
// cancel, else a cancel request. Callers hold s.mu.
func (s *Sim) scheduleMind(o *simOrder, cancel bool) {
	d := s.opts.MidPackDelay
	after := max(d/2+time.Duration(s.rng.Int64N(int64(d-d/2)+1)), time.Second)
	o.mind = &changeOfMind{after: after, cancel: cancel, reason: cancelReasons[s.rng.IntN(len(cancelReasons))]}
	s.minded = append(s.minded, o)
	s.mindIDs = append(s.mindIDs, o.w.ID)
}

// MindChanges lists the orders MidPackCancels gave a change of mind, in the
// order they were picked (a cancel request first, then a cancellation, and
// so on), whether it has happened yet or not.
func (s *Sim) MindChanges() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.mindIDs)
}

// readLocked notes that the API showed o to a client: the clock of its
// change of mind, if any, starts at the first read while it awaits
// shipment. Callers hold s.mu.
func (s *Sim) readLocked(o *simOrder, now time.Time) {
	if m := o.mind; m != nil && m.at.IsZero() && o.w.Status == StatusAwaitingShipment {
		m.at = now.Add(m.after)
	}
}

func (s *Sim) cancelLocked(o *simOrder, at time.Time, initiator, reason string) {
	o.w.Status = StatusCancelled
	o.w.CancelTime = at.Unix()
	o.w.UpdateTime = at.Unix()
	o.w.CancellationInitiator = initiator
	o.w.CancelReason = reason
	o.w.IsBuyerRequestCancel = false
	if o.w.RecipientAddress == nil {
		o.w.RecipientAddress = o.address
	}
	for i := range o.w.LineItems {
		o.w.LineItems[i].CancelUser = initiator
		o.w.LineItems[i].CancelReason = reason
		o.w.LineItems[i].DisplayStatus = StatusCancelled
		if o.w.LineItems[i].PackageID != "" {
			o.w.LineItems[i].PackageStatus = "CANCELLED"
		}
	}
	for _, ref := range o.w.Packages {
		if p := s.packages[ref.ID]; p != nil {
			p.w.PackageStatus = "CANCELLED"
			p.w.PackageSubStatus = "CREATED"
			p.w.UpdateTime = at.Unix()
		}
	}
}

// ErrNotFound is returned by control methods for an unknown order id.
var ErrNotFound = errors.New("not found")

// CancelOrder cancels the order as its buyer would (initiator BUYER): it
// becomes CANCELLED with a cancel_time, and any package bought for it is
// cancelled too.
func (s *Sim) CancelOrder(id string) error {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(now)
	o, ok := s.orders[id]
	if !ok {
		return fmt.Errorf("cancel order %s: %w", id, ErrNotFound)
	}
	switch o.w.Status {
	case StatusCancelled, StatusInTransit, "DELIVERED", "COMPLETED":
		return fmt.Errorf("cancel order %s: it is %s and can no longer be cancelled", id, o.w.Status)
	}
	s.cancelLocked(o, now, "BUYER", "No longer needed")
	return nil
}

// RequestCancel records a buyer's cancel request on the order
// (is_buyer_request_cancel=true). Only ON_HOLD and AWAITING_SHIPMENT orders
// accept one.
func (s *Sim) RequestCancel(id string) error {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(now)
	o, ok := s.orders[id]
	if !ok {
		return fmt.Errorf("request cancel of order %s: %w", id, ErrNotFound)
	}
	if o.w.Status != StatusOnHold && o.w.Status != StatusAwaitingShipment {
		return fmt.Errorf("request cancel of order %s: it is %s; a buyer can only ask before shipping is arranged", id, o.w.Status)
	}
	o.w.IsBuyerRequestCancel = true
	o.w.RequestCancelTime = now.Unix()
	o.w.UpdateTime = now.Unix()
	return nil
}

// Collect records the carrier's pickup scan: an AWAITING_COLLECTION order
// becomes IN_TRANSIT and its packages FULFILLING.
func (s *Sim) Collect(id string) error {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.orders[id]
	if !ok {
		return fmt.Errorf("collect order %s: %w", id, ErrNotFound)
	}
	if o.w.Status != StatusAwaitingCollection {
		return fmt.Errorf("collect order %s: it is %s; only AWAITING_COLLECTION orders are picked up", id, o.w.Status)
	}
	o.w.Status = StatusInTransit
	o.w.UpdateTime = now.Unix()
	for i := range o.w.LineItems {
		li := &o.w.LineItems[i]
		if li.PackageID != "" && li.CancelUser == "" {
			li.DisplayStatus, li.PackageStatus = StatusInTransit, "FULFILLING"
		}
	}
	for _, ref := range o.w.Packages {
		if p := s.packages[ref.ID]; p != nil && p.w.PackageStatus != "CANCELLED" {
			p.w.PackageStatus, p.w.PackageSubStatus, p.w.UpdateTime = "FULFILLING", "TTS", now.Unix()
		}
	}
	return nil
}

// Order returns a copy of the order as the API would show it now.
func (s *Sim) Order(id string) (Order, bool) {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(now)
	o, ok := s.orders[id]
	if !ok {
		return Order{}, false
	}
	return copyOrder(&o.w), true
}

// Orders returns copies of every order, oldest first.
func (s *Sim) Orders() []Order {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick(now)
	out := make([]Order, 0, len(s.orderList))
	for _, o := range s.orderList {
		out = append(out, copyOrder(&o.w))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreateTime < out[j].CreateTime })
	return out
}

// Package returns a copy of the package as Get Package Detail shows it.
func (s *Sim) Package(id string) (Package, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.packages[id]
	if !ok {
		return Package{}, false
	}
	return copyPackage(&p.w), true
}

// Purchases returns how many Create Packages calls were made for the order
// (refused ones included): a correct client makes exactly one per package.
func (s *Sim) Purchases(orderID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.purchases[orderID]
}

// TotalPurchases returns how many Create Packages calls were made in all.
func (s *Sim) TotalPurchases() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.totalPurchases
}

// Catalog lists every physical SKU (bundles excluded: their components are
// what gets scanned), sorted by seller SKU.
func (s *Sim) Catalog() []CatalogItem {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []CatalogItem
	for _, p := range s.productList {
		if len(p.bundle) > 0 {
			continue
		}
		for _, k := range p.skus {
			name := p.title
			if k.name != "" {
				name += " (" + k.name + ")"
			}
			out = append(out, CatalogItem{SKUID: k.id, SellerSKU: k.sellerSKU, ProductID: p.id, Name: name, GTIN: k.gtin, Weight: p.mass, Hazmat: p.hazmat})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SellerSKU < out[j].SellerSKU })
	return out
}

// Token is a seller access token pair.
type Token struct {
	AccessToken          string    `json:"access_token"`
	AccessTokenExpireAt  time.Time `json:"access_token_expire_at"`
	RefreshToken         string    `json:"refresh_token"`
	RefreshTokenExpireAt time.Time `json:"refresh_token_expire_at"`
}

// secret derives a unique, unguessable-enough value from the app secret.
func (s *Sim) secretLocked(kind string) string {
	s.secretSeq++
	m := hmac.New(sha256.New, []byte(s.opts.AppSecret))
	fmt.Fprintf(m, "%s:%d:%d", kind, s.opts.Seed, s.secretSeq)
	return hex.EncodeToString(m.Sum(nil))
}

// AuthCode issues a fresh single-use authorization code, valid 30 minutes,
// as the seller's authorization redirect would deliver it.
func (s *Sim) AuthCode() string {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	code := "ROW_" + s.secretLocked("code")[:40]
	s.codes[code] = now.Add(30 * time.Minute)
	return code
}

// IssueToken issues a fresh token pair without the OAuth round trip.
func (s *Sim) IssueToken() Token {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issueTokenLocked(now)
}

func (s *Sim) issueTokenLocked(now time.Time) Token {
	a := &token{value: "ROW_" + s.secretLocked("access")[:48], expires: now.Add(s.opts.TokenTTL).Truncate(time.Second)}
	r := &token{value: "ROW_" + s.secretLocked("refresh")[:48], expires: now.Add(s.opts.RefreshTTL).Truncate(time.Second), refresh: true}
	s.access[a.value] = a
	s.refresh[r.value] = r
	return Token{AccessToken: a.value, AccessTokenExpireAt: a.expires, RefreshToken: r.value, RefreshTokenExpireAt: r.expires}
}

// ExpireTokens makes every access token issued so far expire now; refresh
// tokens stay valid.
func (s *Sim) ExpireTokens() {
	now := s.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.access {
		if t.expires.After(now) {
			t.expires = now
		}
	}
}

func copyOrder(o *Order) Order {
	c := *o
	c.LineItems = append([]LineItem(nil), o.LineItems...)
	for i := range c.LineItems {
		c.LineItems[i].CombinedListingSKUs = append([]CombinedSKU(nil), o.LineItems[i].CombinedListingSKUs...)
	}
	c.Packages = append([]PackageRef(nil), o.Packages...)
	if o.RecipientAddress != nil {
		a := *o.RecipientAddress
		a.DistrictInfo = append([]DistrictInfo(nil), a.DistrictInfo...)
		c.RecipientAddress = &a
	}
	return c
}

func copyPackage(p *Package) Package {
	c := *p
	c.OrderLineItemIDs = append([]string(nil), p.OrderLineItemIDs...)
	c.Orders = append([]PackageOrder(nil), p.Orders...)
	for i := range c.Orders {
		c.Orders[i].SKUs = append([]PackageSKU(nil), p.Orders[i].SKUs...)
	}
	if p.Dimension != nil {
		d := *p.Dimension
		c.Dimension = &d
	}
	if p.RecipientAddress != nil {
		a := *p.RecipientAddress
		c.RecipientAddress = &a
	}
	return c
}

// netState is the listener side of the simulator.
type netState struct {
	mu     sync.Mutex
	srv    *http.Server
	ln     net.Listener
	addr   string
	online bool
	closed bool
	conns  map[net.Conn]struct{}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
