package zpl

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// HostStatus is the printer's ~HS reply.
type HostStatus struct {
	// String 1.
	CommSettings    int
	PaperOut        bool
	Paused          bool
	LabelLength     int
	FormatsInBuffer int
	BufferFull      bool
	CommDiagnostics bool
	PartialFormat   bool
	CorruptRAM      bool
	UnderTemp       bool
	OverTemp        bool
	// String 2.
	FunctionSettings int
	HeadOpen         bool
	RibbonOut        bool
	ThermalTransfer  bool
	PrintMode        int
	LabelWaiting     bool
	LabelsRemaining  int
	GraphicsStored   int
	// String 3.
	Password  int
	StaticRAM bool
}

// Errors lists the conditions that stop printing, in words.
func (h HostStatus) Errors() []string {
	var e []string
	add := func(on bool, s string) {
		if on {
			e = append(e, s)
		}
	}
	add(h.PaperOut, "paper out")
	add(h.HeadOpen, "head open")
	add(h.RibbonOut, "ribbon out")
	add(h.Paused, "paused")
	add(h.BufferFull, "receive buffer full")
	add(h.CorruptRAM, "corrupt RAM")
	add(h.UnderTemp, "head under temperature")
	add(h.OverTemp, "head over temperature")
	return e
}

// ParseHS parses the three <STX>…<ETX><CR><LF> lines of a ~HS reply.
func ParseHS(b []byte) (HostStatus, error) {
	var lines [][]byte
	for len(lines) < 3 {
		i := bytes.IndexByte(b, 0x02)
		if i < 0 {
			break
		}
		j := bytes.IndexByte(b[i:], 0x03)
		if j < 0 {
			return HostStatus{}, fmt.Errorf("zpl: ~HS line %d has no ETX: reply cut short", len(lines)+1)
		}
		lines = append(lines, b[i+1:i+j])
		b = b[i+j+1:]
	}
	if len(lines) < 3 {
		return HostStatus{}, fmt.Errorf("zpl: ~HS reply holds %d of 3 STX…ETX lines", len(lines))
	}
	f1 := strings.Split(string(lines[0]), ",")
	f2 := strings.Split(string(lines[1]), ",")
	f3 := strings.Split(string(lines[2]), ",")
	if len(f1) < 12 {
		return HostStatus{}, fmt.Errorf("zpl: ~HS string 1 %q has %d of 12 fields", lines[0], len(f1))
	}
	if len(f2) < 9 {
		return HostStatus{}, fmt.Errorf("zpl: ~HS string 2 %q has %d of 11 fields", lines[1], len(f2))
	}
	var p hsParser
	h := HostStatus{
		CommSettings:     p.num(f1[0]),
		PaperOut:         p.flag(f1[1]),
		Paused:           p.flag(f1[2]),
		LabelLength:      p.num(f1[3]),
		FormatsInBuffer:  p.num(f1[4]),
		BufferFull:       p.flag(f1[5]),
		CommDiagnostics:  p.flag(f1[6]),
		PartialFormat:    p.flag(f1[7]),
		CorruptRAM:       p.flag(f1[9]),
		UnderTemp:        p.flag(f1[10]),
		OverTemp:         p.flag(f1[11]),
		FunctionSettings: p.num(f2[0]),
		HeadOpen:         p.flag(f2[2]),
		RibbonOut:        p.flag(f2[3]),
		ThermalTransfer:  p.flag(f2[4]),
		PrintMode:        p.num(f2[5]),
		LabelWaiting:     p.flag(f2[7]),
		LabelsRemaining:  p.num(f2[8]),
	}
	if len(f2) > 10 {
		h.GraphicsStored = p.num(f2[10])
	}
	if len(f3) >= 1 {
		h.Password = p.num(f3[0])
	}
	if len(f3) >= 2 {
		h.StaticRAM = p.flag(f3[1])
	}
	if p.err != nil {
		return HostStatus{}, p.err
	}
	return h, nil
}

type hsParser struct{ err error }

