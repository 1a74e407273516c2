// Package packing holds the pure logic of packing one order: what a scanned
// code means, whether a unit belongs in the box, whether the box weighs what
// it should, the weight to declare, and which state changes are legal. It does
// no I/O; the engine feeds it what the store and the devices say.
package packing

import (
	"strings"
)

// Code is a scanned code taken apart.
type Code struct {
	// Raw is the code as the scanner sent it.
	Raw string
	// Clean is Raw without surrounding space, the AIM symbology identifier
	// and GS1 group separators.
	Clean string
	// Symbology is the AIM identifier ("]C1", "]E0", ...) if one was sent.
	Symbology string
	// GTIN is the code as a GTIN-14 when it is a UPC-A, EAN-13, EAN-8 or
	// GTIN-14 with a valid check digit, or a GS1 string carrying (01).
	GTIN string
}

// groupSeparator is ASCII GS, which ends variable-length GS1 fields.
const groupSeparator = "\x1d"

// ParseCode strips what a scanner adds around a code and recognises GTINs.
func ParseCode(raw string) Code {
	c := Code{Raw: raw}
	s := strings.TrimSpace(raw)
	if len(s) >= 3 && s[0] == ']' && isAlpha(s[1]) && isAlnum(s[2]) {
		c.Symbology, s = s[:3], s[3:]
	}
	gs1 := c.Symbology == "]C1" || c.Symbology == "]e0" || c.Symbology == "]d2" || c.Symbology == "]Q3"
	if strings.HasPrefix(s, groupSeparator) {
		s = strings.TrimPrefix(s, groupSeparator)
		gs1 = true
	}
	switch {
	case strings.HasPrefix(s, "(01)"):
		if g, ok := gtinFrom(s[4:]); ok {
			c.GTIN = g
		}
	case gs1 && strings.HasPrefix(s, "01") && len(s) >= 16:
		if g, ok := gtinFrom(s[2:16]); ok {
			c.GTIN = g
		}
	}
	s = strings.ReplaceAll(s, groupSeparator, "")
	c.Clean = strings.TrimSpace(s)
	if c.GTIN == "" {
		c.GTIN, _ = GTIN14(c.Clean)
	}
	return c
}

// gtinFrom reads the 14 digits of an (01) field.
func gtinFrom(s string) (string, bool) {
	if len(s) < 14 {
		return "", false
	}
	return GTIN14(s[:14])
}

// GTIN14 normalises a UPC-A (12), EAN-13, EAN-8 or GTIN-14 to 14 digits after
// checking its mod-10 check digit, so that UPC-A 0xxxxxxxxxxx and EAN-13
// 00xxxxxxxxxxx compare equal.
func GTIN14(s string) (string, bool) {
	switch len(s) {
	case 8, 12, 13, 14:
	default:
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	if !validCheckDigit(s) {
		return "", false
	}
	return strings.Repeat("0", 14-len(s)) + s, true
}

// validCheckDigit checks the GS1 mod-10 check digit: weights 3 and 1
// alternate from the rightmost data digit.
func validCheckDigit(s string) bool {
	sum := 0
	n := len(s)
	for i := n - 2; i >= 0; i-- {
		d := int(s[i] - '0')
		if (n-2-i)%2 == 0 {
			d *= 3
		}
		sum += d
	}
	return (10-sum%10)%10 == int(s[n-1]-'0')
}

func isAlpha(b byte) bool { return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' }
func isAlnum(b byte) bool { return isAlpha(b) || b >= '0' && b <= '9' }
