package printer_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/label"
)

// tracking is the tracking number printed as Code 128 on tiktokLabel.
const tracking = "9400111202555842761234"

// tiktokLabel returns a TikTok-style A6 shipping label PDF and a PDF
// renderer that shares the tests' compilation cache and closes with tb.
func tiktokLabel(tb testing.TB) ([]byte, *label.Renderer) {
	tb.Helper()
	pdf, err := tiktoksim.LabelPDF(tiktoksim.Label{
		TrackingNumber: tracking, Carrier: "USPS", Service: "Ground Advantage", OrderID: "576461413038785752", PackageID: "1152954304577365553",
		ShipTo: []string{"J***s R***a", "1200 Congress Ave", "Austin, TX 78701"}, From: []string{"Packline Demo Shop", "Reno, NV 89502"},
		WeightText: "2.78 POUND", Created: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC),
	})
	if err != nil {
		tb.Fatal(err)
	}
	r, err := label.NewRenderer(context.Background(), label.Options{CacheDir: filepath.Join(os.TempDir(), "packline-test-pdfium-cache")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { r.Close() })
	return pdf, r
}