func (p *hsParser) num(s string) int {
	s = strings.TrimSpace(s)
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		if p.err == nil {
			p.err = fmt.Errorf("zpl: ~HS field %q is not a number", s)
		}
		return 0
	}
	return n
}

func (p *hsParser) flag(s string) bool {
	switch strings.TrimSpace(s) {
	case "0":
		return false
	case "1":
		return true
	}
	if p.err == nil {
		p.err = fmt.Errorf("zpl: ~HS flag %q is not 0 or 1", s)
	}
	return false
}

// FormatHS renders h as a printer would answer ~HS.
func FormatHS(h HostStatus) []byte {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return fmt.Appendf(nil, "\x02%03d,%d,%d,%04d,%03d,%d,%d,%d,000,%d,%d,%d\x03\r\n\x02%03d,0,%d,%d,%d,%d,0,%d,%08d,1,%03d\x03\r\n\x02%04d,%d\x03\r\n",
		h.CommSettings, b(h.PaperOut), b(h.Paused), h.LabelLength, h.FormatsInBuffer, b(h.BufferFull), b(h.CommDiagnostics), b(h.PartialFormat), b(h.CorruptRAM), b(h.UnderTemp), b(h.OverTemp),
		h.FunctionSettings, b(h.HeadOpen), b(h.RibbonOut), b(h.ThermalTransfer), h.PrintMode, b(h.LabelWaiting), h.LabelsRemaining, h.GraphicsStored,
		h.Password, b(h.StaticRAM))
}

// ~HQES error bits (second hex group of the ERRORS line).
const (
	ErrMediaOut        uint32 = 0x00000001
	ErrRibbonOut       uint32 = 0x00000002
	ErrHeadOpen        uint32 = 0x00000004
	ErrCutterFault     uint32 = 0x00000008
	ErrHeadOverTemp    uint32 = 0x00000010
	ErrMotorOverTemp   uint32 = 0x00000020
	ErrBadHeadElement  uint32 = 0x00000040
	ErrHeadDetection   uint32 = 0x00000080
	ErrFirmwareConfig  uint32 = 0x00000100
	ErrHeadThermistor  uint32 = 0x00000200
	ErrPaperJam        uint32 = 0x00001000
	ErrPaperFeed       uint32 = 0x00004000
	ErrClearPathFailed uint32 = 0x00008000
	ErrPaused          uint32 = 0x00010000
	ErrMarkNotFound    uint32 = 0x00080000
)

// ~HQES warning bits.
const (
	WarnCalibrate    uint32 = 0x1
	WarnCleanHead    uint32 = 0x2
	WarnReplaceHead  uint32 = 0x4
	WarnPaperNearEnd uint32 = 0x8
)

type bitName struct {
	bit  uint32
	name string
}

// errorNames names the ~HQES error bits.
func errorNames() []bitName {
	return []bitName{
		{ErrMediaOut, "media out"}, {ErrRibbonOut, "ribbon out"}, {ErrHeadOpen, "head open"},
		{ErrCutterFault, "cutter fault"}, {ErrHeadOverTemp, "head over temperature"},
		{ErrMotorOverTemp, "motor over temperature"}, {ErrBadHeadElement, "bad printhead element"},
		{ErrHeadDetection, "printhead detection error"}, {ErrFirmwareConfig, "invalid firmware configuration"},
		{ErrHeadThermistor, "printhead thermistor open"}, {ErrPaperJam, "paper jam"},
		{ErrPaperFeed, "paper feed error"}, {ErrClearPathFailed, "clear paper path failed"},
		{ErrPaused, "paused"}, {ErrMarkNotFound, "black mark not found"},
	}
}

// warningNames names the ~HQES warning bits.
func warningNames() []bitName {
	return []bitName{
		{WarnCalibrate, "calibrate media"}, {WarnCleanHead, "clean printhead"},
		{WarnReplaceHead, "replace printhead"}, {WarnPaperNearEnd, "paper near end"},
	}
}

