package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/relay"
	"github.com/packline/packline/store"
)

func kinds(evs []store.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Kind)
	}
	return out
}

func TestHappyPath(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("100"))
	r := h.ok("A", scan("100"))
	if r.View.Phase != apitype.PhaseScanning || r.View.Order == nil || len(r.View.Order.Lines) != 2 {
		t.Fatalf("after claim: %+v", r.View)
	}
	if r.View.Order.Deadline.IsZero() {
		t.Error("no deadline in view")
	}
	h.fail("A", scan("BOX-S"), apitype.ErrOutOfOrder, "scan the remaining items before the box: 1 × MUG, 2 × RED-L")
	h.ok("A", scan("RED-L"))
	h.fail("A", scan("XYZ-1"), apitype.ErrNotFound, `"XYZ-1" is not an item, box or order this station knows: check the barcode or add it to the catalogue`)
	h.ok("A", scan("sku-red"))
	h.fail("A", scan("RED-L"), apitype.ErrExtraUnit, "order needs 2 of RED-L Shirt, this would be the 3rd: take it out of the box")
	h.fail("A", weigh(800), apitype.ErrOutOfOrder, "scan the remaining items before weighing: 1 × MUG")
	r = h.ok("A", scan("036000291452")) // UPC-A from the store's barcode map
	if r.View.Phase != apitype.PhaseBoxing {
		t.Fatalf("phase %s, want boxing", r.View.Phase)
	}
	h.fail("A", weigh(800), apitype.ErrOutOfOrder, "scan the box before weighing")
	r = h.ok("A", scan("box-s"))
	if r.View.Phase != apitype.PhaseWeighing || r.View.Box == nil || r.View.Box.TareGrams != 100 {
		t.Fatalf("after box: %+v", r.View)
	}
	r = h.ok("A", weigh(860))
	if r.View.Phase != apitype.PhaseBuying || r.View.Prompt != "Buying label…" {
		t.Fatalf("after weigh: %s %q", r.View.Phase, r.View.Prompt)
	}
	if r.View.ExpectedGrams != 850 || r.View.MeasuredGrams != 860 || r.View.WeightOK == nil || !*r.View.WeightOK {
		t.Errorf("weight view %+v", r.View)
	}
	if r.View.Label == nil || r.View.Label.DeclaredWeight != "1.90 lb" {
		t.Errorf("declared weight on screen %+v, want 1.90 lb", r.View.Label)
	}
	o := h.order("100")
	if o.State != order.Weighed || o.Intent == nil || o.Intent.Weight != "1.90" || o.Intent.WeightUnit != "POUND" {
		t.Fatalf("after weigh: %s intent %+v", o.State, o.Intent)
	}
	if got := kinds(h.events("100")); strings.Join(got, ",") != "pack.record,pack.record,pack.record,label.purchase" {
		t.Errorf("outbox %v", got)
	}
	if h.shop.purchased() != 0 {
		t.Fatal("label bought on the command path")
	}
	if err := h.e.Process(h.ctx, "100"); err != nil {
		t.Fatal(err)
	}
	o = h.order("100")
	if o.State != order.LabelPrinted || o.Label == nil || o.Label.TrackingNumber != "TRK1" || o.Label.Weight != "1.90" || o.Label.Prints != 1 {
		t.Fatalf("after process: %s %+v", o.State, o.Label)
	}
	if h.shop.purchased() != 1 || h.printer.printed() != 1 {
		t.Errorf("purchases %d prints %d", h.shop.purchased(), h.printer.printed())
	}
	v, q, link, devs := h.e.Snapshot("A")
	if v.Phase != apitype.PhaseDone || v.Label == nil || !v.Label.Printed || v.Label.TrackingNumber != "TRK1" {
		t.Errorf("snapshot view %+v", v)
	}
	if len(q) != 0 {
		t.Errorf("queue %+v", q)
	}
	if !link.Online || link.OutboxDepth == 0 || len(devs) != 2 {
		t.Errorf("link %+v devices %+v", link, devs)
	}
	// Scanning the tracking number confirms dispatch.
	r = h.ok("A", scan("TRK1"))
	if h.order("100").State != order.Dispatched || r.View.Prompt != "Dispatched: scan the next order" {
		t.Errorf("dispatch: %s %q", h.order("100").State, r.View.Prompt)
	}
	var actions []string
	for _, a := range h.audit("100") {
		actions = append(actions, a.Action)
	}
	want := "claim,scan,scan,scan,scan,box,weight.pass,label.attempt,label.bought,label.document,label.print,dispatch"
	if strings.Join(actions, ",") != want {
		t.Errorf("audit %s\nwant  %s", strings.Join(actions, ","), want)
	}
	// Reprint works on the dispatched order.
	h.ok("A", apitype.Command{Kind: apitype.CmdReprint})
	if h.printer.printed() != 2 || h.shop.purchased() != 1 {
		t.Errorf("reprint: prints %d purchases %d", h.printer.printed(), h.shop.purchased())
	}
	// A second order opens at once.
	h.addOrder(testOrder("101"))
	h.ok("A", scan("101"))
}

