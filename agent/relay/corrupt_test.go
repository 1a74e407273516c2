package relay

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestCorruptEventDoesNotBlockOutbox writes an undecodable row straight into
// the outbox bucket, ahead of a good event of the same order: the good one
// is delivered and the bad one ends in the dead letters, counted.
func TestCorruptEventDoesNotBlockOutbox(t *testing.T) {
	e := newEnv(t)
	bad := e.enqueue("label.purchase", OrderingKey(DestLabel, "o1"), map[string]string{"order_id": "o1"})
	e.enqueue("label.purchase", OrderingKey(DestLabel, "o1"), map[string]string{"order_id": "o1"})
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := bolt.Open(e.path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	key := binary.BigEndian.AppendUint64(nil, bad.Seq)
	if err := raw.Update(func(tx *bolt.Tx) error { return tx.Bucket([]byte("outbox")).Put(key, []byte("\xff not json")) }); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	e.open()

	r := e.relay()
	var handled int
	r.Register("label.purchase", func(ctx context.Context, ev Event) error { handled++; return nil })
	n, err := r.Drain(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 || handled != 1 {
		t.Fatalf("handled %d outcomes, %d deliveries; want 2 and 1", n, handled)
	}
	st, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.Depth != 0 || st.Dead != 1 || st.Failed != 1 || st.Delivered != 1 || !strings.Contains(st.LastError, "cannot be decoded") {
		t.Errorf("stats %+v", st)
	}
}
