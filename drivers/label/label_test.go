package label

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/raster"
)

// shared is the one renderer the package's tests and benchmarks use:
// starting PDFium compiles it for seconds.
var shared struct {
	once sync.Once
	r    *Renderer
	err  error
	dir  string
}

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "label-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	shared.dir = dir
	code := m.Run()
	if shared.r != nil {
		_ = shared.r.Close()
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

func renderer(tb testing.TB) *Renderer {
	tb.Helper()
	shared.once.Do(func() {
		shared.r, shared.err = NewRenderer(context.Background(), Options{
			CacheDir: filepath.Join(shared.dir, "wazero"),
			Logger:   slog.New(slog.DiscardHandler),
			Workers:  2,
		})
	})
	if shared.err != nil {
		tb.Fatalf("NewRenderer: %v", shared.err)
	}
	return shared.r
}

const tracking = "TT1234567890US"

// tiktokPDF is the simulator's A6 TikTok Shop shipping label: a frame
// 4 mm inside the page edges, header band, addresses and a Code 128
// tracking barcode.
func tiktokPDF(tb testing.TB) []byte {
	tb.Helper()
	pdf, err := tiktoksim.LabelPDF(tiktoksim.Label{
		TrackingNumber: tracking,
		Carrier:        "USPS",
		Service:        "Ground Advantage",
		OrderID:        "576460752303423488",
		PackageID:      "1152921504606846976",
		ShipTo:         []string{"Jane Doe", "1 Main St", "Springfield, IL 62701"},
		From:           []string{"Packline Test Shop", "9 Dock Rd", "Reno, NV 89501"},
		WeightText:     "1.20 lb",
		Created:        time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC),
	})
	if err != nil {
		tb.Fatalf("tiktoksim.LabelPDF: %v", err)
	}
	return pdf
}

// ink returns the bounding box of the black dots.
func ink(b *raster.Bitmap) image.Rectangle {
	r := image.Rectangle{}
	first := true
	for y := 0; y < b.Height; y++ {
		for x := 0; x < b.Width; x++ {
			if !b.Black(x, y) {
				continue
			}
			if first {
				r, first = image.Rect(x, y, x+1, y+1), false
				continue
			}
			r = r.Union(image.Rect(x, y, x+1, y+1))
		}
	}
	return r
}

func checkTracking(t *testing.T, b *raster.Bitmap, want string) {
	t.Helper()
	got, err := DecodeBarcode(b)
	if err != nil {
		t.Fatalf("DecodeBarcode: %v", err)
	}
	for _, g := range got {
		if g == want {
			return
		}
	}
	t.Errorf("barcodes read %q, want %q among them", got, want)
}

func TestRenderTikTokLabelFits4x6(t *testing.T) {
	r := renderer(t)
	pdf := tiktokPDF(t)
	for _, tc := range []struct {
		dpi  int
		w, h int
	}{{203, 812, 1218}, {300, 1218, 1827}} {
		t.Run(fmt.Sprint(tc.dpi), func(t *testing.T) {
			res, err := r.Rasterize(context.Background(), pdf, Spec{DPI: tc.dpi, Stock: "4x6"})
			if err != nil {
				t.Fatalf("Rasterize: %v", err)
			}
			b := res.Bitmap
			if err := b.Validate(); err != nil {
				t.Fatal(err)
			}
			if b.Width != tc.w || b.Height != tc.h {
				t.Fatalf("bitmap is %dx%d, want %dx%d", b.Width, b.Height, tc.w, tc.h)
			}
			if res.Rotated || res.Pages != 1 || len(res.Warnings) != 0 {
				t.Errorf("result %+v: want unrotated single page without warnings", res)
			}
			// The label's frame is 4 mm inside the page: with the white
			// margins cut it prints at true size, not shrunk.
			if res.Scale != 1 {
				t.Errorf("scale %v, want 1 (only white margin cut)", res.Scale)
			}
			box := ink(b)
			if box.Min.X == 0 || box.Min.Y == 0 || box.Max.X == b.Width || box.Max.Y == b.Height {
				t.Errorf("ink %v touches the canvas edge %dx%d: content may be clipped", box, b.Width, b.Height)
			}
			// 97 x 140 mm of frame at the printer's resolution.
			dpmm := map[int]float64{203: 203.0 / 25.4, 300: 304.5 / 25.4}[tc.dpi]
			if w := float64(box.Dx()); w < 96*dpmm || w > 99*dpmm {
				t.Errorf("ink width %v dots, want about %v (97 mm)", w, 97*dpmm)
			}
			checkTracking(t, b, tracking)
		})
	}
}

