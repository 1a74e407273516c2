// Package sma speaks the SMA SCP-0499 scale protocol (Fairbanks, B-TEK,
// Sartorius, Rice Lake). Commands are <LF>cmd<CR>; a weight reply is
//
//	<LF><s><r><n><m><f><weight, 10 chars><unit, 3 chars><CR>
//
// with s status (Z centre of zero, O over, U under, E/I/T errors, space
// none), r range, n gross/net, m motion (M or space), f reserved.
package sma

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
)

const maxFrame = 64

func init() {
	scale.Register(scale.Driver{
		Name:   "sma",
		Serial: deviceuri.Serial{Baud: 9600, DataBits: 8, Parity: 'N', StopBits: 1},
		Codec:  func(deviceuri.URI) (scale.Codec, error) { return Codec(), nil },
		Match:  Match,
	})
}

// Codec returns the SMA codec.
func Codec() scale.Codec {
	return scale.Codec{
		Split:       Split,
		Parse:       Parse,
		Trigger:     []byte("\nW\r"),
		ZeroCmd:     []byte("\nZ\r"),
		ZeroReplies: true,
		Identify:    []byte("\nA\r"),
		MaxFrame:    maxFrame,
	}
}

// Split cuts <LF> ... <CR> frames.
var Split = scale.SplitDelimited([]byte{'\n'}, '\r', maxFrame)

// Parse reads one SMA frame.
func Parse(frame []byte) (scale.Reading, error) {
	bad := func(reason string) error {
		return &scale.FrameError{Protocol: "sma", Reason: reason, Raw: frame}
	}
	if len(frame) < 3 || frame[0] != '\n' || frame[len(frame)-1] != '\r' {
		return scale.Reading{}, bad("not an SMA frame (<LF> ... <CR>)")
	}
	body := string(frame[1 : len(frame)-1])
	if body == "?" {
		return scale.Reading{}, bad("the scale did not understand the command (?)")
	}
	if len(body) != 18 {
		return scale.Reading{}, bad(fmt.Sprintf("not a weight reply (%d characters, want 18)", len(body)))
	}
	s, rng, n, m := body[0], body[1], body[2], body[3]
	w, unit := body[5:15], strings.TrimSpace(body[15:18])
	if rng < '0' || rng > '9' || !strings.ContainsRune("GNTgn", rune(n)) || (m != 'M' && m != ' ') {
		return scale.Reading{}, bad("bad range, gross/net or motion field")
	}
	var r scale.Reading
	switch s {
	case 'E':
		return scale.Reading{}, bad("scale reports a zero error: empty the platter and zero it")
	case 'I':
		return scale.Reading{}, bad("scale reports an initial-zero error: empty the platter and power-cycle the scale")
	case 'T':
		return scale.Reading{}, bad("scale reports a tare error")
	case 'O':
		r.Over = true
	case 'U':
		r.Under = true
	case 'Z':
		r.Zero = true
	case ' ':
	default:
		return scale.Reading{}, bad(fmt.Sprintf("unknown status %q", s))
	}
	tw := strings.TrimSpace(w)
	if tw != "" && strings.Trim(tw, "-") != "" {
		v, err := scale.ParseValue(tw, unit)
		if err != nil {
			return scale.Reading{}, bad(err.Error())
		}
		v.Over, v.Under, v.Zero = r.Over, r.Under, r.Zero || v.Micrograms == 0
		r = v
	} else if !r.Over && !r.Under {
		return scale.Reading{}, bad("no weight in the weight field")
	}
	r.Stable = m == ' '
	return r, nil
}

// Match reports whether reply holds an SMA "about" answer (<LF>SMA:...).
func Match(reply []byte) bool {
	return bytes.Contains(reply, []byte("\nSMA:"))
}
