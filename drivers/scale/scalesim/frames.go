package scalesim

import (
	"fmt"
	"strings"
)

// The encoders below write each protocol's frames exactly as the manuals
// and the devices reference show them.

func nciStatus(st state, scp02 bool) string {
	b1, b2 := byte(0x30), byte(0x30)
	if st.motion {
		b1 |= 0x01
	}
	if isZero(st.value) {
		b1 |= 0x02
	}
	if st.under {
		b2 |= 0x01
	}
	if st.over {
		b2 |= 0x02
	}
	s := string([]byte{b1, b2})
	if scp02 {
		return "S" + s
	}
	return s
}

// nciWeight: <LF>  1.25lb<CR><LF>00<CR><ETX>.
func nciWeight(st state, scp02 bool) []byte {
	var w string
	switch {
	case st.fault == FaultZeroError:
		w = "--------"
	case st.over:
		w = "^^^^^^^^"
	case st.under:
		w = "________"
	default:
		u := st.unit
		if scp02 {
			u = strings.ToUpper(u)
		}
		w = fmt.Sprintf("%6s%s", st.value, u)
	}
	return []byte("\n" + w + "\r\n" + nciStatus(st, scp02) + "\r\x03")
}

// smaWeight: <LF><s><r><n><m><f><weight 10><unit 3><CR>.
func smaWeight(st state) []byte {
	s, m := byte(' '), byte(' ')
	w := st.value
	switch {
	case st.fault == FaultZeroError:
		s, w = 'E', "----------"
	case st.over:
		s, w = 'O', "----------"
	case st.under:
		s = 'U'
	case isZero(st.value):
		s = 'Z'
	}
	if st.motion {
		m = 'M'
	}
	return []byte(fmt.Sprintf("\n%c1G%c %10s%-3s\r", s, m, w, st.unit))
}

// sicsWeight: S S      100.00 g<CR><LF>.
func sicsWeight(cmd string, st state) []byte {
	switch {
	case st.over:
		return []byte("S +\r\n")
	case st.under:
		return []byte("S -\r\n")
	case st.motion && cmd == "S":
		return []byte("S I\r\n")
	}
	flag := "S"
	if st.motion {
		flag = "D"
	}
	return []byte(fmt.Sprintf("S %s %11s %s\r\n", flag, st.value, st.unit))
}

// toledoWeight: <STX>001.25<CR>, or <STX>?<status><CR>.
func toledoWeight(st state) []byte {
	var status byte
	if st.motion {
		status |= 0x01
	}
	if st.over {
		status |= 0x02
	}
	if st.under {
		status |= 0x04
	}
	if status != 0 {
		return []byte{0x02, '?', 0x60 | status, '\r'}
	}
	v := st.value
	for len(v) < 6 {
		v = "0" + v
	}
	return []byte("\x02" + v + "\r")
}

// contFrame: <STX><SWA><SWB><SWC><weight 6><tare 6><CR>[<CHK>].
func contFrame(st state, checksum bool) []byte {
	v := strings.TrimPrefix(st.value, "-")
	i, f, _ := strings.Cut(v, ".")
	digits := i + f
	for len(digits) < 6 {
		digits = "0" + digits
	}
	if len(digits) > 6 {
		digits = digits[len(digits)-6:]
	}
	swa := byte(0x20 | 0x08 | byte(2+len(f)))
	if len(f) > 5 {
		swa = 0x20 | 0x08 | 7
	}
	swb := byte(0x20)
	if st.under {
		swb |= 0x02
	}
	if st.over {
		swb |= 0x04
	}
	if st.motion {
		swb |= 0x08
	}
	if st.unit == "kg" {
		swb |= 0x10
	}
	frame := append([]byte{0x02, swa, swb, 0x20}, digits+"000000\r"...)
	if checksum {
		var sum byte
		for _, c := range frame {
			sum += c
		}
		ck := (-sum) & 0x7f
		if st.fault == FaultChecksum {
			ck ^= 0x55
		}
		frame = append(frame, ck)
	}
	return frame
}

// hidReport: [03 status unit exp lo hi].
func hidReport(st state) []byte {
	status := byte(4)
	switch {
	case st.fault == FaultZeroError:
		status = 8
	case st.over:
		status = 6
	case st.under:
		status = 5
	case st.motion:
		status = 3
	case isZero(st.value):
		status = 2
	}
	unit := map[string]byte{"mg": 1, "g": 2, "kg": 3, "oz": 11, "lb": 12}[st.unit]
	v := strings.TrimPrefix(st.value, "-")
	i, f, _ := strings.Cut(v, ".")
	var n uint64
	for _, c := range i + f {
		n = n*10 + uint64(c-'0')
	}
	return []byte{0x03, status, unit, byte(int8(-len(f))), byte(n), byte(n >> 8)}
}

func isZero(v string) bool {
	return strings.Trim(v, "-0.") == ""
}