func TestRenderFullBleedIsScaledNotClipped(t *testing.T) {
	r := renderer(t)
	pdf := makePDF(t, testLabel{tracking: tracking, fullBleed: true})
	for _, dpi := range []int{203, 300} {
		t.Run(fmt.Sprint(dpi), func(t *testing.T) {
			res, err := r.Rasterize(context.Background(), pdf, Spec{DPI: dpi})
			if err != nil {
				t.Fatalf("Rasterize: %v", err)
			}
			b := res.Bitmap
			cw, ch, _ := Spec{DPI: dpi}.Canvas()
			if b.Width != cw || b.Height != ch {
				t.Fatalf("bitmap is %dx%d, want %dx%d", b.Width, b.Height, cw, ch)
			}
			if !(res.Scale < 0.99 && res.Scale > 0.95) {
				t.Errorf("scale %v, want about 0.967 (A6 is wider than 4 in)", res.Scale)
			}
			box := ink(b)
			// Full width used, and the page's aspect kept: the whole
			// frame is on the canvas.
			if box.Dx() < b.Width-2 {
				t.Errorf("ink %v is narrower than the canvas %d: the page was not fitted to the width", box, b.Width)
			}
			if got, want := float64(box.Dy())/float64(box.Dx()), 148.0/105; got < want*0.98 || got > want*1.02 {
				t.Errorf("ink aspect %.3f, want %.3f: part of the page was cut", got, want)
			}
			// Each side of the frame is there, on the middle row/column.
			midX, midY := (box.Min.X+box.Max.X)/2, (box.Min.Y+box.Max.Y)/2
			for name, p := range map[string]image.Point{
				"left": {box.Min.X + 3, midY}, "right": {box.Max.X - 4, midY},
				"top": {midX, box.Min.Y + 3}, "bottom": {midX, box.Max.Y - 4},
			} {
				if !b.Black(p.X, p.Y) {
					t.Errorf("%s frame edge missing at %v", name, p)
				}
			}
			checkTracking(t, b, tracking)
		})
	}
}

func TestRenderLandscapeIsRotated(t *testing.T) {
	r := renderer(t)
	pdf := makePDF(t, testLabel{tracking: tracking, landscape: true})
	res, err := r.Rasterize(context.Background(), pdf, Spec{DPI: 203, Stock: "4x6"})
	if err != nil {
		t.Fatalf("Rasterize: %v", err)
	}
	if !res.Rotated {
		t.Fatalf("landscape page not rotated: %+v", res)
	}
	b := res.Bitmap
	if b.Width != 812 || b.Height != 1218 {
		t.Fatalf("bitmap is %dx%d, want 812x1218", b.Width, b.Height)
	}
	box := ink(b)
	if box.Dy() <= box.Dx() {
		t.Errorf("ink %v is wider than tall: content not turned to portrait", box)
	}
	// The thick bar on the page's top edge ends up on the right (turned
	// clockwise): a run of black columns near the right of the ink.
	midY := (box.Min.Y + box.Max.Y) / 2
	solid := 0
	for x := box.Max.X - 1; x > box.Max.X-80; x-- {
		if b.Black(x, midY) {
			solid++
		}
	}
	if solid < 50 {
		t.Errorf("only %d black dots of the top bar at the right edge, want ~64 (8 mm)", solid)
	}
	checkTracking(t, b, tracking)

	// On landscape stock the same page is not turned.
	res, err = r.Rasterize(context.Background(), pdf, Spec{DPI: 203, Stock: "6x4"})
	if err != nil {
		t.Fatalf("Rasterize 6x4: %v", err)
	}
	if res.Rotated || res.Bitmap.Width != 1218 || res.Bitmap.Height != 812 {
		t.Errorf("6x4 stock: rotated=%v size %dx%d, want unrotated 1218x812", res.Rotated, res.Bitmap.Width, res.Bitmap.Height)
	}
}