// ExtStatus is the printer's ~HQES reply.
type ExtStatus struct {
	ErrorFlag, WarningFlag bool
	// Errors and Warnings are the bit fields (second hex group); ErrorsHigh
	// and WarningsHigh the first group.
	Errors, ErrorsHigh     uint32
	Warnings, WarningsHigh uint32
}

// ErrorNames lists the set error bits in words; unknown bits are named in hex.
func (s ExtStatus) ErrorNames() []string {
	return names(s.Errors, s.ErrorsHigh, s.ErrorFlag, errorNames())
}

// WarningNames lists the set warning bits in words.
func (s ExtStatus) WarningNames() []string {
	return names(s.Warnings, s.WarningsHigh, s.WarningFlag, warningNames())
}

func names(bits, high uint32, flag bool, table []bitName) []string {
	var out []string
	rest := bits
	for _, n := range table {
		if bits&n.bit != 0 {
			out = append(out, n.name)
			rest &^= n.bit
		}
	}
	if rest != 0 || high != 0 {
		out = append(out, fmt.Sprintf("code %08X %08X", high, rest))
	}
	if flag && len(out) == 0 {
		out = append(out, "unspecified")
	}
	return out
}

// ParseHQES parses a ~HQES reply:
//
//	<STX><CR><LF> PRINTER STATUS<CR><LF>   ERRORS:         1 00000000 00000005<CR><LF>
//	   WARNINGS:       0 00000000 00000000<CR><LF><ETX><CR><LF>
func ParseHQES(b []byte) (ExtStatus, error) {
	var s ExtStatus
	var err error
	var got int
	for _, line := range bytes.Split(b, []byte{'\n'}) {
		line = bytes.Trim(line, "\x02\x03\r\n\t ")
		key, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok {
			continue
		}
		switch strings.ToUpper(string(bytes.TrimSpace(key))) {
		case "ERRORS":
			if s.ErrorFlag, s.ErrorsHigh, s.Errors, err = hqesLine(rest); err != nil {
				return ExtStatus{}, fmt.Errorf("zpl: ~HQES ERRORS line %q: %w", line, err)
			}
			got |= 1
		case "WARNINGS":
			if s.WarningFlag, s.WarningsHigh, s.Warnings, err = hqesLine(rest); err != nil {
				return ExtStatus{}, fmt.Errorf("zpl: ~HQES WARNINGS line %q: %w", line, err)
			}
			got |= 2
		}
	}
	if got&1 == 0 {
		return ExtStatus{}, errors.New("zpl: ~HQES reply has no ERRORS line")
	}
	return s, nil
}

func hqesLine(rest []byte) (flag bool, high, low uint32, err error) {
	f := strings.Fields(string(rest))
	if len(f) < 3 {
		return false, 0, 0, fmt.Errorf("want flag and two hex groups, got %d fields", len(f))
	}
	switch f[0] {
	case "0":
	case "1":
		flag = true
	default:
		return false, 0, 0, fmt.Errorf("flag %q is not 0 or 1", f[0])
	}
	h, err := strconv.ParseUint(f[1], 16, 32)
	if err != nil {
		return false, 0, 0, fmt.Errorf("group %q is not hex", f[1])
	}
	l, err := strconv.ParseUint(f[2], 16, 32)
	if err != nil {
		return false, 0, 0, fmt.Errorf("group %q is not hex", f[2])
	}
	return flag, uint32(h), uint32(l), nil
}

// FormatHQES renders s as a printer would answer ~HQES.
func FormatHQES(s ExtStatus) []byte {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	return fmt.Appendf(nil, "\x02\r\n  PRINTER STATUS\r\n   ERRORS:         %d %08X %08X\r\n   WARNINGS:       %d %08X %08X\r\n\x03\r\n",
		b(s.ErrorFlag || s.Errors != 0 || s.ErrorsHigh != 0), s.ErrorsHigh, s.Errors,
		b(s.WarningFlag || s.Warnings != 0 || s.WarningsHigh != 0), s.WarningsHigh, s.Warnings)
}
