package packing

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/packline/packline/agent/order"
)

// ErrUnknownWeight means a product on the order has no catalogue weight.
var ErrUnknownWeight = errors.New("unknown product weight")

// Policy decides whether a measured box may proceed.
type Policy struct {
	// ToleranceGrams and TolerancePercent: a box passes when
	// |measured-expected| <= max(ToleranceGrams, TolerancePercent% of expected).
	ToleranceGrams   float64
	TolerancePercent float64
	// SkipUnknown skips the check when a product weight is unknown instead
	// of sending the order to exception.
	SkipUnknown bool
}

// WeightFunc returns a product's catalogue weight.
type WeightFunc func(productID string) (order.Mass, bool)

// Expected is the weight an order's box should have.
type Expected struct {
	Mass order.Mass
	// Unknown lists products without a catalogue weight, sorted.
	Unknown []string
}

// ExpectedWeight sums the catalogue weight of every unit (bundles count each
// component times its count) plus the box tare.
func ExpectedWeight(o *order.Order, box *order.Box, weight WeightFunc) Expected {
	var e Expected
	seen := map[string]bool{}
	for _, it := range o.Items() {
		w, ok := order.Mass(0), false
		if weight != nil {
			w, ok = weight(it.ProductID)
		}
		if !ok || w <= 0 {
			if !seen[it.ProductID] {
				seen[it.ProductID] = true
				e.Unknown = append(e.Unknown, it.ProductID)
			}
			continue
		}
		e.Mass += w
	}
	if box != nil {
		e.Mass += box.Tare
	}
	sort.Strings(e.Unknown)
	return e
}

// Check is the verdict on a measured weight.
type Check struct {
	OK bool
	// Skipped is true when the policy skipped a check it could not make.
	Skipped   bool
	Measured  order.Mass
	Expected  order.Mass
	Tolerance order.Mass
	// Diff is measured minus expected.
	Diff    order.Mass
	Message string
}

// Tolerance is the allowed difference for an expected weight.
func (p Policy) Tolerance(expected order.Mass) order.Mass {
	abs := order.Mass(math.Round(p.ToleranceGrams * float64(order.Gram)))
	rel := order.Mass(math.Round(float64(expected) * p.TolerancePercent / 100))
	return max(abs, rel)
}

// Check compares a measured weight with the expected one. A weight with
// unknown products fails with ErrUnknownWeight unless the policy skips it.
func (p Policy) Check(measured order.Mass, e Expected) (Check, error) {
	c := Check{Measured: measured, Expected: e.Mass, Tolerance: p.Tolerance(e.Mass), Diff: measured - e.Mass}
	if measured <= 0 {
		return c, fmt.Errorf("the scale reads %s: put the box on the scale", measured)
	}
	if len(e.Unknown) > 0 {
		if p.SkipUnknown {
			c.OK, c.Skipped = true, true
			c.Message = fmt.Sprintf("weight not checked: no catalogue weight for product %s", strings.Join(e.Unknown, ", "))
			return c, nil
		}
		c.Message = fmt.Sprintf("no catalogue weight for product %s: a lead must check the box or add the weight", strings.Join(e.Unknown, ", "))
		return c, fmt.Errorf("%s: %w", c.Message, ErrUnknownWeight)
	}
	diff := c.Diff
	if diff < 0 {
		diff = -diff
	}
	c.OK = diff <= c.Tolerance
	if c.OK {
		c.Message = fmt.Sprintf("weight ok: %s measured, %s expected (±%s)", grams(measured), grams(e.Mass), grams(c.Tolerance))
	} else {
		dir := "heavier"
		if c.Diff < 0 {
			dir = "lighter"
		}
		c.Message = fmt.Sprintf("box weighs %s, expected %s ± %s: %s %s: check the items and the box", grams(measured), grams(e.Mass), grams(c.Tolerance), grams(diff), dir)
	}
	return c, nil
}

// grams formats a mass in grams with one decimal.
func grams(m order.Mass) string {
	return fmt.Sprintf("%.1f g", m.Grams())
}

// Declared is the weight to declare to TikTok in unit ("POUND" or "GRAM"):
// the measured weight rounded up, pounds to 2 decimals, grams to whole
// grams. It is never the expected weight.
func Declared(measured order.Mass, unit string) (string, error) {
	if measured <= 0 {
		return "", fmt.Errorf("cannot declare %s: weigh the box first", measured)
	}
	switch unit {
	case "POUND":
		return measured.CeilIn("lb", 2)
	case "GRAM":
		return measured.CeilIn("g", 0)
	}
	return "", fmt.Errorf("declared weight unit %q: use POUND or GRAM", unit)
}
