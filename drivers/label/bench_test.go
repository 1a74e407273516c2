package label

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// batch is the number of samples each benchmark iteration takes, so the
// figures mean something at -benchtime 1x.
const batch = 20

func reportPercentiles(b *testing.B, ms []float64) {
	b.Helper()
	slices.Sort(ms)
	p := func(q float64) float64 { return ms[min(len(ms)-1, int(q*float64(len(ms))))] }
	b.ReportMetric(p(0.50), "p50-ms")
	b.ReportMetric(p(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

func benchRender(b *testing.B, pdf []byte, spec Spec) {
	r := renderer(b)
	ctx := context.Background()
	if _, err := r.Render(ctx, pdf, spec); err != nil { // warm the instance
		b.Fatal(err)
	}
	var ms []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < batch; j++ {
			t0 := time.Now()
			if _, err := r.Render(ctx, pdf, spec); err != nil {
				b.Fatal(err)
			}
			ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
		}
	}
	reportPercentiles(b, ms)
}

// BenchmarkRender203 is an A6 PDF page to a 4x6 1-bit bitmap at 203 dpi
// (margins cut, true size).
func BenchmarkRender203(b *testing.B) { benchRender(b, tiktokPDF(b), Spec{DPI: 203}) }

// BenchmarkRender300 is the same at 300 dpi.
func BenchmarkRender300(b *testing.B) { benchRender(b, tiktokPDF(b), Spec{DPI: 300}) }

// BenchmarkRenderScaled203 is a full-bleed A6 page that must be shrunk to
// 4 in wide: two PDFium renders.
func BenchmarkRenderScaled203(b *testing.B) {
	benchRender(b, makePDF(b, testLabel{tracking: tracking, fullBleed: true}), Spec{DPI: 203})
}

// BenchmarkPrepare is render plus barcode read-back, what the pack flow
// runs before printing, at 203 and 300 dpi.
func BenchmarkPrepare(b *testing.B) {
	r := renderer(b)
	pdf := tiktokPDF(b)
	for _, dpi := range []int{203, 300} {
		b.Run(map[int]string{203: "203dpi", 300: "300dpi"}[dpi], func(b *testing.B) {
			var ms []float64
			for i := 0; i < b.N; i++ {
				for j := 0; j < batch; j++ {
					t0 := time.Now()
					if _, err := r.Prepare(context.Background(), pdf, Spec{DPI: dpi}, tracking); err != nil {
						b.Fatal(err)
					}
					ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
				}
			}
			reportPercentiles(b, ms)
		})
	}
}

// BenchmarkDecodeBarcode is the read-back Prepare adds, at 203 and 300 dpi.
func BenchmarkDecodeBarcode(b *testing.B) {
	r := renderer(b)
	for _, dpi := range []int{203, 300} {
		bm, err := r.Render(context.Background(), tiktokPDF(b), Spec{DPI: dpi})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(map[int]string{203: "203dpi", 300: "300dpi"}[dpi], func(b *testing.B) {
			var ms []float64
			for i := 0; i < b.N; i++ {
				for j := 0; j < batch/2; j++ {
					t0 := time.Now()
					got, err := DecodeBarcode(bm)
					if err != nil || len(got) == 0 {
						b.Fatalf("decode: %q %v", got, err)
					}
					ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
				}
			}
			reportPercentiles(b, ms)
		})
	}
}

// BenchmarkStartCold starts a renderer with an empty compilation cache:
// PDFium is compiled from WebAssembly.
func BenchmarkStartCold(b *testing.B) {
	var ms []float64
	for i := 0; i < b.N; i++ {
		dir := filepath.Join(b.TempDir(), "wazero")
		t0 := time.Now()
		r, err := NewRenderer(context.Background(), Options{CacheDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
		_ = r.Close()
	}
	reportPercentiles(b, ms)
}

// BenchmarkStartWarm starts a renderer whose compilation cache is filled.
func BenchmarkStartWarm(b *testing.B) {
	dir := filepath.Join(b.TempDir(), "wazero")
	r, err := NewRenderer(context.Background(), Options{CacheDir: dir})
	if err != nil {
		b.Fatal(err)
	}
	_ = r.Close()
	var ms []float64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < 5; j++ {
			t0 := time.Now()
			r, err := NewRenderer(context.Background(), Options{CacheDir: dir})
			if err != nil {
				b.Fatal(err)
			}
			ms = append(ms, float64(time.Since(t0).Microseconds())/1000)
			_ = r.Close()
		}
	}
	reportPercentiles(b, ms)
}
