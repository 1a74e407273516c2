package packing

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/order"
)

func testOrder() *order.Order {
	return &order.Order{
		ID:     "576000000000000001",
		Status: order.StatusAwaitingShipment,
		LineItems: []order.LineItem{
			{ID: "L1", SKUID: "sku-red", SellerSKU: "RED-L", ProductID: "p-shirt", ProductName: "Shirt", SKUName: "Red L"},
			{ID: "L2", SKUID: "sku-red", SellerSKU: "RED-L", ProductID: "p-shirt", ProductName: "Shirt", SKUName: "Red L"},
			{ID: "L3", SKUID: "sku-mug", SellerSKU: "036000291452", ProductID: "p-mug", ProductName: "Mug"},
			{ID: "L4", SKUID: "sku-bundle", ProductID: "p-bundle", ProductName: "Gift set", Components: []order.Component{
				{SKUID: "sku-sock", ProductID: "p-sock", Count: 2},
			}},
			{ID: "L5", SKUID: "sku-gone", ProductID: "p-gone", Cancelled: true},
		},
	}
}

func TestParseCode(t *testing.T) {
	tests := []struct {
		raw, clean, sym, gtin string
	}{
		{"036000291452", "036000291452", "", "00036000291452"},
		{"0036000291452", "0036000291452", "", "00036000291452"},
		{"4006381333931\r\n", "4006381333931", "", "04006381333931"},
		{"96385074", "96385074", "", "00000096385074"},
		{"00012345600012", "00012345600012", "", "00012345600012"},
		{"036000291453", "036000291453", "", ""}, // bad check digit
		{"]E0036000291452", "036000291452", "]E0", "00036000291452"},
		{"]C10100012345600012\x1d10LOT7", "010001234560001210LOT7", "]C1", "00012345600012"},
		{"(01)00012345600012(17)270101", "(01)00012345600012(17)270101", "", "00012345600012"},
		{"\x1d0100036000291452", "0100036000291452", "", "00036000291452"},
		{"RED-L", "RED-L", "", ""},
		{"  ", "", "", ""},
	}
	for _, tt := range tests {
		c := ParseCode(tt.raw)
		if c.Clean != tt.clean || c.Symbology != tt.sym || c.GTIN != tt.gtin {
			t.Errorf("ParseCode(%q) = clean %q sym %q gtin %q, want %q %q %q", tt.raw, c.Clean, c.Symbology, c.GTIN, tt.clean, tt.sym, tt.gtin)
		}
	}
}

func TestResolverItem(t *testing.T) {
	o := testOrder()
	r := Resolver{Barcode: func(code string) (string, int, bool) {
		switch code {
		case "CASE-RED":
			return "sku-red", 2, true
		case "04006381333931":
			return "sku-sock", 1, true
		case "sku-mug": // barcode map wins over the sku id
			return "sku-mug", 1, true
		case "99999":
			return "sku-other", 1, true
		}
		return "", 0, false
	}}
	tests := []struct {
		code, sku, via string
		units          int
	}{
		{"CASE-RED", "sku-red", "barcode", 2},
		{"sku-mug", "sku-mug", "barcode", 1},
		{"sku-red", "sku-red", "sku_id", 1},
		{"red-l", "sku-red", "seller_sku", 1},
		{"4006381333931", "sku-sock", "gtin", 1},
		{"]C10104006381333931", "sku-sock", "gtin", 1},
		{"00036000291452", "sku-mug", "gtin", 1}, // seller SKU is a UPC-A
		{"99999", "sku-other", "barcode", 1},
	}
	for _, tt := range tests {
		m, err := r.Item(o, tt.code)
		if err != nil {
			t.Errorf("Item(%q): %v", tt.code, err)
			continue
		}
		if m.SKUID != tt.sku || m.Via != tt.via || m.Units != tt.units {
			t.Errorf("Item(%q) = %s via %s ×%d, want %s via %s ×%d", tt.code, m.SKUID, m.Via, m.Units, tt.sku, tt.via, tt.units)
		}
	}
	for _, code := range []string{"nope", "", "sku-gone"} {
		_, err := r.Item(o, code)
		if !errors.Is(err, ErrUnknownCode) {
			t.Errorf("Item(%q) err = %v, want ErrUnknownCode", code, err)
			continue
		}
		// The packer reads the message: it says what to do, not the sentinel.
		if msg := err.Error(); strings.Contains(msg, ErrUnknownCode.Error()) || !strings.Contains(msg, "scan the barcode again") && !strings.Contains(msg, "check the barcode") {
			t.Errorf("Item(%q) message %q", code, msg)
		}
	}
}

