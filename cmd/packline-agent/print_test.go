package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/go-pdf/fpdf"

	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/printer/printersim"
)

func runPrintCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	code := runMain(ctx, append([]string{"print"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// pngFile writes a w x h PNG label with a Code 128 barcode of text across
// it; an empty text draws a plain black bar instead.
func pngFile(t *testing.T, w, h int, text string) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	if text == "" {
		for y := h / 4; y < h/2; y++ {
			for x := 20; x < w-20; x++ {
				img.SetGray(x, y, color.Gray{})
			}
		}
	} else {
		bc, err := code128.Encode(text)
		if err != nil {
			t.Fatal(err)
		}
		n := bc.Bounds().Dx()
		scaled, err := barcode.Scale(bc, n*max(1, (w-80)/n), 200)
		if err != nil {
			t.Fatal(err)
		}
		draw.Draw(img, scaled.Bounds().Add(image.Pt(40, h/4)), scaled, image.Point{}, draw.Src)
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	f := filepath.Join(t.TempDir(), "label.png")
	os.WriteFile(f, b.Bytes(), 0o644)
	return f
}

// testCache is the PDF renderer cache the tests share, so only the first
// one compiles PDFium.
func testCache() string { return filepath.Join(os.TempDir(), "packline-test-pdfium-cache") }

func TestPrintPNGToSimulator(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runPrintCLI(t, "sim://printer?dir="+dir, pngFile(t, 812, 1218, "TT1234567890US"))
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	for _, want := range []string{"812x1218 dots for 4x6 at 203 dpi", `barcode reads "TT1234567890US"`, "bytes of ZPL", "printer status: ready", "label-0001.png"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "label-0001.png")); err != nil {
		t.Fatal(err)
	}
	// A second run numbers on instead of overwriting.
	if code, _, errs := runPrintCLI(t, "sim://printer?dir="+dir, pngFile(t, 812, 1218, "TT1234567890US")); code != 0 {
		t.Fatal(errs)
	}
	if _, err := os.Stat(filepath.Join(dir, "label-0002.png")); err != nil {
		t.Fatal(err)
	}
}

func TestPrintErrors(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()

	sim := printersim.New(printersim.Options{})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	sim.SetFault(printersim.FaultPaperOut)

	// Another client holds the only connection of this printer's port.
	busySim := printersim.New(printersim.Options{})
	busy, err := busySim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busySim.Close()
	other, err := net.Dial("tcp", busy)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	notPDF := filepath.Join(t.TempDir(), "label.pdf")
	os.WriteFile(notPDF, []byte("<html>502 Bad Gateway</html>"), 0o644)
	good := pngFile(t, 812, 1218, "TT1234567890US")
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"wrong port", []string{"zpl+tcp://" + dead, good}, "refused the connection: is the printer switched on"},
		{"busy port", []string{"zpl+tcp://" + busy + "?status_timeout=300ms", good}, "may be busy with another client"},
		{"paper out", []string{"zpl+tcp://" + addr, good}, "media out: load labels"},
		{"missing file", []string{"sim://printer", filepath.Join(t.TempDir(), "nope.pdf")}, "does not exist"},
		{"not a PDF", []string{"sim://printer", notPDF}, "not a PDF or PNG label"},
		{"PNG too large", []string{"sim://printer", pngFile(t, 900, 1300, "")}, "900x1300 pixels"},
		{"no barcode", []string{"zpl+tcp://" + addr, pngFile(t, 812, 1218, "")}, "no Code 128 barcode could be read"},
		{"wrong tracking", []string{"--tracking", "TT0000000000US", "zpl+tcp://" + addr, good}, `read ["TT1234567890US"], not tracking number "TT0000000000US"`},
		{"contradiction", []string{"--tracking", "TT1", "--no-barcode-check", "sim://printer", good}, "contradict"},
		{"bad URI", []string{"printer", good}, "protocol+transport"},
	} {
		code, _, errs := runPrintCLI(t, c.args...)
		if code != 1 || !strings.Contains(strings.ToLower(errs), strings.ToLower(c.want)) {
			t.Errorf("%s: code %d, stderr %q; want %q", c.name, code, errs, c.want)
		}
	}
	if sim.Jobs() != 0 || busySim.Jobs() != 0 {
		t.Fatal("a job reached a printer that was out of paper or busy")
	}
	if code, _, _ := runPrintCLI(t, "sim://printer"); code != 2 {
		t.Fatalf("missing file argument: code %d, want usage (2)", code)
	}
}

