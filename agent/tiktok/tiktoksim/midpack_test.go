package tiktoksim

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// searchAll reads every order through Search Orders, as the intake does.
func searchAll(t *testing.T, c *apiClient, filter map[string]any) []Order {
	t.Helper()
	var p ordersPage
	c.ok("POST", "/order/202309/orders/search", map[string]string{"page_size": "100"}, filter, &p)
	if p.NextPageToken != "" {
		t.Fatalf("more than one page of orders: %d", p.TotalCount)
	}
	return p.Orders
}

func TestMidPackCancelsFireAfterFirstRead(t *testing.T) {
	const delay = 10 * time.Minute
	opts := Options{Seed: 7, Orders: 20, MidPackCancels: 0.1, MidPackDelay: delay}
	s, c, clk := newTestSim(t, opts)
	// The same shop without changes of mind, on the same clock.
	plain := New(Options{Seed: 7, Orders: 20, Now: clk.Now})

	// Unread orders keep still however long it takes: every hold ends,
	// nobody changes their mind.
	clk.Add(time.Hour)
	if got, want := s.Orders(), plain.Orders(); !reflect.DeepEqual(got, want) {
		t.Fatal("orders changed before anyone read them, or the option changed the seeded orders")
	}

	read := clk.Now()
	before := map[string]Order{}
	for _, o := range searchAll(t, c, nil) {
		before[o.ID] = o
	}
	if len(before) != 20 {
		t.Fatalf("search found %d of 20 orders", len(before))
	}
	clk.Add(delay/2 - time.Second)
	if n := len(searchAll(t, c, map[string]any{"update_time_ge": read.Unix() + 1})); n != 0 {
		t.Fatalf("%d orders changed sooner than half the delay after the read", n)
	}

	clk.Add(delay/2 + time.Second)
	changed := searchAll(t, c, map[string]any{"update_time_ge": read.Unix() + 1})
	if len(changed) != 2 {
		t.Fatalf("%d orders changed after the delay, want 2 (10%% of 20)", len(changed))
	}
	var requested, cancelled int
	for _, o := range changed {
		was := before[o.ID]
		if was.Status != StatusAwaitingShipment || was.IsBuyerRequestCancel || was.FulfillmentType != "FULFILLMENT_BY_SELLER" {
			t.Errorf("order %s changed its mind but was %s (cancel request %v, %s) when read", o.ID, was.Status, was.IsBuyerRequestCancel, was.FulfillmentType)
		}
		if o.UpdateTime <= was.UpdateTime || o.UpdateTime < read.Add(delay/2).Unix() || o.UpdateTime > read.Add(delay).Unix() {
			t.Errorf("order %s: update_time %d, read at %d with update_time %d", o.ID, o.UpdateTime, read.Unix(), was.UpdateTime)
		}
		switch {
		case o.Status == StatusAwaitingShipment && o.IsBuyerRequestCancel:
			requested++
			if o.RequestCancelTime != o.UpdateTime {
				t.Errorf("cancel request of %s at %d, update_time %d", o.ID, o.RequestCancelTime, o.UpdateTime)
			}
		case o.Status == StatusCancelled:
			cancelled++
			if o.CancelTime != o.UpdateTime || o.CancellationInitiator != "BUYER" || o.CancelReason == "" {
				t.Errorf("cancellation of %s: %+v", o.ID, o)
			}
			for _, li := range o.LineItems {
				if li.DisplayStatus != StatusCancelled {
					t.Errorf("line item %s of cancelled order %s is %s", li.ID, o.ID, li.DisplayStatus)
				}
			}
		default:
			t.Errorf("order %s changed to %s (cancel request %v)", o.ID, o.Status, o.IsBuyerRequestCancel)
		}
	}
	if requested != 1 || cancelled != 1 {
		t.Errorf("%d cancel requests and %d cancellations, want one of each", requested, cancelled)
	}
	if got := s.MindChanges(); len(got) != 2 || !slices.ContainsFunc(changed, func(o Order) bool { return o.ID == got[0] && o.IsBuyerRequestCancel }) ||
		!slices.ContainsFunc(changed, func(o Order) bool { return o.ID == got[1] && o.Status == StatusCancelled }) {
		t.Errorf("MindChanges %v do not name the request then the cancellation", got)
	}
	// The pending request is found the way a client looks for them.
	if got := searchAll(t, c, map[string]any{"is_buyer_request_cancel": true}); len(got) != 1 {
		t.Errorf("search is_buyer_request_cancel: %d orders", len(got))
	}
	// Every other order is as it was.
	for _, o := range s.Orders() {
		if o.UpdateTime <= read.Unix() && !reflect.DeepEqual(o, before[o.ID]) {
			t.Errorf("order %s changed without a later update_time", o.ID)
		}
	}

	// The same seed picks the same orders; one whose label is bought
	// before the buyer changes their mind ships, the other still changes,
	// and reads through Get Order Detail start the clock too.
	s2, c2, clk2 := newTestSim(t, opts)
	clk2.Add(time.Hour)
	ids := changed[0].ID + "," + changed[1].ID
	var d struct{ Orders []Order }
	c2.ok("GET", "/order/202309/orders", map[string]string{"ids": ids}, nil, &d)
	if len(d.Orders) != 2 {
		t.Fatalf("order detail of %s: %d orders", ids, len(d.Orders))
	}
	shipped := d.Orders[0]
	c2.ok("POST", "/fulfillment/202309/packages", nil, map[string]any{"order_id": shipped.ID, "order_line_item_ids": lineIDs(shipped), "weight": Weight{"2", "POUND"}}, nil)
	clk2.Add(delay)
	c2.ok("GET", "/order/202309/orders", map[string]string{"ids": ids}, nil, &d)
	for _, o := range d.Orders {
		switch o.ID {
		case shipped.ID:
			if o.Status != StatusAwaitingCollection || o.IsBuyerRequestCancel {
				t.Errorf("shipped order %s: %s, cancel request %v", o.ID, o.Status, o.IsBuyerRequestCancel)
			}
		default:
			var want Order
			for _, w := range changed {
				if w.ID == o.ID {
					want = w
				}
			}
			if o.Status != want.Status || o.IsBuyerRequestCancel != want.IsBuyerRequestCancel || o.UpdateTime != want.UpdateTime {
				t.Errorf("order %s with the same seed: %s request %v at %d, first run %s request %v at %d", o.ID, o.Status, o.IsBuyerRequestCancel, o.UpdateTime, want.Status, want.IsBuyerRequestCancel, want.UpdateTime)
			}
		}
	}
	if s2.Purchases(shipped.ID) != 1 {
		t.Errorf("purchases of %s: %d", shipped.ID, s2.Purchases(shipped.ID))
	}
}

