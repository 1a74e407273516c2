package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/agent/daemon/daemontest"
	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/printer/printersim"
	"github.com/packline/packline/drivers/scale/scalesim"
	"github.com/packline/packline/store"
	"github.com/packline/packline/ui/client"
)

// BenchmarkStableWeightToPrinter measures the assembled agent from the
// moment it has a stable weight from the scale to the first byte of that
// order's label at the printer: the upstream re-check, the weighed commit,
// Create Packages, the shipping document and its PDF from the simulator
// (answering at once on loopback), rendering with barcode read-back, the
// print queue, ZPL encoding, and the TCP link to a printer simulator with
// its status query.
//
// A packer robot drives station st1 through the engine's commands: it
// claims an order, scans its units and the box, puts the box on a
// continuous-output scale that moves for a while before it settles, and
// accepts the weight at once, as a packer does. The clock starts at the
// reading that completed the stable weight, as the scale's readings stream
// to the station over the local API, and stops when the printer simulator
// reads the first byte of the label after answering the status query. Each
// run packs a fixed batch of orders after a warm-up order that starts the
// PDF renderer, and reports p50 and p99 in milliseconds.
func BenchmarkStableWeightToPrinter(b *testing.B) {
	const (
		batch  = 30
		warmup = 2
	)
	need := warmup + batch*b.N
	sim := tiktoksim.New(tiktoksim.Options{Seed: 17, Orders: 2*need + 10})
	if _, err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	pr := startStampedPrinter(b)
	defer pr.close()

	scaleName := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	defer scalesim.RemoveShared(scaleName)
	// A Toledo continuous-output scale that shows motion for 150 ms after
	// each new weight, and a ZPL printer on TCP.
	cfg := daemontest.Config(b, sim, daemontest.Station{
		Scale: "sim://scale?protocol=toledocont&name=" + scaleName + "&motion=150ms", Printer: "zpl+tcp://" + pr.addr})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a, err := Start(ctx, cfg, nil, testOptions)
	if err != nil {
		b.Fatal(err)
	}
	defer a.Stop()
	if _, err := a.Intake.Pull(ctx); err != nil {
		b.Fatal(err)
	}
	rs := watchReadings(ctx, b, a)

	robot := &packer{b: b, a: a, scale: scalesim.Shared(scaleName), printer: pr, readings: rs, stable: cfg.Weight.StableReadings}
	_, queue, _, _ := a.Engine.Snapshot("st1")
	next := 0
	pack := func() float64 {
		for next < len(queue) {
			q := queue[next]
			next++
			if q.State != string(order.Pulled) || q.ClaimedBy != "" {
				continue
			}
			if lat, ok := robot.pack(q.OrderID); ok {
				return lat
			}
		}
		b.Fatalf("the queue ran out of orders to pack (%d entries)", len(queue))
		return 0
	}
	for range warmup {
		pack()
	}
	b.ResetTimer()
	var lat []float64
	for range b.N {
		for range batch {
			lat = append(lat, pack())
		}
	}
	b.StopTimer()
	sort.Float64s(lat)
	b.ReportMetric(lat[len(lat)/2], "p50_ms")
	b.ReportMetric(lat[(len(lat)*99)/100], "p99_ms")
	b.ReportMetric(0, "ns/op")
}

// packer is the robot at station st1.
type packer struct {
	b        *testing.B
	a        *Agent
	scale    *scalesim.Sim
	printer  *stampedPrinter
	readings *readingLog
	stable   int // identical stable readings that make a weight
}

// pack packs one order and returns the time from its stable weight to the
// first byte of its label at the printer, in milliseconds. It reports
// false, having let the order go, when the order cannot be packed.
func (p *packer) pack(id string) (float64, bool) {
	b, e := p.b, p.a.Engine
	if r := e.Do(context.Background(), "st1", apitype.Command{Kind: apitype.CmdScan, Code: id}); !r.OK {
		return 0, false // on hold, or otherwise not packable now
	}
	v, _, _, _ := e.Snapshot("st1")
	for v.Phase == apitype.PhaseScanning && v.Order != nil {
		scanned := false
		for _, l := range v.Order.Lines {
			if l.Got < l.Want {
				p.do(apitype.Command{Kind: apitype.CmdScan, Code: l.SKUID})
				scanned = true
				break
			}
		}
		if !scanned {
			break
		}
		v, _, _, _ = e.Snapshot("st1")
	}
	if v.Phase != apitype.PhaseBoxing {
		e.Do(context.Background(), "st1", apitype.Command{Kind: apitype.CmdRelease})
		return 0, false
	}
	p.do(apitype.Command{Kind: apitype.CmdScan, Code: "BOX-M"})
	grams, err := expectedGrams(p.a.DB, id)
	if err != nil {
		b.Fatal(err)
	}
	select {
	case <-p.printer.jobs:
		b.Fatal("the printer received a label nobody asked for")
	default:
	}
	// The box goes on the scale, which moves before it settles; the packer
	// accepts at once and the agent waits for the stable weight.
	onScale := time.Now()
	if err := p.scale.SetWeight(fmt.Sprintf("%.3f", (grams+12)/1000), "kg"); err != nil {
		b.Fatal(err)
	}
	p.do(apitype.Command{Kind: apitype.CmdAcceptWeight})
	var first time.Time
	select {
	case first = <-p.printer.jobs:
	case <-time.After(30 * time.Second):
		v, _, _, _ := e.Snapshot("st1")
		b.Fatalf("order %s: no label at the printer after 30 s; phase %s, prompt %q, label %+v", id, v.Phase, v.Prompt, v.Label)
	}
	stable := p.readings.accepted(b, onScale, p.stable)
	var o order.Order
	if err := p.a.DB.View(func(tx *store.Tx) error { o, err = tx.Order(id); return err }); err != nil {
		b.Fatal(err)
	}
	if o.Pack == nil || o.Pack.Measured.Grams() != stable.Grams {
		b.Fatalf("order %s: the agent took %+v, not the stable reading %+v", id, o.Pack, stable)
	}
	if !first.After(stable.At) {
		b.Fatalf("order %s: label at the printer at %v, before its stable weight at %v", id, first, stable.At)
	}
	p.waitPrinted(id)
	return ms(first.Sub(stable.At)), true
}