func TestCaseCodeAndWrongItem(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("110"))
	h.ok("A", scan("110"))
	h.fail("A", scan("sku-blue"), apitype.ErrNotFound, `"sku-blue" is not an item, box or order this station knows: check the barcode or add it to the catalogue`)
	h.ok("A", scan("CASE-RED"))
	o := h.order("110")
	if o.Pack.Scanned["sku-red"] != 2 {
		t.Errorf("case counted %d", o.Pack.Scanned["sku-red"])
	}
	h.addOrder(order.Order{ID: "111", Status: order.StatusAwaitingShipment, LineItems: []order.LineItem{{ID: "x", SKUID: "sku-blue", ProductID: "p"}}})
	// sku-blue is known (on another order) via the store barcode map.
	if err := h.db.Update(func(tx *store.Tx) error { return tx.PutBarcode("BLUE-1", "sku-blue", 1) }); err != nil {
		t.Fatal(err)
	}
	h.fail("A", scan("BLUE-1"), apitype.ErrWrongItem, "sku-blue is not on this order: take it out of the box")
	if a := h.pub.alerts(); len(a) == 0 || a[len(a)-1].Kind != apitype.AlertWrongItem {
		t.Errorf("alerts %+v", a)
	}
	h.fail("A", scan("111"), apitype.ErrOutOfOrder, "order 110 is still open here: finish it or release it before opening order 111")
}

func TestClaimRefusals(t *testing.T) {
	h := newHarness(t)
	onHold := testOrder("201")
	onHold.Status = order.StatusOnHold
	fbt := testOrder("202")
	fbt.FulfillmentType = "FULFILLMENT_BY_TIKTOK"
	cancelled := testOrder("203")
	cancelled.Status = order.StatusCancelled
	req := testOrder("204")
	req.BuyerRequestCancel = true
	for _, o := range []order.Order{onHold, fbt, cancelled, req, testOrder("205")} {
		h.addOrder(o)
	}
	h.fail("A", scan("201"), apitype.ErrNotPackable, "order 201 cannot be packed: on hold: inside the buyer's 1-hour cancellation window")
	h.fail("A", scan("202"), apitype.ErrNotPackable, "order 202 cannot be packed: fulfilled by TikTok, not by this warehouse")
	h.fail("A", scan("203"), apitype.ErrCancelled, "order 203 cannot be packed: cancelled")
	h.fail("A", scan("204"), apitype.ErrCancelled, "order 204 cannot be packed: the buyer asked to cancel: wait for the decision in Seller Center")
	h.fail("A", scan("999"), apitype.ErrNotFound, `"999" is not an order or package this agent knows: scan the order's packing slip (it may not be pulled yet, or belong to another warehouse)`)
	h.ok("B", scan("205"))
	h.fail("A", scan("205"), apitype.ErrClaimed, "order 205 is being packed at station B: release it there first")
	h.ok("B", apitype.Command{Kind: apitype.CmdRelease})
	if o := h.order("205"); o.State != order.Pulled || o.Pack != nil {
		t.Errorf("after release: %s %+v", o.State, o.Pack)
	}
	h.ok("A", scan("205"))
	r := h.do("Z", scan("205"))
	if r.OK || r.Error.Code != apitype.ErrNotFound {
		t.Errorf("unknown station: %+v", r)
	}
	r = h.do("A", apitype.Command{Kind: "dance"})
	if r.OK || r.Error.Code != apitype.ErrUnknown {
		t.Errorf("unknown command: %+v", r)
	}
}

