// Package sics speaks Mettler-Toledo MT-SICS: upper-case ASCII commands and
// replies terminated by <CR><LF>. SI<CR><LF> asks for the weight at once
// ("S S      100.00 g" stable, "S D ..." dynamic); "S I" busy, "S +" over,
// "S -" under; "ES", "ET", "EL" are syntax, transmission and logic errors.
package sics

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
)

const maxFrame = 128

func init() {
	scale.Register(scale.Driver{
		Name:   "sics",
		Serial: deviceuri.Serial{Baud: 9600, DataBits: 8, Parity: 'N', StopBits: 1},
		Codec:  NewCodec,
		Match:  Match,
	})
}

// NewCodec returns the MT-SICS codec. The URI parameter cmd=S makes the
// scale answer only stable weights (the default SI answers at once).
func NewCodec(u deviceuri.URI) (scale.Codec, error) {
	cmd := u.Param("cmd", "SI")
	if cmd != "S" && cmd != "SI" {
		return scale.Codec{}, fmt.Errorf("device %s: cmd=%q: use S or SI", u, cmd)
	}
	return scale.Codec{
		Split:       Split,
		Parse:       Parse,
		Trigger:     []byte(cmd + "\r\n"),
		ZeroCmd:     []byte("Z\r\n"),
		ZeroReplies: true,
		// An empty line first ends whatever a previous probe left.
		Identify: []byte("\r\nI4\r\n"),
		MaxFrame: maxFrame,
	}, nil
}

// Split cuts lines ending in LF.
func Split(buf []byte) (int, []byte, error) {
	i := bytes.IndexByte(buf, '\n')
	if i < 0 {
		if len(buf) > maxFrame {
			return len(buf), nil, nil
		}
		return 0, nil, nil
	}
	if i+1 > maxFrame {
		return i + 1, nil, nil
	}
	return i + 1, buf[:i+1], nil
}

// Parse reads one MT-SICS reply line. Bytes before the reply (line noise,
// the rest of a reply cut short) are skipped: the reply is the first
// suffix of the line that is a whole, valid reply.
func Parse(frame []byte) (scale.Reading, error) {
	line := strings.TrimRight(string(frame), "\r\n")
	f := strings.Fields(line)
	if len(f) == 0 {
		return scale.Reading{}, &scale.FrameError{Protocol: "sics", Reason: "empty line", Raw: frame}
	}
	var firstErr error
	for i := range f {
		r, err, ok := parseFields(f[i:], frame)
		if !ok {
			continue
		}
		if err == nil {
			return r, nil
		}
		if de, ok := err.(deviceError); ok {
			return r, de.FrameError
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr != nil {
		return scale.Reading{}, firstErr
	}
	return scale.Reading{}, &scale.FrameError{Protocol: "sics", Reason: "not an MT-SICS reply", Raw: frame}
}

// deviceError marks a well-formed reply that reports a problem.
type deviceError struct{ *scale.FrameError }

// parseFields reads one reply; ok is false when f does not start with a
// reply head.
func parseFields(f []string, frame []byte) (scale.Reading, error, bool) {
	bad := func(reason string) error {
		return &scale.FrameError{Protocol: "sics", Reason: reason, Raw: frame}
	}
	dev := func(reason string) error {
		return deviceError{&scale.FrameError{Protocol: "sics", Reason: reason, Raw: frame}}
	}
	switch f[0] {
	case "ES", "ET", "EL":
		if len(f) != 1 {
			return scale.Reading{}, bad("error reply with trailing fields"), true
		}
		switch f[0] {
		case "ES":
			return scale.Reading{}, dev("the scale did not understand the command (ES syntax error)"), true
		case "ET":
			return scale.Reading{}, dev("the scale reports a transmission error (ET): check baud and parity"), true
		}
		return scale.Reading{}, dev("the scale reports a logical error (EL): command not possible now"), true
	case "Z", "ZI":
		if len(f) != 2 {
			return scale.Reading{}, bad("bad zero reply"), true
		}
		switch f[1] {
		case "A", "D", "S":
			return scale.Reading{Zero: true, Stable: f[1] != "D"}, nil, true
		case "I", "+", "-":
			return scale.Reading{}, dev("zeroing refused (" + strings.Join(f, " ") + ")"), true
		}
		return scale.Reading{}, bad("bad zero reply"), true
	case "S", "SI":
	default:
		return scale.Reading{}, nil, false
	}
	if len(f) < 2 {
		return scale.Reading{}, bad("no status"), true
	}
	switch f[1] {
	case "S", "D":
		if len(f) != 4 {
			return scale.Reading{}, bad("want S S|D <value> <unit>"), true
		}
		r, err := scale.ParseValue(f[2], f[3])
		if err != nil {
			return scale.Reading{}, bad(err.Error()), true
		}
		r.Stable = f[1] == "S"
		r.Zero = r.Micrograms == 0
		return r, nil, true
	case "I", "+", "-":
		if len(f) != 2 {
			return scale.Reading{}, bad("bad S " + f[1] + " reply"), true
		}
		switch f[1] {
		case "I":
			return scale.Reading{}, dev("the scale is busy or the weight did not settle in time (S I)"), true
		case "+":
			return scale.Reading{Over: true}, nil, true
		}
		return scale.Reading{Under: true}, nil, true
	}
	return scale.Reading{}, bad(fmt.Sprintf("unknown status %q", f[1])), true
}

// Match reports whether reply answers I4 (the serial number).
func Match(reply []byte) bool {
	return bytes.Contains(reply, []byte("I4 A ")) && bytes.Contains(reply, []byte("\r\n"))
}
