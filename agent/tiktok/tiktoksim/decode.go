package tiktoksim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/packline/packline/agent/order"
)

// searchOrdersReq is the body of Get Order List.
type searchOrdersReq struct {
	OrderStatus          string   `json:"order_status"`
	CreateTimeGE         int64    `json:"create_time_ge"`
	CreateTimeLT         int64    `json:"create_time_lt"`
	UpdateTimeGE         int64    `json:"update_time_ge"`
	UpdateTimeLT         int64    `json:"update_time_lt"`
	ShippingType         string   `json:"shipping_type"`
	BuyerUserID          string   `json:"buyer_user_id"`
	IsBuyerRequestCancel *bool    `json:"is_buyer_request_cancel"`
	WarehouseIDs         []string `json:"warehouse_ids"`
}

var orderStatuses = map[string]bool{
	"UNPAID": true, StatusOnHold: true, StatusAwaitingShipment: true, StatusPartiallyShipping: true,
	StatusAwaitingCollection: true, StatusInTransit: true, "DELIVERED": true, "COMPLETED": true, StatusCancelled: true,
}

// decodeJSON decodes a JSON object body strictly enough to explain type
// mistakes, ignoring unknown fields as TikTok does. An empty body is {}.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fmt.Errorf("field %q must be a JSON %s, got %s", te.Field, jsonKind(te.Type.Kind().String()), te.Value)
		}
		return fmt.Errorf("body is not valid JSON: %v", err)
	}
	if dec.More() {
		return errors.New("body has data after the JSON object")
	}
	return nil
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "int64", "int", "int32":
		return "integer (Unix seconds)"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "struct", "map", "ptr":
		return "object"
	}
	return k
}

// decodeSearchOrders parses and validates a Get Order List body.
func decodeSearchOrders(body []byte) (searchOrdersReq, error) {
	var req searchOrdersReq
	if err := decodeJSON(body, &req); err != nil {
		return req, err
	}
	if req.OrderStatus != "" && !orderStatuses[req.OrderStatus] {
		return req, fmt.Errorf("order_status %q is not a TikTok order status (e.g. AWAITING_SHIPMENT)", req.OrderStatus)
	}
	switch req.ShippingType {
	case "", "TIKTOK", "SELLER", "TIKTOK_DIGITAL":
	default:
		return req, fmt.Errorf("shipping_type %q is unknown: use TIKTOK, SELLER or TIKTOK_DIGITAL", req.ShippingType)
	}
	if len(req.WarehouseIDs) > 100 {
		return req, fmt.Errorf("warehouse_ids has %d entries, at most 100 are allowed", len(req.WarehouseIDs))
	}
	for _, t := range []int64{req.CreateTimeGE, req.CreateTimeLT, req.UpdateTimeGE, req.UpdateTimeLT} {
		if t < 0 {
			return req, errors.New("time filters are Unix seconds and cannot be negative")
		}
		if t > 1e11 {
			return req, fmt.Errorf("time filter %d looks like milliseconds: send Unix seconds", t)
		}
	}
	return req, nil
}

// searchPackagesReq is the body of Search Package.
type searchPackagesReq struct {
	CreateTimeGE  int64  `json:"create_time_ge"`
	CreateTimeLT  int64  `json:"create_time_lt"`
	UpdateTimeGE  int64  `json:"update_time_ge"`
	UpdateTimeLT  int64  `json:"update_time_lt"`
	PackageStatus string `json:"package_status"`
}

func decodeSearchPackages(body []byte) (searchPackagesReq, error) {
	var req searchPackagesReq
	if err := decodeJSON(body, &req); err != nil {
		return req, err
	}
	switch req.PackageStatus {
	case "", "TO FULFILL", "PROCESSING", "FULFILLING", "COMPLETED", "CANCELLED":
	default:
		return req, fmt.Errorf("package_status %q is unknown: use PROCESSING, FULFILLING, COMPLETED, CANCELLED or \"TO FULFILL\"", req.PackageStatus)
	}
	return req, nil
}

// createPackageReq is a validated Create Packages body.
type createPackageReq struct {
	OrderID           string
	LineItemIDs       []string
	ShippingServiceID string
	Weight            Weight
	Mass              order.Mass
	Dimension         *Dimension
}