func TestWeightFailAndOverride(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("300"))
	h.packToVerified("300")
	h.fail("A", weigh(1000), apitype.ErrWeight, "box weighs 1000.0 g, expected 850.0 g ± 42.5 g: 150.0 g heavier: check the items and the box")
	o := h.order("300")
	if o.State != order.Exception || o.Exception == nil || o.Exception.Reason != "weight" || o.Exception.From != order.Verified {
		t.Fatalf("after fail: %s %+v", o.State, o.Exception)
	}
	v, _, _, _ := h.e.Snapshot("A")
	if v.Phase != apitype.PhaseException || v.WeightOK == nil || *v.WeightOK {
		t.Errorf("view %+v", v)
	}
	if a := h.pub.alerts(); len(a) == 0 || a[len(a)-1].Kind != apitype.AlertWeight {
		t.Errorf("alerts %+v", a)
	}
	h.fail("A", apitype.Command{Kind: apitype.CmdOverride, Lead: "Dana"}, apitype.ErrBadRequest, "an override needs the lead's name and a reason")
	h.ok("A", apitype.Command{Kind: apitype.CmdOverride, Lead: "Dana", Reason: "heavy gift wrap, checked"})
	o = h.order("300")
	if o.State != order.Weighed || o.Pack.Override == nil || o.Pack.Override.By != "Dana" || o.Intent == nil || o.Intent.Weight != "2.21" {
		t.Fatalf("after override: %s %+v %+v", o.State, o.Pack.Override, o.Intent)
	}
	found := false
	for _, a := range h.audit("300") {
		if a.Action == "override" && a.Actor == "Dana" && strings.Contains(a.Detail, "heavy gift wrap, checked") && strings.Contains(a.Detail, "1000.0 g") {
			found = true
		}
	}
	if !found {
		t.Errorf("override not audited: %+v", h.audit("300"))
	}
	if err := h.e.Process(h.ctx, "300"); err != nil {
		t.Fatal(err)
	}
	if o := h.order("300"); o.State != order.LabelPrinted || o.Label.Weight != "2.21" {
		t.Errorf("declared %s, want the measured 1000 g rounded up", o.Label.Weight)
	}
	h.fail("A", apitype.Command{Kind: apitype.CmdOverride, Lead: "Dana", Reason: "again"}, apitype.ErrOutOfOrder, "order 300 is labelled, not in exception: nothing to override")
}

func TestUnknownProductWeight(t *testing.T) {
	h := newHarness(t)
	o := testOrder("310")
	o.LineItems[2].ProductID = "p-new"
	h.addOrder(o)
	h.packToVerified("310")
	h.fail("A", weigh(800), apitype.ErrWeight, "no catalogue weight for product p-new: a lead must check the box or add the weight")
	if got := h.order("310").State; got != order.Exception {
		t.Fatalf("state %s", got)
	}

	h.e.opt.Weight.SkipUnknown = true
	o2 := testOrder("311")
	o2.LineItems[2].ProductID = "p-new"
	h.ok("A", apitype.Command{Kind: apitype.CmdRelease})
	h.addOrder(o2)
	h.packToVerified("311")
	h.ok("A", weigh(800))
	if got := h.order("311").State; got != order.Weighed {
		t.Fatalf("skip: state %s", got)
	}
}

