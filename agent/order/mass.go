package order

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// Mass is a weight in micrograms. Grams, kilograms and pounds convert to it
// exactly; ounces to within a microgram.
type Mass int64

// Mass units.
const (
	Microgram Mass = 1
	Milligram Mass = 1000
	Gram      Mass = 1000 * Milligram
	Kilogram  Mass = 1000 * Gram
	// Pound is exactly 453.59237 g.
	Pound Mass = 453_592_370
)

// unitRat is the size of one unit in micrograms, as an exact fraction.
func unitRat(unit string) (*big.Rat, error) {
	switch strings.ToLower(strings.TrimSpace(unit)) {
	case "ug", "µg", "microgram":
		return big.NewRat(1, 1), nil
	case "mg", "milligram":
		return big.NewRat(1000, 1), nil
	case "g", "gram", "grams":
		return big.NewRat(int64(Gram), 1), nil
	case "kg", "kilogram", "kilograms":
		return big.NewRat(int64(Kilogram), 1), nil
	case "lb", "lbs", "pound", "pounds":
		return big.NewRat(int64(Pound), 1), nil
	case "oz", "ounce", "ounces":
		return big.NewRat(int64(Pound), 16), nil
	}
	return nil, fmt.Errorf("unknown weight unit %q (use g, kg, lb or oz)", unit)
}

// ParseMass reads a decimal value in the given unit ("1.25", "lb") exactly and
// rounds to the nearest microgram.
func ParseMass(value, unit string) (Mass, error) {
	u, err := unitRat(unit)
	if err != nil {
		return 0, err
	}
	v, ok := new(big.Rat).SetString(strings.TrimSpace(value))
	if !ok {
		return 0, fmt.Errorf("weight %q is not a decimal number", value)
	}
	v.Mul(v, u)
	f, _ := v.Float64()
	if f > 9e15 || f < -9e15 {
		return 0, errors.New("weight out of range")
	}
	// Round half away from zero: Quo truncates toward zero, so add half a
	// unit of the value's own sign first.
	half := new(big.Int).Set(v.Denom())
	if v.Sign() < 0 {
		half.Neg(half)
	}
	n := new(big.Int).Quo(new(big.Int).Add(new(big.Int).Mul(v.Num(), big.NewInt(2)), half), new(big.Int).Mul(v.Denom(), big.NewInt(2)))
	return Mass(n.Int64()), nil
}

// Grams returns m in grams as a float, for display only.
func (m Mass) Grams() float64 { return float64(m) / float64(Gram) }

// String formats m in grams with up to three decimals.
func (m Mass) String() string {
	return strconv.FormatFloat(float64(m)/float64(Gram), 'f', -1, 64) + " g"
}

// CeilIn rounds m up to the given number of decimals of unit and returns the
// decimal string, as TikTok's warehouse SOP asks for declared weights. A
// microgram of slack absorbs conversion noise, so 1.25 lb read from a scale
// declares as "1.25", not "1.26".
func (m Mass) CeilIn(unit string, decimals int) (string, error) {
	u, err := unitRat(unit)
	if err != nil {
		return "", err
	}
	step := new(big.Rat).Quo(u, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil)))
	v := new(big.Rat).SetInt64(int64(m) - 1)
	if m <= 0 {
		v.SetInt64(int64(m))
	}
	q := new(big.Rat).Quo(v, step)
	n := new(big.Int).Quo(q.Num(), q.Denom())
	if new(big.Rat).SetInt(n).Cmp(q) < 0 {
		n.Add(n, big.NewInt(1))
	}
	if m > 0 && n.Sign() == 0 {
		n.SetInt64(1)
	}
	r := new(big.Rat).SetFrac(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(decimals)), nil))
	return r.FloatString(decimals), nil
}

// In returns m expressed in unit, for display.
func (m Mass) In(unit string) (float64, error) {
	u, err := unitRat(unit)
	if err != nil {
		return 0, err
	}
	f, _ := new(big.Rat).Quo(new(big.Rat).SetInt64(int64(m)), u).Float64()
	return f, nil
}
