package tiktok

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Fulfilment paths and limits.
const (
	pathPackages        = "/fulfillment/202309/packages"
	pathPackageSearch   = "/fulfillment/202309/packages/search"
	MaxPackagePageSize  = 50
	DocShippingLabel    = "SHIPPING_LABEL"
	DocPackingSlip      = "PACKING_SLIP"
	DocLabelAndSlip     = "SHIPPING_LABEL_AND_PACKING_SLIP"
	DocHazmatLabel      = "HAZMAT_LABEL"
	DocSizeA6           = "A6"
	DocSizeA5           = "A5"
	maxDecimalStringLen = 16
)

// Weight is a declared package weight: Value is a decimal string, Unit is
// GRAM or POUND.
type Weight struct {
	Value string `json:"value"`
	Unit  string `json:"unit"`
}

// UnmarshalJSON accepts the value as a string or a number.
func (w *Weight) UnmarshalJSON(b []byte) error {
	var raw struct {
		Value Decimal `json:"value"`
		Unit  string  `json:"unit"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("weight: %w", err)
	}
	w.Value, w.Unit = string(raw.Value), raw.Unit
	return nil
}

// Dimension is a declared package size: decimal strings in CM or INCH.
type Dimension struct {
	Length string `json:"length"`
	Width  string `json:"width"`
	Height string `json:"height"`
	Unit   string `json:"unit"`
}

// UnmarshalJSON accepts the values as strings or numbers.
func (d *Dimension) UnmarshalJSON(b []byte) error {
	var raw struct {
		Length Decimal `json:"length"`
		Width  Decimal `json:"width"`
		Height Decimal `json:"height"`
		Unit   string  `json:"unit"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("dimension: %w", err)
	}
	d.Length, d.Width, d.Height, d.Unit = string(raw.Length), string(raw.Width), string(raw.Height), raw.Unit
	return nil
}

var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// checkPositiveDecimal validates a decimal string sent to TikTok.
func checkPositiveDecimal(name, v string) error {
	if len(v) > maxDecimalStringLen || !decimalRE.MatchString(v) {
		return fmt.Errorf("%s %q is not a plain decimal number like \"1.25\"", name, v)
	}
	if f, err := strconv.ParseFloat(v, 64); err != nil || f <= 0 {
		return fmt.Errorf("%s %q must be greater than zero", name, v)
	}
	return nil
}

// Validate checks w for Create Packages.
func (w Weight) Validate() error {
	if w.Unit != "GRAM" && w.Unit != "POUND" {
		return fmt.Errorf("weight unit %q must be GRAM or POUND", w.Unit)
	}
	return checkPositiveDecimal("weight", w.Value)
}

// Validate checks d for Create Packages: all three sides, in CM or INCH.
func (d Dimension) Validate() error {
	if d.Unit != "CM" && d.Unit != "INCH" {
		return fmt.Errorf("dimension unit %q must be CM or INCH", d.Unit)
	}
	for _, s := range [][2]string{{"length", d.Length}, {"width", d.Width}, {"height", d.Height}} {
		if err := checkPositiveDecimal(s[0], s[1]); err != nil {
			return err
		}
	}
	return nil
}

// CreatePackageRequest buys a TikTok Shipping label for line items of one
// order with the measured weight and, optionally, dimensions.
type CreatePackageRequest struct {
	OrderID     string
	LineItemIDs []string
	// ShippingServiceID is optional; TikTok picks its default when empty.
	ShippingServiceID string
	Weight            Weight
	Dimension         *Dimension
}

// Validate checks r before anything is sent.
func (r CreatePackageRequest) Validate() error {
	if err := validID("order", r.OrderID); err != nil {
		return err
	}
	if len(r.LineItemIDs) == 0 {
		return fmt.Errorf("%w: no line item ids for order %s", ErrInvalidRequest, r.OrderID)
	}
	seen := map[string]bool{}
	for _, id := range r.LineItemIDs {
		if err := validID("line item", id); err != nil {
			return err
		}
		if seen[id] {
			return fmt.Errorf("%w: line item %s listed twice", ErrInvalidRequest, id)
		}
		seen[id] = true
	}
	if err := r.Weight.Validate(); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
	}
	if r.Dimension != nil {
		if err := r.Dimension.Validate(); err != nil {
			return fmt.Errorf("%w: %w", ErrInvalidRequest, err)
		}
	}
	return nil
}