func TestScaleCapture(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("320"))
	h.packToVerified("320")
	h.scale.err = errors.New("no stable reading within 5s")
	h.fail("A", weigh(0), apitype.ErrNoWeight, "no stable weight from the scale (no stable reading within 5s): keep the box still on the scale and try again")
	h.scale.err = nil
	h.scale.r = Reading{Mass: 0, Display: "0.00 lb", Stable: true, Zero: true}
	h.fail("A", weigh(0), apitype.ErrNoWeight, "the scale reads 0.00 lb: put the box on the scale and try again")
	h.scale.r = Reading{Mass: 845 * order.Gram, Display: "1.86 lb", Stable: true}
	h.ok("A", weigh(0))
	if o := h.order("320"); o.State != order.Weighed || o.Pack.Measured != 845*order.Gram {
		t.Errorf("captured %v", o.Pack.Measured)
	}
	// Station B has no scale.
	h.addOrder(testOrder("321"))
	h.ok("B", scan("321"))
	for _, c := range []string{"RED-L", "RED-L", "MUG", "BOX-S"} {
		h.ok("B", scan(c))
	}
	h.fail("B", weigh(0), apitype.ErrDevice, "station B has no scale: configure one, or have a lead enter the weight")
	h.fail("B", apitype.Command{Kind: apitype.CmdZeroScale}, apitype.ErrDevice, "the scale at station B cannot be zeroed from here: use its zero key")
}

func TestCancelledUpstreamBeforeBuying(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edit  func(*order.Order)
		words string
	}{
		{"cancelled", func(o *order.Order) { o.Status = order.StatusCancelled }, "order 400 was cancelled: do not ship it; put the items back and give the box to a lead"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			o := testOrder("400")
			h.addOrder(o)
			h.packToVerified("400")
			h.ok("A", weigh(850))
			tc.edit(&o)
			h.shop.setOrder(o)
			if err := h.e.Process(h.ctx, "400"); err != nil {
				t.Fatal(err)
			}
			if got := h.order("400"); got.State != order.Cancelled || got.Label != nil {
				t.Fatalf("state %s label %+v", got.State, got.Label)
			}
			if h.shop.purchased() != 0 || h.printer.printed() != 0 {
				t.Fatalf("purchases %d prints %d", h.shop.purchased(), h.printer.printed())
			}
			a := h.pub.alerts()
			if len(a) == 0 || a[len(a)-1].Kind != apitype.AlertCancelled || a[len(a)-1].Detail != tc.words {
				t.Errorf("alerts %+v", a)
			}
			v, _, _, _ := h.e.Snapshot("A")
			if v.Phase != apitype.PhaseIdle || !strings.Contains(v.Prompt, tc.words) {
				t.Errorf("view %s %q", v.Phase, v.Prompt)
			}
		})
	}
}

func TestCancelledInStoreMidScan(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("410"))
	h.ok("A", scan("410"))
	h.ok("A", scan("RED-L"))
	// The intake loop merges an upstream cancellation into the store.
	if err := h.db.Update(func(tx *store.Tx) error {
		o, err := tx.Order("410")
		if err != nil {
			return err
		}
		o.Status = order.StatusCancelled
		return tx.PutOrder(&o)
	}); err != nil {
		t.Fatal(err)
	}
	h.e.Notify("410")
	if got := h.order("410").State; got != order.Cancelled {
		t.Fatalf("state %s", got)
	}
	if a := h.pub.alerts(); len(a) == 0 || a[len(a)-1].Kind != apitype.AlertCancelled {
		t.Errorf("alerts %+v", a)
	}
	h.fail("A", scan("RED-L"), apitype.ErrNotFound, `"RED-L" is not an order or package this agent knows: scan the order's packing slip (it may not be pulled yet, or belong to another warehouse)`)
}

