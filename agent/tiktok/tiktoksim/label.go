package tiktoksim

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"time"

	"github.com/boombuler/barcode/code128"
	"github.com/go-pdf/fpdf"
)

// Label is what a shipping label shows. The simulator fills it from the
// package it sold the label for; tests and tools may build one directly.
type Label struct {
	TrackingNumber string
	Carrier        string
	Service        string
	OrderID        string
	PackageID      string
	// ShipTo and From are address lines, name first.
	ShipTo     []string
	From       []string
	WeightText string
	Created    time.Time
}

// Page geometry of an A6 label in millimetres.
const (
	labelWidthMM  = 105.0
	labelHeightMM = 148.0
	labelMarginMM = 4.0
	// dotMM is one dot of a 203 dpi thermal printer. Bar modules are a
	// whole number of dots wide so rasterising keeps every bar edge.
	dotMM = 25.4 / 203
	// minModuleDots is the narrowest module accepted: 3 dots ≈ 0.375 mm.
	minModuleDots = 3
	// maxModuleDots caps the module at 5 dots ≈ 0.63 mm.
	maxModuleDots = 5
	// quietModules is the quiet zone on each side of the bars, in modules.
	quietModules = 10
	// barcodePixelsPerModule is the embedded image's resolution; it is
	// scaled by a whole factor so every module has the same pixel width.
	barcodePixelsPerModule = 4
	barcodeHeightMM        = 28.0
)

// LabelPDF renders l as a one-page A6 (105 × 148 mm, portrait) PDF shipping
// label: carrier and service, ship-to and from blocks, a Code 128 barcode of
// the tracking number sized for a 203 dpi printer, the tracking number as
// text and a routing box. The same input always gives the same bytes.
func LabelPDF(l Label) ([]byte, error) {
	if strings.TrimSpace(l.TrackingNumber) == "" {
		return nil, errors.New("label pdf: tracking number is empty")
	}
	img, modules, err := barcodeImage(l.TrackingNumber)
	if err != nil {
		return nil, fmt.Errorf("label pdf: %w", err)
	}
	usable := labelWidthMM - 2*labelMarginMM
	dots := moduleDots(modules)
	if dots < minModuleDots {
		return nil, fmt.Errorf("label pdf: tracking number %q needs %d barcode modules, too many to print at least %.2f mm each on an A6 label; use a shorter tracking number", l.TrackingNumber, modules, minModuleDots*dotMM)
	}
	moduleMM := float64(dots) * dotMM

	var pngBuf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&pngBuf, img); err != nil {
		return nil, fmt.Errorf("label pdf: encode barcode: %w", err)
	}

	created := l.Created.UTC()
	if created.IsZero() {
		created = time.Unix(0, 0).UTC()
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{
		OrientationStr: "P",
		UnitStr:        "mm",
		Size:           fpdf.SizeType{Wd: labelWidthMM, Ht: labelHeightMM},
	})
	pdf.SetCreationDate(created)
	pdf.SetModificationDate(created)
	pdf.SetCatalogSort(true)
	pdf.SetProducer("Packline TikTok Shop simulator", false)
	pdf.SetTitle("Shipping label "+l.TrackingNumber, false)
	pdf.SetMargins(labelMarginMM, labelMarginMM, labelMarginMM)
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	tr := pdf.UnicodeTranslatorFromDescriptor("")
	txt := func(s string) string { return tr(s) }

	x0, w := labelMarginMM, usable
	pdf.SetLineWidth(0.5)
	pdf.Rect(x0, labelMarginMM, w, labelHeightMM-2*labelMarginMM, "D")

	// Header: carrier and service, inverted band.
	y := labelMarginMM
	pdf.SetFillColor(0, 0, 0)
	pdf.Rect(x0, y, w, 12, "F")
	pdf.SetTextColor(255, 255, 255)
	pdf.SetFont("Helvetica", "B", 16)
	pdf.SetXY(x0+2, y+1)
	pdf.CellFormat(w-4, 6, txt(strings.ToUpper(orDefault(l.Carrier, "TIKTOK SHIPPING"))), "", 0, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 9)
	pdf.SetXY(x0+2, y+7)
	pdf.CellFormat(w-4, 4, txt(orDefault(l.Service, "Standard")), "", 0, "L", false, 0, "")
	pdf.SetTextColor(0, 0, 0)
	y += 12

	// From block (small) and routing box side by side.
	pdf.SetLineWidth(0.3)
	fromW := w - 30
	pdf.SetFont("Helvetica", "B", 6)
	pdf.SetXY(x0+2, y+1.5)
	pdf.CellFormat(fromW-4, 3, "FROM", "", 2, "L", false, 0, "")
	pdf.SetFont("Helvetica", "", 7)
	for i, line := range l.From {
		if i == 5 {
			break
		}
		pdf.SetX(x0 + 2)
		pdf.CellFormat(fromW-4, 3.2, fit(pdf, txt(line), fromW-4), "", 2, "L", false, 0, "")
	}
	routeX := x0 + fromW
	pdf.Rect(routeX, y+1.5, 28, 20, "D")
	pdf.SetFont("Helvetica", "B", 18)
	pdf.SetXY(routeX, y+3)
	pdf.CellFormat(28, 9, routingCode(l), "", 2, "C", false, 0, "")
	pdf.SetFont("Helvetica", "", 6)
	pdf.SetX(routeX)
	pdf.CellFormat(28, 3, "ROUTE", "", 2, "C", false, 0, "")
	pdf.SetX(routeX)
	pdf.CellFormat(28, 3, txt(orDefault(l.WeightText, "")), "", 2, "C", false, 0, "")
	y += 23
	pdf.Line(x0, y, x0+w, y)

	// Ship-to block.
	pdf.SetFont("Helvetica", "B", 7)
	pdf.SetXY(x0+2, y+1.5)
	pdf.CellFormat(w-4, 3.5, "SHIP TO", "", 2, "L", false, 0, "")
	for i, line := range l.ShipTo {
		if i == 6 {
			break
		}
		style := ""
		if i == 0 {
			style = "B"
		}
		pdf.SetFont("Helvetica", style, 11)
		pdf.SetX(x0 + 4)
		pdf.CellFormat(w-8, 5, fit(pdf, txt(line), w-8), "", 2, "L", false, 0, "")
	}
	y += 36
	pdf.SetLineWidth(0.8)
	pdf.Line(x0, y, x0+w, y)
	pdf.SetLineWidth(0.3)

	// Barcode: whole module widths, centred, with its quiet zone.
	pdf.SetFont("Helvetica", "B", 8)
	pdf.SetXY(x0+2, y+1.5)
	pdf.CellFormat(w-4, 4, "TRACKING #", "", 2, "L", false, 0, "")
	y += 6
	barsW := float64(modules+2*quietModules) * moduleMM
	bx := x0 + (w-barsW)/2
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader("barcode", opts, &pngBuf)
	pdf.ImageOptions("barcode", bx, y, barsW, barcodeHeightMM, false, opts, 0, "")
	y += barcodeHeightMM + 1
	pdf.SetFont("Courier", "B", 12)
	pdf.SetXY(x0, y)
	pdf.CellFormat(w, 6, txt(groupDigits(l.TrackingNumber)), "", 2, "C", false, 0, "")
	y += 8
	pdf.SetLineWidth(0.8)
	pdf.Line(x0, y, x0+w, y)
	pdf.SetLineWidth(0.3)

	// Footer: references.
	pdf.SetFont("Helvetica", "", 7)
	pdf.SetXY(x0+2, y+1.5)
	for _, line := range []string{
		"Order: " + l.OrderID,
		"Package: " + l.PackageID,
		"Weight: " + l.WeightText,
		"Created: " + created.Format("2006-01-02 15:04 MST"),
	} {
		pdf.SetX(x0 + 2)
		pdf.CellFormat(w-4, 3.4, fit(pdf, txt(line), w-4), "", 2, "L", false, 0, "")
	}

	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("label pdf: %w", err)
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		return nil, fmt.Errorf("label pdf: %w", err)
	}
	return out.Bytes(), nil
}

