// Package hidpos reads USB HID POS scales (usage page 0x8D: Dymo M10/M25,
// Stamps.com, Mettler PS60 in HID mode, Fairbanks) from Linux hidraw files
// or, on Windows, through hid.dll. Name a scale hidpos://0922:8003 (its USB
// ids, with ?serial= for one of several identical scales) to find it again
// after a replug, or by its device path. Each input report is six bytes,
// the report ID first as both hidraw and Windows deliver it:
//
//	[0x03, status, unit, exponent (int8), weight LSB, weight MSB]
//
// Windows pads a report to the device's longest input report; the padding
// is dropped.
//
// status 1 fault, 2 stable at zero, 3 motion, 4 stable, 5 under zero,
// 6 over, 7 needs calibration, 8 needs re-zero; unit 1 mg, 2 g, 3 kg,
// 11 oz, 12 lb. Scales stream reports constantly and the first one after
// opening is stale, so the driver drops it and the Monitor drains the
// stream continuously.
package hidpos

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
)

// ReportLen is the length of a scale data report with its report ID.
const ReportLen = 6

// ReportID is the scale data report.
const ReportID = 0x03

func init() {
	scale.Register(scale.Driver{
		Name:  "hidpos",
		Codec: func(deviceuri.URI) (scale.Codec, error) { return Codec(), nil },
	})
}

// Codec returns the HID POS codec.
func Codec() scale.Codec {
	return scale.Codec{
		Split:     Split,
		Parse:     Parse,
		ZeroCmd:   []byte{0x02, 0x02},
		SkipFirst: true,
		MaxFrame:  64,
		Datagram:  ReportLen,
	}
}

// Split cuts six-byte reports, resynchronising on the report ID, a valid
// status and a valid unit. A byte stream of reports cannot be framed safely
// once a report is cut short (its tail and the next report's head can look
// like a report), so the driver reads hidraw report by report (see
// scale.Framer.Datagram) and uses Split only within one read.
func Split(buf []byte) (int, []byte, error) {
	for i := 0; i < len(buf); i++ {
		if buf[i] != ReportID {
			continue
		}
		if i > 0 {
			return i, nil, nil
		}
		if len(buf) < 2 {
			return 0, nil, nil
		}
		if buf[1] < 1 || buf[1] > 8 {
			return 1, nil, nil
		}
		if len(buf) < 3 {
			return 0, nil, nil
		}
		if buf[2] < 1 || buf[2] > 12 {
			return 1, nil, nil
		}
		if len(buf) < ReportLen {
			return 0, nil, nil
		}
		return ReportLen, buf[:ReportLen], nil
	}
	return len(buf), nil, nil
}

var units = map[byte]string{1: "mg", 2: "g", 3: "kg", 11: "oz", 12: "lb"}

// Parse reads one report.
func Parse(rep []byte) (scale.Reading, error) {
	bad := func(reason string) error {
		return &scale.FrameError{Protocol: "hidpos", Reason: reason, Raw: rep}
	}
	if len(rep) != ReportLen || rep[0] != ReportID {
		return scale.Reading{}, bad("not a scale data report (6 bytes, report ID 3)")
	}
	status := rep[1]
	switch status {
	case 1:
		return scale.Reading{}, bad("scale reports a fault")
	case 7:
		return scale.Reading{}, bad("scale needs calibration")
	case 8:
		return scale.Reading{}, bad("scale needs re-zeroing: empty the platter and press ZERO")
	case 2, 3, 4, 5, 6:
	default:
		return scale.Reading{}, bad(fmt.Sprintf("unknown status %d", status))
	}
	unit, ok := units[rep[2]]
	if !ok {
		return scale.Reading{}, bad(fmt.Sprintf("unit code %d is not mg, g, kg, oz or lb", rep[2]))
	}
	raw := uint16(rep[4]) | uint16(rep[5])<<8
	v, err := Decimal(raw, int8(rep[3]))
	if err != nil {
		return scale.Reading{}, bad(err.Error())
	}
	if status == 5 && raw != 0 {
		v = "-" + v
	}
	r, err := scale.ParseValue(v, unit)
	if err != nil {
		return scale.Reading{}, bad(err.Error())
	}
	r.Stable = status == 2 || status == 4
	r.Zero = status == 2 || r.Micrograms == 0
	r.Under = status == 5
	r.Over = status == 6
	return r, nil
}

// Decimal formats raw × 10^exp exactly.
func Decimal(raw uint16, exp int8) (string, error) {
	s := strconv.FormatUint(uint64(raw), 10)
	switch {
	case exp >= 0:
		if exp > 9 {
			return "", fmt.Errorf("exponent %d out of range", exp)
		}
		if raw == 0 {
			return "0", nil
		}
		return s + strings.Repeat("0", int(exp)), nil
	case exp < -9:
		return "", fmt.Errorf("exponent %d out of range", exp)
	}
	d := int(-exp)
	if len(s) <= d {
		s = strings.Repeat("0", d-len(s)+1) + s
	}
	return s[:len(s)-d] + "." + s[len(s)-d:], nil
}
