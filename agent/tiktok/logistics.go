package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/packline/packline/agent/order"
)

// Warehouse is one of the seller's warehouses.
type Warehouse struct {
	ID           string `json:"id"`
	Name         string `json:"name"`
	Type         string `json:"type"`
	EffectStatus string `json:"effect_status,omitempty"`
	IsDefault    bool   `json:"is_default"`
}

// Warehouses lists the seller's warehouses (GET /logistics/202309/warehouses).
func (c *Client) Warehouses(ctx context.Context) ([]Warehouse, error) {
	var d warehouseList
	if err := c.do(ctx, request{method: "GET", path: "/logistics/202309/warehouses", shop: true}, &d); err != nil {
		return nil, err
	}
	return d.Warehouses, nil
}

// WeightLimit bounds the declared weight of a delivery option.
type WeightLimit struct {
	MinWeight Decimal `json:"min_weight"`
	MaxWeight Decimal `json:"max_weight"`
	// Unit is GRAM or POUND.
	Unit string `json:"unit"`
}

// weightBound is the syntax of a weight limit bound: a plain non-negative
// decimal, with a modest exponent at most (no fractions, hex or
// underscores, which the mass parser would otherwise accept).
var weightBound = regexp.MustCompile(`^\+?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})?$`)

// Range converts the limit to masses; an absent bound is 0. A negative or
// malformed bound, or a minimum above the maximum, is an error.
func (l WeightLimit) Range() (lo, hi order.Mass, err error) {
	unit := map[string]string{"GRAM": "g", "POUND": "lb", "KILOGRAM": "kg"}[strings.ToUpper(l.Unit)]
	if unit == "" {
		return 0, 0, fmt.Errorf("weight limit unit %q (want GRAM or POUND)", l.Unit)
	}
	parse := func(name string, v Decimal) (order.Mass, error) {
		if v == "" {
			return 0, nil
		}
		if !weightBound.MatchString(string(v)) {
			return 0, fmt.Errorf("%s %q is not a non-negative decimal", name, string(v))
		}
		m, err := order.ParseMass(string(v), unit)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return m, nil
	}
	if lo, err = parse("min_weight", l.MinWeight); err != nil {
		return 0, 0, err
	}
	if hi, err = parse("max_weight", l.MaxWeight); err != nil {
		return 0, 0, err
	}
	if hi > 0 && lo > hi {
		return 0, 0, fmt.Errorf("min_weight %s is above max_weight %s %s", l.MinWeight, l.MaxWeight, l.Unit)
	}
	return lo, hi, nil
}

// Check reports whether m is inside the limit, with a sentence for the
// packer when it is not.
func (l WeightLimit) Check(m order.Mass) error {
	lo, hi, err := l.Range()
	if err != nil {
		return err
	}
	if lo > 0 && m < lo {
		return fmt.Errorf("weight %v is below the delivery option's minimum %s %s", m, l.MinWeight, l.Unit)
	}
	if hi > 0 && m > hi {
		return fmt.Errorf("weight %v is above the delivery option's maximum %s %s", m, l.MaxWeight, l.Unit)
	}
	return nil
}

// DimensionLimit bounds the declared size of a delivery option.
type DimensionLimit struct {
	MaxLength Decimal `json:"max_length"`
	MaxWidth  Decimal `json:"max_width"`
	MaxHeight Decimal `json:"max_height"`
	// Unit is CM or INCH.
	Unit string `json:"unit"`
}

// DeliveryOption is a warehouse delivery option with its limits.
type DeliveryOption struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Type           string          `json:"type"`
	WeightLimit    *WeightLimit    `json:"weight_limit,omitempty"`
	DimensionLimit *DimensionLimit `json:"dimension_limit,omitempty"`
}

// DeliveryOptions lists a warehouse's delivery options (GET
// /logistics/202309/warehouses/{id}/delivery_options).
func (c *Client) DeliveryOptions(ctx context.Context, warehouseID string) ([]DeliveryOption, error) {
	if err := validID("warehouse", warehouseID); err != nil {
		return nil, err
	}
	var d deliveryOptionList
	path := "/logistics/202309/warehouses/" + warehouseID + "/delivery_options"
	if err := c.do(ctx, request{method: "GET", path: path, shop: true}, &d); err != nil {
		return nil, err
	}
	return d.DeliveryOptions, nil
}

// ShippingServiceOption is an eligible shipping service with its
// estimated price.
type ShippingServiceOption struct {
	ID                   string  `json:"id"`
	Name                 string  `json:"name"`
	Price                Decimal `json:"price"`
	Currency             string  `json:"currency"`
	IsDefault            bool    `json:"is_default"`
	ShippingProviderID   string  `json:"shipping_provider_id"`
	ShippingProviderName string  `json:"shipping_provider_name"`
	EarliestDeliveryDays Int     `json:"earliest_delivery_days"`
	LatestDeliveryDays   Int     `json:"latest_delivery_days"`
}

// ShippingServices asks which services can carry the given line items at
// the given weight and size (POST
// /fulfillment/202309/orders/{id}/shipping_services/query). It buys nothing.
func (c *Client) ShippingServices(ctx context.Context, r CreatePackageRequest) ([]ShippingServiceOption, error) {
	if err := r.Validate(); err != nil {
		return nil, err
	}
	body, err := json.Marshal(struct {
		OrderLineItemIDs []string   `json:"order_line_item_ids"`
		Weight           Weight     `json:"weight"`
		Dimension        *Dimension `json:"dimension,omitempty"`
	}{r.LineItemIDs, r.Weight, r.Dimension})
	if err != nil {
		return nil, fmt.Errorf("encoding shipping service query: %w", err)
	}
	var d shippingServiceList
	path := "/fulfillment/202309/orders/" + r.OrderID + "/shipping_services/query"
	if err := c.do(ctx, request{method: "POST", path: path, shop: true, body: body}, &d); err != nil {
		return nil, err
	}
	return d.ShippingServices, nil
}

// warehouseList is the data of Get Warehouse List.
type warehouseList struct {
	Warehouses []Warehouse `json:"warehouses"`
}

// deliveryOptionList is the data of Get Warehouse Delivery Options.
type deliveryOptionList struct {
	DeliveryOptions []DeliveryOption `json:"delivery_options"`
}

// shippingServiceList is the data of Get Eligible Shipping Service.
type shippingServiceList struct {
	ShippingServices []ShippingServiceOption `json:"shipping_services"`
}
