// Package scale reads shipping scales. Open turns a device URI into a Scale
// that speaks the scale's protocol (NCI, SMA, MT-SICS, Toledo 8213/8217,
// Toledo continuous, USB HID POS) over its transport (serial port, TCP
// serial server, hidraw); Monitor keeps one scale read for a station,
// reconnecting after an unplug; CaptureStable turns the readings into one
// accepted weight.
//
// Protocols live in subpackages and register themselves; import
// github.com/packline/packline/drivers/scale/all (or the protocol packages
// you need) for their side effect:
//
//	import _ "github.com/packline/packline/drivers/scale/all"
package scale

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/packline/packline/agent/order"
)

// Reading is one weight report from a scale.
type Reading struct {
	// Micrograms is the weight, exact for g, kg and lb and within a
	// microgram for oz. It is zero when the frame carried no weight.
	Micrograms int64
	// Value is the number as the scale sent it, without padding or
	// leading zeros ("1.25"); empty when the frame carried no weight (an
	// over-capacity or motion status).
	Value string
	// Unit is "lb", "kg", "g" or "oz"; empty with Value.
	Unit string
	// Stable is the scale's own "not in motion".
	Stable bool
	// Zero reports the centre-of-zero flag.
	Zero bool
	// Over and Under report over capacity and under zero.
	Over, Under bool
	// Raw is the frame exactly as received, for audit.
	Raw []byte
	// At is when the frame was received.
	At time.Time
}

// Mass returns the weight as an order.Mass.
func (r Reading) Mass() order.Mass { return order.Mass(r.Micrograms) }

// String formats r for logs and the command line.
func (r Reading) String() string {
	var b strings.Builder
	if r.Value != "" {
		b.WriteString(r.Value + " " + r.Unit)
	} else {
		b.WriteString("(no weight)")
	}
	var flags []string
	if r.Stable {
		flags = append(flags, "stable")
	} else {
		flags = append(flags, "motion")
	}
	if r.Zero {
		flags = append(flags, "zero")
	}
	if r.Over {
		flags = append(flags, "over capacity")
	}
	if r.Under {
		flags = append(flags, "under zero")
	}
	b.WriteString(" [" + strings.Join(flags, ",") + "]")
	return b.String()
}

// Scale is an open scale.
type Scale interface {
	// Read returns the next reading: request/response protocols send
	// their trigger and wait for the reply; streaming protocols return
	// the next frame. A frame the scale marks as an error is a
	// *FrameError, never a Reading.
	Read(ctx context.Context) (Reading, error)
	Close() error
}

// Zeroer is implemented by scales that can be zeroed from the host.
type Zeroer interface {
	Zero(ctx context.Context) error
}

// Prober is implemented by scales that can say who they are.
type Prober interface {
	// Identify sends the protocol's status or identify command and
	// returns the reply.
	Identify(ctx context.Context) ([]byte, error)
}

// Options configures an opened scale.
type Options struct {
	// Logger receives debug logs; nil discards them.
	Logger *slog.Logger
	// Timeout bounds one Read; zero means the protocol's default (1 s
	// for request/response, 2 s for streaming).
	Timeout time.Duration
}

func (o Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

// FrameError is a frame that must not become a weight: an error reply
// from the scale ("?", "ES", a zero error), a bad checksum, or bytes that
// do not form a valid frame.
type FrameError struct {
	Protocol string
	Reason   string
	Raw      []byte
}

func (e *FrameError) Error() string {
	return fmt.Sprintf("%s scale: %s (frame %q)", e.Protocol, e.Reason, e.Raw)
}

// ErrNoAnswer reports a scale that sent nothing usable in time.
var ErrNoAnswer = errors.New("scale did not answer")

// ParseValue turns a weight as sent ("  001.25", "-  1.5", "+100.00") and a
// unit ("lb", "LB", "kg", "g", "oz", "mg") into a Reading with Value and
// Micrograms set. Milligrams become grams by moving the decimal point.
func ParseValue(value, unit string) (Reading, error) {
	v, err := normalise(value)
	if err != nil {
		return Reading{}, err
	}
	u := strings.ToLower(strings.TrimSpace(unit))
	switch u {
	case "lb", "lbs":
		u = "lb"
	case "kg", "g", "oz":
	case "mg":
		v, u = shiftLeft3(v), "g"
	default:
		return Reading{}, fmt.Errorf("unit %q is not lb, kg, g, oz or mg", unit)
	}
	// order.ParseMass rounds negative values toward zero from the half
	// (-0.5 kg gives -499999999 µg), so convert the magnitude.
	m, err := order.ParseMass(strings.TrimPrefix(v, "-"), u)
	if err != nil {
		return Reading{}, err
	}
	if strings.HasPrefix(v, "-") {
		m = -m
	}
	return Reading{Micrograms: int64(m), Value: v, Unit: u}, nil
}

// normalise removes padding, a plus sign and leading zeros, and checks the
// number is a plain decimal.
func normalise(s string) (string, error) {
	t := strings.ReplaceAll(strings.TrimSpace(s), " ", "")
	neg := false
	switch {
	case strings.HasPrefix(t, "-"):
		neg, t = true, t[1:]
	case strings.HasPrefix(t, "+"):
		t = t[1:]
	}
	intPart, frac, hasDot := strings.Cut(t, ".")
	if intPart == "" && frac == "" || strings.Contains(frac, ".") {
		return "", fmt.Errorf("weight %q is not a decimal number", s)
	}
	for _, r := range intPart + frac {
		if r < '0' || r > '9' {
			return "", fmt.Errorf("weight %q is not a decimal number", s)
		}
	}
	intPart = strings.TrimLeft(intPart, "0")
	if intPart == "" {
		intPart = "0"
	}
	out := intPart
	if hasDot && frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out, nil
}

// shiftLeft3 divides a normalised decimal by 1000 exactly.
func shiftLeft3(v string) string {
	neg := strings.HasPrefix(v, "-")
	v = strings.TrimPrefix(v, "-")
	i, f, _ := strings.Cut(v, ".")
	digits := strings.Repeat("0", 3) + i
	p := len(digits) - 3
	out, _ := normalise(digits[:p] + "." + digits[p:] + f)
	out = strings.TrimRight(out, "0")
	out = strings.TrimSuffix(out, ".")
	if neg && out != "0" {
		out = "-" + out
	}
	return out
}
