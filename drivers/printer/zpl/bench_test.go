package zpl

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/packline/packline/drivers/raster"
)

// synthLabel draws a shipping-label-like bitmap: a border, lines of
// glyph-sized blocks, a Code 128-like barcode and a 2D code.
func synthLabel(w, h int) *raster.Bitmap {
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	b := raster.New(w, h)
	fill := func(x0, y0, x1, y1 int) {
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				b.Set(x, y, true)
			}
		}
	}
	u := max(1, w/406) // 2 dots at 203 dpi, 3 at 300
	fill(0, 0, w, 2*u)
	fill(0, h-2*u, w, h)
	fill(0, 0, 2*u, h)
	fill(w-2*u, 0, w, h)
	// Text: 14 lines of 40 glyphs, each glyph a few strokes.
	for line := 0; line < 14; line++ {
		y := 20*u + line*22*u
		for g := 0; g < 40; g++ {
			x := 10*u + g*9*u
			for k := 0; k < 3; k++ {
				gx, gy := x+r.IntN(6*u), y+r.IntN(10*u)
				fill(gx, gy, gx+u+r.IntN(4*u), gy+u+r.IntN(6*u))
			}
		}
	}
	// Barcode: 120 bars.
	x := 40 * u
	for i := 0; i < 120 && x < w-40*u; i++ {
		bw := u * (1 + r.IntN(4))
		if i%2 == 0 {
			fill(x, 360*u, x+bw, 480*u)
		}
		x += bw
	}
	// 2D code: 33x33 modules of 4 dots.
	m := 4 * u
	for i := 0; i < 33; i++ {
		for j := 0; j < 33; j++ {
			if r.IntN(2) == 0 {
				fill(40*u+i*m, 500*u+j*m, 40*u+(i+1)*m, 500*u+(j+1)*m)
			}
		}
	}
	return b
}

func percentiles(d []time.Duration) (p50, p99 float64) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	return ms(d[len(d)/2]), ms(d[min(len(d)-1, len(d)*99/100)])
}

func benchEncode(b *testing.B, w, h int) {
	img := synthLabel(w, h)
	const batch = 200
	var lat []time.Duration
	size := 0
	var enc Encoder
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < batch; j++ {
			t := time.Now()
			job, err := enc.Encode(img, EncodeOptions{Width: w, Height: h})
			lat = append(lat, time.Since(t))
			if err != nil {
				b.Fatal(err)
			}
			size = len(job)
		}
	}
	p50, p99 := percentiles(lat)
	b.ReportMetric(p50, "p50_ms")
	b.ReportMetric(p99, "p99_ms")
	b.ReportMetric(float64(size), "bytes/label")
	b.ReportMetric(float64(len(img.Bits)), "raw_bytes/label")
	b.ReportMetric(float64(len(HexRows(img.Bits, img.Stride))), "gfa_hex_bytes/label")
}

// BenchmarkEncodeZ64_203dpi encodes a 4x6 label at 203 dpi (812x1218).
func BenchmarkEncodeZ64_203dpi(b *testing.B) { benchEncode(b, 812, 1218) }

// BenchmarkEncodeZ64_300dpi encodes a 4x6 label at 300 dpi (1218x1827).
func BenchmarkEncodeZ64_300dpi(b *testing.B) { benchEncode(b, 1218, 1827) }

// BenchmarkDecodeLabel decodes an encoded 203 dpi label, as the simulator
// does for every job.
func BenchmarkDecodeLabel(b *testing.B) {
	img := synthLabel(812, 1218)
	job, _ := Encode(img, EncodeOptions{Width: 812})
	const batch = 200
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < batch; j++ {
			t := time.Now()
			if _, _, err := DecodeLabel(job); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
		}
	}
	p50, p99 := percentiles(lat)
	b.ReportMetric(p50, "p50_ms")
	b.ReportMetric(p99, "p99_ms")
}
