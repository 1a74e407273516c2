// Package order defines Packline's domain records: an order as the warehouse
// packs it, the physical items it expects, the pack progress and the label
// bought for it. It has no I/O and depends only on the standard library, so
// the store, the pack flow and the tools can share it.
package order

import (
	"fmt"
	"sort"
	"time"
)

// State is where an order stands in the warehouse's pack flow.
type State string

// The pack flow: Pulled → Claimed → Verified → Weighed → LabelBought →
// LabelPrinted → Dispatched, with the exits Cancelled, Exception and Staged.
const (
	Pulled       State = "pulled"
	Claimed      State = "claimed"
	Verified     State = "verified"
	Weighed      State = "weighed"
	LabelBought  State = "label_bought"
	LabelPrinted State = "label_printed"
	Dispatched   State = "dispatched"
	Cancelled    State = "cancelled"
	Exception    State = "exception"
	Staged       State = "staged"
)

// States lists every state in pack-flow order.
var States = []State{Pulled, Claimed, Verified, Weighed, LabelBought, LabelPrinted, Dispatched, Cancelled, Exception, Staged}

// Valid reports whether s is one of the known states.
func (s State) Valid() bool {
	for _, k := range States {
		if s == k {
			return true
		}
	}
	return false
}

// Open reports whether an order in state s still needs warehouse work.
func (s State) Open() bool {
	switch s {
	case Dispatched, Cancelled, LabelPrinted:
		return false
	}
	return true
}

// Upstream order statuses (TikTok Shop `order_status`).
const (
	StatusUnpaid             = "UNPAID"
	StatusOnHold             = "ON_HOLD"
	StatusAwaitingShipment   = "AWAITING_SHIPMENT"
	StatusPartiallyShipping  = "PARTIALLY_SHIPPING"
	StatusAwaitingCollection = "AWAITING_COLLECTION"
	StatusInTransit          = "IN_TRANSIT"
	StatusDelivered          = "DELIVERED"
	StatusCompleted          = "COMPLETED"
	StatusCancelled          = "CANCELLED"
)

// Order is one TikTok Shop order assigned to this warehouse, with the
// warehouse's own progress on it.
type Order struct {
	ID          string `json:"id"`
	WarehouseID string `json:"warehouse_id"`
	// Status is the upstream order_status as last seen.
	Status          string `json:"status"`
	FulfillmentType string `json:"fulfillment_type"`
	ShippingType    string `json:"shipping_type"`
	DeliveryOption  string `json:"delivery_option_id,omitempty"`
	OnHold          bool   `json:"on_hold,omitempty"`
	// BuyerRequestCancel is true while the buyer has a pending cancel request.
	BuyerRequestCancel bool `json:"buyer_request_cancel,omitempty"`

	CreateTime time.Time `json:"create_time"`
	PaidTime   time.Time `json:"paid_time"`
	UpdateTime time.Time `json:"update_time"`
	// RTSDeadline is rts_sla_time: the order must reach AWAITING_COLLECTION by then.
	RTSDeadline time.Time `json:"rts_deadline"`
	// ShippingDue is shipping_due_time: TikTok auto-cancels after it.
	ShippingDue time.Time `json:"shipping_due,omitempty"`

	Recipient    Recipient  `json:"recipient"`
	BuyerMessage string     `json:"buyer_message,omitempty"`
	SellerNote   string     `json:"seller_note,omitempty"`
	LineItems    []LineItem `json:"line_items"`
	// Packages are upstream package ids known for the order.
	Packages []string `json:"packages,omitempty"`

	// State is the warehouse pack state.
	State State `json:"state"`
	// Rev counts local writes to the order; it only ever grows.
	Rev       uint64         `json:"rev"`
	Pack      *Pack          `json:"pack,omitempty"`
	Intent    *LabelIntent   `json:"intent,omitempty"`
	Label     *Label         `json:"label,omitempty"`
	Exception *ExceptionInfo `json:"exception,omitempty"`
	PulledAt  time.Time      `json:"pulled_at"`
}

// Recipient is the (desensitised) ship-to address shown to the packer.
type Recipient struct {
	Name       string `json:"name,omitempty"`
	City       string `json:"city,omitempty"`
	Region     string `json:"region,omitempty"`
	PostalCode string `json:"postal_code,omitempty"`
	Country    string `json:"country,omitempty"`
}