func TestResolverBox(t *testing.T) {
	r := Resolver{Boxes: map[string]order.Box{"BOX-S": {Code: "BOX-S", Tare: 80 * order.Gram}}}
	if b, ok := r.Box(" box-s\r"); !ok || b.Code != "BOX-S" {
		t.Errorf("Box(box-s) = %v %v", b, ok)
	}
	if _, ok := r.Box("BOX-XL"); ok {
		t.Error("Box(BOX-XL) found a box")
	}
}

func TestScan(t *testing.T) {
	o := testOrder()
	p := &order.Pack{}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	m := func(sku string, units int) Match { return Match{Code: Code{Raw: sku}, SKUID: sku, Units: units} }
	steps := []struct {
		m      Match
		result Result
		msg    string
	}{
		{m("sku-red", 1), Accepted, "RED-L Shirt (Red L): 1 of 2"},
		{m("sku-other", 1), WrongItem, "sku-other is not on this order: take it out of the box"},
		{m("sku-red", 1), Accepted, "RED-L Shirt (Red L): 2 of 2"},
		{m("sku-red", 1), ExtraUnit, "order needs 2 of RED-L Shirt (Red L), this would be the 3rd: take it out of the box"},
		{m("sku-sock", 3), ExtraUnit, "order needs 2 of Gift set, this case of 3 would make 3: take it out of the box"},
		{m("sku-sock", 2), Accepted, "Gift set: 2 of 2"},
		{m("sku-gone", 1), WrongItem, "sku-gone is not on this order: take it out of the box"},
		{m("sku-mug", 1), Complete, "036000291452 Mug: 1 of 1; every item is in: scan the box"},
	}
	for i, s := range steps {
		out := Scan(o, p, s.m, at)
		if out.Result != s.result || out.Message != s.msg {
			t.Errorf("step %d: got %v %q, want %v %q", i, out.Result, out.Message, s.result, s.msg)
		}
	}
	if len(p.Scans) != len(steps) {
		t.Errorf("recorded %d scans, want %d", len(p.Scans), len(steps))
	}
	if !p.Complete(o) {
		t.Error("pack not complete")
	}
	if got := p.Scans[1].Result; got != "wrong_item" {
		t.Errorf("scan 1 result %q", got)
	}
}

