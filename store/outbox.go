package store

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	bolt "go.etcd.io/bbolt"
)

// DeliveredRetention is how long acknowledged event ids are remembered for
// de-duplication.
const DeliveredRetention = 30 * 24 * time.Hour

// Event is one outbox row: something the warehouse did that must reach
// TikTok. Delivery is at least once; ID is the idempotency key.
type Event struct {
	Seq uint64 `json:"seq"`
	// ID is a UUIDv7, unique per event.
	ID   string `json:"id"`
	Kind string `json:"kind"`
	// Aggregate is the event's ordering key, "<destination>/<order id>"
	// (e.g. "label/576…", "sync/576…"): events of one aggregate are
	// delivered in order, so each destination keeps its own order and one
	// that is down never holds back another. Events stored before
	// destinations hold the bare order id; see OrderingKey.
	Aggregate     string          `json:"aggregate"`
	Payload       json.RawMessage `json:"payload"`
	CreatedAt     time.Time       `json:"created_at"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt time.Time       `json:"next_attempt_at"`
	LastError     string          `json:"last_error,omitempty"`
	// DeadAt is set when the event was moved to the dead letters.
	DeadAt time.Time `json:"dead_at,omitzero"`
}

// OutboxStats summarise the outbox for the UI.
type OutboxStats struct {
	// Depth is how many events wait to be delivered.
	Depth int `json:"depth"`
	// Dead is how many events gave up and need a person.
	Dead int `json:"dead"`
	// Oldest is when the oldest waiting event was created; zero when none.
	Oldest time.Time `json:"oldest,omitzero"`
}

// OrderingKey is the key that orders the event against others: its
// Aggregate, or, for an event stored with a bare order id before aggregates
// named a destination, the destination its kind went to then (label
// purchases to TikTok, every other kind to the seller's sync endpoint), so
// old events drain in the same lanes as new ones.
func (e Event) OrderingKey() string {
	if e.Aggregate == "" || strings.Contains(e.Aggregate, "/") {
		return e.Aggregate
	}
	if e.Kind == legacyLabelKind {
		return "label/" + e.Aggregate
	}
	return "sync/" + e.Aggregate
}

// legacyLabelKind is the kind of label purchase events.
const legacyLabelKind = "label.purchase"

// OrderID returns the order the event belongs to: its Aggregate without the
// destination.
func (e Event) OrderID() string {
	if _, id, ok := strings.Cut(e.Aggregate, "/"); ok {
		return id
	}
	return e.Aggregate
}

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// decodeEvent decodes a stored event; a bad value is ErrCorrupt.
func decodeEvent(key, v []byte) (Event, error) {
	var e Event
	if err := json.Unmarshal(v, &e); err != nil {
		return Event{}, fmt.Errorf("%w: event %x cannot be decoded: %v", ErrCorrupt, key, err)
	}
	if len(key) != 8 || binary.BigEndian.Uint64(key) != e.Seq {
		return Event{}, fmt.Errorf("%w: event record %x holds event %d", ErrCorrupt, key, e.Seq)
	}
	return e, nil
}

// Enqueue adds an event to the outbox, in the same transaction as the state
// change that caused it. payload is JSON-encoded (a json.RawMessage is kept
// as is). The event is due at once.
func (tx *Tx) Enqueue(kind, aggregate string, payload any) (Event, error) {
	b, err := tx.bucket([]byte(bOutbox))
	if err != nil {
		return Event{}, err
	}
	if kind == "" {
		return Event{}, fmt.Errorf("enqueueing an event: kind is empty")
	}
	raw, err := json.Marshal(payload)
	if err != nil {
		return Event{}, fmt.Errorf("encoding %s event payload for %s: %w", kind, aggregate, err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Event{}, fmt.Errorf("making an event id: %w", err)
	}
	seq, err := b.NextSequence()
	if err != nil {
		return Event{}, err
	}
	now := tx.db.now().UTC()
	e := Event{Seq: seq, ID: id.String(), Kind: kind, Aggregate: aggregate, Payload: raw, CreatedAt: now, NextAttemptAt: now}
	if err := putEvent(b, e); err != nil {
		return Event{}, err
	}
	return e, nil
}

func putEvent(b *bolt.Bucket, e Event) error {
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encoding event %d: %w", e.Seq, err)
	}
	return b.Put(seqKey(e.Seq), v)
}

// Event returns the waiting event seq, or an error that is ErrNotFound.
func (tx *Tx) Event(seq uint64) (Event, error) {
	b, err := tx.bucket([]byte(bOutbox))
	if err != nil {
		return Event{}, err
	}
	return getEvent(b, seq)
}

func getEvent(b *bolt.Bucket, seq uint64) (Event, error) {
	k := seqKey(seq)
	v := b.Get(k)
	if v == nil {
		return Event{}, fmt.Errorf("event %d: %w", seq, ErrNotFound)
	}
	return decodeEvent(k, v)
}

// DueEvents returns up to max events due at now (max <= 0: all), oldest
// first. Events of one ordering key (see Event.OrderingKey) go out in
// order: an event is due only when no earlier event with the same key is
// still waiting, whether or not that one is due. Events without an
// aggregate are not ordered. Rows that cannot be decoded are skipped (see
// ScanDue).
//
// A relay should acknowledge the events it delivered from one DueEvents
// batch in one Update (AckEvent for each): one commit per batch instead of
// one per event. Delivery is at least once either way.
func (tx *Tx) DueEvents(now time.Time, max int) ([]Event, error) {
	due, _, err := tx.ScanDue(now, max)
	return due, err
}

// CorruptEvent is a waiting outbox row that cannot be decoded.
type CorruptEvent struct {
	Seq uint64
	// Err says why; it is ErrCorrupt.
	Err error
}

// ScanDue is DueEvents that also returns the waiting rows it had to skip
// because they cannot be decoded, so that the caller can move them to the
// dead letters (DeadEvent) instead of letting them sit in the outbox. A
// row that cannot be read holds back no other event: its ordering key is
// unknown.
func (tx *Tx) ScanDue(now time.Time, max int) ([]Event, []CorruptEvent, error) {
	b, err := tx.bucket([]byte(bOutbox))
	if err != nil {
		return nil, nil, err
	}
	var out []Event
	var bad []CorruptEvent
	blocked := map[string]bool{}
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if max > 0 && len(out) >= max {
			break
		}
		e, err := decodeEvent(k, v)
		if err != nil {
			if len(k) == 8 {
				bad = append(bad, CorruptEvent{Seq: binary.BigEndian.Uint64(k), Err: err})
			}
			continue
		}
		if key := e.OrderingKey(); key != "" {
			if blocked[key] {
				continue
			}
			blocked[key] = true
		}
		if !e.NextAttemptAt.After(now) {
			out = append(out, e)
		}
	}
	return out, bad, nil
}

// PendingEvents returns the waiting events of one aggregate, oldest first.
// A bare order id names all of the order's events, whatever their
// destination.
func (tx *Tx) PendingEvents(aggregate string) ([]Event, error) {
	b, err := tx.bucket([]byte(bOutbox))
	if err != nil {
		return nil, err
	}
	var out []Event
	err = b.ForEach(func(k, v []byte) error {
		e, err := decodeEvent(k, v)
		if err != nil {
			return err
		}
		if e.Aggregate == aggregate || e.OrderID() == aggregate {
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// AckEvent removes a delivered event from the outbox and remembers its id
// (see Delivered). Ids older than DeliveredRetention are pruned as it goes.
func (tx *Tx) AckEvent(seq uint64) error {
	b, err := tx.bucket([]byte(bOutbox))
	if err != nil {
		return err
	}
	d, err := tx.bucket([]byte(bDelivered))
	if err != nil {
		return err
	}
	e, err := getEvent(b, seq)
	if err != nil {
		return fmt.Errorf("acknowledging: %w", err)
	}
	now := tx.db.now()
	if err := d.Put([]byte(e.ID), timeKey(now)); err != nil {
		return err
	}
	if err := b.Delete(seqKey(seq)); err != nil {
		return err
	}
	_, err = pruneDelivered(d, now.Add(-DeliveredRetention), 64)
	return err
}

// pruneDelivered deletes up to max delivered ids acknowledged before cutoff.
// Ids are UUIDv7, so key order is creation order and the walk stops at the
// first id that is still kept.
func pruneDelivered(d *bolt.Bucket, cutoff time.Time, max int) (int, error) {
	end := timeKey(cutoff)
	var old [][]byte
	c := d.Cursor()
	for k, v := c.First(); k != nil && (max <= 0 || len(old) < max); k, v = c.Next() {
		if len(v) != 12 || string(v) >= string(end) {
			break
		}
		old = append(old, append([]byte(nil), k...))
	}
	for _, k := range old {
		if err := d.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(old), nil
}

// PruneDelivered forgets delivered event ids acknowledged before cutoff and
// returns how many it removed.
func (tx *Tx) PruneDelivered(cutoff time.Time) (int, error) {
	d, err := tx.bucket([]byte(bDelivered))
	if err != nil {
		return 0, err
	}
	return pruneDelivered(d, cutoff, 0)
}

// Delivered reports whether the event id was acknowledged (within
// DeliveredRetention).
func (tx *Tx) Delivered(id string) (bool, error) {
	d, err := tx.bucket([]byte(bDelivered))
	if err != nil {
		return false, err
	}
	return d.Get([]byte(id)) != nil, nil
}

// RetryEvent records a failed attempt: Attempts+1, the next attempt time and
// the cause.
func (tx *Tx) RetryEvent(seq uint64, next time.Time, cause string) error {
	b, err := tx.bucket([]byte(bOutbox))
	if err != nil {
		return err
	}
	e, err := getEvent(b, seq)
	if err != nil {
		return fmt.Errorf("scheduling a retry: %w", err)
	}
	e.Attempts++
	e.NextAttemptAt = next.UTC()
	e.LastError = cause
	return putEvent(b, e)
}

// DeadEvent moves an event that cannot be delivered to the dead letters,
// with the cause. It stays there until RequeueDead. An event that cannot be
// decoded is moved too: its dead letter carries the stored bytes as a JSON
// string in Payload and no kind.
func (tx *Tx) DeadEvent(seq uint64, cause string) error {
	b, err := tx.bucket([]byte(bOutbox))
	if err != nil {
		return err
	}
	dead, err := tx.bucket([]byte(bOutboxDead))
	if err != nil {
		return err
	}
	e, err := getEvent(b, seq)
	if errors.Is(err, ErrCorrupt) {
		// Keep the undecodable bytes for a person to look at.
		raw, jerr := json.Marshal(string(b.Get(seqKey(seq))))
		if jerr != nil {
			return fmt.Errorf("moving event %d to dead letters: %w", seq, jerr)
		}
		e, err = Event{Seq: seq, Payload: raw}, nil
	}
	if err != nil {
		return fmt.Errorf("moving to dead letters: %w", err)
	}
	e.Attempts++
	e.LastError = cause
	e.DeadAt = tx.db.now().UTC()
	if err := putEvent(dead, e); err != nil {
		return err
	}
	return b.Delete(seqKey(seq))
}

// DeadEvents returns the dead letters, oldest first.
func (tx *Tx) DeadEvents() ([]Event, error) {
	dead, err := tx.bucket([]byte(bOutboxDead))
	if err != nil {
		return nil, err
	}
	var out []Event
	err = dead.ForEach(func(k, v []byte) error {
		e, err := decodeEvent(k, v)
		if err != nil {
			return err
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// RequeueDead puts a dead letter back in the outbox under its old sequence
// number (so it keeps its place before later events of its aggregate), due
// at once, with its attempts reset.
func (tx *Tx) RequeueDead(seq uint64) error {
	b, err := tx.bucket([]byte(bOutbox))
	if err != nil {
		return err
	}
	dead, err := tx.bucket([]byte(bOutboxDead))
	if err != nil {
		return err
	}
	e, err := getEvent(dead, seq)
	if err != nil {
		return fmt.Errorf("requeueing: %w", err)
	}
	e.Attempts = 0
	e.NextAttemptAt = tx.db.now().UTC()
	e.DeadAt = time.Time{}
	if err := putEvent(b, e); err != nil {
		return err
	}
	return dead.Delete(seqKey(seq))
}

// OutboxStats returns the outbox depth, dead-letter count and the creation
// time of the oldest waiting event.
func (tx *Tx) OutboxStats() (OutboxStats, error) {
	b, err := tx.bucket([]byte(bOutbox))
	if err != nil {
		return OutboxStats{}, err
	}
	dead, err := tx.bucket([]byte(bOutboxDead))
	if err != nil {
		return OutboxStats{}, err
	}
	var s OutboxStats
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		// A row that cannot be decoded waits for the relay to move it
		// to the dead letters; the oldest readable one dates the outbox.
		if e, err := decodeEvent(k, v); err == nil {
			s.Oldest = e.CreatedAt
			break
		}
	}
	s.Depth = countKeys(b)
	s.Dead = countKeys(dead)
	return s, nil
}
