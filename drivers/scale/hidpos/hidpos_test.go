package hidpos

import (
	"bytes"
	"testing"

	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/scale/scaletest"
)

var frames = []struct {
	name  string
	frame []byte
	want  scaletest.Want
}{
	// devices.md §2.9 (node-hid #286).
	{"reference 113.5 oz", []byte{0x03, 0x04, 0x0B, 0xFF, 0x6F, 0x04}, scaletest.Want{Value: "113.5", Unit: "oz", Stable: true}},
	{"reference 7.85 lb", []byte{0x03, 0x04, 0x0C, 0xFE, 0x11, 0x03}, scaletest.Want{Value: "7.85", Unit: "lb", Stable: true}},
	{"stable at zero", []byte{0x03, 0x02, 0x0C, 0xFE, 0x00, 0x00}, scaletest.Want{Value: "0.00", Unit: "lb", Stable: true, Zero: true}},
	{"motion", []byte{0x03, 0x03, 0x02, 0x00, 0xE8, 0x03}, scaletest.Want{Value: "1000", Unit: "g"}},
	{"under zero", []byte{0x03, 0x05, 0x0C, 0xFE, 0x32, 0x00}, scaletest.Want{Value: "-0.50", Unit: "lb", Under: true}},
	{"over limit", []byte{0x03, 0x06, 0x03, 0xFD, 0x10, 0x27}, scaletest.Want{Value: "10.000", Unit: "kg", Over: true}},
	{"milligrams", []byte{0x03, 0x04, 0x01, 0x00, 0xDC, 0x05}, scaletest.Want{Value: "1.5", Unit: "g", Stable: true}},
	{"fault", []byte{0x03, 0x01, 0x0C, 0xFE, 0x00, 0x00}, scaletest.Want{Err: true}},
	{"needs calibration", []byte{0x03, 0x07, 0x0C, 0xFE, 0x00, 0x00}, scaletest.Want{Err: true}},
	{"needs re-zero", []byte{0x03, 0x08, 0x0C, 0xFE, 0x00, 0x00}, scaletest.Want{Err: true}},
	{"carat unit unsupported", []byte{0x03, 0x04, 0x04, 0xFE, 0x00, 0x01}, scaletest.Want{Err: true}},
}

func TestParse(t *testing.T) {
	for _, f := range frames {
		r, err := Parse(f.frame)
		scaletest.Check(t, f.name, scaletest.Result{Reading: r, Err: err}, f.want)
	}
}

func TestFraming(t *testing.T) {
	for _, f := range frames {
		t.Run(f.name, func(t *testing.T) {
			scaletest.Framing(t, Codec(), f.frame, f.want, nil, true)
		})
	}
}

// TestWindowsPaddedReports feeds reports as Windows reads them: report ID
// first and zero padding up to the device's longest input report.
func TestWindowsPaddedReports(t *testing.T) {
	padded := []byte{0x03, 0x04, 0x0B, 0xFF, 0x6F, 0x04, 0x00, 0x00}
	res := scaletest.Run(Codec(), padded, padded[:5], append(bytes.Clone(padded), make([]byte, 8)...))
	if len(res) != 2 {
		t.Fatalf("got %d results, want 2 (the short read dropped): %v", len(res), res)
	}
	for _, r := range res {
		scaletest.Check(t, "padded report", r, scaletest.Want{Value: "113.5", Unit: "oz", Stable: true})
	}
}

func TestDecimal(t *testing.T) {
	for _, c := range []struct {
		raw  uint16
		exp  int8
		want string
	}{{1135, -1, "113.5"}, {785, -2, "7.85"}, {5, -3, "0.005"}, {12, 0, "12"}, {12, 2, "1200"}, {0, 3, "0"}} {
		if got, err := Decimal(c.raw, c.exp); err != nil || got != c.want {
			t.Errorf("Decimal(%d, %d) = %q, %v; want %q", c.raw, c.exp, got, err, c.want)
		}
	}
	if _, err := Decimal(1, 100); err == nil {
		t.Error("exponent 100 accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, fr := range frames {
		f.Add(fr.frame)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		consistent(t, r, err)
		for _, res := range scaletest.Run(Codec(), b) {
			consistent(t, res.Reading, res.Err)
		}
	})
}

func consistent(t *testing.T, r scale.Reading, err error) {
	if err != nil || r.Value == "" {
		return
	}
	m, perr := scale.ParseValue(r.Value, r.Unit)
	if perr != nil || m.Micrograms != r.Micrograms {
		t.Fatalf("reading %q %q has %d µg, want %d (%v)", r.Value, r.Unit, r.Micrograms, m.Micrograms, perr)
	}
}
