package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/packline/packline/agent/order"
)

// Order paths and limits.
const (
	pathOrderSearch   = "/order/202309/orders/search"
	pathOrderDetail   = "/order/202309/orders"
	MaxOrderPageSize  = 100
	MaxOrderDetailIDs = 50
)

// Order is a TikTok Shop order as the API sends it (Get Order List and Get
// Order Detail, version 202309). Times are Unix seconds.
type Order struct {
	ID                    string     `json:"id"`
	Status                string     `json:"status"`
	CreateTime            Unix       `json:"create_time"`
	PaidTime              Unix       `json:"paid_time"`
	UpdateTime            Unix       `json:"update_time"`
	OrderType             string     `json:"order_type,omitempty"`
	IsOnHoldOrder         bool       `json:"is_on_hold_order"`
	IsReplacementOrder    bool       `json:"is_replacement_order,omitempty"`
	IsExchangeOrder       bool       `json:"is_exchange_order,omitempty"`
	IsSampleOrder         bool       `json:"is_sample_order,omitempty"`
	SplitOrCombineTag     string     `json:"split_or_combine_tag,omitempty"`
	FulfillmentType       string     `json:"fulfillment_type"`
	ShippingType          string     `json:"shipping_type"`
	WarehouseID           string     `json:"warehouse_id"`
	DeliveryOptionID      string     `json:"delivery_option_id,omitempty"`
	DeliveryOptionName    string     `json:"delivery_option_name,omitempty"`
	ShippingProviderID    string     `json:"shipping_provider_id,omitempty"`
	ShippingProvider      string     `json:"shipping_provider,omitempty"`
	TrackingNumber        string     `json:"tracking_number,omitempty"`
	Packages              []Ref      `json:"packages,omitempty"`
	RTSSLATime            Unix       `json:"rts_sla_time,omitempty"`
	TTSSLATime            Unix       `json:"tts_sla_time,omitempty"`
	ShippingDueTime       Unix       `json:"shipping_due_time,omitempty"`
	CancelOrderSLATime    Unix       `json:"cancel_order_sla_time,omitempty"`
	IsBuyerRequestCancel  bool       `json:"is_buyer_request_cancel"`
	RequestCancelTime     Unix       `json:"request_cancel_time,omitempty"`
	CancelReason          string     `json:"cancel_reason,omitempty"`
	CancelTime            Unix       `json:"cancel_time,omitempty"`
	CancellationInitiator string     `json:"cancellation_initiator,omitempty"`
	RecipientAddress      Address    `json:"recipient_address"`
	BuyerMessage          string     `json:"buyer_message,omitempty"`
	SellerNote            string     `json:"seller_note,omitempty"`
	LineItems             []LineItem `json:"line_items"`
}

// Ref is an object reference ({"id": "…"}).
type Ref struct {
	ID string `json:"id"`
}

// Address is a recipient address. Name and phone are desensitised for
// TikTok Shipping orders.
type Address struct {
	Name          string         `json:"name,omitempty"`
	FirstName     string         `json:"first_name,omitempty"`
	LastName      string         `json:"last_name,omitempty"`
	PhoneNumber   string         `json:"phone_number,omitempty"`
	AddressDetail string         `json:"address_detail,omitempty"`
	AddressLine1  string         `json:"address_line1,omitempty"`
	AddressLine2  string         `json:"address_line2,omitempty"`
	AddressLine3  string         `json:"address_line3,omitempty"`
	AddressLine4  string         `json:"address_line4,omitempty"`
	FullAddress   string         `json:"full_address,omitempty"`
	PostalCode    string         `json:"postal_code,omitempty"`
	RegionCode    string         `json:"region_code,omitempty"`
	DistrictInfo  []DistrictInfo `json:"district_info,omitempty"`
}

// DistrictInfo is one level of an address (Country, State, County, City…).
type DistrictInfo struct {
	AddressLevelName string `json:"address_level_name"`
	AddressName      string `json:"address_name"`
	AddressLevel     string `json:"address_level,omitempty"`
}

// LineItem is one unit of an order: TikTok has no quantity field.
type LineItem struct {
	ID                  string        `json:"id"`
	SKUID               string        `json:"sku_id"`
	SellerSKU           string        `json:"seller_sku,omitempty"`
	SKUName             string        `json:"sku_name,omitempty"`
	SKUImage            string        `json:"sku_image,omitempty"`
	ProductID           string        `json:"product_id"`
	ProductName         string        `json:"product_name,omitempty"`
	DisplayStatus       string        `json:"display_status,omitempty"`
	PackageID           string        `json:"package_id,omitempty"`
	PackageStatus       string        `json:"package_status,omitempty"`
	IsGift              bool          `json:"is_gift,omitempty"`
	IsDangerousGood     bool          `json:"is_dangerous_good,omitempty"`
	CancelUser          string        `json:"cancel_user,omitempty"`
	CancelReason        string        `json:"cancel_reason,omitempty"`
	CombinedListingSKUs []CombinedSKU `json:"combined_listing_skus,omitempty"`
	SubItemInfo         []SubItemInfo `json:"sub_item_info,omitempty"`
	TrackingNumber      string        `json:"tracking_number,omitempty"`
	ShippingProviderID  string        `json:"shipping_provider_id,omitempty"`
	RTSTime             Unix          `json:"rts_time,omitempty"`
}

