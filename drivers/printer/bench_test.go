package printer

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/printer/printersim"
	"github.com/packline/packline/drivers/raster"
)

// benchLabel draws a shipping-label-like bitmap: border, text-sized
// blocks, a barcode and a 2D code.
func benchLabel(w, h int) *raster.Bitmap {
	r := rand.New(rand.NewPCG(uint64(w), 7))
	b := raster.New(w, h)
	fill := func(x0, y0, x1, y1 int) {
		for y := y0; y < y1 && y < h; y++ {
			for x := x0; x < x1 && x < w; x++ {
				b.Set(x, y, true)
			}
		}
	}
	u := max(1, w/406)
	fill(0, 0, w, 2*u)
	fill(0, h-2*u, w, h)
	for line := 0; line < 14; line++ {
		for g := 0; g < 40; g++ {
			x, y := 10*u+g*9*u, 20*u+line*22*u
			for k := 0; k < 3; k++ {
				gx, gy := x+r.IntN(6*u), y+r.IntN(10*u)
				fill(gx, gy, gx+u+r.IntN(4*u), gy+u+r.IntN(6*u))
			}
		}
	}
	x := 40 * u
	for i := 0; i < 120 && x < w-40*u; i++ {
		bw := u * (1 + r.IntN(4))
		if i%2 == 0 {
			fill(x, 360*u, x+bw, 480*u)
		}
		x += bw
	}
	for i := 0; i < 33; i++ {
		for j := 0; j < 33; j++ {
			if r.IntN(2) == 0 {
				fill(40*u+i*4*u, 500*u+j*4*u, 40*u+(i+1)*4*u, 500*u+(j+1)*4*u)
			}
		}
	}
	return b
}

func pctl(d []time.Duration) (p50, p99 float64) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	return ms(d[len(d)/2]), ms(d[min(len(d)-1, len(d)*99/100)])
}

// BenchmarkLanguageBytes reports the job size and encode time of one 4x6
// label in each language at 203 and 300 dpi.
func BenchmarkLanguageBytes(b *testing.B) {
	for _, lang := range []string{"zpl", "epl", "tspl"} {
		for _, dpi := range []int{203, 300} {
			b.Run(fmt.Sprintf("%s_%ddpi", lang, dpi), func(b *testing.B) {
				uri := deviceuri.MustParse(lang + "+tcp://127.0.0.1:9100")
				m, err := MediaFor(uri, Options{DPI: dpi})
				if err != nil {
					b.Fatal(err)
				}
				l, err := languageFor(uri)
				if err != nil {
					b.Fatal(err)
				}
				img := benchLabel(m.Width, m.Height)
				const batch = 100
				var lat []time.Duration
				size := 0
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					for j := 0; j < batch; j++ {
						t := time.Now()
						job, err := l.encode(img, 1, m)
						lat = append(lat, time.Since(t))
						if err != nil {
							b.Fatal(err)
						}
						size = len(job)
					}
				}
				p50, p99 := pctl(lat)
				b.ReportMetric(float64(size), "bytes/label")
				b.ReportMetric(p50, "p50_ms")
				b.ReportMetric(p99, "p99_ms")
			})
		}
	}
}

// BenchmarkTCPJobRoundTrip prints 4x6 203 dpi labels to the simulator over
// TCP: connect, ~HQES, job, ~HQES, close; the printer has decoded the label
// by the time the second status answer arrives.
func BenchmarkTCPJobRoundTrip(b *testing.B) {
	for _, lang := range []string{"zpl", "tspl"} {
		b.Run(lang, func(b *testing.B) {
			sim := printersim.New(printersim.Options{Language: lang})
			addr, err := sim.Start("127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer sim.Close()
			p, err := Open(deviceuri.MustParse(lang+"+tcp://"+addr), Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			img := benchLabel(812, 1218)
			ctx := context.Background()
			const batch = 100
			var lat []time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				for j := 0; j < batch; j++ {
					t := time.Now()
					if err := p.Print(ctx, Job{ID: "bench", Image: img}); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t))
				}
			}
			b.StopTimer()
			if got := len(sim.Labels()); got != batch*b.N {
				b.Fatalf("simulator printed %d of %d labels", got, batch*b.N)
			}
			p50, p99 := pctl(lat)
			b.ReportMetric(p50, "p50_ms")
			b.ReportMetric(p99, "p99_ms")
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "jobs/s")
		})
	}
}

// BenchmarkQueueSubmitToPrinted measures the durable queue: spool write with
// fsync, send, and retire, per job.
func BenchmarkQueueSubmitToPrinted(b *testing.B) {
	sim := printersim.New(printersim.Options{})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	p, err := Open(deviceuri.MustParse("zpl+tcp://"+addr), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	q, err := NewQueue(p, QueueOptions{SpoolDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go q.Run(ctx)
	img := benchLabel(812, 1218)
	const batch = 50
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for j := 0; j < batch; j++ {
			t := time.Now()
			if err := q.Print(ctx, Job{ID: fmt.Sprint("q-", i, "-", j), Image: img}); err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(t))
		}
	}
	p50, p99 := pctl(lat)
	b.ReportMetric(p50, "p50_ms")
	b.ReportMetric(p99, "p99_ms")
}
