package tiktoksim

import (
	"bytes"
	"image"
	"image/draw"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
)

func testLabel() Label {
	return Label{
		TrackingNumber: "9400111899223197428490",
		Carrier:        "USPS",
		Service:        "Ground Advantage",
		OrderID:        "576461413038785752",
		PackageID:      "1152921504606846976",
		ShipTo:         []string{"J***n D***e", "1200 Commerce St", "Dallas, TX 75202", "US"},
		From:           []string{"Packline Demo Warehouse", "400 Industrial Pkwy", "Reno, NV 89502"},
		WeightText:     "1.25 POUND",
		Created:        time.Date(2026, 3, 2, 15, 4, 5, 0, time.UTC),
	}
}

func decodeCode128(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("binary bitmap: %v", err)
	}
	res, err := oned.NewCode128Reader().Decode(bmp, map[gozxing.DecodeHintType]interface{}{gozxing.DecodeHintType_PURE_BARCODE: true})
	if err != nil {
		t.Fatalf("decode code 128: %v", err)
	}
	return res.GetText()
}

func TestBarcodeImageDecodes(t *testing.T) {
	for _, tn := range []string{"9400111899223197428490", "TT0123456789US", "1Z999AA10123456784", "794612345678"} {
		img, modules, err := barcodeImage(tn)
		if err != nil {
			t.Fatalf("barcodeImage(%q): %v", tn, err)
		}
		if got, want := img.Bounds().Dx(), (modules+2*quietModules)*barcodePixelsPerModule; got != want {
			t.Errorf("%q: image width %d px, want %d (whole modules)", tn, got, want)
		}
		if tn == "9400111899223197428490" && moduleDots(modules) < 4 {
			t.Errorf("USPS tracking number prints at %d dots per module, want at least 4 (0.5 mm)", moduleDots(modules))
		}
		if moduleDots(modules) < minModuleDots {
			t.Errorf("%q prints at %d dots per module", tn, moduleDots(modules))
		}
		if got := decodeCode128(t, img); got != tn {
			t.Errorf("barcode decodes to %q, want %q", got, tn)
		}
	}
}

func TestLabelPDFDeterministicAndValid(t *testing.T) {
	a, err := LabelPDF(testLabel())
	if err != nil {
		t.Fatal(err)
	}
	b, err := LabelPDF(testLabel())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Fatalf("label does not start with %%PDF-: %q", a[:min(len(a), 16)])
	}
	if !bytes.Contains(a[len(a)-32:], []byte("%%EOF")) {
		t.Errorf("label does not end with %%%%EOF")
	}
	if !bytes.Equal(a, b) {
		t.Errorf("two renderings of the same label differ (%d vs %d bytes)", len(a), len(b))
	}
	other := testLabel()
	other.TrackingNumber = "9400111899223197428491"
	c, err := LabelPDF(other)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Errorf("labels for different tracking numbers are identical")
	}
}

func TestLabelPDFRejectsBadInput(t *testing.T) {
	if _, err := LabelPDF(Label{}); err == nil || !strings.Contains(err.Error(), "tracking number is empty") {
		t.Errorf("empty tracking number: err = %v", err)
	}
	if _, err := LabelPDF(Label{TrackingNumber: "tracking\x80"}); err == nil {
		t.Errorf("non-ASCII tracking number: no error")
	}
	long := Label{TrackingNumber: strings.Repeat("AB", 40)}
	if _, err := LabelPDF(long); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Errorf("overlong tracking number: err = %v", err)
	}
}

var (
	pdfiumOnce sync.Once
	pdfiumPool pdfium.Pool
	pdfiumErr  error
)