// moduleDots is the widest whole number of 203 dpi dots per module (at most
// maxModuleDots) that fits a symbol of the given modules and its quiet zones
// on the label.
func moduleDots(modules int) int {
	usable := labelWidthMM - 2*labelMarginMM
	return min(maxModuleDots, int(usable/(float64(modules+2*quietModules)*dotMM)))
}

// barcodeImage encodes tracking as Code 128 and returns a grayscale image
// with a quiet zone, barcodePixelsPerModule pixels per module, and the
// number of modules in the symbol (without the quiet zone).
func barcodeImage(tracking string) (*image.Gray, int, error) {
	bc, err := code128.Encode(tracking)
	if err != nil {
		return nil, 0, fmt.Errorf("encode tracking number %q as code 128: %w", tracking, err)
	}
	modules := bc.Bounds().Dx()
	// The image is stretched to barcodeHeightMM on the page; a few rows
	// are enough and keep rendering cheap.
	const heightPx = 16
	k := barcodePixelsPerModule
	wPx := (modules + 2*quietModules) * k
	img := image.NewGray(image.Rect(0, 0, wPx, heightPx))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	b := bc.Bounds()
	// Nearest-neighbour scaling: every module becomes exactly k pixels.
	for m := 0; m < modules; m++ {
		if color.GrayModel.Convert(bc.At(b.Min.X+m, b.Min.Y)).(color.Gray).Y >= 128 {
			continue
		}
		for x := (quietModules + m) * k; x < (quietModules+m+1)*k; x++ {
			for yy := 0; yy < heightPx; yy++ {
				img.Pix[yy*img.Stride+x] = 0
			}
		}
	}
	return img, modules, nil
}

// routingCode is a short sort code for the routing box: the first three
// digits of the ship-to postal code (the last line holding digits).
func routingCode(l Label) string {
	for i := len(l.ShipTo) - 1; i >= 0; i-- {
		var digits []byte
		for _, c := range []byte(l.ShipTo[i]) {
			if c >= '0' && c <= '9' {
				digits = append(digits, c)
			}
		}
		if len(digits) >= 3 {
			return string(digits[:3])
		}
	}
	return "---"
}

// groupDigits splits s in groups of four for reading aloud.
func groupDigits(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// fit shortens s (already translated to the font's code page) until it fits w.
func fit(pdf *fpdf.Fpdf, s string, w float64) string {
	for len(s) > 0 && pdf.GetStringWidth(s) > w {
		s = s[:len(s)-1]
	}
	return s
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