func TestDropAfterSuccessReconciles(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("500"))
	h.packToVerified("500")
	h.ok("A", weigh(850))
	h.shop.dropAfterSuccess = true
	if err := h.e.Process(h.ctx, "500"); err != nil {
		t.Fatal(err)
	}
	o := h.order("500")
	if o.State != order.LabelPrinted || o.Label.PackageID != "PKG1" || h.shop.purchased() != 1 {
		t.Fatalf("state %s label %+v purchases %d", o.State, o.Label, h.shop.purchased())
	}
	if o.Intent.LastError == "" {
		t.Error("unclear answer not recorded on the intent")
	}
}

func TestUnclearNotBoughtRetriesOnce(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("510"))
	h.packToVerified("510")
	h.ok("A", weigh(850))
	h.shop.inject("CreatePackage", fmt.Errorf("timeout: %w", ErrUnclear))
	err := h.e.Process(h.ctx, "510")
	if !errors.Is(err, ErrUnclear) {
		t.Fatalf("err %v", err)
	}
	if o := h.order("510"); o.State != order.Staged || o.Intent.Attempts != 1 {
		t.Fatalf("state %s attempts %d", o.State, o.Intent.Attempts)
	}
	calls := len(h.shop.calls)
	if err := h.e.DrainStaged(h.ctx); err != nil {
		t.Fatal(err)
	}
	// The retry read the packages before buying again.
	if got := strings.Join(h.shop.calls[calls:calls+3], ","); got != "OrderDetail,OrderPackages,CreatePackage" {
		t.Errorf("calls %s", got)
	}
	if o := h.order("510"); o.State != order.LabelPrinted || h.shop.purchased() != 1 {
		t.Fatalf("state %s purchases %d", o.State, h.shop.purchased())
	}
}

func TestRestartMidPurchaseReconciles(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("520"))
	h.packToVerified("520")
	h.ok("A", weigh(850))
	// The purchase goes through upstream, the answer is lost, and the agent
	// dies before it can read the packages.
	h.shop.dropAfterSuccess = true
	h.shop.inject("OrderPackages", fmt.Errorf("dial: %w", ErrOffline))
	if err := h.e.Process(h.ctx, "520"); err == nil {
		t.Fatal("no error")
	}
	if o := h.order("520"); o.State != order.Staged || o.Intent.Attempts != 1 || o.Label != nil {
		t.Fatalf("state %s intent %+v", o.State, o.Intent)
	}
	h.reopen()
	if err := h.e.DrainStaged(h.ctx); err != nil {
		t.Fatal(err)
	}
	o := h.order("520")
	if o.State != order.LabelPrinted || o.Label.PackageID != "PKG1" || h.shop.purchased() != 1 {
		t.Fatalf("state %s label %+v purchases %d", o.State, o.Label, h.shop.purchased())
	}
}

func TestOfflineStagesAndDrainsMostUrgentFirst(t *testing.T) {
	h := newHarness(t)
	late := testOrder("601")
	late.RTSDeadline = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	urgent := testOrder("602")
	urgent.RTSDeadline = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	h.addOrder(late)
	h.addOrder(urgent)
	h.shop.inject("OrderDetail", fmt.Errorf("dial: %w", ErrOffline), fmt.Errorf("dial: %w", ErrOffline))
	for _, id := range []string{"601", "602"} {
		h.packToVerified(id)
		r := h.ok("A", weigh(850))
		if r.View.Phase != apitype.PhaseBuying {
			t.Fatalf("%s: phase %s", id, r.View.Phase)
		}
		if err := h.e.Process(h.ctx, id); !errors.Is(err, ErrOffline) {
			t.Fatalf("%s: %v", id, err)
		}
		v, _, link, _ := h.e.Snapshot("A")
		if v.Phase != apitype.PhaseStaged || link.Online || link.Staged == 0 {
			t.Fatalf("%s: view %s link %+v", id, v.Phase, link)
		}
		r = h.ok("A", apitype.Command{Kind: apitype.CmdRelease})
		if r.View.Phase != apitype.PhaseIdle {
			t.Fatalf("release: %s", r.View.Phase)
		}
	}
	if h.shop.purchased() != 0 {
		t.Fatal("bought while offline")
	}
	q, _ := h.e.Queue()
	if len(q) != 2 || q[0].OrderID != "602" || !q[0].Staged || q[0].Urgency != apitype.UrgencyDue {
		t.Errorf("queue %+v", q)
	}
	h.e.SetLink(true, "")
	if err := h.e.DrainStaged(h.ctx); err != nil {
		t.Fatal(err)
	}
	if a, b := h.order("602"), h.order("601"); a.Label == nil || b.Label == nil || a.Label.PackageID != "PKG1" || b.Label.PackageID != "PKG2" {
		t.Fatalf("labels %+v %+v", a.Label, b.Label)
	}
	if h.shop.purchased() != 2 || h.printer.printed() != 2 {
		t.Errorf("purchases %d prints %d", h.shop.purchased(), h.printer.printed())
	}
}

