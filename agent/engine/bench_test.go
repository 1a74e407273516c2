package engine

import (
	"context"
	"sort"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
)

// stampPrinter notes when the label bitmap reached the printer.
type stampPrinter struct{ at time.Time }

func (p *stampPrinter) Print(ctx context.Context, j PrintJob) error {
	p.at = time.Now()
	return nil
}

// BenchmarkWeightToLabel measures the agent's time from an accepted stable
// weight to the label bitmap handed to the printer: the upstream re-check,
// Create Packages, the shipping document, the PDF download, rendering with
// barcode read-back, and every store commit on the way. The simulator
// answers at once on loopback. Each run packs a fixed batch of orders and
// reports p50 and p99 in milliseconds.
func BenchmarkWeightToLabel(b *testing.B) {
	const batch = 40
	r := newSimRig(b, true, 0)
	sp := &stampPrinter{}
	r.e.stations["A"].dev.Printer = sp
	skus := r.skus(3)
	// Warm the renderer and the connection.
	id := r.addOrder(skus...)
	r.pack(id)
	r.settle(id)
	b.ResetTimer()
	var lat []float64
	for range b.N {
		for range batch {
			id := r.addOrder(skus...)
			r.must(scan(id))
			o := r.order(id)
			grams := 100.0
			for _, it := range o.Items() {
				r.must(scan(r.catalog[it.SKUID].GTIN))
				grams += r.catalog[it.SKUID].Weight.Grams()
			}
			r.must(scan("BOX-S"))
			start := time.Now()
			r.must(weigh(grams))
			if err := r.e.Process(context.Background(), id); err != nil {
				b.Fatal(err)
			}
			if got := r.order(id).State; got != order.LabelPrinted {
				b.Fatalf("state %s", got)
			}
			lat = append(lat, float64(sp.at.Sub(start).Microseconds())/1000)
			r.must(scan(r.order(id).Label.TrackingNumber))
		}
	}
	b.StopTimer()
	sort.Float64s(lat)
	b.ReportMetric(lat[len(lat)/2], "p50_ms")
	b.ReportMetric(lat[(len(lat)*99)/100], "p99_ms")
	b.ReportMetric(0, "ns/op")
}
