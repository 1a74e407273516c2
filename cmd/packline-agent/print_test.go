package main

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-pdf/fpdf"

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

// pngFile writes a w x h PNG with a black bar across it.
func pngFile(t *testing.T, w, h int) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := h / 4; y < h/2; y++ {
		for x := 20; x < w-20; x++ {
			img.SetGray(x, y, color.Gray{})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	f := filepath.Join(t.TempDir(), "label.png")
	os.WriteFile(f, b.Bytes(), 0o644)
	return f
}

func TestPrintPNGToSimulator(t *testing.T) {
	dir := t.TempDir()
	code, out, errs := runPrintCLI(t, "sim://printer?dir="+dir, pngFile(t, 812, 1218))
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	for _, want := range []string{"812x1218 dots for 4x6 at 203 dpi", "bytes of ZPL", "printer status: ready", "label-0001.png"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "label-0001.png")); err != nil {
		t.Fatal(err)
	}
	// A second run numbers on instead of overwriting.
	if code, _, errs := runPrintCLI(t, "sim://printer?dir="+dir, pngFile(t, 812, 1218)); code != 0 {
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

	notPDF := filepath.Join(t.TempDir(), "label.pdf")
	os.WriteFile(notPDF, []byte("<html>502 Bad Gateway</html>"), 0o644)
	good := pngFile(t, 812, 1218)
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"dead printer", []string{"zpl+tcp://" + dead, good}, "refused the connection"},
		{"paper out", []string{"zpl+tcp://" + addr, good}, "media out: load labels"},
		{"missing file", []string{"sim://printer", filepath.Join(t.TempDir(), "nope.pdf")}, "does not exist"},
		{"not a PDF", []string{"sim://printer", notPDF}, "not a PDF or PNG label"},
		{"PNG too large", []string{"sim://printer", pngFile(t, 900, 1300)}, "900x1300 pixels"},
		{"bad URI", []string{"printer", good}, "protocol+transport"},
	} {
		code, _, errs := runPrintCLI(t, c.args...)
		if code != 1 || !strings.Contains(strings.ToLower(errs), strings.ToLower(c.want)) {
			t.Errorf("%s: code %d, stderr %q; want %q", c.name, code, errs, c.want)
		}
	}
	if sim.Jobs() != 0 {
		t.Fatal("a job reached the printer while it was out of paper")
	}
	if code, _, _ := runPrintCLI(t, "sim://printer"); code != 2 {
		t.Fatalf("missing file argument: code %d, want usage (2)", code)
	}
}

func TestPrintPDF(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the PDF renderer")
	}
	pdf := fpdf.New("P", "mm", "A6", "")
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 20)
	pdf.Text(10, 20, "SHIP TO")
	pdf.Rect(10, 30, 80, 30, "F")
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
	code, out, errs := runPrintCLI(t, "--cache", filepath.Join(t.TempDir(), "cache"), "zpl+tcp://"+addr+"?dpi=300", file)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errs)
	}
	if !strings.Contains(out, "1218x1827 dots for 4x6 at 300 dpi") {
		t.Fatalf("output:\n%s", out)
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
}
