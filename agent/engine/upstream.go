package engine

import (
	"fmt"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
)

// ReasonCancelRequest is the exception reason of an order held because the
// buyer asked to cancel it. The hold is not a lead's decision: it ends when
// TikTok decides, back where the order stopped when the request is
// declined, cancelled when it is granted.
const ReasonCancelRequest = "cancel_request"

// verdict is what an upstream change means for the pack flow.
type verdict int

const (
	goOn verdict = iota
	cancelled
	held
)

// onHold reports whether o is held for a buyer's cancel request.
func onHold(o *order.Order) bool {
	return o.State == order.Exception && o.Exception != nil && o.Exception.Reason == ReasonCancelRequest
}

// react acts on an upstream change merged into the store: it cancels a
// cancelled order, holds one with a pending cancel request, resumes one
// whose request was declined, and takes off the queue an unclaimed order
// that TikTok no longer waits for.
func (e *Engine) react(id string) {
	o, err := e.loadOrder(id)
	if err != nil || o == nil {
		return
	}
	switch {
	case onHold(o) && !o.BuyerRequestCancel && o.Status == order.StatusAwaitingShipment:
		e.resume(o)
	case o.State == order.Pulled && o.ClosedUpstream():
		e.closePulled(o)
	default:
		e.checkUpstream(o)
	}
}

// checkUpstream cancels an order that is cancelled upstream and holds one
// whose buyer asked to cancel, telling its station in words.
func (e *Engine) checkUpstream(o *order.Order) verdict {
	switch {
	case o.State == order.Cancelled:
		return cancelled
	case o.Status == order.StatusCancelled:
		switch o.State {
		case order.Pulled, order.Claimed, order.Verified, order.Exception, order.Weighed, order.Staged:
			e.cancel(packStation(o), o, cancelWords(o))
			return cancelled
		}
	case onHold(o):
		return held
	case o.BuyerRequestCancel:
		switch o.State {
		case order.Claimed, order.Verified, order.Weighed, order.Staged:
			e.hold(o)
			return held
		}
	}
	return goOn
}

// refuseUpstream re-checks the stored order before a packer's action and
// refuses it, in words, when the order is cancelled or held.
func (e *Engine) refuseUpstream(id string) error {
	o, err := e.loadOrder(id)
	if err != nil || o == nil {
		return err
	}
	switch e.checkUpstream(o) {
	case cancelled:
		return apiErr(apitype.ErrCancelled, "order %s was cancelled: put the items back and scan the next order", id)
	case held:
		return apiErr(apitype.ErrCancelled, "%s", holdWords(o))
	}
	return nil
}

func cancelWords(o *order.Order) string {
	return fmt.Sprintf("order %s was cancelled: do not ship it; put the items back and give the box to a lead", o.ID)
}

func holdWords(o *order.Order) string {
	return fmt.Sprintf("the buyer asked to cancel order %s: do not ship it yet; set the box aside and wait for the decision in Seller Center", o.ID)
}

// cancel moves an order to cancelled, tells the station in words and
// detaches it.
func (e *Engine) cancel(stationID string, o *order.Order, words string) {
	upstream := *o
	_, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		if cur.State == order.Cancelled {
			return nil, nil
		}
		cur.Status = upstream.Status
		cur.BuyerRequestCancel = upstream.BuyerRequestCancel
		cur.Exception = nil
		return &change{to: order.Cancelled, station: stationID, actor: "tiktok", action: "cancel", detail: words}, nil
	})
	if err != nil {
		e.log.Error("cancelling order", "order", o.ID, "err", err)
		return
	}
	e.log.Info("order cancelled upstream", "order", o.ID, "station", stationID)
	e.detach(o.ID, stationID, words, apitype.Alert{Kind: apitype.AlertCancelled, Title: "Order cancelled: do not ship", Detail: words, Sound: "error"})
	e.kickQueue()
}

