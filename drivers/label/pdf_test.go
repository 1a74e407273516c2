package label

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/boombuler/barcode/code128"
	"github.com/go-pdf/fpdf"
)

// testLabel describes a PDF made for a test.
type testLabel struct {
	tracking string
	// landscape makes a 148 x 105 mm page with the barcode along the long
	// side and a thick bar on the top edge.
	landscape bool
	// framed draws a frame 4 mm inside the page edges.
	framed bool
	// fullBleed draws a black frame on the very edges of the page.
	fullBleed bool
	// damaged paints a white band across the middle of the bars.
	damaged bool
	// pages adds blank-ish extra pages after the label.
	pages int
	// blank leaves page 1 empty.
	blank bool
	// second adds a second Code 128 barcode lower on the page.
	second string
	// password encrypts the PDF with a user password.
	password string
}

// makePDF builds an A6 shipping label PDF with a Code 128 barcode of the
// tracking number, modules 3 dots wide at 203 dpi.
func makePDF(t testing.TB, l testLabel) []byte {
	t.Helper()
	w, h := 105.0, 148.0
	orient := "P"
	if l.landscape {
		w, h = 148.0, 105.0
		orient = "L"
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{OrientationStr: orient, UnitStr: "mm", Size: fpdf.SizeType{Wd: 105, Ht: 148}})
	pdf.SetAutoPageBreak(false, 0)
	if l.password != "" {
		pdf.SetProtection(fpdf.CnProtectPrint, l.password, "owner-"+l.password)
	}
	pdf.AddPage()
	if !l.blank {
		drawLabel(t, pdf, l, w, h)
	}
	for i := 1; i < l.pages; i++ {
		pdf.AddPage()
		pdf.SetFont("Helvetica", "", 12)
		pdf.Text(10, 20, "Packing slip page")
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		t.Fatalf("make test pdf: %v", err)
	}
	return out.Bytes()
}

func drawLabel(t testing.TB, pdf *fpdf.Fpdf, l testLabel, w, h float64) {
	t.Helper()
	if l.fullBleed {
		pdf.SetFillColor(0, 0, 0)
		pdf.Rect(0, 0, w, 1.5, "F")
		pdf.Rect(0, h-1.5, w, 1.5, "F")
		pdf.Rect(0, 0, 1.5, h, "F")
		pdf.Rect(w-1.5, 0, 1.5, h, "F")
	}
	if l.framed {
		pdf.SetLineWidth(0.5)
		pdf.Rect(4, 4, w-8, h-8, "D")
	}
	if l.landscape {
		pdf.SetFillColor(0, 0, 0)
		pdf.Rect(5, 3, w-10, 8, "F")
	}
	pdf.SetFont("Helvetica", "B", 16)
	pdf.Text(8, 20, "TEST CARRIER GROUND")
	pdf.SetFont("Helvetica", "", 10)
	pdf.Text(8, 28, "SHIP TO: Jane Doe, 1 Main St, Springfield IL 62701")
	// A grey box to exercise the dither.
	pdf.SetFillColor(160, 160, 160)
	pdf.Rect(8, 32, 30, 12, "F")

	bx, by, bh, barsW := drawBarcode(t, pdf, "bars", l.tracking, w, 50, 25, l.landscape)
	if l.damaged {
		pdf.SetFillColor(255, 255, 255)
		// A band a third of the barcode wide, all the way down: no scan
		// line crosses a complete symbol.
		pdf.Rect(bx+barsW/3, by-1, barsW/3, bh+2, "F")
	}
	pdf.SetFont("Courier", "B", 12)
	pdf.Text(bx, by+bh+6, l.tracking)
	if l.second != "" {
		drawBarcode(t, pdf, "bars2", l.second, w, 100, 15, false)
	}
	pdf.SetFont("Helvetica", "", 8)
	pdf.Text(8, h-8, "Order 576460752303423488 - Package 1")
}

// drawBarcode draws text as Code 128 centred across a page w mm wide at
// height y, modules 3 dots of a 203 dpi printer wide.
func drawBarcode(t testing.TB, pdf *fpdf.Fpdf, name, text string, w, y, height float64, landscape bool) (bx, by, bh, barsW float64) {
	t.Helper()
	bc, err := code128.Encode(text)
	if err != nil {
		t.Fatalf("encode %q: %v", text, err)
	}
	modules := bc.Bounds().Dx()
	img := image.NewGray(image.Rect(0, 0, modules, 1))
	for x := 0; x < modules; x++ {
		img.SetGray(x, 0, color.GrayModel.Convert(bc.At(x, 0)).(color.Gray))
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	moduleMM := 3 * 25.4 / 203
	barsW = float64(modules) * moduleMM
	bx, by, bh = (w-barsW)/2, y, height
	if landscape {
		by, bh = 45, 22
	}
	opts := fpdf.ImageOptions{ImageType: "PNG"}
	pdf.RegisterImageOptionsReader(name, opts, &buf)
	pdf.ImageOptions(name, bx, by, barsW, bh, false, opts, 0, "")
	return bx, by, bh, barsW
}
