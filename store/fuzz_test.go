package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
	bolt "go.etcd.io/bbolt"
)

// FuzzStoredRecords feeds damaged values to every reader of stored records,
// through a real store file: each must return an error (ErrCorrupt), never
// panic.
func FuzzStoredRecords(f *testing.F) {
	o := mkOrder("A", order.Weighed, t0, "PKG-1")
	o.Pack = &order.Pack{Station: "S1", Scanned: map[string]int{"sku-1": 1}, Measured: 1234 * order.Gram}
	ov, _ := json.Marshal(o)
	ev, _ := json.Marshal(Event{Seq: 1, ID: "0190f1c2-0000-7000-8000-000000000000", Kind: "label.buy", Aggregate: "A", Payload: json.RawMessage(`{"w":"1.25"}`), CreatedAt: t0})
	av, _ := json.Marshal(AuditEntry{At: t0, OrderID: "A", Action: "claim"})
	pv, _ := json.Marshal(order.Product{ID: "p-1", Weight: 350 * order.Gram})
	for _, seed := range [][]byte{ov, ev, av, pv, []byte(`{"sku_id":"sku-1","units":1}`), []byte(`{"id":"A","state":"pulled","rts_deadline":"not a time"}`), []byte(`{"seq":"x"}`), {0xff, 0x00}, nil} {
		f.Add(seed)
	}
	e := newEnv(f)
	db, err := Open(e.path, e.opts())
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	db.bolt.NoSync = true
	f.Fuzz(func(t *testing.T, v []byte) {
		err := db.bolt.Update(func(tx *bolt.Tx) error {
			put := func(b string, k, v []byte) {
				if err := tx.Bucket([]byte(b)).Put(k, v); err != nil {
					t.Fatal(err)
				}
			}
			put(bOrders, []byte("A"), v)
			put(bIdxState, stateKey(order.Weighed, t0, "A"), nil)
			put(bOutbox, seqKey(1), v)
			put(bOutboxDead, seqKey(2), v)
			put(bAudit, seqKey(1), v)
			put(bIdxAudit, auditIndexKey("A", seqKey(1)), nil)
			put(bProducts, []byte("p-1"), v)
			put(bBarcodes, []byte("00012345678905"), v)
			put(bSettings, []byte("cursor"), v)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_ = db.View(func(tx *Tx) error {
			check := func(what string, err error) {
				if err != nil && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrNotFound) {
					t.Errorf("%s: %v is neither ErrCorrupt nor ErrNotFound", what, err)
				}
			}
			if got, err := tx.Order("A"); err == nil && (got.ID != "A" || !got.State.Valid()) {
				t.Errorf("Order accepted a record of order %q in state %q", got.ID, got.State)
			} else {
				check("Order", err)
			}
			_, err := tx.OrdersInState(order.Weighed)
			check("OrdersInState", err)
			check("ForEachOrder", tx.ForEachOrder(func(*order.Order) error { return nil }))
			_, err = tx.Event(1)
			check("Event", err)
			_, err = tx.DueEvents(time.Now(), 10)
			check("DueEvents", err)
			_, err = tx.DeadEvents()
			check("DeadEvents", err)
			_, err = tx.OutboxStats()
			check("OutboxStats", err)
			_, err = tx.AuditLog("A")
			check("AuditLog", err)
			_, err = tx.Product("p-1")
			check("Product", err)
			_, _, err = tx.LookupBarcode("012345678905")
			check("LookupBarcode", err)
			var m map[string]any
			_, err = tx.Meta("cursor", &m)
			check("Meta", err)
			return nil
		})
		// Writers over a damaged record refuse clearly or repair; never panic.
		_ = db.Update(func(tx *Tx) error {
			n := mkOrder("A", order.Pulled, t0)
			if err := tx.PutOrder(&n); err != nil && !errors.Is(err, ErrCorrupt) {
				t.Errorf("PutOrder over a damaged record: %v", err)
			}
			return errors.New("roll back")
		})
	})
}

// FuzzParseMeta checks the meta-page reader used to spot truncated files.
func FuzzParseMeta(f *testing.F) {
	e := newEnv(f)
	db, err := Open(e.path, e.opts())
	if err != nil {
		f.Fatal(err)
	}
	db.Close()
	if err := checkMeta(e.path); err != nil {
		f.Fatalf("a fresh store fails its meta check: %v", err)
	}
	real := make([]byte, 4096)
	if err := readAt(e.path, real, 0); err != nil {
		f.Fatal(err)
	}
	f.Add(real)
	f.Add(real[:40])
	f.Fuzz(func(t *testing.T, p []byte) {
		m, err := parseMeta(p)
		if err == nil && m.pageSize == 0 && m.pgid == 0 && m.txid == 0 && len(p) < pageHeaderSize+64 {
			t.Errorf("short page accepted: %+v", m)
		}
	})
}

// FuzzNormalizeCode checks that scanned codes never panic the normaliser, that
// accepted GTINs carry a valid check digit, and that normalising is stable.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"012345678905", "0012345678905", "00012345678905", "96385074", "4006381333931", "012345678904", "SKU-ABC-1", "]C1 0101234567890128", " \r\n", "\x00", "١٢٣٤٥٦٧٨"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := NormalizeCode(in)
		if err != nil {
			if err.Error() == "" {
				t.Error("empty error message")
			}
			return
		}
		if got == "" {
			t.Fatal("accepted as an empty code")
		}
		again, err := NormalizeCode(got)
		if err != nil || again != got {
			t.Errorf("NormalizeCode(%q) = %q, then %q, %v: not stable", in, got, again, err)
		}
		if len(got) == 14 && strings.Trim(got, "0123456789") == "" {
			if gtinCheckDigit(got[:13]) != got[13] {
				t.Errorf("GTIN %q accepted with a bad check digit", got)
			}
		}
	})
}