func TestRenderOtherStocks(t *testing.T) {
	r := renderer(t)
	pdf := makePDF(t, testLabel{tracking: tracking})
	for _, tc := range []struct {
		stock string
		w, h  int
	}{{"A6", 839, 1183}, {"4x4", 812, 812}, {"100x150mm", 799, 1199}} {
		b, err := r.Render(context.Background(), pdf, Spec{DPI: 203, Stock: tc.stock})
		if err != nil {
			t.Fatalf("%s: %v", tc.stock, err)
		}
		if b.Width != tc.w || b.Height != tc.h {
			t.Errorf("%s: bitmap %dx%d, want %dx%d", tc.stock, b.Width, b.Height, tc.w, tc.h)
		}
		if box := ink(b); box.Min.X == 0 && box.Max.X == b.Width && box.Min.Y == 0 && box.Max.Y == b.Height {
			t.Errorf("%s: ink %v fills the whole canvas", tc.stock, box)
		}
	}
	// On 4x4 the label is shrunk to fit the height, still readable.
	b, err := r.Render(context.Background(), pdf, Spec{DPI: 300, Stock: "4x4"})
	if err != nil {
		t.Fatal(err)
	}
	checkTracking(t, b, tracking)
}

func TestRenderMultiPageWarns(t *testing.T) {
	r := renderer(t)
	pdf := makePDF(t, testLabel{tracking: tracking, pages: 3})
	res, err := r.Rasterize(context.Background(), pdf, Spec{DPI: 203})
	if err != nil {
		t.Fatalf("Rasterize: %v", err)
	}
	if res.Pages != 3 || len(res.Warnings) != 1 {
		t.Fatalf("pages %d warnings %q: want 3 pages and one warning", res.Pages, res.Warnings)
	}
	checkTracking(t, res.Bitmap, tracking)
}

func TestRenderBadInput(t *testing.T) {
	r := renderer(t)
	good := tiktokPDF(t)
	for _, tc := range []struct {
		name string
		pdf  []byte
		want error
	}{
		{"nil", nil, ErrNotPDF},
		{"empty", []byte{}, ErrNotPDF},
		{"png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), ErrNotPDF},
		{"zpl", []byte("^XA^FO50,50^FDhello^FS^XZ"), ErrNotPDF},
		{"html", []byte("<html><body>502 Bad Gateway</body></html>"), ErrNotPDF},
		{"header only", []byte("%PDF-1.7\n"), ErrNotPDF},
		{"truncated", good[:len(good)/3], nil},
		{"encrypted", makePDF(t, testLabel{tracking: tracking, password: "s3cret"}), ErrEncrypted},
		{"blank page", makePDF(t, testLabel{blank: true}), ErrBlankPage},
		{"no pages", noPagesPDF(), ErrNoPages},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := r.Render(context.Background(), tc.pdf, Spec{DPI: 203})
			if err == nil {
				t.Fatalf("Render gave a %dx%d bitmap, want an error", b.Width, b.Height)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %q, want %v", err, tc.want)
			}
			if tc.want == nil && !errors.Is(err, ErrNotPDF) && !errors.Is(err, ErrBlankPage) {
				t.Errorf("error %q, want ErrNotPDF or ErrBlankPage", err)
			}
			t.Logf("%s: %v", tc.name, err)
		})
	}
	// The renderer still works after all that.
	if _, err := r.Render(context.Background(), good, Spec{DPI: 203}); err != nil {
		t.Fatalf("render after bad input: %v", err)
	}
}