// CombinedSKU is one component of a virtual bundle line item.
type CombinedSKU struct {
	SKUID     string `json:"sku_id"`
	SellerSKU string `json:"seller_sku,omitempty"`
	ProductID string `json:"product_id"`
	SKUCount  Int    `json:"sku_count"`
}

// SubItemInfo is one per-unit sub-item of a bundle.
type SubItemInfo struct {
	ID        string `json:"id,omitempty"`
	SKUID     string `json:"sku_id,omitempty"`
	SellerSKU string `json:"seller_sku,omitempty"`
	ProductID string `json:"product_id,omitempty"`
}

// Cancelled reports whether the line item is cancelled.
func (li LineItem) Cancelled() bool {
	return strings.EqualFold(li.DisplayStatus, "CANCELLED") || strings.EqualFold(li.PackageStatus, "CANCELLED")
}

// Domain converts o to Packline's order record. Times become UTC; a bundle
// line item lists its combined_listing_skus as components (a count below
// 1 counts as 1); cancelled line items are kept and marked Cancelled. The
// warehouse fields (State, Rev, Pack…) are left zero for the caller.
func (o Order) Domain() order.Order {
	d := order.Order{
		ID:                 o.ID,
		WarehouseID:        o.WarehouseID,
		Status:             o.Status,
		FulfillmentType:    o.FulfillmentType,
		ShippingType:       o.ShippingType,
		DeliveryOption:     o.DeliveryOptionID,
		OnHold:             o.IsOnHoldOrder || o.Status == order.StatusOnHold,
		BuyerRequestCancel: o.IsBuyerRequestCancel,
		CreateTime:         o.CreateTime.Time(),
		PaidTime:           o.PaidTime.Time(),
		UpdateTime:         o.UpdateTime.Time(),
		RTSDeadline:        o.RTSSLATime.Time(),
		ShippingDue:        o.ShippingDueTime.Time(),
		Recipient:          o.RecipientAddress.recipient(),
		BuyerMessage:       o.BuyerMessage,
		SellerNote:         o.SellerNote,
	}
	if len(o.LineItems) > 0 {
		d.LineItems = make([]order.LineItem, 0, len(o.LineItems))
	}
	for _, li := range o.LineItems {
		dl := order.LineItem{
			ID:          li.ID,
			SKUID:       li.SKUID,
			SellerSKU:   li.SellerSKU,
			SKUName:     li.SKUName,
			ProductID:   li.ProductID,
			ProductName: li.ProductName,
			Gift:        li.IsGift,
			Hazmat:      li.IsDangerousGood,
			Cancelled:   li.Cancelled(),
		}
		for _, c := range li.CombinedListingSKUs {
			n := int(c.SKUCount)
			if n < 1 || int64(n) != int64(c.SKUCount) {
				n = 1
			}
			dl.Components = append(dl.Components, order.Component{SKUID: c.SKUID, SellerSKU: c.SellerSKU, ProductID: c.ProductID, Count: n})
		}
		d.LineItems = append(d.LineItems, dl)
	}
	d.Packages = o.PackageIDs()
	return d
}

// PackageIDs lists the order's package ids: order-level packages first,
// then any other package_id found on line items, without duplicates.
func (o Order) PackageIDs() []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, p := range o.Packages {
		add(p.ID)
	}
	for _, li := range o.LineItems {
		add(li.PackageID)
	}
	return ids
}

// recipient condenses the address to what the packer sees.
func (a Address) recipient() order.Recipient {
	r := order.Recipient{Name: a.Name, PostalCode: a.PostalCode, Country: a.RegionCode}
	if r.Name == "" {
		r.Name = strings.TrimSpace(a.FirstName + " " + a.LastName)
	}
	for _, di := range a.DistrictInfo {
		switch strings.ToLower(di.AddressLevelName) {
		case "city", "town":
			r.City = di.AddressName
		case "state", "province", "region":
			r.Region = di.AddressName
		case "country":
			if r.Country == "" {
				r.Country = di.AddressName
			}
		}
	}
	return r
}

// OrderQuery selects orders for SearchOrders. Zero fields are omitted.
type OrderQuery struct {
	// PageSize is 1–100 (0 means 100).
	PageSize  int
	PageToken string
	// SortField is create_time or update_time (default update_time).
	SortField string
	// SortOrder is ASC or DESC (default ASC).
	SortOrder          string
	Status             string
	WarehouseIDs       []string
	ShippingType       string
	BuyerUserID        string
	BuyerRequestCancel *bool
	CreateTimeGE       time.Time
	CreateTimeLT       time.Time
	UpdateTimeGE       time.Time
	UpdateTimeLT       time.Time
}

