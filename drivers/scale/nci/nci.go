// Package nci speaks the NCI / Weigh-Tronix SCP-01 scale protocol (Brecknell,
// Avery Weigh-Tronix, many postal scales) and its SCP-02 / Ohaus variant.
//
// The host sends W<CR>; the scale answers
//
//	<LF>  1.25lb<CR><LF>00<CR><ETX>
//
// with a weight line (value and unit, or lb-oz "2lb  3.5oz", or ^^^ over
// capacity, ___ under capacity, --- zero error) and a status line of two to
// four bytes whose bits 4 and 5 are always set (so all-OK is "00"). SCP-02
// prefixes the status with 'S', uses upper-case units and may omit the
// status line. An unknown command gets <LF>?<CR><ETX>.
package nci

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
)

const (
	lf  = '\n'
	cr  = '\r'
	etx = 0x03
)

// maxFrame bounds a frame: a 10-character weight line, four status bytes
// and their separators fit well within it.
const maxFrame = 64

func init() {
	scale.Register(scale.Driver{
		Name:   "nci",
		Serial: deviceuri.Serial{Baud: 9600, DataBits: 8, Parity: 'N', StopBits: 1},
		Codec:  func(deviceuri.URI) (scale.Codec, error) { return Codec(), nil },
		Match:  Match,
	})
}

// Codec returns the NCI codec.
func Codec() scale.Codec {
	return scale.Codec{
		Split:       Split,
		Parse:       Parse,
		Trigger:     []byte("W\r"),
		ZeroCmd:     []byte("Z\r"),
		ZeroReplies: true,
		Identify:    []byte("S\r"),
		MaxFrame:    maxFrame,
	}
}

// Split cuts NCI frames: <LF> ... <ETX>. The frame starts at the last LF
// that does not follow a CR (line breaks inside a frame are CR LF), so a
// frame cut short by the next one is dropped.
func Split(buf []byte) (int, []byte, error) {
	first := bytes.IndexByte(buf, lf)
	if first < 0 {
		return len(buf), nil, nil
	}
	if first > 0 {
		return first, nil, nil
	}
	end := bytes.IndexByte(buf, etx)
	if end < 0 {
		if len(buf) > maxFrame {
			if next := nextStart(buf, 1, len(buf)); next > 0 {
				return next, nil, nil
			}
			return len(buf), nil, nil
		}
		// A new frame start before the end: drop the truncated one.
		if next := nextStart(buf, 1, len(buf)); next > 0 {
			return next, nil, nil
		}
		return 0, nil, nil
	}
	if next := nextStart(buf, 1, end); next > 0 {
		return next, nil, nil
	}
	// A frame has at most two lines. More line breaks mean the front of
	// the buffer is the end of a frame cut short whose LF came right after
	// a CR: start at the line break that leaves two lines.
	var breaks []int
	for i := 1; i < end; i++ {
		if buf[i] == lf && buf[i-1] == cr {
			breaks = append(breaks, i)
		}
	}
	if len(breaks) > 1 {
		return breaks[len(breaks)-2], nil, nil
	}
	// Two status lines: the first is what is left of a status reply.
	if len(breaks) == 1 && isStatus(string(buf[1:breaks[0]-1])) {
		return breaks[0], nil, nil
	}
	// A second line that is no status: the first line is what is left of
	// a one-line (SCP-02) reply.
	if len(breaks) == 1 && end >= breaks[0]+2 && !isStatus(string(buf[breaks[0]+1:end-1])) {
		return breaks[0], nil, nil
	}
	if end+1 > maxFrame {
		return end + 1, nil, nil
	}
	return end + 1, buf[:end+1], nil
}

// nextStart returns the last index in buf[from:to] of an LF not preceded by
// CR, or -1.
func nextStart(buf []byte, from, to int) int {
	for i := to - 1; i >= from; i-- {
		if buf[i] == lf && buf[i-1] != cr {
			return i
		}
	}
	return -1
}

var lbOz = regexp.MustCompile(`^(-?)\s*(\d+)\s*[lL][bB]\s+(\d+(?:\.\d*)?)\s*[oO][zZ]$`)

// Parse reads one NCI frame.
func Parse(frame []byte) (scale.Reading, error) {
	bad := func(reason string) error {
		return &scale.FrameError{Protocol: "nci", Reason: reason, Raw: frame}
	}
	if len(frame) < 4 || frame[0] != lf || frame[len(frame)-1] != etx || frame[len(frame)-2] != cr {
		return scale.Reading{}, bad("not an NCI frame (<LF> ... <CR><ETX>)")
	}
	lines := strings.Split(string(frame[1:len(frame)-2]), "\r\n")
	if len(lines) == 1 && lines[0] == "?" {
		return scale.Reading{}, bad("the scale did not understand the command (?)")
	}
	var r scale.Reading
	var status string
	switch len(lines) {
	case 1:
		if isStatus(lines[0]) {
			status = lines[0]
		} else {
			w, err := weight(lines[0], frame)
			if err != nil {
				return scale.Reading{}, err
			}
			r = w
			r.Stable = true
		}
	case 2:
		w, err := weight(lines[0], frame)
		if err != nil {
			return scale.Reading{}, err
		}
		r = w
		status = lines[1]
		if !isStatus(status) {
			return scale.Reading{}, bad(fmt.Sprintf("status %q is not 2 to 4 status bytes", status))
		}
	default:
		return scale.Reading{}, bad("too many lines")
	}
	if status != "" {
		if err := applyStatus(&r, status, frame); err != nil {
			return scale.Reading{}, err
		}
	}
	if r.Value != "" && r.Micrograms == 0 {
		r.Zero = true
	}
	return r, nil
}