func TestTransientStagesRejectedGoesToException(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("700"))
	h.packToVerified("700")
	h.ok("A", weigh(850))
	h.shop.inject("CreatePackage", errors.New("code 21011001: weight exceeds the delivery option's limit"))
	if err := h.e.Process(h.ctx, "700"); err != nil {
		t.Fatal(err)
	}
	o := h.order("700")
	if o.State != order.Exception || o.Exception.Detail != "TikTok refused the label: code 21011001: weight exceeds the delivery option's limit" {
		t.Fatalf("state %s %+v", o.State, o.Exception)
	}
	// The lead decides to retry.
	h.ok("A", apitype.Command{Kind: apitype.CmdOverride, Lead: "Dana", Reason: "switched delivery option in Seller Center"})
	if err := h.e.Process(h.ctx, "700"); err != nil {
		t.Fatal(err)
	}
	if got := h.order("700").State; got != order.LabelPrinted {
		t.Fatalf("state %s", got)
	}
}

func TestPrinterAndDocumentFailures(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("800"))
	h.packToVerified("800")
	h.ok("A", weigh(850))
	h.shop.inject("Download", fmt.Errorf("dial: %w", ErrOffline))
	err := h.e.Process(h.ctx, "800")
	if !errors.Is(err, errLabelPending) {
		t.Fatalf("err %v", err)
	}
	if err := h.e.HandleLabelPurchase(h.ctx, "800"); err != nil {
		t.Fatalf("second attempt: %v", err)
	}
	if h.shop.purchased() != 1 {
		t.Fatalf("purchases %d", h.shop.purchased())
	}
	// Printed already; now test the printer failing on reprint.
	h.printer.err = errors.New("paper out")
	r := h.fail("A", apitype.Command{Kind: apitype.CmdReprint}, apitype.ErrDevice, "printer: paper out: check paper and cable, then reprint")
	if r.View.Label == nil || r.View.Label.Error == "" {
		t.Errorf("label error not shown: %+v", r.View.Label)
	}
	_, _, _, devs := h.e.Snapshot("A")
	if devs[1].State != apitype.DeviceError {
		t.Errorf("printer status %+v", devs[1])
	}
	h.printer.err = nil
	h.ok("A", apitype.Command{Kind: apitype.CmdReprint})

	// A printer failure on the first print leaves the label bought.
	h.addOrder(testOrder("801"))
	h.ok("A", apitype.Command{Kind: apitype.CmdRelease})
	h.packToVerified("801")
	h.ok("A", weigh(850))
	h.printer.err = errors.New("printer offline")
	if err := h.e.HandleLabelPurchase(h.ctx, "801"); err != nil {
		t.Fatalf("relay handler should ack a bought label: %v", err)
	}
	if o := h.order("801"); o.State != order.LabelBought || o.Label.Document == "" {
		t.Fatalf("state %s", o.State)
	}
	v, _, _, _ := h.e.Snapshot("A")
	if v.Phase != apitype.PhasePrinting || !strings.Contains(v.Prompt, "printer offline") {
		t.Errorf("view %s %q", v.Phase, v.Prompt)
	}
	h.printer.err = nil
	h.ok("A", apitype.Command{Kind: apitype.CmdRetryLabel})
	if err := h.e.Process(h.ctx, "801"); err != nil {
		t.Fatal(err)
	}
	if o := h.order("801"); o.State != order.LabelPrinted || h.shop.purchased() != 2 {
		t.Fatalf("state %s purchases %d", o.State, h.shop.purchased())
	}
}

