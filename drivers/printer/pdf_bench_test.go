package printer_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/printer"
)

// BenchmarkPDFToPrinterBytes is the agent's label path end to end for a
// TikTok-style A6 PDF: render page 1 for the printer, read the tracking
// barcode back, and encode the job in each printer language at 203 and
// 300 dpi. It reports p50 and p99 per label and the job size.
func BenchmarkPDFToPrinterBytes(b *testing.B) {
	pdf, r := tiktokLabel(b)
	ctx := context.Background()
	// batch samples per iteration keep the percentiles meaningful at
	// -benchtime 1x while a run stays within seconds.
	const batch = 10
	for _, lang := range []string{"zpl", "epl", "tspl"} {
		for _, dpi := range []int{203, 300} {
			b.Run(fmt.Sprintf("%s_%ddpi", lang, dpi), func(b *testing.B) {
				uri := deviceuri.MustParse(fmt.Sprintf("%s+tcp://127.0.0.1:9100?dpi=%d", lang, dpi))
				opt := printer.Options{DPI: dpi, Stock: "4x6"}
				spec := label.Spec{DPI: dpi, Stock: "4x6"}
				one := func() int {
					img, err := r.Prepare(ctx, pdf, spec, tracking)
					if err != nil {
						b.Fatal(err)
					}
					job, err := printer.Encode(uri, opt, printer.Job{ID: "bench", Image: img})
					if err != nil {
						b.Fatal(err)
					}
					return len(job)
				}
				one() // warm the PDFium instance
				var ms []float64
				size := 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for j := 0; j < batch; j++ {
						t0 := time.Now()
						size = one()
						ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
					}
				}
				b.StopTimer()
				slices.Sort(ms)
				p := func(q float64) float64 { return ms[min(len(ms)-1, int(q*float64(len(ms))))] }
				b.ReportMetric(p(0.50), "p50_ms")
				b.ReportMetric(p(0.99), "p99_ms")
				b.ReportMetric(float64(size), "bytes/label")
			})
		}
	}
}