func (p *packer) do(cmd apitype.Command) {
	if r := p.a.Engine.Do(context.Background(), "st1", cmd); !r.OK {
		p.b.Fatalf("%s %q: %+v", cmd.Kind, cmd.Code, r.Error)
	}
}

// waitPrinted waits until the station shows the label printed, so the next
// order starts on a free station.
func (p *packer) waitPrinted(id string) {
	deadline := time.Now().Add(30 * time.Second)
	for {
		v, _, _, _ := p.a.Engine.Snapshot("st1")
		if v.Order != nil && v.Order.ID == id && v.Label != nil && v.Label.Printed {
			return
		}
		if time.Now().After(deadline) {
			p.b.Fatalf("order %s never shown printed; phase %s, prompt %q, label %+v", id, v.Phase, v.Prompt, v.Label)
		}
		time.Sleep(time.Millisecond)
	}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// readingLog keeps the scale readings streamed to station st1.
type readingLog struct {
	mu sync.Mutex
	rs []apitype.Reading
}

// watchReadings connects to the agent's local API as station st1 and logs
// its scale readings until ctx ends; it returns once the first arrived.
func watchReadings(ctx context.Context, b *testing.B, a *Agent) *readingLog {
	b.Helper()
	l := &readingLog{}
	got := make(chan struct{})
	var once sync.Once
	c, err := client.New(client.Options{URL: "ws://" + a.Addr, Token: a.Token, Station: "st1", Name: "bench",
		OnEvent: func(m apitype.Message) {
			if m.Event != apitype.EvReading {
				return
			}
			var r apitype.Reading
			if json.Unmarshal(m.Data, &r) != nil {
				return
			}
			l.mu.Lock()
			l.rs = append(l.rs, r)
			l.mu.Unlock()
			once.Do(func() { close(got) })
		}})
	if err != nil {
		b.Fatal(err)
	}
	go c.Run(ctx)
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		b.Fatal("no scale reading reached the station in 30 s")
	}
	return l
}

// accepted returns the reading that completed the stable weight accepted
// after since: the last of the first n identical acceptable readings in a
// row. The scale shows motion after since for longer than the agent takes
// to start listening, so no earlier reading can have counted. It forgets
// the readings before since.
func (l *readingLog) accepted(b *testing.B, since time.Time, n int) apitype.Reading {
	b.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		l.mu.Lock()
		i := sort.Search(len(l.rs), func(i int) bool { return !l.rs[i].At.Before(since) })
		l.rs = l.rs[i:]
		count := 0
		var last apitype.Reading
		for _, r := range l.rs {
			ok := r.Stable && !r.Zero && !r.Over && !r.Under && r.Grams > 0
			switch {
			case !ok:
				count = 0
			case count > 0 && r.Grams == last.Grams:
				count++
			default:
				count = 1
			}
			last = r
			if count == n {
				l.mu.Unlock()
				return r
			}
		}
		l.mu.Unlock()
		if time.Now().After(deadline) {
			b.Fatalf("no %d stable readings in a row streamed since %v", n, since)
		}
		time.Sleep(time.Millisecond)
	}
}

// stampedPrinter is a printer simulator on loopback TCP that notes, for
// each connection that prints a label, when the first byte after its last
// answer arrived: with the status query answered, that is the label's first
// byte.
type stampedPrinter struct {
	sim  *printersim.Sim
	ln   net.Listener
	addr string
	jobs chan time.Time
	done chan struct{}
}

func startStampedPrinter(b *testing.B) *stampedPrinter {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	p := &stampedPrinter{sim: printersim.New(printersim.Options{}), ln: ln, addr: ln.Addr().String(),
		jobs: make(chan time.Time, 64), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		// One connection at a time, as the simulator's own listener and
		// a printer's port 9100 serve them.
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			sc := &stampedConn{Conn: c}
			before := p.sim.Jobs()
			p.sim.Serve(sc)
			c.Close()
			if p.sim.Jobs() > before {
				p.jobs <- sc.first
			}
		}
	}()
	return p
}

func (p *stampedPrinter) close() {
	p.ln.Close()
	<-p.done
	p.sim.Close()
}

// stampedConn notes when the first byte read after the last write arrived.
// The simulator reads and answers on one goroutine.
type stampedConn struct {
	net.Conn
	first    time.Time
	answered bool
}

func (c *stampedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 && (c.first.IsZero() || c.answered) {
		c.first, c.answered = time.Now(), false
	}
	return n, err
}

func (c *stampedConn) Write(p []byte) (int, error) {
	c.answered = true
	return c.Conn.Write(p)
}