// noPagesPDF is a well-formed PDF whose page tree is empty.
func noPagesPDF() []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [] /Count 0 >>",
	}
	out := []byte("%PDF-1.4\n")
	var offs []int
	for i, o := range objs {
		offs = append(offs, len(out))
		out = append(out, fmt.Sprintf("%d 0 obj\n%s\nendobj\n", i+1, o)...)
	}
	xref := len(out)
	out = append(out, fmt.Sprintf("xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)...)
	for _, o := range offs {
		out = append(out, fmt.Sprintf("%010d 00000 n \n", o)...)
	}
	out = append(out, fmt.Sprintf("trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)...)
	return out
}

func TestRenderBadSpec(t *testing.T) {
	r := renderer(t)
	pdf := makePDF(t, testLabel{tracking: tracking})
	for _, spec := range []Spec{{DPI: 0}, {DPI: 150}, {DPI: 203, Stock: "big"}, {DPI: 203, Stock: "0x6"}, {DPI: 203, Stock: "4xNaN"}} {
		if _, err := r.Render(context.Background(), pdf, spec); err == nil {
			t.Errorf("spec %+v: no error", spec)
		}
	}
}

func TestPrepare(t *testing.T) {
	r := renderer(t)
	ctx := context.Background()
	for _, dpi := range []int{203, 300} {
		b, err := r.Prepare(ctx, tiktokPDF(t), Spec{DPI: dpi}, tracking)
		if err != nil {
			t.Fatalf("%d dpi: Prepare: %v", dpi, err)
		}
		if b == nil || b.Width == 0 {
			t.Fatalf("%d dpi: no bitmap", dpi)
		}
	}

	// Wrong tracking number: refused, and the error says what it read.
	_, err := r.Prepare(ctx, tiktokPDF(t), Spec{DPI: 203}, "TT0000000000US")
	var ue *UnreadableError
	if !errors.As(err, &ue) || !errors.Is(err, ErrBarcodeUnreadable) {
		t.Fatalf("wrong tracking: error %v, want *UnreadableError", err)
	}
	if len(ue.Found) == 0 || ue.Found[0] != tracking {
		t.Errorf("wrong tracking: found %q, want %q", ue.Found, tracking)
	}

	// A white band through the bars: the label renders but is refused.
	damaged := makePDF(t, testLabel{tracking: tracking, damaged: true})
	if _, err := r.Render(ctx, damaged, Spec{DPI: 203}); err != nil {
		t.Fatalf("damaged label does not render: %v", err)
	}
	for _, dpi := range []int{203, 300} {
		b, err := r.Prepare(ctx, damaged, Spec{DPI: dpi}, tracking)
		if !errors.Is(err, ErrBarcodeUnreadable) || b != nil {
			t.Fatalf("%d dpi: damaged barcode: bitmap %v error %v, want ErrBarcodeUnreadable", dpi, b != nil, err)
		}
		t.Logf("damaged: %v", err)
	}

	// A GS1/USPS-style barcode that carries the tracking number after a
	// 420+ZIP prefix is accepted.
	usps := "9400111899223197428490"
	pdf := makePDF(t, testLabel{tracking: "42062701" + usps})
	if _, err := r.Prepare(ctx, pdf, Spec{DPI: 203}, usps); err != nil {
		t.Errorf("420+ZIP barcode: %v", err)
	}
}

func TestTrackingMatches(t *testing.T) {
	for _, tc := range []struct {
		decoded, want string
		ok            bool
	}{
		{"TT1234567890US", "TT1234567890US", true},
		{"tt1234567890us", "TT1234567890US", true},
		{"]C1420627019400111899223197428490", "9400111899223197428490", true},
		{"42062701\x1d9400111899223197428490", "9400111899223197428490", true},
		{"TT1234567890US", "TT1234567890UX", false},
		{"TT1234567890US", "", false},
		{"ABC12345", "45", false},
		{"1Z999AA10123456784", "1Z999AA1012345678", false},
	} {
		if got := TrackingMatches(tc.decoded, tc.want); got != tc.ok {
			t.Errorf("TrackingMatches(%q, %q) = %v, want %v", tc.decoded, tc.want, got, tc.ok)
		}
	}
}

func TestDecodeBarcodeFindsEvery(t *testing.T) {
	pdf := makePDF(t, testLabel{tracking: tracking, second: "ORD-576460752303"})
	b, err := renderer(t).Render(context.Background(), pdf, Spec{DPI: 203})
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBarcode(b)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{tracking: true, "ORD-576460752303": true}
	for _, g := range got {
		delete(want, g)
	}
	if len(want) != 0 {
		t.Errorf("read %q, missing %v", got, want)
	}
	// Prepare accepts the label whichever barcode carries the tracking.
	if _, err := renderer(t).Prepare(context.Background(), pdf, Spec{DPI: 203}, "ORD-576460752303"); err != nil {
		t.Errorf("Prepare with the second barcode: %v", err)
	}
}

func TestCheckBarcode(t *testing.T) {
	b, err := renderer(t).Render(context.Background(), tiktokPDF(t), Spec{DPI: 203})
	if err != nil {
		t.Fatal(err)
	}
	if found, err := CheckBarcode(b, ""); err != nil || len(found) == 0 {
		t.Errorf("any barcode: found %q, %v", found, err)
	}
	if _, err := CheckBarcode(b, tracking); err != nil {
		t.Errorf("the label's tracking number: %v", err)
	}
	if _, err := CheckBarcode(b, "TT0000000000US"); !errors.Is(err, ErrBarcodeUnreadable) {
		t.Errorf("another tracking number: %v, want ErrBarcodeUnreadable", err)
	}
	_, err = CheckBarcode(raster.New(812, 1218), "")
	var ue *UnreadableError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "no Code 128 barcode could be read") || strings.Contains(err.Error(), "tracking number") {
		t.Errorf("blank label: %v, want an *UnreadableError saying no barcode was read", err)
	}
}

func TestDecodeBarcodeBlank(t *testing.T) {
	got, err := DecodeBarcode(raster.New(812, 1218))
	if err != nil || len(got) != 0 {
		t.Errorf("blank bitmap: %q, %v; want nothing, no error", got, err)
	}
	if _, err := DecodeBarcode(&raster.Bitmap{Width: 10, Height: 10, Stride: 1}); err == nil {
		t.Error("inconsistent bitmap: no error")
	}
	if _, err := DecodeBarcode(nil); err == nil {
		t.Error("nil bitmap: no error")
	}
}

func TestRenderConcurrentAndCancel(t *testing.T) {
	r := renderer(t)
	pdf := tiktokPDF(t)
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func(dpi int) {
			defer wg.Done()
			b, err := r.Render(context.Background(), pdf, Spec{DPI: dpi})
			if err == nil && b.Width == 0 {
				err = errors.New("empty bitmap")
			}
			errs <- err
		}([]int{203, 300}[i%2])
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent render: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Render(ctx, pdf, Spec{DPI: 203}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled render: %v, want context.Canceled", err)
	}
	if _, err := r.Render(context.Background(), pdf, Spec{DPI: 203}); err != nil {
		t.Errorf("render after cancel: %v", err)
	}
}

func TestCloseAndWarmStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second renderer")
	}
	renderer(t) // the shared renderer filled the cache
	r, err := NewRenderer(context.Background(), Options{CacheDir: filepath.Join(shared.dir, "wazero")})
	if err != nil {
		t.Fatalf("warm NewRenderer: %v", err)
	}
	if _, err := r.Render(context.Background(), tiktokPDF(t), Spec{DPI: 203}); err != nil {
		t.Fatalf("render on warm renderer: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := r.Render(context.Background(), tiktokPDF(t), Spec{DPI: 203}); !errors.Is(err, ErrClosed) {
		t.Errorf("render after Close: %v, want ErrClosed", err)
	}
	entries, err := os.ReadDir(filepath.Join(shared.dir, "wazero"))
	if err != nil || len(entries) == 0 {
		t.Errorf("compilation cache dir is empty (%v)", err)
	}
}

func TestPreviewPNG(t *testing.T) {
	b, err := renderer(t).Render(context.Background(), tiktokPDF(t), Spec{DPI: 203})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ max, w, h int }{{300, 300, 450}, {0, 812, 1218}, {2000, 812, 1218}} {
		p, err := PreviewPNG(b, tc.max)
		if err != nil {
			t.Fatalf("PreviewPNG(%d): %v", tc.max, err)
		}
		img, err := pngDecode(p)
		if err != nil {
			t.Fatalf("PreviewPNG(%d) is not a PNG: %v", tc.max, err)
		}
		if img.Bounds().Dx() != tc.w || img.Bounds().Dy() != tc.h {
			t.Errorf("PreviewPNG(%d) is %v, want %dx%d", tc.max, img.Bounds(), tc.w, tc.h)
		}
	}
	if _, err := PreviewPNG(nil, 100); err == nil {
		t.Error("nil bitmap: no error")
	}
}