// LineItem is one upstream line item. TikTok has no quantity field: each line
// item is one unit, and a virtual bundle lists its components.
type LineItem struct {
	ID          string      `json:"id"`
	SKUID       string      `json:"sku_id"`
	SellerSKU   string      `json:"seller_sku,omitempty"`
	SKUName     string      `json:"sku_name,omitempty"`
	ProductID   string      `json:"product_id"`
	ProductName string      `json:"product_name,omitempty"`
	Gift        bool        `json:"gift,omitempty"`
	Hazmat      bool        `json:"hazmat,omitempty"`
	Cancelled   bool        `json:"cancelled,omitempty"`
	Components  []Component `json:"components,omitempty"`
}

// Component is one SKU inside a virtual bundle line item.
type Component struct {
	SKUID     string `json:"sku_id"`
	SellerSKU string `json:"seller_sku,omitempty"`
	ProductID string `json:"product_id"`
	Count     int    `json:"count"`
}

// Item is one physical unit the packer must put in the box.
type Item struct {
	LineItemID string `json:"line_item_id"`
	SKUID      string `json:"sku_id"`
	SellerSKU  string `json:"seller_sku,omitempty"`
	ProductID  string `json:"product_id"`
	Name       string `json:"name,omitempty"`
	Gift       bool   `json:"gift,omitempty"`
}

// Items expands the order's live line items into physical units: a plain
// line item is one unit, a bundle is Count units of each component.
func (o *Order) Items() []Item {
	var items []Item
	for _, li := range o.LineItems {
		if li.Cancelled {
			continue
		}
		name := li.ProductName
		if li.SKUName != "" {
			name = fmt.Sprintf("%s (%s)", li.ProductName, li.SKUName)
		}
		if len(li.Components) == 0 {
			items = append(items, Item{LineItemID: li.ID, SKUID: li.SKUID, SellerSKU: li.SellerSKU, ProductID: li.ProductID, Name: name, Gift: li.Gift})
			continue
		}
		for _, c := range li.Components {
			for range c.Count {
				items = append(items, Item{LineItemID: li.ID, SKUID: c.SKUID, SellerSKU: c.SellerSKU, ProductID: c.ProductID, Name: name, Gift: li.Gift})
			}
		}
	}
	return items
}

// LineItemIDs returns the ids of the live (not cancelled) line items.
func (o *Order) LineItemIDs() []string {
	var ids []string
	for _, li := range o.LineItems {
		if !li.Cancelled {
			ids = append(ids, li.ID)
		}
	}
	return ids
}

// Expected counts the units the order expects per SKU id.
func (o *Order) Expected() map[string]int {
	want := map[string]int{}
	for _, it := range o.Items() {
		want[it.SKUID]++
	}
	return want
}

// Packable reports whether the warehouse may pack the order, and if not, why.
func (o *Order) Packable() (bool, string) {
	switch {
	case o.FulfillmentType != "" && o.FulfillmentType != "FULFILLMENT_BY_SELLER":
		return false, "fulfilled by TikTok, not by this warehouse"
	case o.OnHold || o.Status == StatusOnHold:
		return false, "on hold: inside the buyer's 1-hour cancellation window"
	case o.Status == StatusCancelled || o.State == Cancelled:
		return false, "cancelled"
	case o.BuyerRequestCancel:
		return false, "the buyer asked to cancel: wait for the decision in Seller Center"
	case o.Status != StatusAwaitingShipment && o.Status != "":
		return false, "upstream status is " + o.Status
	}
	return true, ""
}

// ClosedUpstream reports whether TikTok no longer waits for the warehouse
// to ship the order: it is cancelled, or shipping was arranged elsewhere.
func (o *Order) ClosedUpstream() bool {
	switch o.Status {
	case StatusCancelled, StatusAwaitingCollection, StatusInTransit, StatusDelivered, StatusCompleted:
		return true
	}
	return false
}

