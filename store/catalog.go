package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/packline/packline/agent/order"
)

// PutDocument stores a document (a label PDF, a rendered preview) under key.
func (tx *Tx) PutDocument(key string, b []byte) error {
	d, err := tx.bucket([]byte(bDocuments))
	if err != nil {
		return err
	}
	if key == "" {
		return errors.New("storing a document: key is empty")
	}
	if err := d.Put([]byte(key), b); err != nil {
		return fmt.Errorf("storing document %s: %w", key, err)
	}
	return nil
}

// Document returns a copy of the document stored under key, or an error
// that is ErrNotFound.
func (tx *Tx) Document(key string) ([]byte, error) {
	d, err := tx.bucket([]byte(bDocuments))
	if err != nil {
		return nil, err
	}
	v := d.Get([]byte(key))
	if v == nil {
		return nil, fmt.Errorf("document %q: %w", key, ErrNotFound)
	}
	return append([]byte(nil), v...), nil
}

// DeleteDocument removes a document; deleting a missing one is not an error.
func (tx *Tx) DeleteDocument(key string) error {
	d, err := tx.bucket([]byte(bDocuments))
	if err != nil {
		return err
	}
	return d.Delete([]byte(key))
}

// PutProduct stores a catalogue product.
func (tx *Tx) PutProduct(p order.Product) error {
	b, err := tx.bucket([]byte(bProducts))
	if err != nil {
		return err
	}
	if err := validID("product", p.ID); err != nil {
		return fmt.Errorf("storing product: %w", err)
	}
	v, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encoding product %s: %w", p.ID, err)
	}
	return b.Put([]byte(p.ID), v)
}

// Product returns a catalogue product, or an error that is ErrNotFound.
func (tx *Tx) Product(id string) (order.Product, error) {
	b, err := tx.bucket([]byte(bProducts))
	if err != nil {
		return order.Product{}, err
	}
	v := b.Get([]byte(id))
	if v == nil {
		return order.Product{}, fmt.Errorf("product %q: %w", id, ErrNotFound)
	}
	var p order.Product
	if err := json.Unmarshal(v, &p); err != nil {
		return order.Product{}, fmt.Errorf("%w: product %q cannot be decoded: %v", ErrCorrupt, id, err)
	}
	return p, nil
}

// barcode is a stored barcode mapping.
type barcode struct {
	SKUID string `json:"sku_id"`
	Units int    `json:"units"`
}

// NormalizeCode turns a scanned code into its store key. Digit-only codes of
// 8, 12, 13 or 14 digits are GTINs (EAN-8, UPC-A, EAN-13, GTIN-14): their
// check digit is verified and they become a 14-digit GTIN, so UPC-A
// 012345678905 and EAN-13 0012345678905 are the same product. Other codes
// are kept as scanned, minus surrounding spaces and control characters
// (scanner suffixes such as CR, LF or tab).
func NormalizeCode(code string) (string, error) {
	c := strings.TrimFunc(code, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	if c == "" {
		return "", errors.New("the barcode is empty: scan it again")
	}
	if len(c) > 128 {
		return "", fmt.Errorf("the barcode is %d characters long; at most 128 are accepted", len(c))
	}
	if strings.IndexFunc(c, func(r rune) bool { return r == 0 || r == unicode.ReplacementChar }) >= 0 {
		return "", fmt.Errorf("the barcode %q contains unreadable characters: scan it again", c)
	}
	digits := strings.IndexFunc(c, func(r rune) bool { return r < '0' || r > '9' }) < 0
	if !digits {
		return c, nil
	}
	switch len(c) {
	case 8, 12, 13, 14:
	default:
		return c, nil
	}
	want := gtinCheckDigit(c[:len(c)-1])
	if got := c[len(c)-1]; got != want {
		return "", fmt.Errorf("barcode %s looks like a %d-digit GTIN but its check digit is %c, not %c: it was misread or mistyped; scan it again", c, len(c), got, want)
	}
	return strings.Repeat("0", 14-len(c)) + c, nil
}

// gtinCheckDigit computes the GS1 mod-10 check digit of the digits before it.
func gtinCheckDigit(body string) byte {
	sum := 0
	for i := 0; i < len(body); i++ {
		d := int(body[len(body)-1-i] - '0')
		if i%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return byte('0' + (10-sum%10)%10)
}

// PutBarcode maps a barcode to a SKU and how many units one scan counts
// (a case of 6 scans as 6). The code is normalised with NormalizeCode.
func (tx *Tx) PutBarcode(code, skuID string, units int) error {
	b, err := tx.bucket([]byte(bBarcodes))
	if err != nil {
		return err
	}
	key, err := NormalizeCode(code)
	if err != nil {
		return err
	}
	if skuID == "" {
		return fmt.Errorf("barcode %s: the SKU id is empty", key)
	}
	if units < 1 {
		return fmt.Errorf("barcode %s: units must be at least 1, not %d", key, units)
	}
	v, err := json.Marshal(barcode{SKUID: skuID, Units: units})
	if err != nil {
		return err
	}
	return b.Put([]byte(key), v)
}

// LookupBarcode returns the SKU and units of a scanned code, or an error that
// is ErrNotFound (or a NormalizeCode error for a misread GTIN).
func (tx *Tx) LookupBarcode(code string) (skuID string, units int, err error) {
	b, err := tx.bucket([]byte(bBarcodes))
	if err != nil {
		return "", 0, err
	}
	key, err := NormalizeCode(code)
	if err != nil {
		return "", 0, err
	}
	v := b.Get([]byte(key))
	if v == nil {
		return "", 0, fmt.Errorf("barcode %s: %w", key, ErrNotFound)
	}
	var bc barcode
	if err := json.Unmarshal(v, &bc); err != nil {
		return "", 0, fmt.Errorf("%w: barcode %s cannot be decoded: %v", ErrCorrupt, key, err)
	}
	return bc.SKUID, bc.Units, nil
}

// SetMeta stores v, JSON-encoded, under key: the intake cursor, tokens,
// settings.
func (tx *Tx) SetMeta(key string, v any) error {
	b, err := tx.bucket([]byte(bSettings))
	if err != nil {
		return err
	}
	if key == "" {
		return errors.New("setting a value: key is empty")
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding %s: %w", key, err)
	}
	return b.Put([]byte(key), raw)
}

// Meta decodes the value stored under key into v and reports whether there
// was one.
func (tx *Tx) Meta(key string, v any) (bool, error) {
	b, err := tx.bucket([]byte(bSettings))
	if err != nil {
		return false, err
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("%w: setting %s cannot be decoded: %v", ErrCorrupt, key, err)
	}
	return true, nil
}

// DeleteMeta removes the value stored under key.
func (tx *Tx) DeleteMeta(key string) error {
	b, err := tx.bucket([]byte(bSettings))
	if err != nil {
		return err
	}
	return b.Delete([]byte(key))
}