// orderSearchBody is the JSON body of Get Order List.
type orderSearchBody struct {
	OrderStatus          string   `json:"order_status,omitempty"`
	CreateTimeGE         int64    `json:"create_time_ge,omitempty"`
	CreateTimeLT         int64    `json:"create_time_lt,omitempty"`
	UpdateTimeGE         int64    `json:"update_time_ge,omitempty"`
	UpdateTimeLT         int64    `json:"update_time_lt,omitempty"`
	ShippingType         string   `json:"shipping_type,omitempty"`
	BuyerUserID          string   `json:"buyer_user_id,omitempty"`
	IsBuyerRequestCancel *bool    `json:"is_buyer_request_cancel,omitempty"`
	WarehouseIDs         []string `json:"warehouse_ids,omitempty"`
}

// OrderPage is one page of Get Order List. An empty NextPageToken means
// the last page.
type OrderPage struct {
	Orders        []Order `json:"orders"`
	NextPageToken string  `json:"next_page_token"`
	TotalCount    Int     `json:"total_count"`
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// SearchOrders fetches one page of orders (POST /order/202309/orders/search).
func (c *Client) SearchOrders(ctx context.Context, q OrderQuery) (OrderPage, error) {
	if q.PageSize == 0 {
		q.PageSize = MaxOrderPageSize
	}
	if q.PageSize < 1 || q.PageSize > MaxOrderPageSize {
		return OrderPage{}, fmt.Errorf("%w: order page size %d is outside 1–%d", ErrInvalidRequest, q.PageSize, MaxOrderPageSize)
	}
	if len(q.WarehouseIDs) > 100 {
		return OrderPage{}, fmt.Errorf("%w: %d warehouse ids, at most 100", ErrInvalidRequest, len(q.WarehouseIDs))
	}
	if q.SortField == "" {
		q.SortField = "update_time"
	}
	if q.SortOrder == "" {
		q.SortOrder = "ASC"
	}
	body, err := json.Marshal(orderSearchBody{
		OrderStatus:          q.Status,
		CreateTimeGE:         unixOrZero(q.CreateTimeGE),
		CreateTimeLT:         unixOrZero(q.CreateTimeLT),
		UpdateTimeGE:         unixOrZero(q.UpdateTimeGE),
		UpdateTimeLT:         unixOrZero(q.UpdateTimeLT),
		ShippingType:         q.ShippingType,
		BuyerUserID:          q.BuyerUserID,
		IsBuyerRequestCancel: q.BuyerRequestCancel,
		WarehouseIDs:         q.WarehouseIDs,
	})
	if err != nil {
		return OrderPage{}, fmt.Errorf("encoding order search: %w", err)
	}
	var page OrderPage
	err = c.do(ctx, request{method: "POST", path: pathOrderSearch, shop: true, body: body, query: url.Values{
		"page_size":  {strconv.Itoa(q.PageSize)},
		"page_token": {q.PageToken},
		"sort_field": {q.SortField},
		"sort_order": {q.SortOrder},
	}}, &page)
	if err != nil {
		return OrderPage{}, err
	}
	return page, nil
}

// WalkOrders calls fn with every page of orders matching q, following
// next_page_token until it is empty or absent. It stops at fn's first
// error and returns it. A page token that repeats is an error, so a
// misbehaving server cannot loop it forever.
func (c *Client) WalkOrders(ctx context.Context, q OrderQuery, fn func([]Order) error) error {
	seen := map[string]bool{}
	for {
		page, err := c.SearchOrders(ctx, q)
		if err != nil {
			return err
		}
		if len(page.Orders) > 0 {
			if err := fn(page.Orders); err != nil {
				return err
			}
		}
		if page.NextPageToken == "" {
			return nil
		}
		if seen[page.NextPageToken] {
			return fmt.Errorf("tiktok %s: next_page_token %q repeated: %w", pathOrderSearch, page.NextPageToken, ErrMalformed)
		}
		seen[page.NextPageToken] = true
		q.PageToken = page.NextPageToken
	}
}

// orderList is the data of Get Order Detail.
type orderList struct {
	Orders []Order `json:"orders"`
}

// OrderDetail fetches orders by id (GET /order/202309/orders?ids=…), 50 ids
// per call, in the order TikTok returns them. Ids TikTok does not know are
// simply absent from the result.
func (c *Client) OrderDetail(ctx context.Context, ids []string) ([]Order, error) {
	for _, id := range ids {
		if err := validID("order", id); err != nil {
			return nil, err
		}
	}
	var out []Order
	for start := 0; start < len(ids); start += MaxOrderDetailIDs {
		batch := ids[start:min(start+MaxOrderDetailIDs, len(ids))]
		var list orderList
		err := c.do(ctx, request{method: "GET", path: pathOrderDetail, shop: true,
			query: url.Values{"ids": {strings.Join(batch, ",")}}}, &list)
		if err != nil {
			return nil, err
		}
		out = append(out, list.Orders...)
	}
	return out, nil
}