// createPackageBody is the JSON body of Create Packages.
type createPackageBody struct {
	OrderID           string     `json:"order_id"`
	OrderLineItemIDs  []string   `json:"order_line_item_ids"`
	ShippingServiceID string     `json:"shipping_service_id,omitempty"`
	Weight            Weight     `json:"weight"`
	Dimension         *Dimension `json:"dimension,omitempty"`
}

// ShippingService is the service a package ships with.
type ShippingService struct {
	ID                   string `json:"id"`
	Name                 string `json:"name"`
	Price                string `json:"price,omitempty"`
	Currency             string `json:"currency,omitempty"`
	ShippingProviderID   string `json:"shipping_provider_id,omitempty"`
	ShippingProviderName string `json:"shipping_provider_name,omitempty"`
}

// UnmarshalJSON accepts the price as a string or a number.
func (s *ShippingService) UnmarshalJSON(b []byte) error {
	type plain ShippingService
	var raw struct {
		plain
		Price Decimal `json:"price"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("shipping service: %w", err)
	}
	*s = ShippingService(raw.plain)
	s.Price = string(raw.Price)
	return nil
}

// Package is the answer of Create Packages: the label was bought.
type Package struct {
	PackageID           string          `json:"package_id"`
	OrderID             string          `json:"order_id"`
	OrderLineItemIDs    []string        `json:"order_line_item_ids"`
	CreateTime          Unix            `json:"create_time"`
	Weight              Weight          `json:"weight"`
	Dimension           *Dimension      `json:"dimension,omitempty"`
	ShippingServiceInfo ShippingService `json:"shipping_service_info"`
}

// CreatePackage buys the label (POST /fulfillment/202309/packages). It is
// not idempotent upstream, so it is retried automatically only when the
// request certainly did not reach TikTok (no connection could be made) or
// TikTok refused it before processing (rate limit, expired token). Any
// other doubtful outcome — a timeout, a reset, a 5xx, an unreadable answer
// — returns an error satisfying errors.Is(err, ErrUnclear): read the
// order's packages (OrderPackages) before trying again.
func (c *Client) CreatePackage(ctx context.Context, r CreatePackageRequest) (Package, error) {
	if err := r.Validate(); err != nil {
		return Package{}, err
	}
	body, err := json.Marshal(createPackageBody{
		OrderID: r.OrderID, OrderLineItemIDs: r.LineItemIDs, ShippingServiceID: r.ShippingServiceID,
		Weight: r.Weight, Dimension: r.Dimension,
	})
	if err != nil {
		return Package{}, fmt.Errorf("encoding create packages: %w", err)
	}
	var p Package
	if err := c.do(ctx, request{method: "POST", path: pathPackages, shop: true, body: body, once: true}, &p); err != nil {
		return Package{}, fmt.Errorf("creating package for order %s: %w", r.OrderID, err)
	}
	if p.PackageID == "" {
		return Package{}, fmt.Errorf("creating package for order %s: %w: success answer without package_id", r.OrderID, ErrUnclear)
	}
	if p.OrderID == "" {
		p.OrderID = r.OrderID
	}
	return p, nil
}

// Document is a label document's temporary URL and tracking number.
type Document struct {
	DocURL         string `json:"doc_url"`
	TrackingNumber string `json:"tracking_number"`
}

// ShippingDocument asks for a package's document (GET
// /fulfillment/202309/packages/{id}/shipping_documents). docType defaults
// to SHIPPING_LABEL and size to A6. The URL is short-lived: Download it at
// once.
func (c *Client) ShippingDocument(ctx context.Context, packageID, docType, size string) (Document, error) {
	if err := validID("package", packageID); err != nil {
		return Document{}, err
	}
	if docType == "" {
		docType = DocShippingLabel
	}
	if size == "" {
		size = DocSizeA6
	}
	switch docType {
	case DocShippingLabel, DocPackingSlip, DocLabelAndSlip, DocHazmatLabel:
	default:
		return Document{}, fmt.Errorf("%w: document type %q (want %s, %s, %s or %s)", ErrInvalidRequest, docType, DocShippingLabel, DocPackingSlip, DocLabelAndSlip, DocHazmatLabel)
	}
	if size != DocSizeA6 && size != DocSizeA5 {
		return Document{}, fmt.Errorf("%w: document size %q (want A6 or A5)", ErrInvalidRequest, size)
	}
	path := pathPackages + "/" + packageID + "/shipping_documents"
	var d Document
	err := c.do(ctx, request{method: "GET", path: path, shop: true, query: url.Values{
		"document_type": {docType}, "document_size": {size},
	}}, &d)
	if err != nil {
		return Document{}, err
	}
	if d.DocURL == "" {
		return Document{}, fmt.Errorf("tiktok %s: %w: no doc_url (the label is only available after shipping is arranged and before handover)", path, ErrMalformed)
	}
	return d, nil
}

// Download fetches a document URL from ShippingDocument and checks that it
// is a PDF of at most MaxDocumentBytes. The URL is presigned: no token is
// sent. An expired URL gives an error wrapping ErrDocumentExpired.
func (c *Client) Download(ctx context.Context, docURL string) ([]byte, error) {
	u, err := url.Parse(docURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: document URL is not an http(s) URL", ErrInvalidRequest)
	}
	where := "document " + u.Host + u.Path
	for n := 0; ; n++ {
		b, retryAfter, err := c.downloadOnce(ctx, docURL, where)
		if err == nil {
			return b, nil
		}
		if ctx.Err() != nil || !(errors.Is(err, ErrServer) || errors.Is(err, ErrRateLimited) || errors.Is(err, errNetwork)) {
			return nil, err
		}
		if n+1 >= c.retry.MaxAttempts || retryAfter > c.retry.Cap {
			return nil, err
		}
		delay := max(c.retry.backoff(n), retryAfter)
		c.log.LogAttrs(ctx, slog.LevelWarn, "tiktok document download failed, retrying",
			slog.String("host", u.Host), slog.Int("attempt", n+1), slog.Duration("delay", delay), slog.String("error", err.Error()))
		if serr := c.retry.Sleep(ctx, delay); serr != nil {
			return nil, fmt.Errorf("%w (gave up waiting to retry: %w)", err, serr)
		}
	}
}

// errNetwork marks transport failures of a download, which are retried.
var errNetwork = errors.New("network error")

// downloadOnce makes one attempt of Download.
func (c *Client) downloadOnce(ctx context.Context, docURL, where string) ([]byte, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", docURL, nil)
	if err != nil {
		return nil, 0, fmt.Errorf("%s: %w", where, err)
	}
	req.Header.Set("Accept", "application/pdf")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("downloading %s: %w: %w", where, errNetwork, stripURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode < 300 && resp.ContentLength > c.maxDoc {
		return nil, 0, fmt.Errorf("downloading %s: document of %d bytes is larger than %d bytes; refusing it", where, resp.ContentLength, c.maxDoc)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, c.maxDoc+1))
	if err != nil {
		return nil, 0, fmt.Errorf("downloading %s: %w: %w", where, errNetwork, stripURL(err))
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		ra := parseRetryAfter(resp.Header, c.now())
		return nil, ra, fmt.Errorf("downloading %s: HTTP 429: %w", where, ErrRateLimited)
	case resp.StatusCode >= 500:
		return nil, 0, fmt.Errorf("downloading %s: HTTP %d: %w", where, resp.StatusCode, ErrServer)
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusGone ||
		(resp.StatusCode >= 400 && bytes.Contains(bytes.ToLower(b), []byte("expired"))):
		return nil, 0, fmt.Errorf("downloading %s: HTTP %d: %w", where, resp.StatusCode, ErrDocumentExpired)
	case resp.StatusCode >= 300:
		return nil, 0, fmt.Errorf("downloading %s: unexpected HTTP %d: %s", where, resp.StatusCode, snippet(b, resp.Header.Get("Content-Type")))
	}
	if int64(len(b)) > c.maxDoc {
		return nil, 0, fmt.Errorf("downloading %s: document larger than %d bytes; refusing it", where, c.maxDoc)
	}
	if !bytes.HasPrefix(b, []byte("%PDF")) {
		if bytes.Contains(bytes.ToLower(b[:min(len(b), 4096)]), []byte("expired")) {
			return nil, 0, fmt.Errorf("downloading %s: %w", where, ErrDocumentExpired)
		}
		return nil, 0, fmt.Errorf("downloading %s: %w: got %s", where, ErrNotPDF, snippet(b, resp.Header.Get("Content-Type")))
	}
	return b, 0, nil
}

// PackageOrder is an order inside a package.
type PackageOrder struct {
	ID   string       `json:"id"`
	SKUs []PackageSKU `json:"skus,omitempty"`
}

// PackageSKU is a SKU inside a package's order.
type PackageSKU struct {
	ID       string `json:"id"`
	Name     string `json:"name,omitempty"`
	ImageURL string `json:"image_url,omitempty"`
	Quantity Int    `json:"quantity,omitempty"`
}

// PackageDetail is Get Package Detail's answer.
type PackageDetail struct {
	PackageID            string         `json:"package_id"`
	PackageStatus        string         `json:"package_status"`
	PackageSubStatus     string         `json:"package_sub_status,omitempty"`
	TrackingNumber       string         `json:"tracking_number,omitempty"`
	ShippingProviderID   string         `json:"shipping_provider_id,omitempty"`
	ShippingProviderName string         `json:"shipping_provider_name,omitempty"`
	HandoverMethod       string         `json:"handover_method,omitempty"`
	Weight               Weight         `json:"weight"`
	Dimension            *Dimension     `json:"dimension,omitempty"`
	Orders               []PackageOrder `json:"orders,omitempty"`
	OrderLineItemIDs     []string       `json:"order_line_item_ids,omitempty"`
	SplitAndCombineTag   string         `json:"split_and_combine_tag,omitempty"`
	RecipientAddress     Address        `json:"recipient_address"`
	CreateTime           Unix           `json:"create_time"`
	UpdateTime           Unix           `json:"update_time"`
}

// Cancelled reports whether the package is cancelled.
func (p PackageDetail) Cancelled() bool { return strings.EqualFold(p.PackageStatus, "CANCELLED") }

// PackageDetail reads one package (GET /fulfillment/202309/packages/{id}).
func (c *Client) PackageDetail(ctx context.Context, id string) (PackageDetail, error) {
	if err := validID("package", id); err != nil {
		return PackageDetail{}, err
	}
	var p PackageDetail
	if err := c.do(ctx, request{method: "GET", path: pathPackages + "/" + id, shop: true}, &p); err != nil {
		return PackageDetail{}, err
	}
	if p.PackageID == "" {
		p.PackageID = id
	}
	return p, nil
}

// PackageQuery selects packages for SearchPackages. Zero fields are
// omitted.
type PackageQuery struct {
	// PageSize is 1–50 (0 means 50).
	PageSize  int
	PageToken string
	// SortField is create_time, update_time or order_pay_time.
	SortField     string
	SortOrder     string
	PackageStatus string
	CreateTimeGE  time.Time
	CreateTimeLT  time.Time
	UpdateTimeGE  time.Time
	UpdateTimeLT  time.Time
}

// PackageSummary is one package of Search Package.
type PackageSummary struct {
	ID                   string         `json:"id"`
	Status               string         `json:"status"`
	TrackingNumber       string         `json:"tracking_number,omitempty"`
	ShippingProviderID   string         `json:"shipping_provider_id,omitempty"`
	ShippingProviderName string         `json:"shipping_provider_name,omitempty"`
	OrderLineItemIDs     []string       `json:"order_line_item_ids,omitempty"`
	Orders               []PackageOrder `json:"orders,omitempty"`
	CreateTime           Unix           `json:"create_time"`
	UpdateTime           Unix           `json:"update_time"`
}

// PackagePage is one page of Search Package; an empty NextPageToken means
// the last page.
type PackagePage struct {
	Packages      []PackageSummary `json:"packages"`
	NextPageToken string           `json:"next_page_token"`
	TotalCount    Int              `json:"total_count"`
}

// SearchPackages fetches one page of packages (POST
// /fulfillment/202309/packages/search).
func (c *Client) SearchPackages(ctx context.Context, q PackageQuery) (PackagePage, error) {
	if q.PageSize == 0 {
		q.PageSize = MaxPackagePageSize
	}
	if q.PageSize < 1 || q.PageSize > MaxPackagePageSize {
		return PackagePage{}, fmt.Errorf("%w: package page size %d is outside 1–%d", ErrInvalidRequest, q.PageSize, MaxPackagePageSize)
	}
	body, err := json.Marshal(struct {
		CreateTimeGE  int64  `json:"create_time_ge,omitempty"`
		CreateTimeLT  int64  `json:"create_time_lt,omitempty"`
		UpdateTimeGE  int64  `json:"update_time_ge,omitempty"`
		UpdateTimeLT  int64  `json:"update_time_lt,omitempty"`
		PackageStatus string `json:"package_status,omitempty"`
	}{unixOrZero(q.CreateTimeGE), unixOrZero(q.CreateTimeLT), unixOrZero(q.UpdateTimeGE), unixOrZero(q.UpdateTimeLT), q.PackageStatus})
	if err != nil {
		return PackagePage{}, fmt.Errorf("encoding package search: %w", err)
	}
	var page PackagePage
	err = c.do(ctx, request{method: "POST", path: pathPackageSearch, shop: true, body: body, query: url.Values{
		"page_size":  {strconv.Itoa(q.PageSize)},
		"page_token": {q.PageToken},
		"sort_field": {q.SortField},
		"sort_order": {q.SortOrder},
	}}, &page)
	if err != nil {
		return PackagePage{}, err
	}
	return page, nil
}

// maxReconcilePages bounds the Search Package pages OrderPackages reads
// (50 packages each) since the order was created.
const maxReconcilePages = 100

// OrderPackages lists an order's packages from two sources, so that after
// an unclear CreatePackage the caller can tell whether a label was bought
// even while one of them lags: Get Order Detail (order-level packages[] and
// line-item package_id, each read with Get Package Detail) and Search
// Package over the packages created since the order was, newest first,
// kept when they name the order. A package either shows is returned once.
// An order TikTok does not know is an error wrapping ErrNotFound; a search
// that does not finish is an error, never an empty answer.
func (c *Client) OrderPackages(ctx context.Context, orderID string) ([]PackageDetail, error) {
	orders, err := c.OrderDetail(ctx, []string{orderID})
	if err != nil {
		return nil, fmt.Errorf("reading packages of order %s: %w", orderID, err)
	}
	var o *Order
	for i := range orders {
		if orders[i].ID == orderID {
			o = &orders[i]
		}
	}
	if o == nil {
		return nil, fmt.Errorf("reading packages of order %s: order %w upstream", orderID, ErrNotFound)
	}
	var out []PackageDetail
	seen := map[string]bool{}
	for _, id := range o.PackageIDs() {
		p, err := c.PackageDetail(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("reading packages of order %s: %w", orderID, err)
		}
		seen[p.PackageID] = true
		out = append(out, p)
	}
	found, err := c.searchOrderPackages(ctx, orderID, o.CreateTime.Time())
	if err != nil {
		return nil, fmt.Errorf("searching packages of order %s: %w", orderID, err)
	}
	for _, p := range found {
		if !seen[p.PackageID] {
			seen[p.PackageID] = true
			out = append(out, p)
		}
	}
	return out, nil
}

// searchOrderPackages pages through Search Package for the packages created
// since since that name orderID. Search Package has no order filter, so the
// orders of each package are matched here.
func (c *Client) searchOrderPackages(ctx context.Context, orderID string, since time.Time) ([]PackageDetail, error) {
	q := PackageQuery{SortField: "create_time", SortOrder: "DESC"}
	if !since.IsZero() {
		// A package cannot be older than its order; a minute allows for
		// clocks that disagree.
		q.CreateTimeGE = since.Add(-time.Minute)
	}
	var out []PackageDetail
	for range maxReconcilePages {
		page, err := c.SearchPackages(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, p := range page.Packages {
			if !packageOfOrder(p, orderID) {
				continue
			}
			out = append(out, PackageDetail{PackageID: p.ID, PackageStatus: p.Status, TrackingNumber: p.TrackingNumber,
				ShippingProviderID: p.ShippingProviderID, ShippingProviderName: p.ShippingProviderName,
				Orders: p.Orders, OrderLineItemIDs: p.OrderLineItemIDs, CreateTime: p.CreateTime, UpdateTime: p.UpdateTime})
		}
		if page.NextPageToken == "" || page.NextPageToken == q.PageToken {
			return out, nil
		}
		q.PageToken = page.NextPageToken
	}
	return nil, fmt.Errorf("%w: more than %d pages of packages since the order was created", ErrUnclear, maxReconcilePages)
}

// packageOfOrder reports whether a searched package belongs to the order.
func packageOfOrder(p PackageSummary, orderID string) bool {
	for _, o := range p.Orders {
		if o.ID == orderID {
			return true
		}
	}
	return false
}
