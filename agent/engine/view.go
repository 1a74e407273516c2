package engine

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
)

// view builds the station's view from its open order and label progress.
func (e *Engine) view(st *station) apitype.StationView {
	st.mu.Lock()
	id, busy, labelErr, notice, preview := st.orderID, st.busy, st.labelErr, st.notice, st.preview
	if st.previewOf != id {
		preview = nil
	}
	var chk = st.lastCheck
	st.mu.Unlock()
	v := apitype.StationView{Station: st.dev.ID, Phase: apitype.PhaseIdle, Prompt: "Scan an order to start", UpdatedAt: e.now()}
	if notice != "" && id == "" {
		v.Prompt = notice + " — scan the next order"
	}
	if id == "" {
		return v
	}
	o, err := e.loadOrder(id)
	if err != nil || o == nil {
		v.Prompt = fmt.Sprintf("order %s cannot be read: scan it again", id)
		return v
	}
	v.Order = orderView(o, e.deadline(o))
	if p := o.Pack; p != nil {
		if p.Box != nil {
			v.Box = &apitype.Box{Code: p.Box.Code, Name: p.Box.Name, Dimensions: fmt.Sprintf("%s × %s × %s %s", p.Box.Length, p.Box.Width, p.Box.Height, p.Box.Unit), TareGrams: p.Box.Tare.Grams()}
		}
		if p.Expected > 0 {
			v.ExpectedGrams = p.Expected.Grams()
			v.ToleranceGrams = e.opt.Weight.Tolerance(p.Expected).Grams()
		}
		if p.Measured > 0 {
			v.MeasuredGrams, v.ExpectedGrams = p.Measured.Grams(), p.Expected.Grams()
			v.ToleranceGrams = e.opt.Weight.Tolerance(p.Expected).Grams()
			ok := o.State != order.Exception || p.Override != nil
			if chk != nil {
				ok = chk.OK || p.Override != nil
			}
			v.WeightOK = &ok
		}
	}
	if o.Label != nil || o.Intent != nil || labelErr != "" {
		lv := &apitype.LabelView{Error: labelErr, PreviewPNG: preview}
		if o.Intent != nil {
			lv.DeclaredWeight = declared(o.Intent.Weight, o.Intent.WeightUnit)
		}
		if l := o.Label; l != nil {
			lv.PackageID, lv.TrackingNumber, lv.Carrier, lv.Service = l.PackageID, l.TrackingNumber, l.Carrier, l.ServiceName
			lv.DeclaredWeight = declared(l.Weight, l.WeightUnit)
			lv.Printed = !l.PrintedAt.IsZero()
		}
		v.Label = lv
	}
	switch o.State {
	case order.Claimed, order.Pulled:
		v.Phase = apitype.PhaseScanning
		v.Prompt = "Scan each item: " + missingWords(o)
	case order.Verified:
		if o.Pack == nil || o.Pack.Box == nil {
			v.Phase, v.Prompt = apitype.PhaseBoxing, "Every item is in: scan the box"
		} else {
			v.Phase, v.Prompt = apitype.PhaseWeighing, "Put the box on the scale and accept the weight"
		}
	case order.Weighed:
		v.Phase, v.Prompt = apitype.PhaseBuying, "Buying label…"
		if labelErr != "" {
			v.Prompt = "Label not bought: " + labelErr
		}
	case order.Staged:
		v.Phase, v.Prompt = apitype.PhaseStaged, "Packed and weighed: set the box aside; its label prints when TikTok is reachable"
	case order.LabelBought:
		v.Phase, v.Prompt = apitype.PhasePrinting, "Printing label…"
		if labelErr != "" {
			v.Prompt = "Label bought but not printed: " + labelErr + " — fix it and retry"
		}
	case order.LabelPrinted:
		v.Phase, v.Prompt = apitype.PhaseDone, "Label printed: stick it on the box and scan its tracking number, or scan the next order"
	case order.Dispatched:
		v.Phase, v.Prompt = apitype.PhaseDone, "Dispatched: scan the next order"
	case order.Exception:
		v.Phase = apitype.PhaseException
		if o.Exception != nil {
			v.Exception = o.Exception.Detail
			if v.Exception == "" {
				v.Exception = o.Exception.Reason
			}
		}
		v.Prompt = "Needs a lead: " + v.Exception
		if onHold(o) {
			v.Prompt = v.Exception
		}
	case order.Cancelled:
		v.Phase, v.Prompt = apitype.PhaseIdle, cancelWords(o)
	}
	if busy == "printing" && o.State == order.LabelBought && labelErr == "" {
		v.Prompt = "Printing label…"
	}
	return v
}

func orderView(o *order.Order, deadline time.Time) *apitype.OrderView {
	ov := &apitype.OrderView{ID: o.ID, State: string(o.State), Status: o.Status, BuyerMessage: o.BuyerMessage, Deadline: deadline}
	r := o.Recipient
	if r.Name != "" || r.City != "" {
		ov.Recipient = fmt.Sprintf("%s, %s %s %s", r.Name, r.City, r.Region, r.PostalCode)
	}
	lines := map[string]*apitype.LineView{}
	var keys []string
	for _, it := range o.Items() {
		l := lines[it.SKUID]
		if l == nil {
			l = &apitype.LineView{SKUID: it.SKUID, SellerSKU: it.SellerSKU, Name: it.Name, Gift: it.Gift}
			lines[it.SKUID] = l
			keys = append(keys, it.SKUID)
		}
		l.Want++
	}
	sort.Strings(keys)
	for _, k := range keys {
		l := lines[k]
		if o.Pack != nil {
			l.Got = o.Pack.Scanned[k]
		}
		ov.Lines = append(ov.Lines, *l)
	}
	return ov
}

// publishView sends the station's view to it.
func (e *Engine) publishView(st *station) {
	e.publish(st.dev.ID, apitype.EvStation, e.view(st))
}

// declared shows a weight declared to TikTok ("5.23", "POUND") as the packer
// reads it ("5.23 lb").
func declared(weight, unit string) string {
	switch unit {
	case "POUND":
		unit = "lb"
	case "GRAM":
		unit = "g"
	}
	return strings.TrimSpace(weight + " " + unit)
}