// A label placed in the corner of a huge page is found and printed at true
// size; content spread over the huge page is shrunk to fit whole.
func TestRenderOversizedPage(t *testing.T) {
	r := renderer(t)
	// 1.5 x 1.5 m: far more than the probe render's pixel budget at 300 dpi.
	big := func(spread bool) []byte {
		pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: 1500, Ht: 1500}})
		pdf.SetAutoPageBreak(false, 0)
		pdf.AddPage()
		drawLabel(t, pdf, testLabel{tracking: tracking}, 105, 148)
		if spread {
			pdf.SetFillColor(0, 0, 0)
			pdf.Rect(1400, 1400, 90, 90, "F")
		}
		var out bytes.Buffer
		if err := pdf.Output(&out); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	res, err := r.Rasterize(context.Background(), big(false), Spec{DPI: 300})
	if err != nil {
		t.Fatalf("label in a corner: %v", err)
	}
	if res.Scale != 1 || !res.Cropped {
		t.Errorf("label in a corner: scale %v cropped %v, want true size, cropped", res.Scale, res.Cropped)
	}
	checkTracking(t, res.Bitmap, tracking)

	res, err = r.Rasterize(context.Background(), big(true), Spec{DPI: 203})
	if err != nil {
		t.Fatalf("spread content: %v", err)
	}
	if res.Scale > 0.1 {
		t.Errorf("spread content: scale %v, want the 1.5 m square shrunk below 0.1", res.Scale)
	}
	box := ink(res.Bitmap)
	if box.Dx() < 790 || box.Dx() > 812 || box.Dy() < 790 || box.Dy() > 812 {
		t.Errorf("spread content: ink %v, want a square about 812 dots wide", box)
	}
}

