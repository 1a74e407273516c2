package tiktok

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/packline/packline/agent/order"
)

// productData is the part of Get Product Detail Packline reads.
type productData struct {
	ID                string             `json:"id"`
	Title             string             `json:"title"`
	Status            string             `json:"status"`
	ProductTypes      []string           `json:"product_types"`
	PackageWeight     *productWeight     `json:"package_weight"`
	PackageDimensions *productDimensions `json:"package_dimensions"`
	SKUs              []productSKU       `json:"skus"`
}

// productSKU is one SKU of a product with the code printed on it.
type productSKU struct {
	ID             string `json:"id"`
	SellerSKU      string `json:"seller_sku"`
	IdentifierCode *struct {
		Code string `json:"code"`
		Type string `json:"type"`
	} `json:"identifier_code"`
}

type productWeight struct {
	Value Decimal `json:"value"`
	Unit  string  `json:"unit"`
}

type productDimensions struct {
	Length Decimal `json:"length"`
	Width  Decimal `json:"width"`
	Height Decimal `json:"height"`
	Unit   string  `json:"unit"`
}

// productMassUnit maps catalogue weight units to order.ParseMass units.
func productMassUnit(u string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(u)) {
	case "KILOGRAM":
		return "kg", nil
	case "GRAM":
		return "g", nil
	case "POUND":
		return "lb", nil
	}
	return "", fmt.Errorf("unknown package_weight unit %q (want KILOGRAM, GRAM or POUND)", u)
}

// productDimUnit maps catalogue dimension units to fulfilment units (CM,
// INCH), the units boxes are declared in.
func productDimUnit(u string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(u)) {
	case "CENTIMETER", "CM":
		return "CM", nil
	case "INCH":
		return "INCH", nil
	}
	return "", fmt.Errorf("unknown package_dimensions unit %q (want CENTIMETER or INCH)", u)
}

// domain converts the product; now stamps FetchedAt.
func (p productData) domain(id string, now time.Time) (order.Product, error) {
	if p.ID == "" {
		p.ID = id
	}
	out := order.Product{ID: p.ID, FetchedAt: now.UTC()}
	if d := p.PackageDimensions; d != nil && d.Length != "" && d.Width != "" && d.Height != "" {
		du, err := productDimUnit(d.Unit)
		if err != nil {
			return order.Product{}, fmt.Errorf("product %s: %w", p.ID, err)
		}
		out.Length, out.Width, out.Height, out.DimUnit = string(d.Length), string(d.Width), string(d.Height), du
	}
	for _, sku := range p.SKUs {
		if sku.ID == "" || sku.IdentifierCode == nil || strings.TrimSpace(sku.IdentifierCode.Code) == "" {
			continue
		}
		if out.Barcodes == nil {
			out.Barcodes = map[string]string{}
		}
		out.Barcodes[strings.TrimSpace(sku.IdentifierCode.Code)] = sku.ID
	}
	// Without a weight the rest of the product is still returned, so its
	// barcodes can be scanned while the weight stays unknown.
	if p.PackageWeight == nil || p.PackageWeight.Value == "" {
		return out, fmt.Errorf("product %s: %w", p.ID, ErrNoWeight)
	}
	unit, err := productMassUnit(p.PackageWeight.Unit)
	if err != nil {
		return order.Product{}, fmt.Errorf("product %s: %w", p.ID, err)
	}
	m, err := order.ParseMass(string(p.PackageWeight.Value), unit)
	if err != nil {
		return order.Product{}, fmt.Errorf("product %s package_weight: %w", p.ID, err)
	}
	if m <= 0 {
		return out, fmt.Errorf("product %s: package_weight %q is not positive: %w", p.ID, p.PackageWeight.Value, ErrNoWeight)
	}
	out.Weight = m
	return out, nil
}

// decodeProduct decodes Get Product Detail data into a product.
func decodeProduct(data []byte, id string, now time.Time) (order.Product, error) {
	var p productData
	if err := json.Unmarshal(data, &p); err != nil {
		return order.Product{}, fmt.Errorf("decoding product %s: %w", id, err)
	}
	return p.domain(id, now)
}

// Product returns a product's catalogue package weight and dimensions (GET
// /product/202309/products/{id}), cached in memory for ProductTTL. A
// product without a package weight is an error wrapping ErrNoWeight,
// returned with the rest of the product (its dimensions and barcodes, no
// weight); a product that no longer exists is an error wrapping ErrNotFound.
func (c *Client) Product(ctx context.Context, id string) (order.Product, error) {
	if err := validID("product", id); err != nil {
		return order.Product{}, err
	}
	now := c.now()
	if c.productTTL > 0 {
		c.prodMu.Lock()
		e, ok := c.products[id]
		c.prodMu.Unlock()
		if ok && now.Before(e.expires) {
			return e.p, nil
		}
	}
	var p productData
	path := "/product/202309/products/" + id
	if err := c.do(ctx, request{method: "GET", path: path, shop: true}, &p); err != nil {
		return order.Product{}, err
	}
	out, err := p.domain(id, now)
	if err != nil {
		return out, fmt.Errorf("tiktok %s: %w", path, err)
	}
	if c.productTTL > 0 {
		c.prodMu.Lock()
		for k, e := range c.products {
			if !now.Before(e.expires) {
				delete(c.products, k)
			}
		}
		c.products[id] = cachedProduct{p: out, expires: now.Add(c.productTTL)}
		c.prodMu.Unlock()
	}
	return out, nil
}
