package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/relay"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/raster"
)

// worker buys and prints the labels of one station's orders, one at a time,
// off the command path.
func (e *Engine) worker(ctx context.Context, st *station) {
	for {
		select {
		case <-ctx.Done():
			return
		case id := <-st.jobs:
			if err := e.Process(ctx, id); err != nil && ctx.Err() == nil {
				e.log.Info("label not done yet", "station", st.dev.ID, "order", id, "err", err)
			}
		}
	}
}

// stagedLoop labels staged orders when kicked (the link came back) and every
// StagedRetry while some remain.
func (e *Engine) stagedLoop(ctx context.Context) {
	t := newTicker(e.opt.StagedRetry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.stagedKick:
		case <-t.C:
		}
		if err := e.DrainStaged(ctx); err != nil && ctx.Err() == nil {
			e.log.Info("staged orders wait for the link", "err", err)
		}
	}
}

// DrainStaged buys and prints the labels of staged orders, most urgent
// (earliest dispatch deadline) first. It stops at the first order that
// cannot reach TikTok and returns that error.
func (e *Engine) DrainStaged(ctx context.Context) error {
	e.drainMu.Lock()
	defer e.drainMu.Unlock()
	var staged []order.Order
	if err := e.store.View(func(tx Tx) error {
		var err error
		staged, err = tx.OrdersInState(order.Staged)
		return err
	}); err != nil {
		return err
	}
	sort.SliceStable(staged, func(i, j int) bool {
		a, b := e.deadline(&staged[i]), e.deadline(&staged[j])
		if !a.Equal(b) {
			return a.Before(b)
		}
		return staged[i].ID < staged[j].ID
	})
	for i := range staged {
		if err := e.Process(ctx, staged[i].ID); err != nil && isLinkError(err) {
			return err
		}
	}
	return nil
}

// HandleLabelPurchase is the relay's handler for label.purchase events. It
// is idempotent: an order already labelled, cancelled or in exception acks
// the event. A nil error acks; an error asks the relay to retry later.
func (e *Engine) HandleLabelPurchase(ctx context.Context, orderID string) error {
	o, err := e.loadOrder(orderID)
	if err != nil {
		return err
	}
	if o == nil {
		return nil
	}
	if o.State == order.Staged {
		if err := e.DrainStaged(ctx); err != nil {
			return err
		}
	}
	err = e.Process(ctx, orderID)
	if err != nil && !isLinkError(err) && !errors.Is(err, errLabelPending) {
		// Local problems (printer, rendering) are shown at the station; the
		// purchase itself is done or decided.
		return nil
	}
	return err
}

// errNotBuyable means the order left weighed or staged before the attempt.
var errNotBuyable = errors.New("order is no longer waiting for its label")

// errLabelPending means the label is bought but its document is not stored
// yet; the relay retries.
var errLabelPending = errors.New("label bought, document not downloaded yet")

func isLinkError(err error) bool {
	return errors.Is(err, ErrOffline) || errors.Is(err, ErrTransient) || errors.Is(err, ErrUnclear)
}

// Process moves an order's label forward from wherever it stands: buy it
// (after re-checking the order and reconciling earlier attempts), fetch
// and store the document, render and print it. It is safe to call again at
// any point, also after a crash: a label is bought at most once.
func (e *Engine) Process(ctx context.Context, id string) error {
	unlock := e.lockOrder(id)
	defer unlock()
	o, err := e.loadOrder(id)
	if err != nil || o == nil {
		return err
	}
	switch o.State {
	case order.Weighed, order.Staged:
		if err := e.buy(ctx, o); err != nil {
			return err
		}
		if o, err = e.loadOrder(id); err != nil || o == nil {
			return err
		}
		if o.State != order.LabelBought {
			return nil
		}
		fallthrough
	case order.LabelBought:
		return e.finish(ctx, o)
	}
	return nil
}

func (e *Engine) stationOf(o *order.Order) *station {
	if o.Pack == nil {
		return nil
	}
	return e.stations[o.Pack.Station]
}

// setBusy updates the label progress shown at the order's station.
func (e *Engine) setBusy(o *order.Order, busy, labelErr string) {
	st := e.stationOf(o)
	if st == nil {
		return
	}
	st.mu.Lock()
	if st.orderID == o.ID || st.orderID == "" {
		if st.orderID == "" && o.State != order.Staged {
			st.orderID = o.ID
		}
		st.busy, st.labelErr = busy, labelErr
	}
	st.mu.Unlock()
	e.publishView(st)
}

