package engine

import (
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
)

// TestLaggingOrderDetailBuysOnce loses the answer of a label purchase while
// Get Order Detail lags behind it (no packages, still AWAITING_SHIPMENT):
// the package is found through Search Package and no second label is
// bought.
func TestLaggingOrderDetailBuysOnce(t *testing.T) {
	for _, tc := range []struct {
		name string
		// searchDown is how many package searches fail with 500.
		searchDown int
	}{
		{"answer dropped", 0},
		// The search fails too: the order waits rather than buying.
		{"answer dropped, search down", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newSimRig(t, false, 0)
			id := r.addOrder(r.skus(1)...)
			r.pack(id)
			r.sim.SetOrderDetailLag(time.Hour)
			if tc.searchDown > 0 {
				if err := r.sim.Inject(tiktoksim.Fault{Path: "/fulfillment/202309/packages/search", Kind: tiktoksim.ServerError, Count: tc.searchDown}); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.sim.Inject(tiktoksim.Fault{Path: "/fulfillment/202309/packages", Kind: tiktoksim.DropAfterSuccess, Count: 1}); err != nil {
				t.Fatal(err)
			}
			o := r.settle(id)
			if n := r.sim.Purchases(id); n != 1 {
				t.Fatalf("purchases %d, want exactly 1 (state %s, exception %+v)", n, o.State, o.Exception)
			}
			if o.State != order.LabelPrinted || o.Label == nil || len(o.Packages) != 1 {
				t.Fatalf("state %s label %+v packages %v", o.State, o.Label, o.Packages)
			}
			if p, ok := r.sim.Package(o.Label.PackageID); !ok || p.TrackingNumber != o.Label.TrackingNumber {
				t.Errorf("recorded package %s tracking %s, simulator has %+v", o.Label.PackageID, o.Label.TrackingNumber, p)
			}
		})
	}
}
