package store

import (
	"errors"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestOutboxDestinationsOrderedApart checks that events of one order bound
// for different destinations do not wait for each other, also when they
// were stored with the bare order id, while events of one destination keep
// their order across the two key forms.
func TestOutboxDestinationsOrderedApart(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	var seqs []uint64
	err := db.Update(func(tx *Tx) error {
		for _, ev := range []struct{ kind, agg string }{
			{"pack.record", "A"},           // 1: old sync record, not due (retried below)
			{"label.purchase", "A"},        // 2: old label purchase: due
			{"label.purchase", "label/A"},  // 3: waits behind 2
			{"pack.record", "sync/A"},      // 4: waits behind 1
			{"label.purchase", "label/B"},  // 5: due
			{"pack.record", "sync/B"},      // 6: due
			{"shop.heartbeat", "sync/B/x"}, // 7: its own key, due
		} {
			got, err := tx.Enqueue(ev.kind, ev.agg, nil)
			if err != nil {
				return err
			}
			seqs = append(seqs, got.Seq)
		}
		return tx.RetryEvent(seqs[0], e.clk.Now().Add(time.Hour), "sync endpoint answered 503")
	})
	if err != nil {
		t.Fatal(err)
	}
	var due []uint64
	if err := db.View(func(tx *Tx) error {
		evs, err := tx.DueEvents(e.clk.Now(), 0)
		for _, ev := range evs {
			due = append(due, ev.Seq)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	want := []uint64{seqs[1], seqs[4], seqs[5], seqs[6]}
	if len(due) != len(want) {
		t.Fatalf("due %v, want %v", due, want)
	}
	for i := range want {
		if due[i] != want[i] {
			t.Fatalf("due %v, want %v", due, want)
		}
	}
	var pending []Event
	if err := db.View(func(tx *Tx) (err error) { pending, err = tx.PendingEvents("A"); return err }); err != nil {
		t.Fatal(err)
	}
	if len(pending) != 4 {
		t.Errorf("PendingEvents(A) found %d events, want all 4 of order A", len(pending))
	}
}

func TestEventOrderingKey(t *testing.T) {
	for _, tt := range []struct{ kind, agg, key, order string }{
		{"label.purchase", "576", "label/576", "576"},
		{"pack.record", "576", "sync/576", "576"},
		{"pack.record", "sync/576", "sync/576", "576"},
		{"label.purchase", "label/576", "label/576", "576"},
		{"shop.heartbeat", "", "", ""},
	} {
		ev := Event{Kind: tt.kind, Aggregate: tt.agg}
		if got := ev.OrderingKey(); got != tt.key {
			t.Errorf("OrderingKey(%s %q) = %q, want %q", tt.kind, tt.agg, got, tt.key)
		}
		if got := ev.OrderID(); got != tt.order {
			t.Errorf("OrderID(%q) = %q, want %q", tt.agg, got, tt.order)
		}
	}
}

// TestCorruptEventDeadLettered checks that an outbox row that cannot be
// decoded holds back nothing and can be moved to the dead letters with its
// bytes and cause.
func TestCorruptEventDeadLettered(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	var bad, good Event
	if err := db.Update(func(tx *Tx) (err error) {
		if bad, err = tx.Enqueue("label.purchase", "label/A", nil); err != nil {
			return err
		}
		good, err = tx.Enqueue("label.purchase", "label/A", nil)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bOutbox)).Put(seqKey(bad.Seq), []byte(`{"seq":`))
	}); err != nil {
		t.Fatal(err)
	}
	var due []Event
	var corrupt []CorruptEvent
	var stats OutboxStats
	if err := db.View(func(tx *Tx) (err error) {
		if due, corrupt, err = tx.ScanDue(e.clk.Now(), 0); err != nil {
			return err
		}
		stats, err = tx.OutboxStats()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(due) != 1 || due[0].Seq != good.Seq {
		t.Errorf("due %+v, want only event %d", due, good.Seq)
	}
	if len(corrupt) != 1 || corrupt[0].Seq != bad.Seq || !errors.Is(corrupt[0].Err, ErrCorrupt) {
		t.Fatalf("corrupt %+v, want event %d as ErrCorrupt", corrupt, bad.Seq)
	}
	if stats.Depth != 2 || !stats.Oldest.Equal(good.CreatedAt) {
		t.Errorf("stats %+v", stats)
	}
	if err := db.Update(func(tx *Tx) error { return tx.DeadEvent(bad.Seq, corrupt[0].Err.Error()) }); err != nil {
		t.Fatal(err)
	}
	var dead []Event
	if err := db.View(func(tx *Tx) (err error) {
		if dead, err = tx.DeadEvents(); err != nil {
			return err
		}
		stats, err = tx.OutboxStats()
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Seq != bad.Seq || string(dead[0].Payload) != `"{\"seq\":"` || !strings.Contains(dead[0].LastError, "cannot be decoded") || dead[0].DeadAt.IsZero() {
		t.Errorf("dead letters %+v", dead)
	}
	if stats.Depth != 1 || stats.Dead != 1 {
		t.Errorf("stats after moving %+v", stats)
	}
}