// isStatus reports whether s is a status field: an optional 'S' and two
// to four bytes with bits 4 and 5 set.
func isStatus(s string) bool {
	s = strings.TrimPrefix(s, "S")
	if len(s) < 2 || len(s) > 4 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] & 0x7f
		if c&0x30 != 0x30 {
			return false
		}
		if i == 0 && c&0x40 != 0 {
			return false
		}
	}
	return true
}

func applyStatus(r *scale.Reading, s string, frame []byte) error {
	s = strings.TrimPrefix(s, "S")
	bad := func(reason string) error {
		return &scale.FrameError{Protocol: "nci", Reason: reason, Raw: frame}
	}
	b1 := s[0] & 0x7f
	b2 := s[1] & 0x7f
	r.Stable = b1&0x01 == 0
	if b1&0x02 != 0 {
		r.Zero = true
	}
	if b1&0x04 != 0 {
		return bad("scale reports a RAM error")
	}
	if b1&0x08 != 0 {
		return bad("scale reports an EEPROM error")
	}
	if b2&0x01 != 0 {
		r.Under = true
	}
	if b2&0x02 != 0 {
		r.Over = true
	}
	if b2&0x04 != 0 {
		return bad("scale reports a ROM error")
	}
	if b2&0x08 != 0 {
		return bad("scale reports faulty calibration")
	}
	if len(s) >= 3 && s[2]&0x08 != 0 {
		return bad("scale reports an initial-zero error: empty the platter and power-cycle the scale")
	}
	return nil
}

// weight reads the weight line.
func weight(line string, frame []byte) (scale.Reading, error) {
	bad := func(reason string) error {
		return &scale.FrameError{Protocol: "nci", Reason: reason, Raw: frame}
	}
	t := strings.TrimSpace(line)
	if m := lbOz.FindStringSubmatch(t); m != nil {
		// lb-oz form: report total ounces, exactly.
		lb, err := scale.ParseValue(m[2], "lb")
		if err != nil {
			return scale.Reading{}, bad(err.Error())
		}
		oz, err := scale.ParseValue(m[3], "oz")
		if err != nil {
			return scale.Reading{}, bad(err.Error())
		}
		total, err := ouncesString(m[2], m[3])
		if err != nil {
			return scale.Reading{}, bad(err.Error())
		}
		r := scale.Reading{Micrograms: lb.Micrograms + oz.Micrograms, Value: m[1] + total, Unit: "oz"}
		if m[1] == "-" {
			r.Micrograms = -r.Micrograms
		}
		return r, nil
	}
	num := strings.TrimRightFunc(t, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' })
	unit := strings.TrimSpace(t[len(num):])
	num = strings.TrimSpace(num)
	switch {
	case num != "" && strings.Trim(num, "^") == "":
		return scale.Reading{Over: true}, nil
	case num != "" && strings.Trim(num, "_") == "":
		return scale.Reading{Under: true}, nil
	case len(num) > 1 && strings.Trim(num, "-") == "":
		return scale.Reading{}, bad("scale reports a zero error (weight field ---): empty the platter and press ZERO")
	}
	if unit == "" {
		return scale.Reading{}, bad(fmt.Sprintf("weight %q has no unit", line))
	}
	r, err := scale.ParseValue(num, unit)
	if err != nil {
		return scale.Reading{}, bad(err.Error())
	}
	return r, nil
}

// ouncesString returns lb*16 + oz as an exact decimal string.
func ouncesString(lb, oz string) (string, error) {
	var whole int64
	for _, c := range lb {
		whole = whole*10 + int64(c-'0')
		if whole > 1e12 {
			return "", fmt.Errorf("weight %slb out of range", lb)
		}
	}
	i, f, _ := strings.Cut(oz, ".")
	var ozi int64
	for _, c := range i {
		ozi = ozi*10 + int64(c-'0')
		if ozi > 1e12 {
			return "", fmt.Errorf("weight %soz out of range", oz)
		}
	}
	s := fmt.Sprint(whole*16 + ozi)
	if f != "" {
		s += "." + f
	}
	return s, nil
}

// Match reports whether reply looks like an NCI status reply to S<CR>.
func Match(reply []byte) bool {
	i := bytes.IndexByte(reply, lf)
	if i < 0 {
		return false
	}
	j := bytes.Index(reply[i:], []byte("\r\x03"))
	if j < 0 {
		return false
	}
	return isStatus(string(reply[i+1 : i+j]))
}
