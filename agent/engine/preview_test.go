package engine

import (
	"bytes"
	"image/png"
	"testing"

	"github.com/packline/packline/agent/order"
)

func TestLabelPreviewFollowsThePrint(t *testing.T) {
	h := newHarness(t)
	h.addOrder(testOrder("450"))
	h.packToVerified("450")
	h.ok("A", weigh(850))
	if err := h.e.Process(h.ctx, "450"); err != nil {
		t.Fatal(err)
	}
	if o := h.order("450"); o.State != order.LabelPrinted {
		t.Fatalf("state %s", o.State)
	}
	v, _, _, _ := h.e.Snapshot("A")
	if v.Label == nil || len(v.Label.PreviewPNG) == 0 {
		t.Fatal("no label preview after printing")
	}
	if _, err := png.Decode(bytes.NewReader(v.Label.PreviewPNG)); err != nil {
		t.Fatalf("preview is not a PNG: %v", err)
	}
	// The next order does not show the last one's label.
	h.addOrder(testOrder("451"))
	r := h.ok("A", scan("451"))
	if r.View.Label != nil && len(r.View.Label.PreviewPNG) > 0 {
		t.Error("the preview of order 450 is shown with order 451")
	}
}
