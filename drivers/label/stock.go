package label

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Spec says what the printer needs: its resolution and the label stock.
type Spec struct {
	// DPI is the print head resolution: 203 (8 dots/mm), 300 (12 dots/mm)
	// or 600 (24 dots/mm).
	DPI int
	// Stock is the label size: "WxH" in inches ("4x6", the default, "4x4",
	// "2.25x1.25"), "WxHmm" in millimetres ("100x150mm") or an ISO name
	// ("A6", "A5", "A7").
	Stock string
}

// DefaultStock is the stock used when Spec.Stock is empty.
const DefaultStock = "4x6"

// dotsPerInch returns the number of dots per inch the canvas is laid out at
// for a nominal head resolution. The 300 dpi class is laid out at exactly
// 1.5 times the 203 dpi grid, so a 4x6 canvas is 812x1218 at 203 dpi and
// 1218x1827 at 300 dpi, the sizes the printers are programmed with.
func dotsPerInch(dpi int) (float64, error) {
	switch dpi {
	case 203:
		return 203, nil
	case 300:
		return 304.5, nil
	case 600:
		return 609, nil
	}
	return 0, fmt.Errorf("printer resolution %d dpi is not supported: use 203, 300 or 600", dpi)
}

// isoStock returns the portrait size in millimetres of an ISO A stock
// name.
func isoStock(name string) (w, h float64, ok bool) {
	switch strings.ToUpper(name) {
	case "A5":
		return 148, 210, true
	case "A6":
		return 105, 148, true
	case "A7":
		return 74, 105, true
	}
	return 0, 0, false
}

// stockInches parses a stock name into width and height in inches.
func stockInches(stock string) (w, h float64, err error) {
	s := strings.TrimSpace(stock)
	if s == "" {
		s = DefaultStock
	}
	if wmm, hmm, ok := isoStock(s); ok {
		return wmm / 25.4, hmm / 25.4, nil
	}
	unit := 1.0
	lower := strings.ToLower(s)
	switch {
	case strings.HasSuffix(lower, "mm"):
		unit = 1 / 25.4
		lower = strings.TrimSuffix(lower, "mm")
	case strings.HasSuffix(lower, "in"):
		lower = strings.TrimSuffix(lower, "in")
	}
	ws, hs, ok := strings.Cut(lower, "x")
	if !ok {
		return 0, 0, fmt.Errorf("label stock %q: want WxH in inches (\"4x6\"), WxHmm (\"100x150mm\") or A5/A6/A7", stock)
	}
	w, errW := strconv.ParseFloat(strings.TrimSpace(ws), 64)
	h, errH := strconv.ParseFloat(strings.TrimSpace(hs), 64)
	if errW != nil || errH != nil {
		return 0, 0, fmt.Errorf("label stock %q: width and height must be numbers, as in \"4x6\" or \"100x150mm\"", stock)
	}
	w, h = w*unit, h*unit
	// Thermal stock runs from about half an inch up to 8.5 x 14 inches.
	if !(w >= 0.25 && h >= 0.25 && w <= 12 && h <= 24) {
		return 0, 0, fmt.Errorf("label stock %q is %.2fx%.2f in: each side must be between 0.25 and 12 (width) or 24 (height) inches", stock, w, h)
	}
	return w, h, nil
}

// Canvas returns the printable size in dots of spec's stock at spec's
// resolution: the size of every bitmap Render returns for that spec.
func (spec Spec) Canvas() (width, height int, err error) {
	dpi, err := dotsPerInch(spec.DPI)
	if err != nil {
		return 0, 0, err
	}
	w, h, err := stockInches(spec.Stock)
	if err != nil {
		return 0, 0, err
	}
	// Nearest whole dot: 4x6 and friends are exact, A6 is 839x1183 at 203
	// dpi, the size PDFium renders the page at.
	return int(math.Round(w * dpi)), int(math.Round(h * dpi)), nil
}
