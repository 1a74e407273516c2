package engine

import (
	"strings"
	"testing"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
)

func TestTypedWeightNeedsALead(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("440"))
	h.packToVerified("440")
	for _, cmd := range []apitype.Command{
		{Kind: apitype.CmdAcceptWeight, WeightGrams: 850},
		{Kind: apitype.CmdAcceptWeight, WeightGrams: 850, Lead: "Dana"},
		{Kind: apitype.CmdAcceptWeight, WeightGrams: 850, Reason: "scale broken"},
		{Kind: apitype.CmdAcceptWeight, WeightGrams: 850, Lead: " ", Reason: "scale broken"},
	} {
		h.fail("A", cmd, apitype.ErrBadRequest, "a typed-in weight needs a lead's name and a reason: put the box on the scale and accept its weight")
	}
	if o := h.order("440"); o.State != order.Verified || o.Pack.Measured != 0 {
		t.Fatalf("a weight without a lead was taken: state %s measured %v", o.State, o.Pack.Measured)
	}
	h.ok("A", apitype.Command{Kind: apitype.CmdAcceptWeight, WeightGrams: 851, Lead: "Dana", Reason: "scale at station A is broken"})
	o := h.order("440")
	if o.State != order.Weighed || o.Pack.Measured != 851*order.Gram || o.Pack.TypedWeight == nil || o.Pack.TypedWeight.By != "Dana" || o.Pack.TypedWeight.Reason != "scale at station A is broken" {
		t.Fatalf("state %s pack %+v", o.State, o.Pack)
	}
	a := h.audit("440")
	last := a[len(a)-1]
	if last.Action != "weight.pass" || last.Actor != "Dana" || !strings.Contains(last.Detail, "typed in 851.0 g (lead Dana: scale at station A is broken)") {
		t.Errorf("audit %+v", last)
	}
	var rec bool
	for _, ev := range h.events("440") {
		if ev.Kind == KindPackRecord && strings.Contains(string(ev.Payload), `"typed_weight":{"by":"Dana"`) {
			rec = true
		}
	}
	if !rec {
		t.Error("no pack.record names the lead who typed the weight")
	}
}

func TestScaleWeightNeedsNoLead(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("441"))
	h.packToVerified("441")
	h.scale.r = Reading{Mass: 852 * order.Gram, Display: "0.852 kg", Stable: true}
	h.ok("A", apitype.Command{Kind: apitype.CmdAcceptWeight})
	if o := h.order("441"); o.State != order.Weighed || o.Pack.Measured != 852*order.Gram || o.Pack.TypedWeight != nil {
		t.Fatalf("state %s pack %+v", o.State, o.Pack)
	}
}
