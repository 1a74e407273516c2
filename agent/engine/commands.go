package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/packing"
	"github.com/packline/packline/store"
)

func apiErr(code, format string, a ...any) *apitype.Error {
	return &apitype.Error{Code: code, Message: fmt.Sprintf(format, a...)}
}

// Do runs one command from a station and returns its result. It never waits
// on the network: label purchase runs on the station's worker.
func (e *Engine) Do(ctx context.Context, stationID string, cmd apitype.Command) apitype.Result {
	st := e.stations[stationID]
	if st == nil {
		return apitype.Result{Error: apiErr(apitype.ErrNotFound, "station %q is not configured: add a [[station]] with this id to the agent's config", stationID)}
	}
	var err error
	var queue []apitype.QueueEntry
	switch cmd.Kind {
	case apitype.CmdScan:
		err = e.scan(st, cmd.Code)
	case apitype.CmdAcceptWeight:
		err = e.acceptWeight(ctx, st, cmd)
	case apitype.CmdOverride:
		err = e.override(st, cmd.Lead, cmd.Reason)
	case apitype.CmdReprint:
		err = e.reprint(ctx, st)
	case apitype.CmdRetryLabel:
		err = e.retryLabel(st)
	case apitype.CmdRelease:
		err = e.release(st)
	case apitype.CmdZeroScale:
		err = e.zeroScale(ctx, st)
	case apitype.CmdQueue, apitype.CmdSnapshot:
		queue, err = e.Queue()
		if err != nil {
			err = apiErr(apitype.ErrInternal, "reading the queue: %v", err)
		}
	default:
		err = apiErr(apitype.ErrUnknown, "unknown command %q: use scan, accept_weight, override, reprint, retry_label, release, queue, zero_scale or snapshot", cmd.Kind)
	}
	v := e.view(st)
	res := apitype.Result{OK: err == nil, View: &v, Queue: queue}
	if err != nil {
		var ae *apitype.Error
		switch {
		case errors.As(err, &ae):
		case errors.Is(err, store.ErrFull):
			e.log.Error("station command not recorded: the store is full", "station", st.dev.ID, "command", cmd.Kind, "err", err)
			ae = apiErr(apitype.ErrStoreFull, "Packline could not save this: %v. Call the lead; scan it again once space is freed", err)
			e.publish(st.dev.ID, apitype.EvAlert, apitype.Alert{Kind: apitype.AlertError, Title: "Disk full: nothing was saved", Detail: ae.Message, Sound: "error"})
		default:
			e.log.Error("station command failed", "station", st.dev.ID, "command", cmd.Kind, "err", err)
			ae = apiErr(apitype.ErrInternal, "%v", err)
		}
		res.Error = ae
	}
	e.publish(st.dev.ID, apitype.EvStation, v)
	return res
}

// current returns the id of the order open at the station.
func (st *station) current() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.orderID
}

func (st *station) open(id, notice string) {
	st.mu.Lock()
	st.orderID, st.busy, st.labelErr, st.notice, st.lastCheck, st.preview, st.previewOf = id, "", "", notice, nil, nil, ""
	st.mu.Unlock()
}

// loadOrder reads an order; a missing one is nil without error.
func (e *Engine) loadOrder(id string) (*order.Order, error) {
	var o order.Order
	err := e.store.View(func(tx Tx) error {
		var err error
		o, err = tx.Order(id)
		return err
	})
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &o, nil
}