func (e *Engine) upstreamCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, e.opt.UpstreamTimeout)
}

// buy re-checks the order upstream and buys its label once.
func (e *Engine) buy(ctx context.Context, o *order.Order) error {
	e.setBusy(o, "buying", "")
	if o.Intent == nil {
		in, err := e.newIntent(o)
		if err != nil {
			return e.toException(o, "label", fmt.Sprintf("cannot buy a label: %v", err))
		}
		if _, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
			cur.Intent = in
			return &change{station: packStation(cur), actor: "agent", action: "label.intent", detail: in.ID}, nil
		}); err != nil {
			return err
		}
		o.Intent = in
	}
	cctx, cancel := e.upstreamCtx(ctx)
	up, err := e.shop.OrderDetail(cctx, o.ID)
	cancel()
	if err != nil {
		return e.upstreamFailed(o, "re-checking the order", err)
	}
	// An earlier attempt may have bought the label: look before buying.
	if o.Intent.Attempts > 0 || len(up.Packages) > 0 || up.Status == order.StatusAwaitingCollection {
		found, err := e.reconcile(ctx, o)
		if err != nil {
			return e.upstreamFailed(o, "reading the order's packages", err)
		}
		if found {
			return nil
		}
	}
	if up.Status == order.StatusCancelled {
		up.ID = o.ID
		e.cancel(packStation(o), &up, cancelWords(&up))
		return nil
	}
	if up.BuyerRequestCancel {
		// Never labelled while the request is pending; the order waits
		// for TikTok's decision instead of being cancelled.
		cur := *o
		cur.UpdateTime = up.UpdateTime
		e.hold(&cur)
		return nil
	}
	if gone := missingFrom(o.Intent.LineItemIDs, up.LineItemIDs()); len(up.LineItems) > 0 && len(gone) > 0 {
		return e.toException(o, "upstream", fmt.Sprintf("line items %s of order %s were cancelled upstream, so no label was bought: take those units out and have a lead re-weigh the box", strings.Join(gone, ", "), o.ID))
	}
	if up.Status != "" && up.Status != order.StatusAwaitingShipment {
		return e.toException(o, "upstream", fmt.Sprintf("TikTok shows order %s as %s, so no label was bought: check it in Seller Center", o.ID, up.Status))
	}
	in := *o.Intent
	if _, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		if cur.Intent == nil || cur.Intent.ID != in.ID {
			return nil, fmt.Errorf("order %s: label intent changed underneath", cur.ID)
		}
		if cur.State != order.Weighed && cur.State != order.Staged {
			// Cancelled or held since it was read.
			return nil, errNotBuyable
		}
		cur.Intent.Attempts++
		cur.Intent.LastError = ""
		return &change{station: packStation(cur), actor: "agent", action: "label.attempt", detail: fmt.Sprintf("intent %s attempt %d: %s %s", in.ID, cur.Intent.Attempts, in.Weight, in.WeightUnit)}, nil
	}); errors.Is(err, errNotBuyable) {
		return nil
	} else if err != nil {
		return err
	}
	req := PackageRequest{OrderID: o.ID, LineItemIDs: in.LineItemIDs, Weight: in.Weight, WeightUnit: in.WeightUnit,
		Length: in.Box.Length, Width: in.Box.Width, Height: in.Box.Height, DimUnit: in.Box.Unit}
	cctx, cancel = e.upstreamCtx(ctx)
	pkg, err := e.shop.CreatePackage(cctx, req)
	cancel()
	if err == nil {
		e.metrics.purchases.WithLabelValues("bought").Inc()
		return e.recordBought(o, pkg, "bought")
	}
	if !isLinkError(err) {
		e.metrics.purchases.WithLabelValues("refused").Inc()
		e.noteAttemptError(o, err)
		return e.toException(o, "label", fmt.Sprintf("TikTok refused the label: %v", err))
	}
	e.noteAttemptError(o, err)
	// Unclear or failed: read upstream before anything else.
	found, rerr := e.reconcile(ctx, o)
	if rerr == nil && found {
		return nil
	}
	return e.upstreamFailed(o, "buying the label", err)
}

