package packing

import (
	"errors"
	"fmt"
	"strings"

	"github.com/packline/packline/agent/order"
)

// ErrUnknownCode means a scanned code matched no item, box or order. The
// errors that match it read as a sentence for the packer, without it.
var ErrUnknownCode = errors.New("unknown code")

// unknownCode is an error matching ErrUnknownCode whose text is msg alone.
type unknownCode struct{ msg string }

func (e unknownCode) Error() string        { return e.msg }
func (e unknownCode) Is(target error) bool { return target == ErrUnknownCode }

// BarcodeFunc looks a code up in the barcode map (configured codes and the
// catalogue's GTINs). It reports the SKU id and how many units one scan
// counts.
type BarcodeFunc func(code string) (skuID string, units int, ok bool)

// Resolver turns scans into items and boxes. The zero value knows no
// barcodes and no boxes.
type Resolver struct {
	Barcode BarcodeFunc
	Boxes   map[string]order.Box
}

// Match is an item scan resolved to a SKU.
type Match struct {
	Code  Code
	SKUID string
	// Units is how many units the scan counts (case packs count more).
	Units int
	// Via says how the code was resolved: "barcode", "sku_id",
	// "seller_sku" or "gtin".
	Via string
}

// Box returns the box with the scanned code, if it is one.
func (r Resolver) Box(raw string) (order.Box, bool) {
	c := ParseCode(raw)
	b, ok := r.Boxes[c.Clean]
	if !ok {
		for code, bx := range r.Boxes {
			if strings.EqualFold(code, c.Clean) {
				return bx, true
			}
		}
	}
	return b, ok
}

// Item resolves an item code against o, in this order: the barcode map, the
// exact sku_id, the seller_sku, then the code normalised as a GTIN-14 (looked
// up in the barcode map and compared with seller SKUs that are GTINs). A code
// that resolves to a SKU not on o is still returned: Scan reports it as the
// wrong item.
func (r Resolver) Item(o *order.Order, raw string) (Match, error) {
	c := ParseCode(raw)
	if c.Clean == "" {
		return Match{Code: c}, unknownCode{"empty scan: scan the barcode again"}
	}
	lookup := func(code string) (string, int, bool) {
		if r.Barcode == nil || code == "" {
			return "", 0, false
		}
		sku, units, ok := r.Barcode(code)
		if units < 1 {
			units = 1
		}
		return sku, units, ok && sku != ""
	}
	if sku, units, ok := lookup(c.Clean); ok {
		return Match{Code: c, SKUID: sku, Units: units, Via: "barcode"}, nil
	}
	items := o.Items()
	for _, it := range items {
		if it.SKUID == c.Clean {
			return Match{Code: c, SKUID: it.SKUID, Units: 1, Via: "sku_id"}, nil
		}
	}
	for _, it := range items {
		if it.SellerSKU != "" && strings.EqualFold(it.SellerSKU, c.Clean) {
			return Match{Code: c, SKUID: it.SKUID, Units: 1, Via: "seller_sku"}, nil
		}
	}
	if c.GTIN != "" {
		if sku, units, ok := lookup(c.GTIN); ok {
			return Match{Code: c, SKUID: sku, Units: units, Via: "gtin"}, nil
		}
		for _, it := range items {
			if g, ok := GTIN14(it.SellerSKU); ok && g == c.GTIN {
				return Match{Code: c, SKUID: it.SKUID, Units: 1, Via: "gtin"}, nil
			}
		}
	}
	return Match{Code: c}, unknownCode{fmt.Sprintf("%q is not an item, box or order this station knows: check the barcode or add it to the catalogue", c.Clean)}
}