func TestOrdinal(t *testing.T) {
	for n, want := range map[int]string{1: "1st", 2: "2nd", 3: "3rd", 4: "4th", 11: "11th", 12: "12th", 13: "13th", 21: "21st", 22: "22nd", 101: "101st", 111: "111th"} {
		if got := ordinal(n); got != want {
			t.Errorf("ordinal(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestExpectedWeight(t *testing.T) {
	o := testOrder()
	box := &order.Box{Tare: 100 * order.Gram}
	w := map[string]order.Mass{"p-shirt": 200 * order.Gram, "p-mug": 350 * order.Gram, "p-sock": 40 * order.Gram}
	e := ExpectedWeight(o, box, func(id string) (order.Mass, bool) { m, ok := w[id]; return m, ok })
	if want := (2*200 + 350 + 2*40 + 100) * order.Gram; e.Mass != want || len(e.Unknown) != 0 {
		t.Errorf("expected %v unknown %v, want %v", e.Mass, e.Unknown, want)
	}
	delete(w, "p-sock")
	e = ExpectedWeight(o, nil, func(id string) (order.Mass, bool) { m, ok := w[id]; return m, ok })
	if len(e.Unknown) != 1 || e.Unknown[0] != "p-sock" || e.Mass != 750*order.Gram {
		t.Errorf("expected %v unknown %v", e.Mass, e.Unknown)
	}
}

func TestPolicyCheck(t *testing.T) {
	g := func(v float64) order.Mass { return order.Mass(v * float64(order.Gram)) }
	p := Policy{ToleranceGrams: 30, TolerancePercent: 5}
	tests := []struct {
		measured, expected float64
		ok                 bool
		tol                float64
		msg                string
	}{
		{1000, 1000, true, 50, "weight ok: 1000.0 g measured, 1000.0 g expected (±50.0 g)"},
		{1050, 1000, true, 50, ""},
		{1050.001, 1000, false, 50, "box weighs 1050.0 g, expected 1000.0 g ± 50.0 g: 50.0 g heavier: check the items and the box"},
		{949, 1000, false, 50, "box weighs 949.0 g, expected 1000.0 g ± 50.0 g: 51.0 g lighter: check the items and the box"},
		{230, 200, true, 30, ""}, // absolute floor wins for light boxes
		{231, 200, false, 30, ""},
	}
	for _, tt := range tests {
		c, err := p.Check(g(tt.measured), Expected{Mass: g(tt.expected)})
		if err != nil {
			t.Fatal(err)
		}
		if c.OK != tt.ok || c.Tolerance != g(tt.tol) || (tt.msg != "" && c.Message != tt.msg) {
			t.Errorf("Check(%v, %v) = ok %v tol %v %q", tt.measured, tt.expected, c.OK, c.Tolerance, c.Message)
		}
	}
	if _, err := p.Check(g(500), Expected{Mass: g(400), Unknown: []string{"p-x"}}); !errors.Is(err, ErrUnknownWeight) || !strings.Contains(err.Error(), "no catalogue weight for product p-x") {
		t.Errorf("unknown weight: %v", err)
	}
	p.SkipUnknown = true
	if c, err := p.Check(g(500), Expected{Mass: g(400), Unknown: []string{"p-x"}}); err != nil || !c.OK || !c.Skipped {
		t.Errorf("skip unknown: %+v %v", c, err)
	}
	if _, err := p.Check(0, Expected{Mass: g(400)}); err == nil {
		t.Error("zero weight passed")
	}
}

func TestDeclared(t *testing.T) {
	tests := []struct {
		grams float64
		unit  string
		want  string
	}{
		{566.990463, "POUND", "1.25"}, // 1.25 lb exactly
		{567, "POUND", "1.26"},        // 1.25002 lb rounds up
		{453.59237, "POUND", "1.00"},
		{1.0, "POUND", "0.01"},
		{812.2, "GRAM", "813"},
		{812, "GRAM", "812"},
	}
	for _, tt := range tests {
		m := order.Mass(tt.grams * float64(order.Gram))
		got, err := Declared(m, tt.unit)
		if err != nil || got != tt.want {
			t.Errorf("Declared(%v g, %s) = %q %v, want %q", tt.grams, tt.unit, got, err, tt.want)
		}
	}
	if _, err := Declared(order.Gram, "OUNCE"); err == nil {
		t.Error("OUNCE accepted")
	}
	if _, err := Declared(0, "GRAM"); err == nil {
		t.Error("zero weight declared")
	}
}

func TestTransition(t *testing.T) {
	legal := [][2]order.State{
		{order.Pulled, order.Claimed}, {order.Claimed, order.Verified}, {order.Verified, order.Weighed},
		{order.Weighed, order.LabelBought}, {order.LabelBought, order.LabelPrinted}, {order.LabelPrinted, order.Dispatched},
		{order.Weighed, order.Staged}, {order.Staged, order.LabelBought}, {order.Weighed, order.Exception},
		{order.Exception, order.Weighed}, {order.Claimed, order.Cancelled}, {order.Claimed, order.Pulled},
	}
	for _, tr := range legal {
		o := &order.Order{ID: "o1", State: tr[0]}
		if err := Transition(o, tr[1]); err != nil || o.State != tr[1] {
			t.Errorf("%s → %s: %v", tr[0], tr[1], err)
		}
	}
	illegal := [][2]order.State{
		{order.Pulled, order.Weighed}, {order.Claimed, order.LabelBought}, {order.Dispatched, order.Pulled},
		{order.Cancelled, order.Claimed}, {order.LabelPrinted, order.Cancelled}, {order.Weighed, order.Claimed},
		{order.Pulled, "bogus"},
	}
	for _, tr := range illegal {
		o := &order.Order{ID: "o1", State: tr[0]}
		err := Transition(o, tr[1])
		if !errors.Is(err, ErrIllegalTransition) || o.State != tr[0] {
			t.Errorf("%s → %s allowed (%v)", tr[0], tr[1], err)
		}
	}
	o := &order.Order{ID: "o9", State: order.Weighed}
	if err := Transition(o, order.Claimed); err == nil || err.Error() != "order o9 cannot go from weighed to claimed: illegal state change" {
		t.Errorf("message: %v", err)
	}
}

func FuzzParseCode(f *testing.F) {
	for _, s := range []string{"036000291452", "]C10100012345600012\x1d10LOT7", "(01)00012345600012", "]E0036000291452", "RED-L", "]", "\x1d01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := ParseCode(s)
		if c.GTIN != "" && len(c.GTIN) != 14 {
			t.Fatalf("GTIN %q is not 14 digits", c.GTIN)
		}
		if c.GTIN != "" {
			if _, ok := GTIN14(c.GTIN); !ok {
				t.Fatalf("GTIN %q fails its own check", c.GTIN)
			}
		}
	})
}
