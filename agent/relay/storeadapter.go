package relay

import (
	"fmt"
	"time"

	"github.com/packline/packline/store"
)

// FromStore adapts the bbolt store's outbox to the relay's Store.
func FromStore(db *store.DB) Store { return storeOutbox{db} }

type storeOutbox struct{ db *store.DB }

func (s storeOutbox) DueEvents(now time.Time, max int) ([]Event, error) {
	if s.db == nil {
		return nil, errNoStore
	}
	var out []Event
	err := s.db.View(func(tx *store.Tx) error {
		evs, bad, err := tx.ScanDue(now, max)
		for _, e := range evs {
			out = append(out, Event{Seq: e.Seq, ID: e.ID, Kind: e.Kind, Aggregate: e.Aggregate, Payload: e.Payload, CreatedAt: e.CreatedAt, Attempts: e.Attempts})
		}
		for _, c := range bad {
			out = append(out, Event{Seq: c.Seq, Undecodable: c.Err.Error()})
		}
		return err
	})
	return out, err
}

func (s storeOutbox) Settle(outs []Outcome) error {
	return s.db.Update(func(tx *store.Tx) error {
		for _, o := range outs {
			var err error
			switch o.Action {
			case Ack:
				err = tx.AckEvent(o.Seq)
			case Retry:
				err = tx.RetryEvent(o.Seq, o.Next, o.Cause)
			case Dead:
				err = tx.DeadEvent(o.Seq, o.Cause)
			default:
				err = fmt.Errorf("event %d: unknown outcome %d", o.Seq, o.Action)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

func (s storeOutbox) Stats() (Stats, error) {
	var st Stats
	err := s.db.View(func(tx *store.Tx) error {
		o, err := tx.OutboxStats()
		st.Depth, st.Dead, st.Oldest = o.Depth, o.Dead, o.Oldest
		return err
	})
	return st, err
}
