package localapi

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/agent/localapi/apitype"
)

// BenchmarkCommandToEvent measures a scan command from a station to the
// station event it causes, received back over the websocket: the
// "scan to screen" path minus rendering. It reports p50 and p99 in ms.
func BenchmarkCommandToEvent(b *testing.B) {
	_, addr := startServer(b, Options{})
	c := mustDial(b, addr)
	c.hello("S1", 0)
	c.welcome()
	c.snapshot()
	const samples = 1000
	var lat []float64
	for b.Loop() {
		lat = lat[:0]
		for i := range samples {
			code := fmt.Sprint("SKU-", i)
			start := time.Now()
			c.send(apitype.TypeCommand, code, apitype.Command{Kind: apitype.CmdScan, Code: code})
			for gotEvent, gotResult := false, false; !gotEvent || !gotResult; {
				m := c.mustRead()
				switch m.Type {
				case apitype.TypeEvent:
					if !gotEvent {
						lat = append(lat, float64(time.Since(start).Microseconds())/1000)
					}
					gotEvent = true
				case apitype.TypeResult:
					gotResult = true
				}
			}
		}
	}
	slices.Sort(lat)
	b.ReportMetric(lat[len(lat)/2], "p50-ms")
	b.ReportMetric(lat[len(lat)*99/100], "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkFanout16 publishes a fixed batch of global events to 16
// connected stations and reports the events per second each station
// receives (all of them, in order).
func BenchmarkFanout16(b *testing.B) {
	const stations, events = 16, 5000
	// The whole batch is published at once, faster than any client reads;
	// the queue holds it so that the figure is throughput, not the
	// slow-client policy.
	s, addr := startServer(b, Options{SendQueue: events})
	clients := make([]*testClient, stations)
	for i := range clients {
		clients[i] = mustDial(b, addr)
		clients[i].hello(fmt.Sprintf("S%02d", i), 0)
		clients[i].welcome()
		clients[i].snapshot()
	}
	reading, _ := json.Marshal(apitype.Reading{Grams: 1234.5, Display: "1.2345 kg", Stable: true})
	var elapsed time.Duration
	for b.Loop() {
		var wg sync.WaitGroup
		start := time.Now()
		errs := make(chan error, stations)
		for _, c := range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range events {
					if _, err := c.read(); err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		for range events {
			s.Publish("", apitype.EvReading, json.RawMessage(reading))
		}
		wg.Wait()
		elapsed += time.Since(start)
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
	}
	perStation := float64(events*b.N) / elapsed.Seconds()
	b.ReportMetric(perStation, "events/s/station")
	b.ReportMetric(perStation*stations, "deliveries/s")
	b.ReportMetric(0, "ns/op")
}
