package scale

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/serialport"
)

// Codec is one protocol's bytes: how frames are cut and read, and what
// the host sends.
type Codec struct {
	// Split cuts frames from the stream.
	Split SplitFunc
	// Parse turns one frame into a Reading or a *FrameError.
	Parse func(frame []byte) (Reading, error)
	// Trigger is the weight request; nil for streaming protocols.
	Trigger []byte
	// ZeroCmd zeroes the scale; nil when the protocol cannot.
	ZeroCmd []byte
	// ZeroReplies tells whether the scale answers ZeroCmd with a frame.
	ZeroReplies bool
	// Identify is the status or identify command used by probing.
	Identify []byte
	// SkipFirst drops the first frame after opening (HID scales report a
	// stale weight first).
	SkipFirst bool
	// MaxFrame bounds a partial frame; zero means 256.
	MaxFrame int
	// Datagram, when > 0, is the report size of a protocol whose reads
	// each return whole reports (HID); see Framer.Datagram.
	Datagram int
}

// Driver is a registered scale protocol.
type Driver struct {
	// Name is the URI protocol: nci, sma, sics, toledo8217, toledocont,
	// hidpos, sim.
	Name string
	// Serial is the protocol's usual line setting, overridable by the
	// URI's baud, data, parity and stop parameters.
	Serial deviceuri.Serial
	// Codec builds the codec for a URI (protocol options such as unit=g
	// live in its parameters).
	Codec func(u deviceuri.URI) (Codec, error)
	// Match, when set, lets Probe recognise the protocol: the codec's
	// Identify command is sent and Match judges the bytes that came back.
	Match func(reply []byte) bool
	// Open, when set, replaces the standard opening (used by sim://).
	Open func(ctx context.Context, u deviceuri.URI, opt Options) (Scale, error)
}

// registry holds the drivers, keyed by name.
var registry = struct {
	sync.RWMutex
	m map[string]Driver
}{m: map[string]Driver{}}

// Register adds a protocol driver. It panics when the name is taken.
func Register(d Driver) {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[d.Name]; dup {
		panic("scale: protocol registered twice: " + d.Name)
	}
	registry.m[d.Name] = d
}

// RegisterForTest replaces or adds a driver until the test ends.
func RegisterForTest(t testing.TB, d Driver) {
	registry.Lock()
	old, had := registry.m[d.Name]
	registry.m[d.Name] = d
	registry.Unlock()
	t.Cleanup(func() {
		registry.Lock()
		defer registry.Unlock()
		if had {
			registry.m[d.Name] = old
		} else {
			delete(registry.m, d.Name)
		}
	})
}

// Lookup returns the driver registered under name.
func Lookup(name string) (Driver, bool) {
	registry.RLock()
	defer registry.RUnlock()
	d, ok := registry.m[name]
	return d, ok
}

// Protocols lists the registered protocol names.
func Protocols() []string {
	registry.RLock()
	defer registry.RUnlock()
	var names []string
	for n := range registry.m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Open opens the scale named by u: the protocol comes from u.Protocol, the
// transport from u.Transport (serial, tcp, hidraw), and the serial line
// setting from the protocol's default overridden by the URI.
func Open(ctx context.Context, u deviceuri.URI, opt Options) (Scale, error) {
	d, ok := Lookup(u.Protocol)
	if !ok {
		return nil, fmt.Errorf("device %s: unknown scale protocol %q (known: %v; is drivers/scale/all imported?)", u, u.Protocol, Protocols())
	}
	if d.Open != nil {
		return d.Open(ctx, u, opt)
	}
	c, err := d.Codec(u)
	if err != nil {
		return nil, err
	}
	p, err := serialport.Open(ctx, u, d.Serial)
	if err != nil {
		return nil, fmt.Errorf("opening scale %s: %w", u, err)
	}
	return New(p, d.Name, c, opt), nil
}
