// Package toledocont reads Toledo continuous output (Fairbanks, Cardinal,
// Rice Lake, Mettler IND): the indicator streams
//
//	<STX><SWA><SWB><SWC><6-digit weight>[<6-digit tare>]<CR>[<CHK>]
//
// without a request. CHK is the two's complement of the 7-bit sum of all
// preceding bytes (STX and CR included); when present it is verified and a
// mismatch is a *scale.FrameError. SWA bits 0-2 place the decimal point
// (0: ×100, 1: ×10, 2: none, 3-7: 1-5 decimals); SWB bit0 net, bit1
// negative, bit2 out of range, bit3 motion, bit4 kg (else lb), bit6
// power-up.
package toledocont

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
)

const (
	stx = 0x02
	cr  = '\r'
)

func init() {
	scale.Register(scale.Driver{
		Name:   "toledocont",
		Serial: deviceuri.Serial{Baud: 9600, DataBits: 7, Parity: 'E', StopBits: 1},
		Codec:  NewCodec,
	})
}

// NewCodec returns the codec. The URI parameter checksum (auto by default,
// on, off) says whether a checksum byte follows the CR; auto decides from
// the first frame.
func NewCodec(u deviceuri.URI) (scale.Codec, error) {
	var mode checksumMode
	switch u.Param("checksum", "auto") {
	case "auto":
		mode = csAuto
	case "on", "1", "true":
		mode = csOn
	case "off", "0", "false":
		mode = csOff
	default:
		return scale.Codec{}, fmt.Errorf("device %s: checksum=%q: use auto, on or off", u, u.Params.Get("checksum"))
	}
	sp := &splitter{mode: mode}
	return scale.Codec{Split: sp.Split, Parse: Parse, MaxFrame: 64}, nil
}

type checksumMode int

const (
	csAuto checksumMode = iota
	csOn
	csOff
)

// splitter cuts frames and remembers whether the stream carries checksums.
type splitter struct {
	mode checksumMode
}

// NewSplit returns a SplitFunc that auto-detects the checksum byte.
func NewSplit() scale.SplitFunc { return (&splitter{}).Split }

// Checksum returns the CHK byte for the bytes before it.
func Checksum(b []byte) byte {
	var sum byte
	for _, c := range b {
		sum += c
	}
	return (-sum) & 0x7f
}

func (s *splitter) Split(buf []byte) (int, []byte, error) {
	i := bytes.IndexByte(buf, stx)
	if i < 0 {
		return len(buf), nil, nil
	}
	if i > 0 {
		return i, nil, nil
	}
	// Status words and digits are never STX: a second STX before the
	// CR means this frame was cut short.
	end := -1
	for j := 1; j < len(buf) && j <= 16; j++ {
		if buf[j] == stx {
			return j, nil, nil
		}
		if buf[j] == cr && (j == 10 || j == 16) {
			end = j
			break
		}
		if buf[j] == cr {
			return j + 1, nil, nil
		}
	}
	if end < 0 {
		if len(buf) > 16 {
			return 1, nil, nil
		}
		return 0, nil, nil
	}
	switch s.mode {
	case csOff:
		return end + 1, buf[:end+1], nil
	case csOn:
		if len(buf) < end+2 {
			return 0, nil, nil
		}
		if buf[end+1] == stx && Checksum(buf[:end+1]) != stx {
			// The checksum never came: a cut-off frame.
			return end + 1, nil, &scale.FrameError{Protocol: "toledocont", Reason: "frame without its checksum", Raw: buf[:end+1]}
		}
		if buf[end+1] != Checksum(buf[:end+1]) {
			return end + 2, nil, &scale.FrameError{Protocol: "toledocont", Reason: fmt.Sprintf("bad checksum %#02x, want %#02x", buf[end+1], Checksum(buf[:end+1])), Raw: buf[:end+2]}
		}
		return end + 2, buf[:end+2], nil
	}
	if len(buf) < end+2 {
		return 0, nil, nil
	}
	next := buf[end+1]
	want := Checksum(buf[:end+1])
	switch {
	case next == want:
		s.mode = csOn
		return end + 2, buf[:end+2], nil
	case next == stx:
		s.mode = csOff
		return end + 1, buf[:end+1], nil
	}
	s.mode = csOn
	return end + 2, nil, &scale.FrameError{Protocol: "toledocont", Reason: fmt.Sprintf("bad checksum %#02x, want %#02x", next, want), Raw: buf[:end+2]}
}

// Parse reads one frame: 11 or 17 bytes, or 12 or 18 with the checksum.
func Parse(frame []byte) (scale.Reading, error) {
	bad := func(reason string) error {
		return &scale.FrameError{Protocol: "toledocont", Reason: reason, Raw: frame}
	}
	n := len(frame)
	switch n {
	case 11, 17:
	case 12, 18:
		if frame[n-1] != Checksum(frame[:n-1]) {
			return scale.Reading{}, bad(fmt.Sprintf("bad checksum %#02x, want %#02x", frame[n-1], Checksum(frame[:n-1])))
		}
		n--
	default:
		return scale.Reading{}, bad(fmt.Sprintf("%d bytes is not a continuous-output frame", n))
	}
	if frame[0] != stx || frame[n-1] != cr {
		return scale.Reading{}, bad("not a continuous-output frame (<STX> ... <CR>)")
	}
	swa, swb := frame[1]&0x7f, frame[2]&0x7f
	if swa&0x20 == 0 || swb&0x20 == 0 || frame[3]&0x20 == 0 {
		return scale.Reading{}, bad("status words must have bit 5 set")
	}
	digits := []byte(strings.ReplaceAll(string(frame[4:10]), " ", "0"))
	for _, c := range digits {
		if c < '0' || c > '9' {
			return scale.Reading{}, bad("weight field is not six digits")
		}
	}
	var v string
	switch dp := int(swa & 0x07); {
	case dp == 0:
		v = string(digits) + "00"
	case dp == 1:
		v = string(digits) + "0"
	case dp == 2:
		v = string(digits)
	default:
		d := dp - 2
		v = string(digits[:6-d]) + "." + string(digits[6-d:])
	}
	neg := swb&0x02 != 0
	if neg {
		v = "-" + v
	}
	unit := "lb"
	if swb&0x10 != 0 {
		unit = "kg"
	}
	r, err := scale.ParseValue(v, unit)
	if err != nil {
		return scale.Reading{}, bad(err.Error())
	}
	r.Stable = swb&0x08 == 0 && swb&0x40 == 0
	r.Under = neg
	r.Over = swb&0x04 != 0 && !neg
	r.Zero = r.Micrograms == 0
	return r, nil
}
