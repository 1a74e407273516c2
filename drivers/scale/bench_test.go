package scale_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/scale/scalesim"
)

// BenchmarkReadingToEvent measures, for each protocol (SCP-02 included,
// read by the NCI driver) over a real pty and
// tarm/serial, the time from the simulator writing a frame to a Monitor
// subscriber receiving its Reading. Each iteration is a fixed batch of
// weight changes; p50 and p99 are reported in milliseconds.
func BenchmarkReadingToEvent(b *testing.B) {
	const batch = 200
	for _, proto := range []string{"nci", "scp02", "sma", "sics", "toledo8217", "toledocont", "hidpos"} {
		b.Run(proto, func(b *testing.B) {
			var mu sync.Mutex
			written := map[string]time.Time{}
			sim := scalesim.New(proto, scalesim.Options{Weight: "0.50", Unit: "lb", Dir: b.TempDir(), Interval: 2 * time.Millisecond,
				OnFrame: func(frame []byte) {
					mu.Lock()
					if _, ok := written[string(frame)]; !ok {
						written[string(frame)] = time.Now()
					}
					mu.Unlock()
				}})
			defer sim.Close()
			path, err := sim.ServePTY()
			if err != nil {
				b.Fatal(err)
			}
			tr, driver := "serial", proto
			switch proto {
			case "hidpos":
				tr = "hidraw"
			case "scp02":
				driver = "nci" // the NCI driver reads both variants
			}
			m := scale.NewMonitor(deviceuri.URI{Protocol: driver, Transport: tr, Target: path}, scale.MonitorOptions{Interval: time.Millisecond, Buffer: 256})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { m.Run(ctx); close(done) }()
			defer func() { cancel(); <-done }()
			ch, unsub := m.Subscribe()
			defer unsub()

			var lat []float64
			b.ResetTimer()
			for n := 0; n < b.N; n++ {
				for i := 0; i < batch; i++ {
					v := fmt.Sprintf("%d.%02d", 1+(n*batch+i)/100%90, i%100)
					mu.Lock()
					clear(written)
					mu.Unlock()
					if err := sim.SetWeight(v, "lb"); err != nil {
						b.Fatal(err)
					}
					want, _ := scale.ParseValue(v, "lb")
					timeout := time.After(10 * time.Second)
				wait:
					for {
						select {
						case r := <-ch:
							if r.Micrograms != want.Micrograms {
								continue
							}
							mu.Lock()
							at, ok := written[string(r.Raw)]
							mu.Unlock()
							if ok {
								lat = append(lat, float64(time.Since(at).Microseconds())/1000)
							}
							break wait
						case <-timeout:
							b.Fatalf("no reading of %s lb; state %+v", v, m.State())
						}
					}
				}
			}
			b.StopTimer()
			slices.Sort(lat)
			if len(lat) == 0 {
				b.Fatal("no samples")
			}
			b.ReportMetric(lat[len(lat)/2], "p50-ms")
			b.ReportMetric(lat[len(lat)*99/100], "p99-ms")
			b.ReportMetric(float64(len(lat)), "samples")
		})
	}
}

// BenchmarkCaptureStable measures the capture rule over a batch of readings.
func BenchmarkCaptureStable(b *testing.B) {
	r, _ := scale.ParseValue("1.25", "lb")
	r.Stable, r.Raw = true, []byte("x")
	const batch = 1000
	for n := 0; n < b.N; n++ {
		ch := make(chan scale.Reading, batch)
		r.At = time.Now().Add(time.Hour)
		for i := 0; i < batch; i++ {
			ch <- r
		}
		if _, err := scale.CaptureStable(context.Background(), ch, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*batch), "ns/reading")
}