// hold sends an order whose buyer asked to cancel to exception until TikTok
// decides: no label is bought meanwhile. The station is told in words and
// freed for the next order.
func (e *Engine) hold(o *order.Order) {
	words := holdWords(o)
	upstream := *o
	changed := false
	_, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		if onHold(cur) {
			return nil, nil
		}
		switch cur.State {
		case order.Claimed, order.Verified, order.Weighed, order.Staged:
		default:
			return nil, nil
		}
		cur.BuyerRequestCancel = true
		if upstream.UpdateTime.After(cur.UpdateTime) {
			cur.UpdateTime = upstream.UpdateTime
		}
		cur.Exception = &order.ExceptionInfo{Reason: ReasonCancelRequest, Detail: words, At: e.now(), From: cur.State}
		changed = true
		return &change{to: order.Exception, station: packStation(cur), actor: "tiktok", action: "cancel_request", detail: words}, nil
	})
	if err != nil {
		e.log.Error("holding order for a cancel request", "order", o.ID, "err", err)
		return
	}
	if !changed {
		return
	}
	e.log.Info("order held: the buyer asked to cancel", "order", o.ID, "station", packStation(o))
	e.detach(o.ID, packStation(o), words, apitype.Alert{Kind: apitype.AlertCancelled, Title: "Cancel requested: do not ship yet", Detail: words, Sound: "error"})
	e.kickQueue()
}

// resume ends the hold of an order whose cancel request was declined: it
// goes back to where it stopped, and a weighed order's label is bought.
func (e *Engine) resume(o *order.Order) {
	buy := false
	words := fmt.Sprintf("the buyer's request to cancel order %s was declined: it ships", o.ID)
	_, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		if !onHold(cur) || cur.BuyerRequestCancel || cur.Status != order.StatusAwaitingShipment {
			return nil, nil
		}
		c := &change{station: packStation(cur), actor: "tiktok", action: "cancel_request.declined", detail: words}
		to := cur.Exception.From
		switch to {
		case order.Weighed, order.Staged:
			if cur.Intent == nil {
				in, err := e.newIntent(cur)
				if err != nil {
					return nil, err
				}
				cur.Intent = in
			}
			to, buy = order.Weighed, true
			c.events = []outboxEvent{{KindLabelPurchase, LabelPurchase{OrderID: cur.ID, IntentID: cur.Intent.ID}}}
		case order.Claimed, order.Verified:
		default:
			to = order.Pulled
			cur.Pack, cur.Intent = nil, nil
		}
		cur.Exception = nil
		c.to = to
		return c, nil
	})
	if err != nil {
		e.log.Error("resuming order after a declined cancel request", "order", o.ID, "err", err)
		return
	}
	e.log.Info("cancel request declined: order resumes", "order", o.ID)
	if st := e.stationOf(o); st != nil {
		st.mu.Lock()
		if st.orderID == "" {
			st.notice = words
		}
		st.mu.Unlock()
		if buy {
			e.schedule(st, o.ID)
		}
		e.publishView(st)
	}
	e.kickQueue()
}

// closePulled takes an unclaimed order that TikTok no longer waits for off
// the queue: cancelled, or shipped without Packline.
func (e *Engine) closePulled(o *order.Order) {
	words := cancelWords(o)
	action := "cancel"
	if o.Status != order.StatusCancelled {
		words = fmt.Sprintf("TikTok shows order %s as %s: it was shipped without Packline; taken off the queue", o.ID, o.Status)
		action = "upstream.closed"
	}
	_, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		if cur.State != order.Pulled || !cur.ClosedUpstream() {
			return nil, nil
		}
		return &change{to: order.Cancelled, actor: "tiktok", action: action, detail: words}, nil
	})
	if err != nil {
		e.log.Error("closing order", "order", o.ID, "err", err)
		return
	}
	e.log.Info("order closed upstream before packing", "order", o.ID, "status", o.Status)
}

// detach frees every station showing the order, with words and an alert;
// the station that packed it is alerted too, since the box is there.
func (e *Engine) detach(id, packedAt, words string, alert apitype.Alert) {
	for _, sid := range e.order {
		st := e.stations[sid]
		st.mu.Lock()
		open := st.orderID == id
		if open {
			st.orderID, st.busy, st.labelErr = "", "", ""
			st.notice = words
		}
		st.mu.Unlock()
		if open || sid == packedAt {
			e.publish(sid, apitype.EvAlert, alert)
			e.publishView(st)
		}
	}
}