type createPackageBody struct {
	OrderID          string   `json:"order_id"`
	OrderLineItemIDs []string `json:"order_line_item_ids"`
	OrderLineList    []struct {
		OrderLineID string `json:"order_line_id"`
		SubItemID   string `json:"sub_item_id"`
	} `json:"order_line_list"`
	ShippingServiceID string     `json:"shipping_service_id"`
	Weight            *Weight    `json:"weight"`
	Dimension         *Dimension `json:"dimension"`
}

var decimalRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)

// maxPackageMass is the heaviest package TikTok Shipping takes (150 lb).
const maxPackageMass = 150 * order.Pound

// decodeCreatePackage parses and validates a Create Packages body.
func decodeCreatePackage(body []byte) (createPackageReq, error) {
	var b createPackageBody
	var req createPackageReq
	if err := decodeJSON(body, &b); err != nil {
		return req, err
	}
	req.OrderID = strings.TrimSpace(b.OrderID)
	if req.OrderID == "" {
		return req, errors.New("order_id is required")
	}
	seen := map[string]bool{}
	add := func(id string) error {
		if id == "" {
			return errors.New("order line item ids cannot be empty strings")
		}
		if seen[id] {
			return fmt.Errorf("order line item %s is listed twice", id)
		}
		seen[id] = true
		req.LineItemIDs = append(req.LineItemIDs, id)
		return nil
	}
	for _, id := range b.OrderLineItemIDs {
		if err := add(id); err != nil {
			return req, err
		}
	}
	for _, l := range b.OrderLineList {
		if err := add(l.OrderLineID); err != nil {
			return req, err
		}
	}
	if len(req.LineItemIDs) == 0 {
		return req, errors.New("order_line_item_ids is required: list the line items going into the package")
	}
	req.ShippingServiceID = b.ShippingServiceID
	if b.Weight == nil {
		return req, errors.New(`weight is required: {"value": "1.25", "unit": "POUND"}`)
	}
	w := *b.Weight
	var maxDec int
	switch w.Unit {
	case "GRAM":
		maxDec = 0
	case "POUND":
		maxDec = 2
	case "KILOGRAM", "OUNCE", "KG", "LB", "G":
		return req, fmt.Errorf("weight.unit %q is not accepted here: fulfilment takes GRAM or POUND (products use KILOGRAM; convert it)", w.Unit)
	default:
		return req, fmt.Errorf("weight.unit %q is unknown: use GRAM or POUND", w.Unit)
	}
	if !decimalRE.MatchString(w.Value) {
		return req, fmt.Errorf("weight.value %q must be a positive decimal string such as \"1.25\"", w.Value)
	}
	if i := strings.IndexByte(w.Value, '.'); i >= 0 && len(w.Value)-i-1 > maxDec {
		return req, fmt.Errorf("weight.value %q has too many decimals: %s takes at most %d", w.Value, w.Unit, maxDec)
	}
	m, err := order.ParseMass(w.Value, w.Unit)
	if err != nil {
		return req, fmt.Errorf("weight.value %q: %v", w.Value, err)
	}
	if m <= 0 {
		return req, fmt.Errorf("weight.value %q must be greater than zero", w.Value)
	}
	if m > maxPackageMass {
		return req, fmt.Errorf("weight %s %s is over the 150 lb limit of TikTok Shipping", w.Value, w.Unit)
	}
	req.Weight, req.Mass = w, m
	if d := b.Dimension; d != nil {
		if d.Length == "" || d.Width == "" || d.Height == "" {
			return req, errors.New("dimension needs length, width and height together")
		}
		var maxSide float64
		switch d.Unit {
		case "INCH":
			maxSide = 108
		case "CM":
			maxSide = 274
		case "CENTIMETER":
			return req, errors.New(`dimension.unit "CENTIMETER" is the products spelling: fulfilment takes CM or INCH`)
		default:
			return req, fmt.Errorf("dimension.unit %q is unknown: use CM or INCH", d.Unit)
		}
		for _, v := range []struct{ name, val string }{{"length", d.Length}, {"width", d.Width}, {"height", d.Height}} {
			if !decimalRE.MatchString(v.val) {
				return req, fmt.Errorf("dimension.%s %q must be a positive decimal string such as \"10\"", v.name, v.val)
			}
			var f float64
			if _, err := fmt.Sscanf(v.val, "%g", &f); err != nil || f <= 0 || f > maxSide {
				return req, fmt.Errorf("dimension.%s %q must be above 0 and at most %g %s", v.name, v.val, maxSide, d.Unit)
			}
		}
		dd := *d
		req.Dimension = &dd
	}
	return req, nil
}