// findOrder resolves a scanned code as an order id or package id.
func (e *Engine) findOrder(code string) (*order.Order, error) {
	code = packing.ParseCode(code).Clean
	if code == "" {
		return nil, nil
	}
	var o order.Order
	found := false
	err := e.store.View(func(tx Tx) error {
		var err error
		o, err = tx.Order(code)
		if err == nil {
			found = true
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		id, err := tx.OrderIDByPackage(code)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		o, err = tx.Order(id)
		if err == nil {
			found = true
		} else if errors.Is(err, ErrNotFound) {
			err = nil
		}
		return err
	})
	if err != nil || !found {
		return nil, err
	}
	return &o, nil
}

// scan handles a scanned code at a station.
func (e *Engine) scan(st *station, code string) error {
	if strings.TrimSpace(code) == "" {
		return apiErr(apitype.ErrBadRequest, "empty scan: scan the barcode again")
	}
	curID := st.current()
	var cur *order.Order
	if curID != "" {
		var err error
		if cur, err = e.loadOrder(curID); err != nil {
			return err
		}
		if cur == nil {
			st.open("", "")
		}
	}
	clean := packing.ParseCode(code).Clean
	// The printed label's tracking number confirms dispatch.
	if cur != nil && cur.Label != nil && cur.Label.TrackingNumber != "" && strings.EqualFold(clean, cur.Label.TrackingNumber) {
		return e.dispatch(st, cur)
	}
	scanned, err := e.findOrder(code)
	if err != nil {
		return err
	}
	if scanned != nil {
		if cur != nil && scanned.ID == cur.ID {
			return nil
		}
		if cur != nil && holdsStation(cur.State) {
			return apiErr(apitype.ErrOutOfOrder, "order %s is still open here: finish it or release it before opening order %s", cur.ID, scanned.ID)
		}
		return e.claim(st, scanned)
	}
	if cur == nil {
		return apiErr(apitype.ErrNotFound, "%q is not an order or package this agent knows: scan the order's packing slip (it may not be pulled yet, or belong to another warehouse)", clean)
	}
	if err := e.refuseUpstream(cur.ID); err != nil {
		return err
	}
	if b, ok := e.resolver.Box(code); ok {
		return e.chooseBox(st, cur, b)
	}
	switch cur.State {
	case order.Claimed, order.Verified:
		return e.scanItem(st, cur, code)
	}
	return apiErr(apitype.ErrOutOfOrder, "order %s is %s: scanning items is over; scan the next order", cur.ID, describeState(cur.State))
}

// holdsStation reports whether an order in state s keeps its station busy:
// the packer must finish or release it before opening another.
func holdsStation(s order.State) bool {
	switch s {
	case order.Claimed, order.Verified, order.Exception:
		return true
	}
	return false
}

func describeState(s order.State) string {
	switch s {
	case order.Weighed:
		return "weighed and its label is being bought"
	case order.Staged:
		return "packed and staged until the link returns"
	case order.LabelBought:
		return "labelled and printing"
	case order.LabelPrinted:
		return "labelled"
	case order.Dispatched:
		return "dispatched"
	case order.Cancelled:
		return "cancelled"
	case order.Exception:
		return "waiting for a lead"
	}
	return string(s)
}

// claim opens an order at the station.
func (e *Engine) claim(st *station, o *order.Order) error {
	switch o.State {
	case order.Weighed, order.Staged, order.LabelBought, order.LabelPrinted, order.Dispatched:
		// Already packed: open it to show its label (reprint, confirm).
		st.open(o.ID, "")
		return nil
	case order.Cancelled:
		return apiErr(apitype.ErrCancelled, "order %s is cancelled: do not pack it", o.ID)
	}
	if o.Pack != nil && o.Pack.Station != st.dev.ID && o.State != order.Pulled {
		return apiErr(apitype.ErrClaimed, "order %s is being packed at station %s: release it there first", o.ID, o.Pack.Station)
	}
	if ok, why := o.Packable(); !ok {
		code := apitype.ErrNotPackable
		if o.Status == order.StatusCancelled || o.BuyerRequestCancel {
			code = apitype.ErrCancelled
		}
		return apiErr(code, "order %s cannot be packed: %s", o.ID, why)
	}
	if len(o.Items()) == 0 {
		return apiErr(apitype.ErrNotPackable, "order %s cannot be packed: it has no live items", o.ID)
	}
	if o.State == order.Exception || o.State == order.Claimed || o.State == order.Verified {
		// Reopened at the same station (after a restart or a release of the view).
		st.open(o.ID, "")
		return nil
	}
	_, err := e.mutate(o.ID, func(o *order.Order) (*change, error) {
		// Another station may have claimed it since it was read.
		if o.State != order.Pulled {
			by := "another station"
			if o.Pack != nil {
				by = "station " + o.Pack.Station
			}
			return nil, apiErr(apitype.ErrClaimed, "order %s was just opened at %s: scan another order", o.ID, by)
		}
		if ok, why := o.Packable(); !ok {
			return nil, apiErr(apitype.ErrNotPackable, "order %s cannot be packed: %s", o.ID, why)
		}
		o.Pack = &order.Pack{Station: st.dev.ID, StartedAt: e.now(), Scanned: map[string]int{}}
		o.Exception = nil
		return &change{to: order.Claimed, station: st.dev.ID, actor: st.dev.ID, action: "claim"}, nil
	})
	if err != nil {
		var ae *apitype.Error
		if errors.As(err, &ae) {
			return ae
		}
		return fmt.Errorf("claiming order %s: %w", o.ID, err)
	}
	st.open(o.ID, "")
	e.kickQueue()
	return nil
}

// scanItem counts one unit scan.
func (e *Engine) scanItem(st *station, cur *order.Order, code string) error {
	var m packing.Match
	err := e.store.View(func(tx Tx) error {
		r := e.resolver
		r.Barcode = e.barcodeFunc(tx)
		var rerr error
		m, rerr = r.Item(cur, code)
		return rerr
	})
	if err != nil && !errors.Is(err, packing.ErrUnknownCode) {
		return err
	}
	if err != nil {
		e.publish(st.dev.ID, apitype.EvAlert, apitype.Alert{Kind: apitype.AlertWrongItem, Title: "Unknown code", Detail: err.Error(), Sound: "error"})
		return apiErr(apitype.ErrNotFound, "%s", err)
	}
	var out packing.Outcome
	_, err = e.mutate(cur.ID, func(o *order.Order) (*change, error) {
		if o.State != order.Claimed && o.State != order.Verified {
			return nil, apiErr(apitype.ErrOutOfOrder, "order %s is %s: scanning items is over", o.ID, describeState(o.State))
		}
		if o.Pack == nil {
			o.Pack = &order.Pack{Station: st.dev.ID, StartedAt: e.now()}
		}
		out = packing.Scan(o, o.Pack, m, e.now())
		c := &change{station: st.dev.ID, actor: st.dev.ID, action: "scan", detail: fmt.Sprintf("%s: %s", m.Code.Clean, out.Message), noRecord: true}
		if out.Result == packing.Complete && o.State == order.Claimed {
			o.Pack.VerifiedAt = e.now()
			c.to, c.noRecord = order.Verified, false
		}
		return c, nil
	})
	if err != nil {
		return err
	}
	switch out.Result {
	case packing.WrongItem:
		e.publish(st.dev.ID, apitype.EvAlert, apitype.Alert{Kind: apitype.AlertWrongItem, Title: "Wrong item", Detail: out.Message, Sound: "error"})
		return apiErr(apitype.ErrWrongItem, "%s", out.Message)
	case packing.ExtraUnit:
		e.publish(st.dev.ID, apitype.EvAlert, apitype.Alert{Kind: apitype.AlertExtraUnit, Title: "Extra unit", Detail: out.Message, Sound: "error"})
		return apiErr(apitype.ErrExtraUnit, "%s", out.Message)
	}
	st.mu.Lock()
	st.notice = out.Message
	st.mu.Unlock()
	return nil
}

// chooseBox records the box once every unit is in.
func (e *Engine) chooseBox(st *station, cur *order.Order, b order.Box) error {
	_, err := e.mutateTx(cur.ID, func(tx Tx, o *order.Order) (*change, error) {
		switch o.State {
		case order.Claimed:
			return nil, apiErr(apitype.ErrOutOfOrder, "scan the remaining items before the box: %s", missingWords(o))
		case order.Verified:
		default:
			return nil, apiErr(apitype.ErrOutOfOrder, "order %s is %s: the box can no longer change", o.ID, describeState(o.State))
		}
		bx := b
		o.Pack.Box = &bx
		// The packer sees what the box should weigh before it is on the
		// scale; a product without a catalogue weight leaves it unknown.
		o.Pack.Measured, o.Pack.Expected = 0, 0
		if exp := packing.ExpectedWeight(o, &bx, e.weightOf(tx)); len(exp.Unknown) == 0 {
			o.Pack.Expected = exp.Mass
		}
		return &change{station: st.dev.ID, actor: st.dev.ID, action: "box", detail: b.Code, noRecord: true}, nil
	})
	if err != nil {
		return err
	}
	st.mu.Lock()
	st.notice, st.lastCheck = fmt.Sprintf("box %s: put the box on the scale", b.Code), nil
	st.mu.Unlock()
	return nil
}

func missingWords(o *order.Order) string {
	if o.Pack == nil {
		return "every item"
	}
	var parts []string
	for _, s := range o.Pack.Missing(o) {
		parts = append(parts, fmt.Sprintf("%d × %s", s.Missing, skuLabel(o, s.SKUID)))
	}
	return strings.Join(parts, ", ")
}

func skuLabel(o *order.Order, sku string) string {
	for _, it := range o.Items() {
		if it.SKUID == sku && it.SellerSKU != "" {
			return it.SellerSKU
		}
	}
	return sku
}

// barcodeFunc looks codes up in the configured barcodes, then in the
// store's barcode map.
func (e *Engine) barcodeFunc(tx Tx) packing.BarcodeFunc {
	return func(code string) (string, int, bool) {
		if b, ok := e.opt.Barcodes[code]; ok {
			return b.SKUID, b.Units, true
		}
		if g, ok := packing.GTIN14(code); ok {
			if b, ok := e.opt.Barcodes[g]; ok {
				return b.SKUID, b.Units, true
			}
		}
		sku, units, err := tx.LookupBarcode(code)
		if err != nil {
			return "", 0, false
		}
		return sku, units, true
	}
}

// weightOf returns a product's catalogue weight from the store.
func (e *Engine) weightOf(tx Tx) packing.WeightFunc {
	return func(id string) (order.Mass, bool) {
		p, err := tx.Product(id)
		if err != nil {
			return 0, false
		}
		return p.Weight, p.Weight > 0
	}
}

// acceptWeight captures the stable weight and checks it. A pass commits the
// weighed state, the label intent and the label.purchase event together,
// then hands the order to the station's label worker. A weight typed in
// instead of read from the scale is declared to TikTok as measured, so it
// needs a lead's name and a reason, kept with the pack.
func (e *Engine) acceptWeight(ctx context.Context, st *station, cmd apitype.Command) error {
	grams := cmd.WeightGrams
	var typed *order.Override
	if grams > 0 {
		lead, reason := strings.TrimSpace(cmd.Lead), strings.TrimSpace(cmd.Reason)
		if lead == "" || reason == "" {
			return apiErr(apitype.ErrBadRequest, "a typed-in weight needs a lead's name and a reason: put the box on the scale and accept its weight")
		}
		typed = &order.Override{By: lead, Reason: reason, At: e.now()}
	}
	id := st.current()
	if id == "" {
		return apiErr(apitype.ErrOutOfOrder, "no order is open: scan an order first")
	}
	cur, err := e.loadOrder(id)
	if err != nil {
		return err
	}
	if cur == nil {
		return apiErr(apitype.ErrNotFound, "order %s is no longer in the store", id)
	}
	switch {
	case cur.State == order.Claimed:
		return apiErr(apitype.ErrOutOfOrder, "scan the remaining items before weighing: %s", missingWords(cur))
	case cur.State != order.Verified:
		return apiErr(apitype.ErrOutOfOrder, "order %s is %s: it is not waiting for a weight", cur.ID, describeState(cur.State))
	case cur.Pack == nil || cur.Pack.Box == nil:
		return apiErr(apitype.ErrOutOfOrder, "scan the box before weighing")
	}
	var r Reading
	switch {
	case typed != nil:
		r = Reading{Mass: order.Mass(grams * float64(order.Gram)), Display: fmt.Sprintf("%g g typed in by %s", grams, typed.By), At: e.now()}
	case grams < 0:
		return apiErr(apitype.ErrBadRequest, "weight %g g is negative: put the box on the scale", grams)
	case st.dev.Scale == nil:
		return apiErr(apitype.ErrDevice, "station %s has no scale: configure one, or have a lead enter the weight", st.dev.ID)
	default:
		wctx, cancel := context.WithTimeout(ctx, e.opt.WeightTimeout)
		r, err = st.dev.Scale.Stable(wctx)
		cancel()
		if err != nil {
			return apiErr(apitype.ErrNoWeight, "no stable weight from the scale (%v): keep the box still on the scale and try again", err)
		}
	}
	if r.Over || r.Under || r.Zero || r.Mass <= 0 {
		return apiErr(apitype.ErrNoWeight, "the scale reads %s: put the box on the scale and try again", r.Display)
	}
	if err := e.refuseUpstream(cur.ID); err != nil {
		return err
	}
	var chk packing.Check
	var failed error
	_, err = e.mutateTx(cur.ID, func(tx Tx, o *order.Order) (*change, error) {
		if o.State != order.Verified || o.Pack == nil || o.Pack.Box == nil {
			return nil, apiErr(apitype.ErrOutOfOrder, "order %s is %s: it is not waiting for a weight", o.ID, describeState(o.State))
		}
		exp := packing.ExpectedWeight(o, o.Pack.Box, e.weightOf(tx))
		o.Pack.Measured, o.Pack.Expected, o.Pack.WeighedAt, o.Pack.TypedWeight = r.Mass, exp.Mass, e.now(), typed
		var cerr error
		chk, cerr = e.opt.Weight.Check(r.Mass, exp)
		if cerr != nil && !errors.Is(cerr, packing.ErrUnknownWeight) {
			return nil, apiErr(apitype.ErrNoWeight, "%v", cerr)
		}
		detail := fmt.Sprintf("measured %.1f g (scale %q), expected %.1f g, tolerance %.1f g", r.Mass.Grams(), r.Display, exp.Mass.Grams(), chk.Tolerance.Grams())
		actor := st.dev.ID
		if typed != nil {
			actor = typed.By
			detail = fmt.Sprintf("typed in %.1f g (lead %s: %s), expected %.1f g, tolerance %.1f g", r.Mass.Grams(), typed.By, typed.Reason, exp.Mass.Grams(), chk.Tolerance.Grams())
		}
		if cerr != nil || !chk.OK {
			failed = apiErr(apitype.ErrWeight, "%s", chk.Message)
			o.Exception = &order.ExceptionInfo{Reason: "weight", Detail: chk.Message + " (" + detail + ")", At: e.now(), From: o.State}
			return &change{to: order.Exception, station: st.dev.ID, actor: actor, action: "weight.fail", detail: chk.Message + " (" + detail + ")"}, nil
		}
		in, err := e.newIntent(o)
		if err != nil {
			return nil, err
		}
		o.Intent = in
		return &change{to: order.Weighed, station: st.dev.ID, actor: actor, action: "weight.pass", detail: detail + "; declaring " + in.Weight + " " + in.WeightUnit,
			events: []outboxEvent{{KindLabelPurchase, LabelPurchase{OrderID: o.ID, IntentID: in.ID}}}}, nil
	})
	if err != nil {
		return err
	}
	c := chk
	st.mu.Lock()
	st.lastCheck = &c
	st.notice = chk.Message
	st.mu.Unlock()
	e.kickQueue()
	if failed != nil {
		e.publish(st.dev.ID, apitype.EvAlert, apitype.Alert{Kind: apitype.AlertWeight, Title: "Weight check failed", Detail: chk.Message + ": a lead must decide", Sound: "error"})
		return failed
	}
	e.schedule(st, cur.ID)
	return nil
}

// mutateTx is mutate with access to the transaction for reads.
func (e *Engine) mutateTx(id string, fn func(tx Tx, o *order.Order) (*change, error)) (order.Order, error) {
	var captured Tx
	return e.mutateWith(func(tx Tx) { captured = tx }, id, func(o *order.Order) (*change, error) { return fn(captured, o) })
}

// override lets a lead pass an order in exception.
func (e *Engine) override(st *station, lead, reason string) error {
	lead, reason = strings.TrimSpace(lead), strings.TrimSpace(reason)
	if lead == "" || reason == "" {
		return apiErr(apitype.ErrBadRequest, "an override needs the lead's name and a reason")
	}
	id := st.current()
	if id == "" {
		return apiErr(apitype.ErrOutOfOrder, "no order is open: scan the order in exception first")
	}
	buy := false
	_, err := e.mutate(id, func(o *order.Order) (*change, error) {
		if o.State != order.Exception || o.Exception == nil {
			return nil, apiErr(apitype.ErrOutOfOrder, "order %s is %s, not in exception: nothing to override", o.ID, describeState(o.State))
		}
		if ok, why := o.Packable(); !ok {
			return nil, apiErr(apitype.ErrNotPackable, "order %s cannot be packed: %s", o.ID, why)
		}
		ex := o.Exception
		if o.Pack == nil {
			o.Pack = &order.Pack{Station: st.dev.ID, StartedAt: e.now()}
		}
		o.Pack.Override = &order.Override{By: lead, Reason: reason, At: e.now()}
		o.Exception = nil
		c := &change{station: st.dev.ID, actor: lead, action: "override", detail: fmt.Sprintf("%s overrode %q (%s): %s", lead, ex.Reason, ex.Detail, reason)}
		to := ex.From
		if o.Pack.Box != nil && o.Pack.Measured > 0 && (to == order.Verified || to == order.Weighed || to == order.Staged) {
			in := o.Intent
			if in == nil {
				var err error
				if in, err = e.newIntent(o); err != nil {
					return nil, err
				}
				o.Intent = in
			}
			to = order.Weighed
			c.events = []outboxEvent{{KindLabelPurchase, LabelPurchase{OrderID: o.ID, IntentID: in.ID}}}
			buy = true
		}
		if to == "" || to == order.Exception {
			to = order.Claimed
		}
		c.to = to
		return c, nil
	})
	if err != nil {
		return err
	}
	st.mu.Lock()
	st.notice = fmt.Sprintf("override by %s: %s", lead, reason)
	st.mu.Unlock()
	e.kickQueue()
	if buy {
		e.schedule(st, id)
	}
	return nil
}

// release closes the station's order. An unfinished order goes back to the
// queue with its scans cleared; a packed order keeps its state.
func (e *Engine) release(st *station) error {
	id := st.current()
	if id == "" {
		return nil
	}
	o, err := e.loadOrder(id)
	if err != nil {
		return err
	}
	if o != nil && (o.State == order.Claimed || o.State == order.Verified || o.State == order.Exception) {
		_, err := e.mutate(id, func(o *order.Order) (*change, error) {
			if !(o.State == order.Claimed || o.State == order.Verified || o.State == order.Exception) {
				return nil, nil
			}
			o.Pack, o.Exception, o.Intent = nil, nil, nil
			return &change{to: order.Pulled, station: st.dev.ID, actor: st.dev.ID, action: "release", detail: "back to the queue: unpack the box"}, nil
		})
		if err != nil {
			return err
		}
		e.kickQueue()
	}
	if o != nil && o.State == order.Weighed {
		return apiErr(apitype.ErrOutOfOrder, "order %s's label is being bought: wait for it to print", id)
	}
	st.open("", "")
	return nil
}

// dispatch confirms a printed label by its scanned tracking number.
func (e *Engine) dispatch(st *station, cur *order.Order) error {
	if cur.State == order.Dispatched {
		return nil
	}
	if cur.State != order.LabelPrinted {
		return apiErr(apitype.ErrOutOfOrder, "order %s is %s: wait for the label to print before confirming", cur.ID, describeState(cur.State))
	}
	_, err := e.mutate(cur.ID, func(o *order.Order) (*change, error) {
		return &change{to: order.Dispatched, station: st.dev.ID, actor: st.dev.ID, action: "dispatch", detail: "tracking " + o.Label.TrackingNumber + " scanned"}, nil
	})
	if err != nil {
		return err
	}
	st.mu.Lock()
	st.notice = fmt.Sprintf("order %s dispatched: scan the next order", cur.ID)
	st.mu.Unlock()
	e.kickQueue()
	return nil
}

// retryLabel hands the open order to the label worker again.
func (e *Engine) retryLabel(st *station) error {
	id := st.current()
	if id == "" {
		return apiErr(apitype.ErrOutOfOrder, "no order is open: scan the order whose label failed")
	}
	o, err := e.loadOrder(id)
	if err != nil || o == nil {
		return err
	}
	switch o.State {
	case order.Weighed, order.Staged, order.LabelBought:
	default:
		return apiErr(apitype.ErrOutOfOrder, "order %s is %s: there is no label to retry", id, describeState(o.State))
	}
	e.schedule(st, id)
	return nil
}

func (e *Engine) zeroScale(ctx context.Context, st *station) error {
	z, ok := st.dev.Scale.(Zeroer)
	if st.dev.Scale == nil || !ok {
		return apiErr(apitype.ErrDevice, "the scale at station %s cannot be zeroed from here: use its zero key", st.dev.ID)
	}
	if err := z.Zero(ctx); err != nil {
		return apiErr(apitype.ErrDevice, "zeroing the scale: %v", err)
	}
	return nil
}

// schedule hands an order to the station's label worker without blocking;
// if the worker is swamped the relay's label.purchase event will pick it
// up.
func (e *Engine) schedule(st *station, id string) {
	st.mu.Lock()
	if st.orderID == id {
		st.busy, st.labelErr = "buying", ""
	}
	st.mu.Unlock()
	select {
	case st.jobs <- id:
	default:
		e.log.Warn("label worker busy; the relay will buy the label", "station", st.dev.ID, "order", id)
	}
}
