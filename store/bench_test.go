package store

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
)

// benchOrders makes n orders shaped like a TikTok intake: order ids grow
// with creation time, the RTS deadline is about two days after creation, and
// orders arrive in pages of 100 whose order is shuffled.
func benchOrders(prefix string, n int) []order.Order {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	out := make([]order.Order, n)
	for i := range out {
		created := t0.Add(time.Duration(i) * 3 * time.Second)
		o := mkOrder(fmt.Sprintf("%s%018d", prefix, 576460752303423488+int64(i)*1000+r.Int64N(1000)), order.Pulled,
			created.Add(48*time.Hour+time.Duration(r.Int64N(int64(2*time.Hour)))))
		o.CreateTime, o.PaidTime, o.UpdateTime = created, created, created
		o.SellerNote = "fragile"
		out[i] = o
	}
	for p := 0; p < n; p += 100 {
		page := out[p:min(p+100, n)]
		r.Shuffle(len(page), func(i, j int) { page[i], page[j] = page[j], page[i] })
	}
	return out
}

// BenchmarkPutOrders measures bulk intake: 20,000 new orders per run through
// PutOrders into a real file (target >= 20,000 orders/s), then the same
// orders again through a merge, as the next poll does.
func BenchmarkPutOrders(b *testing.B) {
	const n = 20000
	var total int
	var elapsed, merged, cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		e := newEnv(b)
		db, err := Open(e.path, e.opts())
		if err != nil {
			b.Fatal(err)
		}
		in := benchOrders("5", n)
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		w, err := db.PutOrders(in, nil)
		elapsed += time.Since(start)
		cpu += cpuTime() - cpu0
		if err != nil || w != n {
			b.Fatalf("PutOrders = %d, %v", w, err)
		}
		total += w
		b.StopTimer()
		// The next poll brings the same orders again: the merge keeps local
		// progress and takes the upstream status.
		for j := range in {
			in[j].Status = order.StatusCancelled
		}
		start = time.Now()
		w, err = db.PutOrders(in, func(old *order.Order, inc order.Order) (order.Order, bool) {
			old.Status = inc.Status
			return *old, true
		})
		merged += time.Since(start)
		if err != nil || w != n {
			b.Fatalf("PutOrders merge = %d, %v", w, err)
		}
		db.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(total)/elapsed.Seconds(), "orders/s")
	b.ReportMetric(float64(total)/merged.Seconds(), "merge-orders/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(total), "cpu-us/order")
}

// BenchmarkOutboxRelay measures the store's share of relaying one event. Each
// event is enqueued in its own transaction, as a state change does; the relay
// loop then takes up to 64 due events in one read transaction and, once they
// are delivered, acknowledges them in one write transaction (one fsync per
// batch; delivery is at least once either way). Target: <= 0.5 ms/event.
func BenchmarkOutboxRelay(b *testing.B) {
	const n = 1000
	e := newEnv(b)
	db, err := Open(e.path, e.opts())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var enq, relay time.Duration
	var batches int
	for i := 0; i < b.N; i++ {
		start := time.Now()
		for j := range n {
			err := db.Update(func(tx *Tx) error {
				_, err := tx.Enqueue("order.weighed", fmt.Sprintf("O%d", j%200), map[string]any{"weight": "1.25", "unit": "POUND", "seq": j})
				return err
			})
			if err != nil {
				b.Fatal(err)
			}
		}
		enq += time.Since(start)
		start = time.Now()
		for done := 0; done < n; {
			var due []Event
			if err := db.View(func(tx *Tx) (err error) { due, err = tx.DueEvents(e.clk.Now(), 64); return err }); err != nil {
				b.Fatal(err)
			}
			if len(due) == 0 {
				b.Fatalf("nothing due after %d of %d", done, n)
			}
			err := db.Update(func(tx *Tx) error {
				for _, ev := range due {
					if err := tx.AckEvent(ev.Seq); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				b.Fatal(err)
			}
			done += len(due)
			batches++
		}
		relay += time.Since(start)
	}
	total := float64(b.N * n)
	b.ReportMetric(float64(relay.Microseconds())/1000/total, "ms/event")
	b.ReportMetric(float64(enq.Microseconds())/1000/total, "enqueue-ms/event")
	b.ReportMetric(total/float64(batches), "events/batch")
}

// BenchmarkOpen100k measures opening a store holding 100,000 orders (the
// consistency check included) and listing its 20,000 open orders, as the
// agent does when it starts, with the heap and resident set that takes
// (targets: ready <= 1 s, RSS <= 150 MB).
func BenchmarkOpen100k(b *testing.B) {
	const n = 100000
	e := newEnv(b)
	db, err := Open(e.path, e.opts())
	if err != nil {
		b.Fatal(err)
	}
	in := benchOrders("7", n)
	// The oldest 80 % are dispatched; the newest 20 % still need work.
	for i := range in[:n*4/5] {
		in[i].State = order.Dispatched
	}
	if _, err := db.PutOrders(in, nil); err != nil {
		b.Fatal(err)
	}
	db.Close()
	in = nil
	var openD, listD time.Duration
	var heap, fileMB, rss float64
	debug.FreeOSMemory()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		start := time.Now()
		db, err := Open(e.path, e.opts())
		if err != nil {
			b.Fatal(err)
		}
		openD += time.Since(start)
		start = time.Now()
		var open []order.Order
		if err := db.View(func(tx *Tx) (err error) { open, err = tx.OpenOrders(); return err }); err != nil {
			b.Fatal(err)
		}
		listD += time.Since(start)
		runtime.ReadMemStats(&after)
		heap += float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc)) / (1 << 20)
		if len(open) != n/5 {
			b.Fatalf("%d open orders, want %d", len(open), n/5)
		}
		if r := rssMB(); r > 0 {
			rss = r
		}
		runtime.KeepAlive(open)
		st, err := db.Stats()
		if err != nil {
			b.Fatal(err)
		}
		fileMB = float64(st.FileSize) / (1 << 20)
		db.Close()
	}
	b.ReportMetric(float64(openD.Microseconds())/1000/float64(b.N), "open-ms")
	b.ReportMetric(float64(listD.Microseconds())/1000/float64(b.N), "open-orders-ms")
	b.ReportMetric(heap/float64(b.N), "heap-MB")
	b.ReportMetric(fileMB, "file-MB")
	if rss > 0 {
		b.ReportMetric(rss, "rss-MB")
	}
}
