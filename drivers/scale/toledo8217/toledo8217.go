// Package toledo8217 speaks the Toledo 8213/8217 weight-only protocol
// (Mettler Ariva/Viva/PS60, Brecknell), 9600 7E1 by default. The host sends
// W (one byte); a stable weight comes back as <STX>001.25<CR> without a
// unit, anything else as <STX>?<status><CR>, where only status bits 0-4 are
// decoded: motion, over capacity, under zero, outside zero-capture range,
// centre of zero. A status with the outside-zero-capture bit is an error,
// not a reading: the scale could not zero, so no weight it reports can be
// trusted until it is zeroed again.
package toledo8217

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
)

const maxFrame = 32

func init() {
	scale.Register(scale.Driver{
		Name:   "toledo8217",
		Serial: deviceuri.Serial{Baud: 9600, DataBits: 7, Parity: 'E', StopBits: 1},
		Codec:  NewCodec,
		Match:  Match,
	})
}

// NewCodec returns the codec. Frames carry no unit: the URI parameter unit
// (lb by default; g for Brecknell gram models, kg, oz) names it.
func NewCodec(u deviceuri.URI) (scale.Codec, error) {
	unit := u.Param("unit", "lb")
	if _, err := scale.ParseValue("1", unit); err != nil {
		return scale.Codec{}, fmt.Errorf("device %s: unit=%q: use lb, kg, g or oz", u, unit)
	}
	return scale.Codec{
		Split:       Split,
		Parse:       func(frame []byte) (scale.Reading, error) { return Parse(frame, unit) },
		Trigger:     []byte("W"),
		ZeroCmd:     []byte("Z"),
		ZeroReplies: true,
		Identify:    []byte("Ehello"),
		MaxFrame:    maxFrame,
	}, nil
}

// Split cuts <STX> ... <CR> frames.
var Split = scale.SplitDelimited([]byte{0x02}, '\r', maxFrame)

// Status bits after '?'.
const (
	Motion      = 0x01
	OverCap     = 0x02
	UnderZero   = 0x04
	OutsideZero = 0x08
	CentreZero  = 0x10
)

// Parse reads one frame; unit names the unit of numeric frames.
func Parse(frame []byte, unit string) (scale.Reading, error) {
	bad := func(reason string) error {
		return &scale.FrameError{Protocol: "toledo8217", Reason: reason, Raw: frame}
	}
	if len(frame) < 3 || frame[0] != 0x02 || frame[len(frame)-1] != '\r' {
		return scale.Reading{}, bad("not a Toledo frame (<STX> ... <CR>)")
	}
	body := frame[1 : len(frame)-1]
	if body[0] == '?' {
		if len(body) != 2 {
			return scale.Reading{}, bad("status frame must be ? and one status byte")
		}
		st := body[1] & 0x1f
		if st == 0 {
			return scale.Reading{}, bad(fmt.Sprintf("status %#02x names no condition (bad command?)", body[1]))
		}
		if st&OutsideZero != 0 {
			return scale.Reading{}, bad("scale is outside its zero-capture range (it was loaded when switched on or when ZERO was pressed): empty the platter and press ZERO, or switch the scale off and on with the platter empty")
		}
		return scale.Reading{
			Stable: st&Motion == 0,
			Over:   st&OverCap != 0,
			Under:  st&UnderZero != 0,
			Zero:   st&CentreZero != 0,
		}, nil
	}
	s := strings.TrimSuffix(string(body), "N")
	t := strings.TrimSpace(s)
	if t == "" || strings.Trim(t, "0123456789.") != "" {
		return scale.Reading{}, bad("not a weight")
	}
	r, err := scale.ParseValue(t, unit)
	if err != nil {
		return scale.Reading{}, bad(err.Error())
	}
	r.Stable = true
	r.Zero = r.Micrograms == 0
	return r, nil
}

// Match reports whether reply answers the Ehello echo test.
func Match(reply []byte) bool {
	return bytes.Contains(reply, []byte("\x02E\rhello"))
}