func TestRunWorkerBuysOffCommandPath(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("900"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.e.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	h.packToVerified("900")
	h.ok("A", weigh(850))
	deadline := time.After(10 * time.Second)
	for h.order("900").State != order.LabelPrinted {
		select {
		case <-h.pub.notify:
		case <-deadline:
			t.Fatalf("label not printed; state %s", h.order("900").State)
		}
	}
	if h.shop.purchased() != 1 {
		t.Errorf("purchases %d", h.shop.purchased())
	}
}

func TestRestoreReattachesStation(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("950"))
	h.ok("A", scan("950"))
	h.ok("A", scan("RED-L"))
	h.reopen()
	v, _, _, _ := h.e.Snapshot("A")
	if v.Order == nil || v.Order.ID != "950" || v.Phase != apitype.PhaseScanning || v.Order.Lines[1].Got != 1 {
		t.Fatalf("restored view %+v", v)
	}
	h.ok("A", scan("RED-L"))
}

func TestCollectors(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("960"))
	h.packToVerified("960")
	h.ok("A", weigh(850))
	if err := h.e.Process(h.ctx, "960"); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	for _, c := range h.e.Collectors() {
		if err := reg.Register(c); err != nil {
			t.Fatal(err)
		}
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			key := mf.GetName()
			for _, l := range m.GetLabel() {
				key += "," + l.GetName() + "=" + l.GetValue()
			}
			switch {
			case m.Gauge != nil:
				got[key] = m.GetGauge().GetValue()
			case m.Counter != nil:
				got[key] = m.GetCounter().GetValue()
			case m.Histogram != nil:
				got[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	for k, v := range map[string]float64{
		"packline_label_purchases_total,result=bought": 1,
		"packline_orders,state=label_printed":          1,
		"packline_pack_duration_seconds":               1,
		"packline_device_up,kind=printer,station=A":    1,
		"packline_late_dispatch_rate":                  0,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if got["packline_outbox_depth"] == 0 {
		t.Error("outbox depth 0")
	}
}

func TestLabelPurchaseHandlerBadPayload(t *testing.T) {
	h := newHarness(t)
	err := h.e.LabelPurchaseHandler()(h.ctx, relay.Event{ID: "e1", Kind: KindLabelPurchase, Payload: []byte(`{}`)})
	if err == nil || err.Error() != "label.purchase event e1 has no order id: {}" {
		t.Fatalf("err %v", err)
	}
	// An order that no longer exists acks.
	if err := h.e.LabelPurchaseHandler()(h.ctx, relay.Event{ID: "e2", Payload: []byte(`{"order_id":"nope"}`)}); err != nil {
		t.Fatalf("missing order: %v", err)
	}
}

func TestConcurrentClaimOneWins(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("970"))
	results := make(chan apitype.Result, 2)
	for _, s := range []string{"A", "B"} {
		go func() { results <- h.e.Do(h.ctx, s, scan("970")) }()
	}
	a, b := <-results, <-results
	if a.OK == b.OK {
		t.Fatalf("both or neither claimed: %+v %+v", a.Error, b.Error)
	}
	loser := a
	if a.OK {
		loser = b
	}
	if loser.Error.Code != apitype.ErrClaimed {
		t.Errorf("loser error %+v", loser.Error)
	}
	o := h.order("970")
	if o.State != order.Claimed || o.Pack == nil {
		t.Fatalf("state %s", o.State)
	}
	claims := 0
	for _, a := range h.audit("970") {
		if a.Action == "claim" {
			claims++
		}
	}
	if claims != 1 {
		t.Errorf("%d claims audited", claims)
	}
}

func TestRunLinkReturnDrainsStaged(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("980"))
	h.shop.inject("OrderDetail", fmt.Errorf("dial: %w", ErrOffline))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.e.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	h.packToVerified("980")
	h.ok("A", weigh(850))
	wait := func(want order.State) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for h.order("980").State != want {
			select {
			case <-h.pub.notify:
			case <-deadline:
				t.Fatalf("state %s, want %s", h.order("980").State, want)
			}
		}
	}
	wait(order.Staged)
	if h.e.Link().Online {
		t.Fatal("link still online after a dial failure")
	}
	h.e.SetLink(true, "")
	wait(order.LabelPrinted)
	if h.shop.purchased() != 1 {
		t.Errorf("purchases %d", h.shop.purchased())
	}
}

