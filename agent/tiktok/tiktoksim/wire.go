package tiktoksim

// Wire types: the JSON shapes of the Open API 202309 as the simulator
// sends them. They are exported so tests and tools can read what the
// simulator holds (Sim.Order, Sim.Package) in the shape a client sees.

// Envelope is every response's outer object.
type Envelope struct {
	Code      int    `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id"`
	Data      any    `json:"data"`
}

// Order is an order as Get Order Detail and Get Order List return it.
type Order struct {
	ID                    string       `json:"id"`
	Status                string       `json:"status"`
	CreateTime            int64        `json:"create_time"`
	PaidTime              int64        `json:"paid_time,omitempty"`
	UpdateTime            int64        `json:"update_time"`
	OrderType             string       `json:"order_type"`
	IsOnHoldOrder         bool         `json:"is_on_hold_order"`
	IsReplacementOrder    bool         `json:"is_replacement_order"`
	IsExchangeOrder       bool         `json:"is_exchange_order"`
	IsSampleOrder         bool         `json:"is_sample_order"`
	FulfillmentType       string       `json:"fulfillment_type"`
	ShippingType          string       `json:"shipping_type"`
	WarehouseID           string       `json:"warehouse_id"`
	DeliveryOptionID      string       `json:"delivery_option_id"`
	DeliveryOptionName    string       `json:"delivery_option_name"`
	DeliveryType          string       `json:"delivery_type"`
	ShippingProviderID    string       `json:"shipping_provider_id,omitempty"`
	ShippingProvider      string       `json:"shipping_provider,omitempty"`
	TrackingNumber        string       `json:"tracking_number,omitempty"`
	Packages              []PackageRef `json:"packages,omitempty"`
	RTSSLATime            int64        `json:"rts_sla_time"`
	TTSSLATime            int64        `json:"tts_sla_time"`
	ShippingDueTime       int64        `json:"shipping_due_time"`
	CancelOrderSLATime    int64        `json:"cancel_order_sla_time,omitempty"`
	IsBuyerRequestCancel  bool         `json:"is_buyer_request_cancel"`
	RequestCancelTime     int64        `json:"request_cancel_time,omitempty"`
	CancelReason          string       `json:"cancel_reason,omitempty"`
	CancelTime            int64        `json:"cancel_time,omitempty"`
	CancellationInitiator string       `json:"cancellation_initiator,omitempty"`
	UserID                string       `json:"user_id"`
	BuyerMessage          string       `json:"buyer_message"`
	SellerNote            string       `json:"seller_note,omitempty"`
	RecipientAddress      *Address     `json:"recipient_address,omitempty"`
	Payment               Payment      `json:"payment"`
	LineItems             []LineItem   `json:"line_items"`
	SplitOrCombineTag     string       `json:"split_or_combine_tag,omitempty"`
}

// PackageRef names a package on an order.
type PackageRef struct {
	ID string `json:"id"`
}

// Payment is the order's money summary (strings, as TikTok sends them).
type Payment struct {
	Currency          string `json:"currency"`
	SubTotal          string `json:"sub_total"`
	ShippingFee       string `json:"shipping_fee"`
	Tax               string `json:"tax"`
	TotalAmount       string `json:"total_amount"`
	OriginalTotalProd string `json:"original_total_product_price"`
}

// Address is a recipient or warehouse address. Names and phone numbers of
// TikTok Shipping orders are desensitised.
type Address struct {
	Name         string         `json:"name,omitempty"`
	FirstName    string         `json:"first_name,omitempty"`
	LastName     string         `json:"last_name,omitempty"`
	PhoneNumber  string         `json:"phone_number,omitempty"`
	AddressLine1 string         `json:"address_line1"`
	AddressLine2 string         `json:"address_line2"`
	AddressLine3 string         `json:"address_line3"`
	AddressLine4 string         `json:"address_line4"`
	FullAddress  string         `json:"full_address"`
	PostalCode   string         `json:"postal_code"`
	RegionCode   string         `json:"region_code"`
	DistrictInfo []DistrictInfo `json:"district_info"`
}

