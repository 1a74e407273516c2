package store

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/packline/packline/agent/order"
	bolt "go.etcd.io/bbolt"
)

// clock is a settable test clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

type env struct {
	dir, path, backups string
	clk                *clock
}

func newEnv(t testing.TB) *env {
	dir := t.TempDir()
	return &env{dir: dir, path: filepath.Join(dir, "packline.db"), backups: filepath.Join(dir, "backups"), clk: &clock{t: t0}}
}

func (e *env) opts() Options {
	return Options{Timeout: 200 * time.Millisecond, BackupDir: e.backups, Now: e.clk.Now, Logger: slog.New(slog.DiscardHandler)}
}

func (e *env) open(t testing.TB) *DB {
	t.Helper()
	db, err := Open(e.path, e.opts())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mkOrder(id string, s order.State, deadline time.Time, pkgs ...string) order.Order {
	return order.Order{
		ID: id, WarehouseID: "WH1", Status: order.StatusAwaitingShipment, FulfillmentType: "FULFILLMENT_BY_SELLER",
		CreateTime: t0.Add(-time.Hour), RTSDeadline: deadline, State: s, Packages: pkgs,
		Recipient: order.Recipient{Name: "J*** D***", City: "Austin", Region: "TX", PostalCode: "78701", Country: "US"},
		LineItems: []order.LineItem{
			{ID: id + "-1", SKUID: "sku-1", ProductID: "p-1", ProductName: "Mug"},
			{ID: id + "-2", SKUID: "sku-2", ProductID: "p-2", ProductName: "Gift set", Components: []order.Component{{SKUID: "sku-3", ProductID: "p-3", Count: 2}}},
		},
		PulledAt: t0,
	}
}

func ids(os []order.Order) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.ID)
	}
	return out
}