// missingFrom lists the ids of want that have is missing.
func missingFrom(want, have []string) []string {
	var out []string
	for _, id := range want {
		if !slices.Contains(have, id) {
			out = append(out, id)
		}
	}
	return out
}

func packStation(o *order.Order) string {
	if o.Pack == nil {
		return ""
	}
	return o.Pack.Station
}

func (e *Engine) noteAttemptError(o *order.Order, cause error) {
	_, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		if cur.Intent == nil {
			return nil, nil
		}
		cur.Intent.LastError = cause.Error()
		return &change{station: packStation(cur), actor: "agent", action: "label.error", detail: cause.Error()}, nil
	})
	if err != nil {
		e.log.Error("recording label error", "order", o.ID, "err", err)
	}
}

// reconcile reads the order's packages upstream and, when one covers the
// intent's line items, records it as the bought label.
func (e *Engine) reconcile(ctx context.Context, o *order.Order) (bool, error) {
	cctx, cancel := e.upstreamCtx(ctx)
	pkgs, err := e.shop.OrderPackages(cctx, o.ID)
	cancel()
	if err != nil {
		return false, err
	}
	want := o.LineItemIDs()
	if o.Intent != nil && len(o.Intent.LineItemIDs) > 0 {
		want = o.Intent.LineItemIDs
	}
	for _, p := range pkgs {
		if covers(p.LineItemIDs, want) {
			e.metrics.purchases.WithLabelValues("reconciled").Inc()
			return true, e.recordBought(o, p, "reconciled")
		}
	}
	return false, nil
}

// covers reports whether a package holds every wanted line item. A package
// that lists no line items (some answers omit them) covers the order.
func covers(have, want []string) bool {
	if len(have) == 0 {
		return true
	}
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}

// recordBought commits the bought package.
func (e *Engine) recordBought(o *order.Order, p Package, how string) error {
	_, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		if cur.Label != nil && cur.Label.PackageID == p.ID {
			return nil, nil
		}
		l := &order.Label{PackageID: p.ID, TrackingNumber: p.TrackingNumber, Carrier: p.Carrier, ServiceName: p.Service, BoughtAt: e.now()}
		if cur.Intent != nil {
			l.Weight, l.WeightUnit = cur.Intent.Weight, cur.Intent.WeightUnit
		}
		cur.Label = l
		if !slices.Contains(cur.Packages, p.ID) {
			cur.Packages = append(cur.Packages, p.ID)
		}
		cur.Status = order.StatusAwaitingCollection
		return &change{to: order.LabelBought, station: packStation(cur), actor: "agent", action: "label." + how, detail: "package " + p.ID}, nil
	})
	if err != nil {
		return fmt.Errorf("recording package %s: %w", p.ID, err)
	}
	e.SetLink(true, "")
	e.kickQueue()
	return nil
}

// upstreamFailed stages an order that could not reach TikTok (or shows the
// error), so its label follows when the link returns.
func (e *Engine) upstreamFailed(o *order.Order, doing string, cause error) error {
	if !isLinkError(cause) {
		return e.toException(o, "upstream", fmt.Sprintf("%s: TikTok answered: %v", doing, cause))
	}
	if errors.Is(cause, ErrOffline) {
		e.SetLink(false, fmt.Sprintf("%s: %v", doing, cause))
	}
	words := fmt.Sprintf("%s: %v", doing, cause)
	_, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		if cur.State == order.Staged || cur.State != order.Weighed {
			return nil, nil
		}
		return &change{to: order.Staged, station: packStation(cur), actor: "agent", action: "stage", detail: words}, nil
	})
	if err != nil {
		return err
	}
	if st := e.stationOf(o); st != nil {
		st.mu.Lock()
		if st.orderID == o.ID {
			st.busy, st.labelErr = "", "TikTok not reachable ("+words+"): the label prints when the link returns"
		}
		st.mu.Unlock()
		e.publishView(st)
	}
	e.kickQueue()
	e.publishLink()
	return fmt.Errorf("order %s staged: %w", o.ID, cause)
}