func TestPrintPNGWithoutBarcodeCheck(t *testing.T) {
	code, out, errs := runPrintCLI(t, "--no-barcode-check", "sim://printer", pngFile(t, 812, 1218, ""))
	if code != 0 || !strings.Contains(out, "barcode not checked") {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
}

func TestPrintReportsFaultAfterLabel(t *testing.T) {
	sim := printersim.New(printersim.Options{Roll: 1})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	code, out, errs := runPrintCLI(t, "zpl+tcp://"+addr, pngFile(t, 812, 1218, "TT1234567890US"))
	if code != 0 || !strings.Contains(out, "printer status: media out: load labels") || sim.Jobs() != 1 {
		t.Fatalf("code %d jobs %d, stdout %q, stderr %q", code, sim.Jobs(), out, errs)
	}
}

func TestPrintPDF(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the PDF renderer")
	}
	// Two pages, no barcode: a test page.
	pdf := fpdf.New("P", "mm", "A6", "")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 20)
	pdf.Text(10, 20, "SHIP TO")
	pdf.Rect(10, 30, 80, 30, "F")
	pdf.AddPage()
	pdf.Text(10, 20, "PACKING SLIP")
	file := filepath.Join(t.TempDir(), "label.pdf")
	if err := pdf.OutputFileAndClose(file); err != nil {
		t.Fatal(err)
	}
	sim := printersim.New(printersim.Options{})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	code, out, errs := runPrintCLI(t, "--cache", testCache(), "--no-barcode-check", "zpl+tcp://"+addr+"?dpi=300", file)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	if !strings.Contains(out, "1218x1827 dots for 4x6 at 300 dpi") {
		t.Fatalf("output:\n%s", out)
	}
	if !strings.Contains(errs, "warning: label.pdf: the PDF has 2 pages; only page 1") {
		t.Errorf("no multi-page warning on stderr: %q", errs)
	}
	labels := sim.Labels()
	if len(labels) != 1 || labels[0].Width != 1218 || labels[0].Height != 1827 {
		t.Fatalf("printed %d labels", len(labels))
	}
	// The filled rectangle is black on the printed label.
	black := 0
	for _, c := range labels[0].Bits {
		if c == 0xff {
			black++
		}
	}
	if black < 10000 {
		t.Fatalf("only %d solid black bytes: the PDF did not print", black)
	}
	// Without --no-barcode-check a page without a barcode is refused.
	code, _, errs = runPrintCLI(t, "--cache", testCache(), "zpl+tcp://"+addr+"?dpi=300", file)
	if code != 1 || !strings.Contains(errs, "no Code 128 barcode could be read") || !strings.Contains(errs, "--no-barcode-check") {
		t.Fatalf("page without barcode: code %d, stderr %q", code, errs)
	}
	if sim.Jobs() != 1 {
		t.Fatalf("%d jobs, want only the first", sim.Jobs())
	}
}

func TestPrintTikTokLabelChecksTracking(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the PDF renderer")
	}
	const tracking = "9400111202555842761234"
	pdf, err := tiktoksim.LabelPDF(tiktoksim.Label{
		TrackingNumber: tracking, Carrier: "USPS", Service: "Ground Advantage", OrderID: "576461413038785752", PackageID: "1152954304577365553",
		ShipTo: []string{"J***s R***a", "1200 Congress Ave", "Austin, TX 78701"}, From: []string{"Packline Demo Shop", "Reno, NV 89502"},
		WeightText: "2.78 POUND", Created: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "label.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	sim := printersim.New(printersim.Options{})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	code, out, errs := runPrintCLI(t, "--cache", testCache(), "--tracking", tracking, "zpl+tcp://"+addr, file)
	if code != 0 || !strings.Contains(out, `barcode reads "`+tracking+`"`) {
		t.Fatalf("code %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = runPrintCLI(t, "--cache", testCache(), "--tracking", "9400000000000000000000", "zpl+tcp://"+addr, file)
	if code != 1 || !strings.Contains(errs, "must not be printed") {
		t.Fatalf("wrong tracking: code %d, stderr %q", code, errs)
	}
	if sim.Jobs() != 1 {
		t.Fatalf("%d jobs printed, want 1: the label with the wrong tracking number must not print", sim.Jobs())
	}
}

func TestPrintCacheFollowsConfig(t *testing.T) {
	data := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "agent.toml")
	if err := os.WriteFile(cfg, []byte("[agent]\ndata_dir = "+strconv.Quote(data)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := renderCache(cfg)
	if want := filepath.Join(data, "cache", "pdfium"); err != nil || got != want {
		t.Fatalf("renderCache(config) = %q, %v; want %q", got, err, want)
	}
	if got, err := renderCache(""); err != nil || got != userRenderCache() {
		t.Fatalf("renderCache without config = %q, %v; want the per-user cache %q", got, err, userRenderCache())
	}
	code, _, errs := runPrintCLI(t, "--config", filepath.Join(t.TempDir(), "missing.toml"), "sim://printer", pngFile(t, 812, 1218, "TT1234567890US"))
	if code != 1 || !strings.Contains(errs, "leave out --config") {
		t.Fatalf("missing config: code %d, stderr %q", code, errs)
	}
}