// heavyPDF is a label page with n overlapping circles: valid, but slow for
// PDFium (tens of thousands take seconds).
func heavyPDF(tb testing.TB, n int) []byte {
	tb.Helper()
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: 105, Ht: 148}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.AddPage()
	pdf.SetLineWidth(0.05)
	for i := 0; i < n; i++ {
		pdf.Circle(2+float64(i%1000)/10, 2+float64(i/1000)/10, 1.5, "D")
	}
	var out bytes.Buffer
	if err := pdf.Output(&out); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

// A render stuck in PDFium is stopped by the caller's context and by the
// renderer's own time limit, and the renderer goes on working.
func TestRenderStopsSlowPDF(t *testing.T) {
	heavy := heavyPDF(t, 50000)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := renderer(t).Render(ctx, heavy, Spec{DPI: 203})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrTooSlow) {
		t.Errorf("caller deadline: %v, want context.DeadlineExceeded, not ErrTooSlow", err)
	}

	r, err := NewRenderer(context.Background(), Options{
		CacheDir:      filepath.Join(shared.dir, "wazero"),
		RenderTimeout: 2 * time.Second, // the heavy page takes tens of seconds
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	_, err = r.Render(context.Background(), heavy, Spec{DPI: 203})
	if !errors.Is(err, ErrTooSlow) || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("render timeout: %v, want ErrTooSlow and context.DeadlineExceeded", err)
	}
	t.Logf("timeout: %v", err)
	if _, err := r.Render(context.Background(), tiktokPDF(t), Spec{DPI: 203}); err != nil {
		t.Errorf("render after timeout: %v", err)
	}
}

func TestNewRendererCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if r, err := NewRenderer(ctx, Options{}); !errors.Is(err, context.Canceled) || r != nil {
		t.Errorf("cancelled start: %v, %v; want context.Canceled and no renderer", r, err)
	}
	// A deadline that ends during start-up (a warm start takes ~100 ms).
	ctx, cancel = context.WithTimeout(context.Background(), time.Millisecond)
	defer cancel()
	if r, err := NewRenderer(ctx, Options{CacheDir: filepath.Join(shared.dir, "wazero")}); !errors.Is(err, context.DeadlineExceeded) || r != nil {
		t.Errorf("start past deadline: %v, %v; want context.DeadlineExceeded and no renderer", r, err)
	}
}
