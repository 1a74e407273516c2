// Package deviceuri parses the URIs that name Packline's devices. A device
// URI carries the protocol and the transport in its scheme:
//
//	nci+serial:///dev/ttyUSB0?baud=9600&parity=E&data=7
//	toledo8217+serial://COM3
//	sics+tcp://10.1.2.3:4001
//	hidpos:///dev/hidraw0
//	zpl+tcp://10.1.2.9:9100
//	zpl+usb:///dev/usb/lp0
//	zpl+winspool://Zebra ZP450
//	zpl+cups://label4x6
//	sim://scale?protocol=nci
//	sim://printer?dir=/tmp/labels
//
// The target (the part between "://" and "?") is taken verbatim after
// percent-decoding, so Windows printer names with spaces and COM ports work
// without quoting. Query parameters are transport and protocol options.
package deviceuri

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// URI is a parsed device URI.
type URI struct {
	// Protocol is the device language: nci, sma, sics, toledo8217,
	// toledocont, hidpos, zpl, epl, tspl, or sim.
	Protocol string
	// Transport is serial, tcp, usb, winspool, cups, hidraw or empty when
	// the protocol implies it (hidpos, sim).
	Transport string
	// Target is the port, address, device file, queue or simulator name.
	Target string
	// Params are the query parameters.
	Params url.Values
}

// Parse parses a device URI. Errors say what a valid URI looks like.
func Parse(s string) (URI, error) {
	s = strings.TrimSpace(s)
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok || scheme == "" {
		return URI{}, fmt.Errorf("device %q: want protocol+transport://target, e.g. nci+serial:///dev/ttyUSB0 or zpl+tcp://10.0.0.9:9100", s)
	}
	scheme = strings.ToLower(scheme)
	for _, r := range scheme {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '+' || r == '-') {
			return URI{}, fmt.Errorf("device %q: scheme %q may hold only letters, digits, '+' and '-'", s, scheme)
		}
	}
	proto, transport, _ := strings.Cut(scheme, "+")
	if proto == "" || strings.Contains(transport, "+") {
		return URI{}, fmt.Errorf("device %q: scheme must be protocol or protocol+transport", s)
	}
	target, query, _ := strings.Cut(rest, "?")
	target, err := url.PathUnescape(target)
	if err != nil {
		return URI{}, fmt.Errorf("device %q: bad escape in target: %w", s, err)
	}
	params, err := url.ParseQuery(query)
	if err != nil {
		return URI{}, fmt.Errorf("device %q: bad query: %w", s, err)
	}
	u := URI{Protocol: proto, Transport: transport, Target: target, Params: params}
	if u.Target == "" {
		return URI{}, fmt.Errorf("device %q: no target: name the port, address, device file or queue after ://", s)
	}
	if u.Transport == "tcp" {
		if _, _, err := net.SplitHostPort(u.Target); err != nil {
			return URI{}, fmt.Errorf("device %q: tcp target must be host:port: %w", s, err)
		}
	}
	return u, nil
}

// MustParse is Parse for literals in tests and defaults; it panics on error.
func MustParse(s string) URI {
	u, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// String returns the canonical form of u.
func (u URI) String() string {
	var b strings.Builder
	b.WriteString(u.Protocol)
	if u.Transport != "" {
		b.WriteString("+" + u.Transport)
	}
	b.WriteString("://")
	b.WriteString(u.Target)
	if len(u.Params) > 0 {
		b.WriteString("?" + u.Params.Encode())
	}
	return b.String()
}

// Scheme returns protocol+transport, or the protocol alone.
func (u URI) Scheme() string {
	if u.Transport == "" {
		return u.Protocol
	}
	return u.Protocol + "+" + u.Transport
}

// Param returns the query parameter key, or def when it is absent.
func (u URI) Param(key, def string) string {
	if v := u.Params.Get(key); v != "" {
		return v
	}
	return def
}

// Int returns the integer parameter key, or def when it is absent.
func (u URI) Int(key string, def int) (int, error) {
	v := u.Params.Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("device %s: %s=%q is not a whole number", u, key, v)
	}
	return n, nil
}

// Duration returns the duration parameter key ("500ms", "2s"), or def.
func (u URI) Duration(key string, def time.Duration) (time.Duration, error) {
	v := u.Params.Get(key)
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("device %s: %s=%q is not a duration like 500ms or 2s", u, key, v)
	}
	return d, nil
}

// Serial is the line setting of a serial device.
type Serial struct {
	Baud     int
	DataBits int
	// Parity is 'N', 'E', 'O', 'M' or 'S'.
	Parity   byte
	StopBits int
}

// Serial reads baud, data, parity and stop from u, starting from def (the
// protocol's usual setting).
func (u URI) Serial(def Serial) (Serial, error) {
	s := def
	var err error
	if s.Baud, err = u.Int("baud", def.Baud); err != nil {
		return Serial{}, err
	}
	switch s.Baud {
	case 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200:
	default:
		return Serial{}, fmt.Errorf("device %s: baud %d is not one of 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200", u, s.Baud)
	}
	if s.DataBits, err = u.Int("data", def.DataBits); err != nil {
		return Serial{}, err
	}
	if s.DataBits < 5 || s.DataBits > 8 {
		return Serial{}, fmt.Errorf("device %s: data=%d: data bits must be 5 to 8", u, s.DataBits)
	}
	if p := u.Params.Get("parity"); p != "" {
		if len(p) != 1 || !strings.ContainsAny(strings.ToUpper(p), "NEOMS") {
			return Serial{}, fmt.Errorf("device %s: parity=%q: use N, E, O, M or S", u, p)
		}
		s.Parity = strings.ToUpper(p)[0]
	}
	if s.Parity == 0 {
		s.Parity = 'N'
	}
	if s.StopBits, err = u.Int("stop", def.StopBits); err != nil {
		return Serial{}, err
	}
	if s.StopBits != 1 && s.StopBits != 2 {
		return Serial{}, fmt.Errorf("device %s: stop=%d: stop bits must be 1 or 2", u, s.StopBits)
	}
	return s, nil
}