// Pack is the progress of one packing of the order at a station.
type Pack struct {
	Station   string    `json:"station"`
	Packer    string    `json:"packer,omitempty"`
	StartedAt time.Time `json:"started_at"`
	// Scanned counts accepted units per SKU id.
	Scanned map[string]int `json:"scanned"`
	Scans   []Scan         `json:"scans,omitempty"`
	Box     *Box           `json:"box,omitempty"`
	// Measured is the stable weight captured from the scale.
	Measured Mass `json:"measured,omitempty"`
	// Expected is the computed weight: item weights plus box tare.
	Expected   Mass      `json:"expected,omitempty"`
	WeighedAt  time.Time `json:"weighed_at,omitempty"`
	VerifiedAt time.Time `json:"verified_at,omitempty"`
	// Override is set when a lead let a failed weight check proceed.
	Override *Override `json:"override,omitempty"`
	// TypedWeight is set when a lead typed Measured in instead of
	// reading it from the station's scale.
	TypedWeight *Override `json:"typed_weight,omitempty"`
}

// Complete reports whether every expected unit of o has been scanned.
func (p *Pack) Complete(o *Order) bool {
	for sku, n := range o.Expected() {
		if p.Scanned[sku] < n {
			return false
		}
	}
	return true
}

// Missing lists the SKUs still short, sorted, with how many are missing.
func (p *Pack) Missing(o *Order) []Shortfall {
	var out []Shortfall
	for sku, n := range o.Expected() {
		if got := p.Scanned[sku]; got < n {
			out = append(out, Shortfall{SKUID: sku, Missing: n - got})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].SKUID < out[j].SKUID })
	return out
}

// Shortfall is a SKU that still misses units.
type Shortfall struct {
	SKUID   string `json:"sku_id"`
	Missing int    `json:"missing"`
}

// Scan is one accepted or refused barcode scan, kept for the audit trail.
type Scan struct {
	Code   string    `json:"code"`
	SKUID  string    `json:"sku_id,omitempty"`
	At     time.Time `json:"at"`
	Result string    `json:"result"`
}

// Box is a shipping box from the catalogue.
type Box struct {
	Code string `json:"code"`
	Name string `json:"name,omitempty"`
	// Length, Width and Height are decimal strings in Unit (INCH or CM), as declared.
	Length string `json:"length"`
	Width  string `json:"width"`
	Height string `json:"height"`
	Unit   string `json:"unit"`
	Tare   Mass   `json:"tare"`
}

// Override records a lead's decision to let a failed check proceed.
type Override struct {
	By     string    `json:"by"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// LabelIntent is committed before Create Packages is called, so that after a
// crash or an unclear answer the agent reconciles instead of buying again.
type LabelIntent struct {
	ID          string    `json:"id"`
	LineItemIDs []string  `json:"line_item_ids"`
	Weight      string    `json:"weight"`
	WeightUnit  string    `json:"weight_unit"`
	Box         Box       `json:"box"`
	CreatedAt   time.Time `json:"created_at"`
	Attempts    int       `json:"attempts"`
	LastError   string    `json:"last_error,omitempty"`
}

// Label is the TikTok shipping label bought for the order.
type Label struct {
	PackageID      string    `json:"package_id"`
	TrackingNumber string    `json:"tracking_number"`
	ServiceName    string    `json:"service_name,omitempty"`
	Carrier        string    `json:"carrier,omitempty"`
	Weight         string    `json:"weight"`
	WeightUnit     string    `json:"weight_unit"`
	BoughtAt       time.Time `json:"bought_at"`
	// Document is the store key of the label PDF.
	Document  string    `json:"document,omitempty"`
	PrintedAt time.Time `json:"printed_at,omitempty"`
	Prints    int       `json:"prints,omitempty"`
}

// ExceptionInfo says why an order needs a lead's decision.
type ExceptionInfo struct {
	Reason string    `json:"reason"`
	Detail string    `json:"detail,omitempty"`
	At     time.Time `json:"at"`
	// From is the state the order left for Exception.
	From State `json:"from"`
}

// Product is the catalogue data needed for the expected weight.
type Product struct {
	ID     string `json:"id"`
	Weight Mass   `json:"weight"`
	// Length, Width, Height and DimUnit are the package dimensions, if known.
	Length    string    `json:"length,omitempty"`
	Width     string    `json:"width,omitempty"`
	Height    string    `json:"height,omitempty"`
	DimUnit   string    `json:"dim_unit,omitempty"`
	FetchedAt time.Time `json:"fetched_at"`
	// Barcodes maps the codes printed on the product's SKUs (GTIN, EAN,
	// UPC, ISBN from the catalogue) to the SKU id, so a packer can scan them.
	Barcodes map[string]string `json:"barcodes,omitempty"`
}