func TestMidPackCancelsReachArrivals(t *testing.T) {
	s, c, clk := newTestSim(t, Options{Seed: 13, Arrivals: 10 * time.Minute, MidPackCancels: 1, MidPackDelay: time.Minute})
	clk.Add(35 * time.Minute) // three arrivals, ON_HOLD
	if n := len(searchAll(t, c, nil)); n != 3 {
		t.Fatalf("%d orders after 35 min, want 3", n)
	}
	clk.Add(time.Hour) // released; three more arrive, still on hold
	clk.Add(2 * time.Minute)
	for _, o := range s.Orders() {
		if o.IsBuyerRequestCancel || o.Status == StatusCancelled {
			t.Fatalf("order %s changed its mind before it was read awaiting shipment", o.ID)
		}
	}
	ready := searchAll(t, c, map[string]any{"order_status": StatusAwaitingShipment})
	if len(ready) != 3 {
		t.Fatalf("%d orders awaiting shipment, want 3", len(ready))
	}
	clk.Add(time.Minute)
	var kinds []string
	for _, o := range ready {
		now, _ := s.Order(o.ID)
		switch {
		case now.Status == StatusCancelled:
			kinds = append(kinds, "cancel")
		case now.IsBuyerRequestCancel:
			kinds = append(kinds, "request")
		default:
			t.Errorf("arrival %s is still %s a minute after it was read", o.ID, now.Status)
		}
		if now.UpdateTime <= o.UpdateTime {
			t.Errorf("arrival %s: update_time %d, was %d", o.ID, now.UpdateTime, o.UpdateTime)
		}
	}
	if got := strings.Join(kinds, " "); got != "request cancel request" && got != "cancel request cancel" {
		t.Errorf("changes of mind %q do not alternate", got)
	}
}