func pdfiumInstance(t testing.TB) pdfium.Pdfium {
	t.Helper()
	pdfiumOnce.Do(func() {
		pdfiumPool, pdfiumErr = webassembly.Init(webassembly.Config{MinIdle: 1, MaxIdle: 1, MaxTotal: 1})
	})
	if pdfiumErr != nil {
		t.Fatalf("pdfium: %v", pdfiumErr)
	}
	inst, err := pdfiumPool.GetInstance(time.Minute)
	if err != nil {
		t.Fatalf("pdfium instance: %v", err)
	}
	return inst
}

// renderPDF parses a PDF with PDFium and rasterises its first page at dpi,
// as the agent does for a thermal printer. It returns the page count too.
func renderPDF(t testing.TB, data []byte, dpi int) (*image.Gray, int, float64, float64) {
	t.Helper()
	inst := pdfiumInstance(t)
	defer inst.Close()
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		t.Fatalf("pdfium cannot parse the label: %v", err)
	}
	defer inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	pc, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		t.Fatalf("page count: %v", err)
	}
	size, err := inst.GetPageSize(&requests.GetPageSize{Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: 0}}})
	if err != nil {
		t.Fatalf("page size: %v", err)
	}
	r, err := inst.RenderPageInDPI(&requests.RenderPageInDPI{DPI: dpi, Page: requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: 0}}})
	if err != nil {
		t.Fatalf("render: %v", err)
	}
	defer r.Cleanup()
	src := r.Result.Image
	gray := image.NewGray(src.Bounds())
	draw.Draw(gray, gray.Bounds(), src, src.Bounds().Min, draw.Src)
	return gray, pc.PageCount, size.Width, size.Height
}

func TestLabelPDFRendersAndScansAt203DPI(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("PDFium start-up is slow (and slower under -race)")
	}
	for _, tn := range []string{"9400111899223197428490", "1ZXSZP460320343448", "794612345678"} {
		l := testLabel()
		l.TrackingNumber = tn
		checkRenderedLabel(t, l)
	}
}

func checkRenderedLabel(t *testing.T, l Label) {
	t.Helper()
	data, err := LabelPDF(l)
	if err != nil {
		t.Fatal(err)
	}
	img, pages, wPt, hPt := renderPDF(t, data, 203)
	if pages != 1 {
		t.Errorf("label has %d pages, want 1", pages)
	}
	const mm = 72 / 25.4
	if diff(wPt, 105*mm) > 0.5 || diff(hPt, 148*mm) > 0.5 {
		t.Errorf("page is %.1f x %.1f pt, want A6 %.1f x %.1f", wPt, hPt, 105*mm, 148*mm)
	}
	// The barcode band sits below the ship-to block; crop to it so the
	// decoder sees bars only.
	b := img.Bounds()
	top := int(float64(b.Dy()) * 80 / 148)
	bottom := int(float64(b.Dy()) * 110 / 148)
	band := img.SubImage(image.Rect(b.Min.X, top, b.Max.X, bottom))
	if got := decodeCode128(t, band); got != l.TrackingNumber {
		t.Errorf("rendered label barcode reads %q, want %q", got, l.TrackingNumber)
	}
}

func diff(a, b float64) float64 {
	if a > b {
		return a - b
	}
	return b - a
}

func TestLabelPDFNonLatinAddress(t *testing.T) {
	l := testLabel()
	l.ShipTo = []string{"José Müller", "Straße 5 — 東京 🚚", "Zürich, ZH 8001"}
	b, err := LabelPDF(l)
	if err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Fatalf("non-Latin address: %v", err)
	}
}

func FuzzLabelPDF(f *testing.F) {
	f.Add("9400111899223197428490", "USPS", "J***n D***e", "Dallas, TX 75202")
	f.Add("1Z999AA10123456784", "", "", "")
	f.Add("", "UPS", "x", "y")
	f.Fuzz(func(t *testing.T, tracking, carrier, name, city string) {
		b, err := LabelPDF(Label{TrackingNumber: tracking, Carrier: carrier, ShipTo: []string{name, city}, From: []string{city}})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		if !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Fatal("not a PDF")
		}
	})
}
