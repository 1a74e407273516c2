package engine

import (
	"context"
	"errors"
	"time"

	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/drivers/raster"
)

// Errors the engine's dependencies return so that it can decide what to do.
// Adapters over the real store and TikTok client wrap their errors with
// these.
var (
	// ErrNotFound means the store has no such record.
	ErrNotFound = errors.New("not found")
	// ErrOffline means the request did not reach TikTok (no network, link
	// down). Nothing happened upstream.
	ErrOffline = errors.New("offline")
	// ErrTransient means TikTok answered "try later" (rate limit, server
	// error, expired token being refreshed).
	ErrTransient = errors.New("upstream temporarily unavailable")
	// ErrUnclear means the request may or may not have taken effect
	// upstream (timeout, reset, lost answer). Before a new attempt the
	// engine reads the order's packages upstream.
	ErrUnclear = errors.New("unclear upstream outcome")
)

// Store is the transactional store the engine keeps orders, the outbox and
// the audit log in.
type Store interface {
	// Update runs fn in one read-write transaction: everything fn writes
	// commits together or not at all.
	Update(fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(fn func(Tx) error) error
}

// Tx is one store transaction. Read-only transactions refuse writes.
type Tx interface {
	Order(id string) (order.Order, error)
	PutOrder(o *order.Order) error
	OpenOrders() ([]order.Order, error)
	// FirstOpenOrders returns the max open orders due first.
	FirstOpenOrders(max int) ([]order.Order, error)
	OrdersInState(states ...order.State) ([]order.Order, error)
	OrderIDByPackage(packageID string) (string, error)
	Enqueue(kind, aggregate string, payload any) error
	Audit(a Audit) error
	PutDocument(key string, b []byte) error
	Document(key string) ([]byte, error)
	Product(id string) (order.Product, error)
	LookupBarcode(code string) (skuID string, units int, err error)
	OutboxStats() (OutboxStats, error)
}

// Audit is one audit log line.
type Audit struct {
	At      time.Time
	OrderID string
	Station string
	Actor   string
	Action  string
	Detail  string
}

// OutboxStats summarise the outbox.
type OutboxStats struct {
	Depth  int
	Dead   int
	Oldest time.Time
}

// Shop is TikTok Shop as the pack flow needs it.
type Shop interface {
	// OrderDetail re-reads one order upstream.
	OrderDetail(ctx context.Context, id string) (order.Order, error)
	// OrderPackages lists the packages that exist upstream for an order.
	OrderPackages(ctx context.Context, orderID string) ([]Package, error)
	// CreatePackage buys the label. It is never retried blindly.
	CreatePackage(ctx context.Context, req PackageRequest) (Package, error)
	// ShippingDocument returns the label's URL and tracking number.
	ShippingDocument(ctx context.Context, packageID string) (Document, error)
	// Download fetches a document URL.
	Download(ctx context.Context, url string) ([]byte, error)
}

// PackageRequest is a Create Packages call: the declared weight and the box
// dimensions, as decimal strings.
type PackageRequest struct {
	OrderID     string
	LineItemIDs []string
	Weight      string
	WeightUnit  string
	Length      string
	Width       string
	Height      string
	DimUnit     string
}

// Package is an upstream package.
type Package struct {
	ID             string
	LineItemIDs    []string
	TrackingNumber string
	Status         string
	Carrier        string
	Service        string
}

// Document is a shipping document's location.
type Document struct {
	URL            string
	TrackingNumber string
}

// Reading is a scale reading.
type Reading struct {
	Mass    order.Mass
	Display string
	Stable  bool
	Zero    bool
	Over    bool
	Under   bool
	Raw     []byte
	At      time.Time
}

// Scale is a station's scale.
type Scale interface {
	// Stable waits for a stable, positive, in-range weight.
	Stable(ctx context.Context) (Reading, error)
	// Watch calls fn with every reading until ctx ends or the scale fails.
	Watch(ctx context.Context, fn func(Reading)) error
}

// Zeroer is a scale that can be zeroed from the agent.
type Zeroer interface {
	Zero(ctx context.Context) error
}

// PrintJob is one label for a printer.
type PrintJob struct {
	ID     string
	Image  *raster.Bitmap
	Copies int
}

// Printer is a station's label printer.
type Printer interface {
	Print(ctx context.Context, job PrintJob) error
}

// LabelSpec says how a label is rasterised for a printer.
type LabelSpec struct {
	DPI   int
	Stock string
}

// Labeler turns a label PDF into a printer bitmap, checking that the
// tracking barcode still reads.
type Labeler interface {
	Prepare(ctx context.Context, pdf []byte, spec LabelSpec, wantTracking string) (*raster.Bitmap, error)
}

// Publisher sends events to stations; station "" means all stations.
type Publisher interface {
	Publish(station, event string, data any)
}

// Kicker is the outbox relay, kicked after a commit that enqueued events.
type Kicker interface {
	Kick()
}
