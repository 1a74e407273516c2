package printer_test

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"testing"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/printer"
	"github.com/packline/packline/drivers/printer/printersim"
	"github.com/packline/packline/drivers/raster"
)

// TestGoldenTikTokLabelRoundTrip follows a TikTok-style label all the way: the
// A6 PDF is rendered for the printer, sent over TCP in each printer language
// to the printer simulator, and the PNG the simulator writes is read back. It
// must be the very bitmap that was sent and still scan as the tracking number.
func TestGoldenTikTokLabelRoundTrip(t *testing.T) {
	pdf, r := tiktokLabel(t)
	ctx := context.Background()
	for _, dpi := range []int{203, 300} {
		img, err := r.Prepare(ctx, pdf, label.Spec{DPI: dpi, Stock: "4x6"}, tracking)
		if err != nil {
			t.Fatalf("%d dpi: %v", dpi, err)
		}
		for _, lang := range []string{"zpl", "tspl", "epl"} {
			t.Run(fmt.Sprintf("%s-%d", lang, dpi), func(t *testing.T) {
				dir := t.TempDir()
				sim := printersim.New(printersim.Options{Dir: dir, Language: lang, DPI: dpi})
				addr, err := sim.Start("127.0.0.1:0")
				if err != nil {
					t.Fatal(err)
				}
				defer sim.Close()
				u := deviceuri.MustParse(fmt.Sprintf("%s+tcp://%s?dpi=%d", lang, addr, dpi))
				p, err := printer.Open(u, printer.Options{DPI: dpi, Stock: "4x6"})
				if err != nil {
					t.Fatal(err)
				}
				defer p.Close()
				if err := p.Print(ctx, printer.Job{ID: "golden", Image: img, Copies: 1}); err != nil {
					t.Fatal(err)
				}
				wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
				defer cancel()
				if _, err := sim.WaitLabels(wctx, 1); err != nil {
					t.Fatal(err)
				}
				f, err := os.Open(sim.LastFile())
				if err != nil {
					t.Fatalf("the simulator wrote no PNG: %v", err)
				}
				defer f.Close()
				decoded, err := png.Decode(f)
				if err != nil {
					t.Fatal(err)
				}
				back := raster.FromImage(decoded)
				if back.Width != img.Width || back.Height != img.Height || !bytes.Equal(back.Bits, img.Bits) {
					t.Fatalf("printed %dx%d differs from the %dx%d bitmap sent", back.Width, back.Height, img.Width, img.Height)
				}
				codes, err := label.DecodeBarcode(back)
				if err != nil {
					t.Fatal(err)
				}
				ok := false
				for _, c := range codes {
					ok = ok || label.TrackingMatches(c, tracking)
				}
				if !ok {
					t.Errorf("printed label scans as %q, want %s", codes, tracking)
				}
			})
		}
	}
}
