package engine

import (
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/drivers/raster"
)

// stampPrinter notes when the label bitmap reached the printer.
type stampPrinter struct{ at time.Time }

func (p *stampPrinter) Print(ctx context.Context, j PrintJob) error {
	p.at = time.Now()
	return nil
}

// timedLabeler measures the time spent rendering.
type timedLabeler struct {
	l    Labeler
	last time.Duration
}

func (t *timedLabeler) Prepare(ctx context.Context, pdf []byte, spec LabelSpec, want string) (*raster.Bitmap, error) {
	start := time.Now()
	b, err := t.l.Prepare(ctx, pdf, spec, want)
	t.last = time.Since(start)
	return b, err
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
	tl := &timedLabeler{l: r.labeler}
	r.e.labeler = tl
	skus := r.skus(3)
	// Warm the renderer and the connection.
	id := r.addOrder(skus...)
	r.pack(id)
	r.settle(id)
	b.ResetTimer()
	var lat, render, rest []float64
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
			total := sp.at.Sub(start)
			lat = append(lat, ms(total))
			render = append(render, ms(tl.last))
			rest = append(rest, ms(total-tl.last))
			r.must(scan(r.order(id).Label.TrackingNumber))
		}
	}
	b.StopTimer()
	for _, m := range []struct {
		name string
		v    []float64
	}{{"", lat}, {"render_", render}, {"agent_", rest}} {
		sort.Float64s(m.v)
		b.ReportMetric(m.v[len(m.v)/2], m.name+"p50_ms")
		b.ReportMetric(m.v[(len(m.v)*99)/100], m.name+"p99_ms")
	}
	b.ReportMetric(0, "ns/op")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkScanToView measures one unit scan at a station through Do: the
// code resolved against the order and the barcode map, the count committed
// with its audit line (one fsync), and the station view rebuilt. Each run
// scans a fixed batch and reports p50 and p99 in milliseconds.
func BenchmarkScanToView(b *testing.B) {
	const batch = 300
	h := newHarness(b)
	var lat []float64
	n := 0
	for range b.N {
		for i := 0; i < batch; i += 3 {
			id := fmt.Sprintf("B%d", n)
			n++
			h.addOrder(testOrder(id))
			if r := h.e.Do(h.ctx, "A", scan(id)); !r.OK {
				b.Fatal(r.Error)
			}
			for _, code := range []string{"RED-L", "RED-L", "036000291452"} {
				start := time.Now()
				r := h.e.Do(h.ctx, "A", scan(code))
				lat = append(lat, ms(time.Since(start)))
				if !r.OK {
					b.Fatal(r.Error)
				}
			}
			h.e.Do(h.ctx, "A", apitype.Command{Kind: apitype.CmdRelease})
		}
	}
	sort.Float64s(lat)
	b.ReportMetric(lat[len(lat)/2], "p50_ms")
	b.ReportMetric(lat[(len(lat)*99)/100], "p99_ms")
	b.ReportMetric(0, "ns/op")
}
