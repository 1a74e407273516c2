package intake

import (
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
)

func TestMerge(t *testing.T) {
	now := time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)
	t0 := now.Add(-time.Hour)
	base := order.Order{ID: "o1", Status: order.StatusAwaitingShipment, UpdateTime: t0, LineItems: []order.LineItem{{ID: "l1", SKUID: "A"}}}

	t.Run("new awaiting order is stored as pulled", func(t *testing.T) {
		got, keep, ch := Merge(nil, base, now)
		if !keep || got.State != order.Pulled || !got.PulledAt.Equal(now) || ch != nil {
			t.Errorf("got %+v keep=%v change=%v", got, keep, ch)
		}
	})
	t.Run("unknown order in another status is not stored", func(t *testing.T) {
		for _, st := range []string{order.StatusOnHold, order.StatusCancelled, order.StatusDelivered} {
			inc := base
			inc.Status = st
			if _, keep, _ := Merge(nil, inc, now); keep {
				t.Errorf("status %s: stored, want skipped", st)
			}
		}
	})
	t.Run("pack progress survives an upstream update", func(t *testing.T) {
		old := base
		old.State = order.Weighed
		old.Rev = 7
		old.Pack = &order.Pack{Station: "st1", Scanned: map[string]int{"A": 1}}
		old.Intent = &order.LabelIntent{ID: "i1"}
		inc := base
		inc.UpdateTime = t0.Add(time.Minute)
		inc.SellerNote = "fragile"
		inc.Packages = []string{"p9"}
		got, keep, ch := Merge(&old, inc, now)
		if !keep || got.State != order.Weighed || got.Pack == nil || got.Pack.Scanned["A"] != 1 || got.Intent == nil || got.Rev != 7 {
			t.Errorf("local progress lost: %+v", got)
		}
		if got.SellerNote != "fragile" || len(got.Packages) != 1 {
			t.Errorf("upstream fields not taken: %+v", got)
		}
		if ch != nil {
			t.Errorf("a note change is not a pack-flow change: %+v", ch)
		}
	})
	t.Run("an older copy from the overlap is ignored", func(t *testing.T) {
		old := base
		old.Status = order.StatusCancelled
		inc := base
		inc.UpdateTime = t0.Add(-time.Minute)
		if _, keep, _ := Merge(&old, inc, now); keep {
			t.Error("older copy overwrote a newer one")
		}
	})
	t.Run("cancellation and cancel request are reported", func(t *testing.T) {
		for _, mut := range []func(*order.Order){
			func(o *order.Order) { o.Status = order.StatusCancelled },
			func(o *order.Order) { o.BuyerRequestCancel = true },
			func(o *order.Order) { o.LineItems = []order.LineItem{{ID: "l1", SKUID: "A", Cancelled: true}} },
		} {
			old := base
			old.State = order.Claimed
			inc := base
			inc.UpdateTime = t0.Add(time.Minute)
			mut(&inc)
			got, keep, ch := Merge(&old, inc, now)
			if !keep || ch == nil || ch.OrderID != "o1" || got.State != order.Claimed {
				t.Errorf("change not reported or state touched: keep=%v ch=%v state=%s", keep, ch, got.State)
			}
		}
	})
	t.Run("a pulled order closed upstream is reported until it leaves the queue", func(t *testing.T) {
		for _, st := range []string{order.StatusCancelled, order.StatusAwaitingCollection, order.StatusInTransit} {
			old := base
			old.State = order.Pulled
			old.Status = st // already merged once: nothing new upstream
			inc := old
			if _, _, ch := Merge(&old, inc, now); ch == nil {
				t.Errorf("status %s: pulled order not reported", st)
			}
			old.State = order.Cancelled
			if _, _, ch := Merge(&old, inc, now); ch != nil {
				t.Errorf("status %s: an order already off the queue is reported again", st)
			}
		}
	})
}