// feedScale sends readings to Watch.
type feedScale struct {
	fakeScale
	readings []Reading
}

func (s *feedScale) Watch(ctx context.Context, fn func(Reading)) error {
	for _, r := range s.readings {
		fn(r)
	}
	<-ctx.Done()
	return nil
}

func TestScaleReadingsStreamToStation(t *testing.T) {
	h := newHarness(t)
	fs := &feedScale{readings: []Reading{{Mass: 812 * order.Gram, Display: "1.79 lb", Stable: true}}}
	h.e.stations["A"].dev.Scale = fs
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.e.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	deadline := time.After(10 * time.Second)
	for {
		h.pub.mu.Lock()
		var got *apitype.Reading
		for _, ev := range h.pub.events {
			if r, ok := ev.data.(apitype.Reading); ok && ev.station == "A" && ev.kind == apitype.EvReading {
				got = &r
			}
		}
		h.pub.mu.Unlock()
		if got != nil {
			if got.Grams != 812 || got.Display != "1.79 lb" || !got.Stable {
				t.Fatalf("reading %+v", got)
			}
			return
		}
		select {
		case <-h.pub.notify:
		case <-deadline:
			t.Fatal("no reading published")
		}
	}
}

func TestPartialCancelUpstreamStopsPurchase(t *testing.T) {
	h := newHarness(t)
	o := testOrder("990")
	h.addOrder(o)
	h.packToVerified("990")
	h.ok("A", weigh(850))
	o.LineItems[2].Cancelled = true
	h.shop.setOrder(o)
	if err := h.e.Process(h.ctx, "990"); err != nil {
		t.Fatal(err)
	}
	got := h.order("990")
	want := "line items 990-3 of order 990 were cancelled upstream, so no label was bought: take those units out and have a lead re-weigh the box"
	if got.State != order.Exception || got.Exception.Detail != want || h.shop.purchased() != 0 {
		t.Fatalf("state %s %+v purchases %d", got.State, got.Exception, h.shop.purchased())
	}
}

func TestFullStoreTellsThePacker(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("100"))
	// The store's own answer to a write on a full disk.
	full := h.db.Update(func(*store.Tx) error { return fmt.Errorf("write: %w", syscall.ENOSPC) })
	if !errors.Is(full, store.ErrFull) {
		t.Fatalf("store answer to ENOSPC: %v", full)
	}
	h.wrap = func(s Store) Store { return fullStore{Store: s, err: full} }
	h.reopen()
	r := h.do("A", scan("100"))
	if r.OK || r.Error == nil || r.Error.Code != apitype.ErrStoreFull || !strings.Contains(r.Error.Message, "Call the lead") || !strings.Contains(r.Error.Message, "free disk space") {
		t.Fatalf("claim on a full store: %+v", r.Error)
	}
	var alerted bool
	for _, a := range h.pub.alerts() {
		alerted = alerted || strings.HasPrefix(a.Title, "Disk full")
	}
	if !alerted {
		t.Errorf("no full-screen alert for a full store: %+v", h.pub.alerts())
	}
	if o := h.order("100"); o.State != order.Pulled {
		t.Errorf("order %s after the refused claim, want it untouched", o.State)
	}
}