// rawCount counts the keys of a bucket, bypassing the Tx helpers.
func rawCount(t *testing.T, db *DB, bucket string) int {
	t.Helper()
	n := 0
	if err := db.bolt.View(func(tx *bolt.Tx) error { n = countKeys(tx.Bucket([]byte(bucket))); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestOrdersAndIndexesFollowStateChanges(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	a := mkOrder("A", order.Pulled, t0.Add(10*time.Hour), "PKG-1")
	b := mkOrder("B", order.Claimed, t0.Add(2*time.Hour))
	c := mkOrder("C", order.Dispatched, t0.Add(1*time.Hour))
	err := db.Update(func(tx *Tx) error {
		for _, o := range []*order.Order{&a, &b, &c} {
			if err := tx.PutOrder(o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if a.Rev != 1 {
		t.Errorf("first write: Rev %d, want 1", a.Rev)
	}

	// Move A: Pulled -> Claimed, new deadline, package PKG-1 -> PKG-2.
	a.State = order.Claimed
	a.RTSDeadline = t0.Add(time.Hour / 2)
	a.Packages = []string{"PKG-2"}
	if err := db.Update(func(tx *Tx) error { return tx.PutOrder(&a) }); err != nil {
		t.Fatal(err)
	}
	if a.Rev != 2 {
		t.Errorf("second write: Rev %d, want 2", a.Rev)
	}
	err = db.View(func(tx *Tx) error {
		got, err := tx.Order("A")
		if err != nil {
			return err
		}
		if diff := cmp.Diff(a, got); diff != "" {
			t.Errorf("stored order differs (-want +got):\n%s", diff)
		}
		if p, err := tx.OrdersInState(order.Pulled); err != nil || len(p) != 0 {
			t.Errorf("Pulled after the move: %v, %v; want none", ids(p), err)
		}
		cl, err := tx.OrdersInState(order.Claimed)
		if err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"A", "B"}, ids(cl)); diff != "" {
			t.Errorf("Claimed by deadline (-want +got):\n%s", diff)
		}
		multi, _ := tx.OrdersInState(order.Dispatched, order.Claimed, order.Claimed)
		if diff := cmp.Diff([]string{"A", "C", "B"}, ids(multi)); diff != "" {
			t.Errorf("two states merged by deadline (-want +got):\n%s", diff)
		}
		open, _ := tx.OpenOrders()
		if diff := cmp.Diff([]string{"A", "B"}, ids(open)); diff != "" {
			t.Errorf("open orders (-want +got):\n%s", diff)
		}
		if _, err := tx.OrderIDByPackage("PKG-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("old package still indexed: %v", err)
		}
		if id, err := tx.OrderIDByPackage("PKG-2"); err != nil || id != "A" {
			t.Errorf("OrderIDByPackage(PKG-2) = %q, %v", id, err)
		}
		due, _ := tx.OrderIDsDueBefore(t0.Add(3*time.Hour), 0)
		if diff := cmp.Diff([]string{"A", "C", "B"}, due); diff != "" {
			t.Errorf("due before +3h (-want +got):\n%s", diff)
		}
		if n, _ := tx.CountOrders(); n != 3 {
			t.Errorf("CountOrders = %d, want 3", n)
		}
		if _, err := tx.Order("nope"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing order: %v, want ErrNotFound", err)
		}
		var walked []string
		if err := tx.ForEachOrder(func(o *order.Order) error { walked = append(walked, o.ID); return nil }); err != nil {
			return err
		}
		if diff := cmp.Diff([]string{"A", "B", "C"}, walked); diff != "" {
			t.Errorf("ForEachOrder (-want +got):\n%s", diff)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for bucket, want := range map[string]int{bIdxState: 3, bIdxDeadline: 3, bIdxPackage: 1} {
		if n := rawCount(t, db, bucket); n != want {
			t.Errorf("%s holds %d entries, want %d (stale entries left behind)", bucket, n, want)
		}
	}

	if err := db.Update(func(tx *Tx) error { return tx.DeleteOrder("A") }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.DeleteOrder("A") }); !errors.Is(err, ErrNotFound) {
		t.Errorf("second delete: %v, want ErrNotFound", err)
	}
	for bucket, want := range map[string]int{bIdxState: 2, bIdxDeadline: 2, bIdxPackage: 0, bOrders: 2} {
		if n := rawCount(t, db, bucket); n != want {
			t.Errorf("after delete %s holds %d entries, want %d", bucket, n, want)
		}
	}
	st, err := db.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.OrdersTotal != 2 || st.Orders[order.Claimed] != 1 || st.Orders[order.Dispatched] != 1 || st.SchemaVersion != 2 || st.FileSize == 0 {
		t.Errorf("Stats = %+v", st)
	}
}

func TestPutOrderRejectsBadInput(t *testing.T) {
	db := newEnv(t).open(t)
	for _, o := range []order.Order{
		{ID: ""},
		{ID: "X", State: "packed"},
		{ID: "a\x00b"},
		{ID: "Y", Packages: []string{""}},
	} {
		err := db.Update(func(tx *Tx) error { return tx.PutOrder(&o) })
		if err == nil {
			t.Errorf("PutOrder(%+v) succeeded", o)
		}
	}
	if n := rawCount(t, db, bOrders); n != 0 {
		t.Errorf("%d orders stored after refused writes", n)
	}
	// An empty state is stored as Pulled.
	o := order.Order{ID: "Z"}
	if err := db.Update(func(tx *Tx) error { return tx.PutOrder(&o) }); err != nil || o.State != order.Pulled {
		t.Errorf("empty state: %v, state %q", err, o.State)
	}
}

func TestTxUnusableAfterCallback(t *testing.T) {
	db := newEnv(t).open(t)
	var kept *Tx
	_ = db.View(func(tx *Tx) error { kept = tx; return nil })
	if _, err := kept.Order("A"); err == nil || !strings.Contains(err.Error(), "after its callback") {
		t.Errorf("use after callback: %v", err)
	}
}

func TestCorruptRecordIsAnError(t *testing.T) {
	db := newEnv(t).open(t)
	o := mkOrder("A", order.Pulled, t0)
	if err := db.Update(func(tx *Tx) error { return tx.PutOrder(&o) }); err != nil {
		t.Fatal(err)
	}
	if err := db.bolt.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bOrders)).Put([]byte("A"), []byte(`{"id":"A","state":`))
	}); err != nil {
		t.Fatal(err)
	}
	err := db.View(func(tx *Tx) error { _, err := tx.Order("A"); return err })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("Order on a damaged record: %v, want ErrCorrupt", err)
	}
	err = db.View(func(tx *Tx) error { _, err := tx.OrdersInState(order.Pulled); return err })
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("OrdersInState on a damaged record: %v, want ErrCorrupt", err)
	}
	// The damaged record can be deleted with its index entries.
	if err := db.Update(func(tx *Tx) error { return tx.DeleteOrder("A") }); err != nil {
		t.Fatal(err)
	}
	if n := rawCount(t, db, bIdxState) + rawCount(t, db, bIdxDeadline); n != 0 {
		t.Errorf("%d index entries left after deleting a damaged order", n)
	}
}

func TestPutOrdersMerge(t *testing.T) {
	db := newEnv(t).open(t)
	const n = 1234
	in := make([]order.Order, n)
	for i := range in {
		in[i] = mkOrder(fmt.Sprintf("O%05d", n-i), order.Pulled, t0.Add(time.Duration(i)*time.Minute))
	}
	in[5].State = "" // stored as Pulled
	in[6].Rev = 9    // Rev keeps growing from what the caller had
	got, err := db.PutOrders(in, nil)
	if err != nil || got != n {
		t.Fatalf("PutOrders = %d, %v", got, err)
	}
	if in[5].State != "" || in[6].Rev != 9 {
		t.Error("PutOrders changed the caller's orders")
	}
	_ = db.View(func(tx *Tx) error {
		for i, want := range map[int]uint64{5: 1, 6: 10, 7: 1} {
			o, err := tx.Order(in[i].ID)
			if err != nil || o.Rev != want || o.State != order.Pulled {
				t.Errorf("order %d: rev %d state %q, %v; want rev %d, pulled", i, o.Rev, o.State, err, want)
			}
			w := in[i]
			w.State, w.Rev = order.Pulled, want
			if diff := cmp.Diff(w, o); diff != "" {
				t.Errorf("order %d stored differently (-want +got):\n%s", i, diff)
			}
		}
		return nil
	})
	// Claim one, then re-pull everything: the merge keeps local progress
	// and skips orders whose upstream copy did not change.
	if err := db.Update(func(tx *Tx) error {
		o, err := tx.Order("O00007")
		if err != nil {
			return err
		}
		o.State = order.Claimed
		return tx.PutOrder(&o)
	}); err != nil {
		t.Fatal(err)
	}
	again := []order.Order{mkOrder("O00007", order.Pulled, t0), mkOrder("O00008", order.Pulled, t0), mkOrder("NEW", order.Pulled, t0)}
	again[0].Status = order.StatusCancelled
	merged, err := db.PutOrders(again, func(old *order.Order, inc order.Order) (order.Order, bool) {
		if old.Status == inc.Status {
			return order.Order{}, false
		}
		old.Status = inc.Status
		return *old, true
	})
	if err != nil || merged != 2 {
		t.Fatalf("merge wrote %d, %v; want 2", merged, err)
	}
	err = db.View(func(tx *Tx) error {
		o, err := tx.Order("O00007")
		if err != nil {
			return err
		}
		if o.State != order.Claimed || o.Status != order.StatusCancelled || o.Rev != 3 {
			t.Errorf("merged order: state %s status %s rev %d", o.State, o.Status, o.Rev)
		}
		if c, _ := tx.CountOrders(); c != n+1 {
			t.Errorf("CountOrders = %d, want %d", c, n+1)
		}
		if p, _ := tx.OrdersInState(order.Pulled); len(p) != n {
			t.Errorf("Pulled = %d, want %d", len(p), n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A bad order fails its chunk only, with a clear position.
	bad := []order.Order{mkOrder("OK1", order.Pulled, t0), {ID: "BAD", State: "weird"}}
	if w, err := db.PutOrders(bad, nil); err == nil || w != 0 || !strings.Contains(err.Error(), "unknown state") {
		t.Errorf("bad chunk: wrote %d, %v", w, err)
	}
}

func TestOutboxOrderingRetryDeadRequeue(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	var a1, b1, a2, c1 Event
	err := db.Update(func(tx *Tx) (err error) {
		if a1, err = tx.Enqueue("label.buy", "A", map[string]string{"n": "a1"}); err != nil {
			return err
		}
		e.clk.Add(time.Second)
		if b1, err = tx.Enqueue("label.buy", "B", nil); err != nil {
			return err
		}
		if a2, err = tx.Enqueue("order.dispatch", "A", map[string]string{"n": "a2"}); err != nil {
			return err
		}
		c1, err = tx.Enqueue("order.dispatch", "C", 42)
		return err
	})
	// Events without an aggregate are not held behind one another.
	var g1, g2 Event
	_ = db.Update(func(tx *Tx) (err error) {
		if g1, err = tx.Enqueue("shop.heartbeat", "", nil); err != nil {
			return err
		}
		g2, err = tx.Enqueue("shop.heartbeat", "", nil)
		return err
	})
	_ = db.Update(func(tx *Tx) error {
		if err := tx.RetryEvent(g1.Seq, e.clk.Now().Add(time.Hour), "timeout"); err != nil {
			return err
		}
		evs, err := tx.DueEvents(e.clk.Now(), 0)
		if err != nil || len(evs) != 4 || evs[3].Seq != g2.Seq {
			t.Errorf("due with unordered events: %+v, %v", evs, err)
		}
		if err := tx.AckEvent(g2.Seq); err != nil {
			return err
		}
		return tx.DeadEvent(g1.Seq, "gave up")
	})
	_ = db.Update(func(tx *Tx) error { return tx.RequeueDead(g1.Seq) })
	_ = db.Update(func(tx *Tx) error { return tx.AckEvent(g1.Seq) })
	if err != nil {
		t.Fatal(err)
	}
	if !(a1.Seq < b1.Seq && b1.Seq < a2.Seq && a2.Seq < c1.Seq) || len(a1.ID) != 36 || a1.ID[14] != '7' {
		t.Fatalf("sequences %d %d %d %d, id %s", a1.Seq, b1.Seq, a2.Seq, c1.Seq, a1.ID)
	}
	due := func(max int) []uint64 {
		var out []uint64
		if err := db.View(func(tx *Tx) error {
			evs, err := tx.DueEvents(e.clk.Now(), max)
			for _, ev := range evs {
				out = append(out, ev.Seq)
			}
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if diff := cmp.Diff([]uint64{a1.Seq, b1.Seq, c1.Seq}, due(10)); diff != "" {
		t.Errorf("due (a2 waits behind a1) (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]uint64{a1.Seq, b1.Seq}, due(2)); diff != "" {
		t.Errorf("due, max 2 (-want +got):\n%s", diff)
	}
	// a1 fails: it and a2 wait; b1 and c1 go.
	if err := db.Update(func(tx *Tx) error { return tx.RetryEvent(a1.Seq, e.clk.Now().Add(time.Minute), "503 upstream") }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{b1.Seq, c1.Seq}, due(10)); diff != "" {
		t.Errorf("due after retry (-want +got):\n%s", diff)
	}
	err = db.View(func(tx *Tx) error {
		ev, err := tx.Event(a1.Seq)
		if err != nil {
			return err
		}
		if ev.Attempts != 1 || ev.LastError != "503 upstream" || !ev.NextAttemptAt.Equal(e.clk.Now().Add(time.Minute)) || string(ev.Payload) != `{"n":"a1"}` {
			t.Errorf("after retry: %+v", ev)
		}
		p, err := tx.PendingEvents("A")
		if len(p) != 2 || p[0].Seq != a1.Seq || p[1].Seq != a2.Seq {
			t.Errorf("PendingEvents(A) = %+v, %v", p, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Ack b1: gone from the outbox, its id remembered.
	if err := db.Update(func(tx *Tx) error { return tx.AckEvent(b1.Seq) }); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *Tx) error { return tx.AckEvent(b1.Seq) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("second ack: %v, want ErrNotFound", err)
	}
	_ = db.View(func(tx *Tx) error {
		if ok, err := tx.Delivered(b1.ID); !ok || err != nil {
			t.Errorf("Delivered(b1) = %v, %v", ok, err)
		}
		if ok, _ := tx.Delivered(c1.ID); ok {
			t.Error("Delivered(c1) before its ack")
		}
		return nil
	})
	// a1 is dead: a2 may go now.
	if err := db.Update(func(tx *Tx) error { return tx.DeadEvent(a1.Seq, "400 invalid package") }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{a2.Seq, c1.Seq}, due(10)); diff != "" {
		t.Errorf("due after dead (-want +got):\n%s", diff)
	}
	_ = db.View(func(tx *Tx) error {
		d, err := tx.DeadEvents()
		if err != nil || len(d) != 1 || d[0].Seq != a1.Seq || d[0].LastError != "400 invalid package" || d[0].Attempts != 2 || d[0].DeadAt.IsZero() {
			t.Errorf("DeadEvents = %+v, %v", d, err)
		}
		s, err := tx.OutboxStats()
		if err != nil || s.Depth != 2 || s.Dead != 1 || !s.Oldest.Equal(a2.CreatedAt) {
			t.Errorf("OutboxStats = %+v, %v", s, err)
		}
		return nil
	})
	// Requeued, a1 is back before a2.
	if err := db.Update(func(tx *Tx) error { return tx.RequeueDead(a1.Seq) }); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]uint64{a1.Seq, c1.Seq}, due(10)); diff != "" {
		t.Errorf("due after requeue (-want +got):\n%s", diff)
	}
	_ = db.View(func(tx *Tx) error {
		if d, _ := tx.DeadEvents(); len(d) != 0 {
			t.Errorf("dead letters after requeue: %d", len(d))
		}
		ev, _ := tx.Event(a1.Seq)
		if ev.Attempts != 0 || ev.ID != a1.ID {
			t.Errorf("requeued event: %+v", ev)
		}
		return nil
	})
	if err := db.Update(func(tx *Tx) error { return tx.RequeueDead(a1.Seq) }); !errors.Is(err, ErrNotFound) {
		t.Errorf("requeue of a live event: %v, want ErrNotFound", err)
	}
}

func TestStateChangeAndEventCommitTogether(t *testing.T) {
	db := newEnv(t).open(t)
	o := mkOrder("A", order.Pulled, t0)
	if err := db.Update(func(tx *Tx) error { return tx.PutOrder(&o) }); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("printer on fire")
	err := db.Update(func(tx *Tx) error {
		o.State = order.Weighed
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		if _, err := tx.Enqueue("order.weighed", "A", nil); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update: %v", err)
	}
	_ = db.View(func(tx *Tx) error {
		got, _ := tx.Order("A")
		s, _ := tx.OutboxStats()
		if got.State != order.Pulled || s.Depth != 0 {
			t.Errorf("after rollback: state %s, outbox depth %d", got.State, s.Depth)
		}
		return nil
	})
}

func TestDeliveredIDsArePruned(t *testing.T) {
	e := newEnv(t)
	db := e.open(t)
	var first, second Event
	_ = db.Update(func(tx *Tx) (err error) { first, err = tx.Enqueue("k", "A", nil); return err })
	_ = db.Update(func(tx *Tx) error { return tx.AckEvent(first.Seq) })
	e.clk.Add(DeliveredRetention + time.Hour)
	_ = db.Update(func(tx *Tx) (err error) { second, err = tx.Enqueue("k", "B", nil); return err })
	if err := db.Update(func(tx *Tx) error { return tx.AckEvent(second.Seq) }); err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		if ok, _ := tx.Delivered(first.ID); ok {
			t.Error("an id acknowledged 30+ days ago is still remembered")
		}
		if ok, _ := tx.Delivered(second.ID); !ok {
			t.Error("a fresh id was pruned")
		}
		return nil
	})
}

func TestAuditByOrder(t *testing.T) {
	db := newEnv(t).open(t)
	err := db.Update(func(tx *Tx) error {
		for i, e := range []AuditEntry{
			{OrderID: "A", Station: "S1", Actor: "ana", Action: "claim"},
			{OrderID: "AB", Station: "S2", Actor: "bo", Action: "claim"},
			{Station: "S1", Actor: "lead", Action: "login"},
			{OrderID: "A", Station: "S1", Actor: "ana", Action: "exception", Detail: "weight 12% over"},
		} {
			e.At = t0.Add(time.Duration(i) * time.Second)
			if err := tx.Audit(e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	_ = db.View(func(tx *Tx) error {
		log, err := tx.AuditLog("A")
		if err != nil || len(log) != 2 || log[0].Action != "claim" || log[1].Detail != "weight 12% over" {
			t.Errorf("AuditLog(A) = %+v, %v", log, err)
		}
		if log, _ := tx.AuditLog("AB"); len(log) != 1 || log[0].Actor != "bo" {
			t.Errorf("AuditLog(AB) = %+v", log)
		}
		if log, _ := tx.AuditLog("nobody"); len(log) != 0 {
			t.Errorf("AuditLog(nobody) = %+v", log)
		}
		return nil
	})
	if err := db.Update(func(tx *Tx) error { return tx.Audit(AuditEntry{OrderID: "A"}) }); err == nil {
		t.Error("an audit entry without an action was accepted")
	}
}

func TestNormalizeCode(t *testing.T) {
	for _, tc := range []struct{ in, want, err string }{
		{in: "012345678905", want: "00012345678905"},      // UPC-A
		{in: "0012345678905", want: "00012345678905"},     // the same as EAN-13
		{in: "00012345678905", want: "00012345678905"},    // GTIN-14
		{in: " 012345678905\r\n", want: "00012345678905"}, // scanner suffix
		{in: "4006381333931", want: "04006381333931"},     // EAN-13
		{in: "96385074", want: "00000096385074"},          // EAN-8
		{in: "012345678904", err: "check digit is 4, not 5"},
		{in: "4006381333932", err: "check digit"},
		{in: "12345", want: "12345"},         // not a GTIN length: kept
		{in: "SKU-ABC-1", want: "SKU-ABC-1"}, // Code 128 text: kept
		{in: " \t\r\n", err: "empty"},
		{in: strings.Repeat("9", 200), err: "at most 128"},
	} {
		got, err := NormalizeCode(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("NormalizeCode(%q) = %q, %v; want error containing %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("NormalizeCode(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestBarcodesProductsDocumentsMeta(t *testing.T) {
	db := newEnv(t).open(t)
	pdf := []byte("%PDF-1.7 label")
	err := db.Update(func(tx *Tx) error {
		if err := tx.PutBarcode("012345678905", "sku-1", 1); err != nil {
			return err
		}
		if err := tx.PutBarcode("CASE-6", "sku-1", 6); err != nil {
			return err
		}
		if err := tx.PutProduct(order.Product{ID: "p-1", Weight: 350 * order.Gram, FetchedAt: t0}); err != nil {
			return err
		}
		if err := tx.PutDocument("label/A", pdf); err != nil {
			return err
		}
		return tx.SetMeta("intake.cursor", map[string]int64{"update_time_ge": 1767225600})
	})
	if err != nil {
		t.Fatal(err)
	}
	pdf[0] = 'X' // the store kept its own copy
	var doc []byte
	err = db.View(func(tx *Tx) error {
		if sku, units, err := tx.LookupBarcode("0012345678905"); err != nil || sku != "sku-1" || units != 1 {
			t.Errorf("EAN-13 lookup of a UPC-A code = %q, %d, %v", sku, units, err)
		}
		if _, units, _ := tx.LookupBarcode("CASE-6"); units != 6 {
			t.Errorf("case units = %d", units)
		}
		if _, _, err := tx.LookupBarcode("4006381333931"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown code: %v", err)
		}
		if _, _, err := tx.LookupBarcode("012345678904"); err == nil || errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "scan it again") {
			t.Errorf("misread code: %v", err)
		}
		if p, err := tx.Product("p-1"); err != nil || p.Weight != 350*order.Gram {
			t.Errorf("Product = %+v, %v", p, err)
		}
		if _, err := tx.Product("p-9"); !errors.Is(err, ErrNotFound) {
			t.Errorf("missing product: %v", err)
		}
		var err error
		doc, err = tx.Document("label/A")
		if err != nil {
			return err
		}
		var cur map[string]int64
		if ok, err := tx.Meta("intake.cursor", &cur); !ok || err != nil || cur["update_time_ge"] != 1767225600 {
			t.Errorf("Meta = %v, %v, %v", cur, ok, err)
		}
		if ok, err := tx.Meta("absent", &cur); ok || err != nil {
			t.Errorf("absent Meta = %v, %v", ok, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// doc must stay valid after the transaction: write more, then compare.
	_ = db.Update(func(tx *Tx) error { return tx.PutDocument("label/B", bytes.Repeat([]byte{'z'}, 1<<16)) })
	if string(doc) != "%PDF-1.7 label" {
		t.Errorf("document copied out = %q", doc)
	}
	if err := db.Update(func(tx *Tx) error { return tx.PutBarcode("012345678904", "sku-x", 1) }); err == nil {
		t.Error("a barcode with a bad check digit was stored")
	}
}

func TestFirstOpenOrdersReadsOnlyTheEarliest(t *testing.T) {
	db := newEnv(t).open(t)
	states := []order.State{order.Pulled, order.Dispatched, order.Claimed, order.Cancelled, order.Staged, order.Pulled, order.LabelPrinted, order.Exception}
	err := db.Update(func(tx *Tx) error {
		for i, s := range states {
			o := mkOrder(fmt.Sprintf("o%d", i), s, t0.Add(time.Duration(len(states)-i)*time.Hour))
			if err := tx.PutOrder(&o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []order.Order
	var counts map[order.State]int
	db.View(func(tx *Tx) error {
		got, err = tx.FirstOpenOrders(3)
		if err != nil {
			return err
		}
		counts, err = tx.CountByState()
		return err
	})
	// Open orders by deadline: o7 (exception), o5, o4 (staged), o2, o0.
	want := []string{"o7", "o5", "o4"}
	if len(got) != len(want) {
		t.Fatalf("FirstOpenOrders(3) = %d orders, want %v", len(got), want)
	}
	for i, o := range got {
		if o.ID != want[i] {
			t.Errorf("FirstOpenOrders(3)[%d] = %s, want %s", i, o.ID, want[i])
		}
	}
	if counts[order.Pulled] != 2 || counts[order.Dispatched] != 1 || counts[order.Exception] != 1 {
		t.Errorf("CountByState() = %v", counts)
	}
}