// DistrictInfo is one level of an address (country, state, county, city).
type DistrictInfo struct {
	AddressLevelName string `json:"address_level_name"`
	AddressName      string `json:"address_name"`
	AddressLevel     string `json:"address_level"`
}

// LineItem is one unit of an order. A bundle line item lists its
// components in CombinedListingSKUs.
type LineItem struct {
	ID                  string        `json:"id"`
	SKUID               string        `json:"sku_id"`
	SellerSKU           string        `json:"seller_sku"`
	SKUName             string        `json:"sku_name"`
	SKUImage            string        `json:"sku_image"`
	SKUType             string        `json:"sku_type"`
	ProductID           string        `json:"product_id"`
	ProductName         string        `json:"product_name"`
	DisplayStatus       string        `json:"display_status"`
	PackageID           string        `json:"package_id,omitempty"`
	PackageStatus       string        `json:"package_status,omitempty"`
	TrackingNumber      string        `json:"tracking_number,omitempty"`
	ShippingProviderID  string        `json:"shipping_provider_id,omitempty"`
	ShippingProvider    string        `json:"shipping_provider_name,omitempty"`
	IsGift              bool          `json:"is_gift"`
	IsDangerousGood     bool          `json:"is_dangerous_good"`
	CancelUser          string        `json:"cancel_user,omitempty"`
	CancelReason        string        `json:"cancel_reason,omitempty"`
	Currency            string        `json:"currency"`
	OriginalPrice       string        `json:"original_price"`
	SalePrice           string        `json:"sale_price"`
	CombinedListingSKUs []CombinedSKU `json:"combined_listing_skus,omitempty"`
}

// CombinedSKU is one component of a virtual bundle.
type CombinedSKU struct {
	SKUID     string `json:"sku_id"`
	SellerSKU string `json:"seller_sku"`
	ProductID string `json:"product_id"`
	SKUCount  int    `json:"sku_count"`
}

// Weight is a decimal string with its unit (GRAM or POUND in fulfilment,
// KILOGRAM or POUND in products).
type Weight struct {
	Value string `json:"value"`
	Unit  string `json:"unit"`
}

// Dimension is length, width and height as decimal strings with a unit
// (CM or INCH in fulfilment, CENTIMETER or INCH in products).
type Dimension struct {
	Length string `json:"length"`
	Width  string `json:"width"`
	Height string `json:"height"`
	Unit   string `json:"unit"`
}

// ShippingServiceInfo is the service a label was bought on.
type ShippingServiceInfo struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	Price                string `json:"price"`
	Currency             string `json:"currency"`
	ShippingProviderID   string `json:"shipping_provider_id"`
	ShippingProviderName string `json:"shipping_provider_name"`
}

// Package is a package as Get Package Detail returns it.
type Package struct {
	PackageID            string              `json:"package_id"`
	PackageStatus        string              `json:"package_status"`
	PackageSubStatus     string              `json:"package_sub_status"`
	TrackingNumber       string              `json:"tracking_number"`
	ShippingProviderID   string              `json:"shipping_provider_id"`
	ShippingProviderName string              `json:"shipping_provider_name"`
	ShippingServiceInfo  ShippingServiceInfo `json:"shipping_service_info"`
	HandoverMethod       string              `json:"handover_method"`
	Weight               Weight              `json:"weight"`
	Dimension            *Dimension          `json:"dimension,omitempty"`
	Orders               []PackageOrder      `json:"orders"`
	OrderLineItemIDs     []string            `json:"order_line_item_ids"`
	SplitAndCombineTag   string              `json:"split_and_combine_tag"`
	RecipientAddress     *Address            `json:"recipient_address,omitempty"`
	CreateTime           int64               `json:"create_time"`
	UpdateTime           int64               `json:"update_time"`
}

// PackageOrder is an order inside a package, with its SKUs.
type PackageOrder struct {
	ID   string       `json:"id"`
	SKUs []PackageSKU `json:"skus"`
}

// PackageSKU is a SKU and how many of its units are in a package.
type PackageSKU struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
}