// toException sends an order to a lead with a reason in words.
func (e *Engine) toException(o *order.Order, reason, detail string) error {
	_, err := e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		if cur.State == order.Exception {
			return nil, nil
		}
		cur.Exception = &order.ExceptionInfo{Reason: reason, Detail: detail, At: e.now(), From: cur.State}
		return &change{to: order.Exception, station: packStation(cur), actor: "agent", action: "exception", detail: detail}, nil
	})
	if err != nil {
		return err
	}
	if st := e.stationOf(o); st != nil {
		st.mu.Lock()
		if st.orderID == o.ID {
			st.busy, st.labelErr = "", detail
		}
		st.mu.Unlock()
		e.publish(st.dev.ID, apitype.EvAlert, apitype.Alert{Kind: apitype.AlertError, Title: "Order needs a lead", Detail: detail, Sound: "error"})
		e.publishView(st)
	}
	e.kickQueue()
	return nil
}

// docKey is the store key of an order's label PDF.
func docKey(orderID string) string { return "label/" + orderID }

// finish fetches the label document (once), stores it, renders it and
// prints it at the packing station.
func (e *Engine) finish(ctx context.Context, o *order.Order) error {
	e.setBusy(o, "printing", "")
	if o.Label.Document == "" || o.Label.TrackingNumber == "" {
		cctx, cancel := e.upstreamCtx(ctx)
		doc, err := e.shop.ShippingDocument(cctx, o.Label.PackageID)
		var pdf []byte
		if err == nil {
			pdf, err = e.shop.Download(cctx, doc.URL)
		}
		cancel()
		if err != nil {
			e.setBusy(o, "", fmt.Sprintf("label bought (package %s) but its PDF could not be fetched: %v; it is fetched again automatically", o.Label.PackageID, err))
			return fmt.Errorf("%w: %w", errLabelPending, err)
		}
		key := docKey(o.ID)
		updated, err := e.mutateTx(o.ID, func(tx Tx, cur *order.Order) (*change, error) {
			if err := tx.PutDocument(key, pdf); err != nil {
				return nil, err
			}
			cur.Label.Document = key
			if doc.TrackingNumber != "" {
				cur.Label.TrackingNumber = doc.TrackingNumber
			}
			return &change{station: packStation(cur), actor: "agent", action: "label.document", detail: fmt.Sprintf("%d bytes, tracking %s", len(pdf), cur.Label.TrackingNumber)}, nil
		})
		if err != nil {
			return err
		}
		o = &updated
	}
	return e.printLabel(ctx, o, false)
}

// printLabel renders the stored PDF and prints it at the order's station.
func (e *Engine) printLabel(ctx context.Context, o *order.Order, reprint bool) error {
	st := e.stationOf(o)
	if st == nil {
		return fmt.Errorf("order %s has no packing station to print at", o.ID)
	}
	fail := func(words string) error {
		e.setBusy(o, "", words)
		e.publish(st.dev.ID, apitype.EvAlert, apitype.Alert{Kind: apitype.AlertError, Title: "Label not printed", Detail: words, Sound: "error"})
		return errors.New(words)
	}
	if st.dev.Printer == nil {
		return fail(fmt.Sprintf("station %s has no printer: configure one, then retry the label", st.dev.ID))
	}
	if e.labeler == nil {
		return fail("no label renderer is configured")
	}
	var pdf []byte
	if err := e.store.View(func(tx Tx) error {
		var err error
		pdf, err = tx.Document(o.Label.Document)
		return err
	}); err != nil {
		return fail(fmt.Sprintf("the stored label PDF cannot be read: %v", err))
	}
	ctx, cancel := context.WithTimeout(ctx, e.opt.PrintTimeout)
	defer cancel()
	bmp, err := e.labeler.Prepare(ctx, pdf, st.dev.Label, o.Label.TrackingNumber)
	if err != nil {
		return fail(fmt.Sprintf("the label PDF could not be prepared for the printer: %v", err))
	}
	perr := st.dev.Printer.Print(ctx, PrintJob{ID: o.ID, Image: bmp, Copies: 1})
	// The preview follows the job, so it never delays the label.
	e.setPreview(st, o.ID, bmp)
	if err := perr; err != nil {
		e.SetDevice(st.dev.ID, apitype.DeviceStatus{Kind: "printer", URI: st.dev.PrinterURI, State: apitype.DeviceError, Detail: err.Error()})
		return fail(fmt.Sprintf("printer: %v: check paper and cable, then reprint", err))
	}
	e.SetDevice(st.dev.ID, apitype.DeviceStatus{Kind: "printer", URI: st.dev.PrinterURI, State: apitype.DeviceOK})
	_, err = e.mutate(o.ID, func(cur *order.Order) (*change, error) {
		cur.Label.Prints++
		if reprint || cur.State != order.LabelBought {
			return &change{station: st.dev.ID, actor: st.dev.ID, action: "label.reprint", detail: fmt.Sprintf("print %d", cur.Label.Prints)}, nil
		}
		cur.Label.PrintedAt = e.now()
		return &change{to: order.LabelPrinted, station: st.dev.ID, actor: "agent", action: "label.print", detail: "tracking " + cur.Label.TrackingNumber}, nil
	})
	if err != nil {
		return err
	}
	if !reprint && o.Pack != nil && !o.Pack.StartedAt.IsZero() {
		e.metrics.packDuration.Observe(e.now().Sub(o.Pack.StartedAt).Seconds())
	}
	e.setBusy(o, "", "")
	e.kickQueue()
	return nil
}

