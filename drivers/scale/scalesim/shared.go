package scalesim

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"unicode"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/serialport"
)

// shared holds the named Sims behind sim://scale?name=... URIs, so the
// demo can reach the scale the agent opened. It is the package's only
// state.
var shared = struct {
	sync.Mutex
	m map[string]*Sim
}{m: map[string]*Sim{}}

// Shared returns the named shared Sim, creating an NCI scale when no
// sim://scale?name=<name> URI has been opened yet.
func Shared(name string) *Sim {
	shared.Lock()
	defer shared.Unlock()
	if s, ok := shared.m[name]; ok {
		return s
	}
	s := New("nci", Options{})
	shared.m[name] = s
	return s
}

// RemoveShared closes the named shared Sim and forgets it; the next
// Shared or Open of the name starts a new one.
func RemoveShared(name string) {
	shared.Lock()
	s := shared.m[name]
	delete(shared.m, name)
	shared.Unlock()
	if s != nil {
		s.Close()
	}
}

func init() {
	scale.Register(scale.Driver{Name: "sim", Open: open})
}

// open opens sim://scale?protocol=nci&weight=1.25lb[&name=st1][&motion=1s].
func open(_ context.Context, u deviceuri.URI, opt scale.Options) (scale.Scale, error) {
	proto := u.Param("protocol", "nci")
	if !known(proto) {
		return nil, fmt.Errorf("device %s: protocol=%q: the simulator speaks %s", u, proto, strings.Join(Protocols(), ", "))
	}
	motion, err := u.Duration("motion", 0)
	if err != nil {
		return nil, err
	}
	var value, unit string
	if w := u.Params.Get("weight"); w != "" {
		i := strings.IndexFunc(w, unicode.IsLetter)
		if i <= 0 {
			return nil, fmt.Errorf("device %s: weight=%q: write it like 1.25lb or 500g", u, w)
		}
		value, unit = w[:i], w[i:]
		if _, err := scale.ParseValue(value, unit); err != nil {
			return nil, fmt.Errorf("device %s: weight=%q: %w", u, w, err)
		}
	}
	var sim *Sim
	if name := u.Params.Get("name"); name != "" {
		shared.Lock()
		sim = shared.m[name]
		if sim == nil {
			sim = New(proto, Options{Weight: value, Unit: unit, Motion: motion})
			shared.m[name] = sim
		}
		shared.Unlock()
		if sim.protocol != proto && u.Params.Get("protocol") != "" {
			return nil, fmt.Errorf("device %s: simulated scale %q already speaks %s", u, name, sim.protocol)
		}
	} else {
		sim = New(proto, Options{Weight: value, Unit: unit, Motion: motion})
	}
	wire := sim.protocol
	if wire == "scp02" {
		wire = "nci"
	}
	d, ok := scale.Lookup(wire)
	if !ok {
		return nil, fmt.Errorf("device %s: the %s driver is not linked in (import drivers/scale/all)", u, wire)
	}
	codec, err := d.Codec(u)
	if err != nil {
		return nil, err
	}
	c, err := sim.Conn()
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", u, err)
	}
	return scale.New(serialport.FromConn(u.String(), c), wire, codec, opt), nil
}

func known(p string) bool {
	for _, k := range Protocols() {
		if k == p {
			return true
		}
	}
	return false
}
