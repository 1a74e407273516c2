package packing

import (
	"fmt"
	"time"

	"github.com/packline/packline/agent/order"
)

// Result says what a unit scan did.
type Result int

// Results of a unit scan.
const (
	// Accepted means the unit was counted and more are expected.
	Accepted Result = iota + 1
	// Complete means the unit was counted and the order is now complete.
	Complete
	// WrongItem means the SKU is not on the order; nothing was counted.
	WrongItem
	// ExtraUnit means the order already has every unit of the SKU.
	ExtraUnit
)

// String returns the result as recorded in a scan.
func (r Result) String() string {
	switch r {
	case Accepted:
		return "accepted"
	case Complete:
		return "complete"
	case WrongItem:
		return "wrong_item"
	case ExtraUnit:
		return "extra_unit"
	}
	return fmt.Sprintf("Result(%d)", int(r))
}

// Outcome is the result of one unit scan, with words for the packer.
type Outcome struct {
	Result Result
	SKUID  string
	Name   string
	// Want and Got are the units the order needs and has after the scan.
	Want, Got int
	Message   string
}

// OK reports whether the unit was counted.
func (o Outcome) OK() bool { return o.Result == Accepted || o.Result == Complete }

// Scan checks the matched unit against o and, when it belongs, counts it in
// p. Every scan, accepted or refused, is appended to p.Scans.
func Scan(o *order.Order, p *order.Pack, m Match, at time.Time) Outcome {
	if p.Scanned == nil {
		p.Scanned = map[string]int{}
	}
	want := o.Expected()[m.SKUID]
	name := skuName(o, m.SKUID)
	out := Outcome{SKUID: m.SKUID, Name: name, Want: want, Got: p.Scanned[m.SKUID]}
	units := max(m.Units, 1)
	switch {
	case want == 0:
		out.Result = WrongItem
		out.Message = fmt.Sprintf("%s is not on this order: take it out of the box", name)
	case out.Got+units > want:
		out.Result = ExtraUnit
		if units == 1 {
			out.Message = fmt.Sprintf("order needs %d of %s, this would be the %s: take it out of the box", want, name, ordinal(out.Got+1))
		} else {
			out.Message = fmt.Sprintf("order needs %d of %s, this case of %d would make %d: take it out of the box", want, name, units, out.Got+units)
		}
	default:
		p.Scanned[m.SKUID] += units
		out.Got = p.Scanned[m.SKUID]
		out.Result = Accepted
		out.Message = fmt.Sprintf("%s: %d of %d", name, out.Got, want)
		if p.Complete(o) {
			out.Result = Complete
			out.Message = fmt.Sprintf("%s: %d of %d; every item is in: scan the box", name, out.Got, want)
		}
	}
	p.Scans = append(p.Scans, order.Scan{Code: m.Code.Raw, SKUID: m.SKUID, At: at, Result: out.Result.String()})
	return out
}

// skuName names a SKU for the packer: the seller SKU and product name when
// the order has it, else the SKU id.
func skuName(o *order.Order, sku string) string {
	for _, it := range o.Items() {
		if it.SKUID == sku {
			switch {
			case it.SellerSKU != "" && it.Name != "":
				return fmt.Sprintf("%s %s", it.SellerSKU, it.Name)
			case it.Name != "":
				return it.Name
			case it.SellerSKU != "":
				return it.SellerSKU
			}
			return sku
		}
	}
	return sku
}

// ordinal writes 1st, 2nd, 3rd, 4th, 11th, 21st...
func ordinal(n int) string {
	suffix := "th"
	if n%100 < 11 || n%100 > 13 {
		switch n % 10 {
		case 1:
			suffix = "st"
		case 2:
			suffix = "nd"
		case 3:
			suffix = "rd"
		}
	}
	return fmt.Sprintf("%d%s", n, suffix)
}
