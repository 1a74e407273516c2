package relay

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/packline/packline/store"
)

// BenchmarkRelayOverhead measures the relay's own cost per event: reading
// due events from a real store file, calling a handler that does nothing,
// and committing the acknowledgements. It drains a fixed batch per run and
// reports milliseconds per event.
func BenchmarkRelayOverhead(b *testing.B) {
	const batch = 1000
	db, err := store.Open(filepath.Join(b.TempDir(), "outbox.db"), store.Options{Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	r := New(FromStore(db), Options{})
	r.Register("k", func(context.Context, Event) error { return nil })
	var total time.Duration
	for range b.N {
		b.StopTimer()
		if err := db.Update(func(tx *store.Tx) error {
			for i := range batch {
				if _, err := tx.Enqueue("k", string(rune('a'+i%26))+"-order", map[string]int{"i": i}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start := time.Now()
		n, err := r.Drain(context.Background())
		total += time.Since(start)
		if err != nil || n != batch {
			b.Fatalf("drained %d: %v", n, err)
		}
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N*batch), "ms/event")
}