// Label previews travel inside the station view, so they are kept well
// under the station's message limit: previewWidths are tried in turn until
// the PNG fits previewBudget.
var previewWidths = []int{320, 240, 160}

const previewBudget = 32 << 10

// setPreview keeps a small PNG of the rendered label for the station's
// screen and /v1/label.png.
func (e *Engine) setPreview(st *station, orderID string, bmp *raster.Bitmap) {
	var png []byte
	for _, w := range previewWidths {
		b, err := label.PreviewPNG(bmp, w)
		if err != nil {
			e.log.Warn("label preview", "order", orderID, "err", err)
			return
		}
		png = b
		if len(b) <= previewBudget {
			break
		}
	}
	if len(png) > previewBudget {
		e.log.Warn("label preview too large to show", "order", orderID, "bytes", len(png))
		return
	}
	st.mu.Lock()
	if st.orderID == "" || st.orderID == orderID {
		st.preview, st.previewOf = png, orderID
	}
	st.mu.Unlock()
}

// reprint prints the open (or last) order's label again.
func (e *Engine) reprint(ctx context.Context, st *station) error {
	id := st.current()
	if id == "" {
		return apiErr(apitype.ErrOutOfOrder, "no order is open: scan the order whose label you want again")
	}
	o, err := e.loadOrder(id)
	if err != nil || o == nil {
		return err
	}
	if o.Label == nil || o.Label.Document == "" {
		return apiErr(apitype.ErrOutOfOrder, "order %s has no label yet", id)
	}
	if err := e.printLabel(ctx, o, true); err != nil {
		return apiErr(apitype.ErrDevice, "%v", err)
	}
	return nil
}

// watchScale streams the station's scale readings to it.
func (e *Engine) watchScale(ctx context.Context, st *station) {
	for ctx.Err() == nil {
		err := st.dev.Scale.Watch(ctx, func(r Reading) {
			e.publish(st.dev.ID, apitype.EvReading, apitype.Reading{Grams: r.Mass.Grams(), Display: r.Display, Stable: r.Stable, Zero: r.Zero, Over: r.Over, Under: r.Under, At: r.At})
		})
		if ctx.Err() != nil {
			return
		}
		detail := "scale stopped"
		if err != nil {
			detail = err.Error()
		}
		e.SetDevice(st.dev.ID, apitype.DeviceStatus{Kind: "scale", URI: st.dev.ScaleURI, State: apitype.DeviceOffline, Detail: detail})
		if !sleepCtx(ctx, e.opt.StagedRetry/10) {
			return
		}
	}
}

// LabelPurchaseHandler is the relay handler for label.purchase events.
func (e *Engine) LabelPurchaseHandler() relay.Handler {
	return func(ctx context.Context, ev relay.Event) error {
		var p LabelPurchase
		if err := json.Unmarshal(ev.Payload, &p); err != nil || p.OrderID == "" {
			return relay.Permanent(fmt.Errorf("label.purchase event %s has no order id: %s", ev.ID, ev.Payload))
		}
		return e.HandleLabelPurchase(ctx, p.OrderID)
	}
}

// outboxKey is the outbox ordering key of an order's event of kind: label
// purchases and pack records go to different destinations, so a sync
// endpoint that is down never holds back a label.
func outboxKey(kind, orderID string) string {
	if kind == KindLabelPurchase {
		return relay.OrderingKey(relay.DestLabel, orderID)
	}
	return relay.OrderingKey(relay.DestSync, orderID)
}
