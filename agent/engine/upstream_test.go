package engine

import (
	"slices"
	"strings"
	"testing"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/store"
)

// merge edits the stored order as the intake loop does when it merges an
// upstream change, and tells the engine.
func (h *harness) merge(id string, edit func(*order.Order)) {
	h.t.Helper()
	if err := h.db.Update(func(tx *store.Tx) error {
		o, err := tx.Order(id)
		if err != nil {
			return err
		}
		edit(&o)
		return tx.PutOrder(&o)
	}); err != nil {
		h.t.Fatal(err)
	}
	o := h.order(id)
	h.shop.mu.Lock()
	upstream := h.shop.orders[id]
	upstream.Status, upstream.BuyerRequestCancel = o.Status, o.BuyerRequestCancel
	h.shop.orders[id] = upstream
	h.shop.mu.Unlock()
	h.e.Notify(id)
}

func actions(a []store.AuditEntry) []string {
	var out []string
	for _, e := range a {
		out = append(out, e.Action)
	}
	return out
}

func TestCancelRequestHoldsTheLabel(t *testing.T) {
	const words = "the buyer asked to cancel order 420: do not ship it yet; set the box aside and wait for the decision in Seller Center"
	held := func(t *testing.T) *harness {
		h := newHarness(t)
		o := testOrder("420")
		h.addOrder(o)
		h.packToVerified("420")
		h.ok("A", weigh(850))
		// TikTok shows the request when the label is about to be bought.
		o.BuyerRequestCancel = true
		h.shop.setOrder(o)
		if err := h.e.Process(h.ctx, "420"); err != nil {
			t.Fatal(err)
		}
		got := h.order("420")
		if got.State != order.Exception || got.Exception == nil || got.Exception.Reason != ReasonCancelRequest || got.Exception.From != order.Weighed || !got.BuyerRequestCancel {
			t.Fatalf("state %s exception %+v flag %v; want held from weighed", got.State, got.Exception, got.BuyerRequestCancel)
		}
		if h.shop.purchased() != 0 || got.Label != nil {
			t.Fatalf("a label was bought with a cancel request pending")
		}
		if a := h.pub.alerts(); len(a) == 0 || a[len(a)-1].Kind != apitype.AlertCancelled || a[len(a)-1].Detail != words {
			t.Errorf("alerts %+v, want the packer told %q", a, words)
		}
		v, q, _, _ := h.e.Snapshot("A")
		if v.Phase != apitype.PhaseIdle || !strings.Contains(v.Prompt, words) {
			t.Errorf("view %s %q", v.Phase, v.Prompt)
		}
		if len(q) != 1 || q[0].Exception != ReasonCancelRequest {
			t.Errorf("queue %+v, want the order shown held", q)
		}
		// Neither the packer nor a lead can push it on while it is pending.
		h.fail("A", scan("420"), apitype.ErrCancelled, "order 420 cannot be packed: the buyer asked to cancel: wait for the decision in Seller Center")
		if err := h.e.Process(h.ctx, "420"); err != nil || h.shop.purchased() != 0 {
			t.Fatalf("processing a held order: %v, %d purchases", err, h.shop.purchased())
		}
		return h
	}

	t.Run("declined: the label is bought", func(t *testing.T) {
		h := held(t)
		h.merge("420", func(o *order.Order) { o.BuyerRequestCancel = false })
		got := h.order("420")
		if got.State != order.Weighed || got.Exception != nil || got.Intent == nil {
			t.Fatalf("after the decline: state %s exception %+v intent %v", got.State, got.Exception, got.Intent)
		}
		if evs := kinds(h.events("420")); !slices.Contains(evs, KindLabelPurchase) {
			t.Errorf("pending events %v, want a label.purchase with the resume", evs)
		}
		if err := h.e.Process(h.ctx, "420"); err != nil {
			t.Fatal(err)
		}
		if got := h.order("420"); got.State != order.LabelPrinted || h.shop.purchased() != 1 {
			t.Fatalf("state %s, %d purchases; want labelled once", got.State, h.shop.purchased())
		}
		if a := actions(h.audit("420")); !slices.Contains(a, "cancel_request") || !slices.Contains(a, "cancel_request.declined") {
			t.Errorf("audit %v", a)
		}
	})

	t.Run("granted: the order is cancelled", func(t *testing.T) {
		h := held(t)
		h.merge("420", func(o *order.Order) { o.Status = order.StatusCancelled })
		if got := h.order("420"); got.State != order.Cancelled || got.Label != nil {
			t.Fatalf("after the cancellation: state %s label %+v", got.State, got.Label)
		}
		if err := h.e.Process(h.ctx, "420"); err != nil || h.shop.purchased() != 0 {
			t.Fatalf("processing a cancelled order: %v, %d purchases", err, h.shop.purchased())
		}
	})

	t.Run("declined while the agent was down", func(t *testing.T) {
		h := held(t)
		if err := h.db.Update(func(tx *store.Tx) error {
			o, err := tx.Order("420")
			if err != nil {
				return err
			}
			o.BuyerRequestCancel = false
			return tx.PutOrder(&o)
		}); err != nil {
			t.Fatal(err)
		}
		h.reopen()
		if got := h.order("420"); got.State != order.Weighed {
			t.Fatalf("after restart: state %s, want weighed again", got.State)
		}
	})
}

func TestCancelRequestMidScanHoldsThenResumes(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("421"))
	h.ok("A", scan("421"))
	h.ok("A", scan("RED-L"))
	h.merge("421", func(o *order.Order) { o.BuyerRequestCancel = true })
	got := h.order("421")
	if got.State != order.Exception || got.Exception.From != order.Claimed || got.Pack == nil || got.Pack.Scanned["sku-red"] != 1 {
		t.Fatalf("state %s exception %+v pack %+v; want held with its scans", got.State, got.Exception, got.Pack)
	}
	if a := h.pub.alerts(); len(a) == 0 || !strings.Contains(a[len(a)-1].Detail, "wait for the decision in Seller Center") {
		t.Errorf("alerts %+v", a)
	}
	// The station is free for another order meanwhile.
	h.addOrder(testOrder("422"))
	h.ok("A", scan("422"))
	h.ok("A", apitype.Command{Kind: apitype.CmdRelease})

	h.merge("421", func(o *order.Order) { o.BuyerRequestCancel = false })
	if got := h.order("421"); got.State != order.Claimed || got.Pack.Scanned["sku-red"] != 1 {
		t.Fatalf("after the decline: state %s pack %+v; want claimed with its scans", got.State, got.Pack)
	}
	h.ok("A", scan("421"))
	h.ok("A", scan("sku-red"))
	h.ok("A", scan("036000291452"))
	h.ok("A", scan("BOX-S"))
	h.ok("A", weigh(850))
	if err := h.e.Process(h.ctx, "421"); err != nil {
		t.Fatal(err)
	}
	if got := h.order("421"); got.State != order.LabelPrinted || h.shop.purchased() != 1 {
		t.Fatalf("state %s purchases %d", got.State, h.shop.purchased())
	}
}

func TestPulledOrderClosedUpstreamLeavesTheQueue(t *testing.T) {
	h := newHarness(t)
	for _, id := range []string{"430", "431", "432"} {
		h.addOrder(testOrder(id))
	}
	h.merge("430", func(o *order.Order) { o.Status = order.StatusCancelled })
	h.merge("431", func(o *order.Order) { o.Status = order.StatusAwaitingCollection })
	for _, id := range []string{"430", "431"} {
		o := h.order(id)
		if o.State != order.Cancelled {
			t.Errorf("order %s (%s): state %s, want cancelled", id, o.Status, o.State)
		}
		// The state change commits with its audit line and pack.record.
		if evs := kinds(h.events(id)); !slices.Equal(evs, []string{KindPackRecord}) {
			t.Errorf("order %s: pending events %v, want one pack.record", id, evs)
		}
		if a := h.audit(id); len(a) != 1 || a[0].Actor != "tiktok" || !strings.Contains(a[0].Detail, "pulled → cancelled") {
			t.Errorf("order %s: audit %+v", id, a)
		}
	}
	q, err := h.e.Queue()
	if err != nil {
		t.Fatal(err)
	}
	if len(q) != 1 || q[0].OrderID != "432" {
		t.Errorf("queue %+v, want only order 432", q)
	}
	h.fail("A", scan("430"), apitype.ErrCancelled, "order 430 is cancelled: do not pack it")
	// A second notice changes nothing.
	h.e.Notify("430")
	if n := len(h.audit("430")); n != 1 {
		t.Errorf("audit has %d lines after a repeated notice, want 1", n)
	}
}
