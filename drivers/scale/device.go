package scale

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/packline/packline/drivers/serialport"
)

// device is a Scale over a Port driven by a Codec.
type device struct {
	name  string
	port  serialport.Port
	codec Codec
	fr    *Framer
	opt   Options
	mu    sync.Mutex
	first bool
}

// New returns a Scale that speaks codec over port. The scale owns port.
func New(port serialport.Port, protocol string, codec Codec, opt Options) Scale {
	fr := NewFramer(port, codec.Split)
	if codec.MaxFrame > 0 {
		fr.Max = codec.MaxFrame
	}
	fr.Datagram = codec.Datagram
	return &device{name: protocol, port: port, codec: codec, fr: fr, opt: opt, first: codec.SkipFirst}
}

var (
	_ Scale   = (*device)(nil)
	_ Zeroer  = (*device)(nil)
	_ Prober  = (*device)(nil)
	_ Framing = (*device)(nil)
)

// Framing is implemented by scales built on a Codec; tests and tools use
// it to reach the protocol's frame parser.
type Framing interface {
	Codec() Codec
}

func (d *device) Codec() Codec { return d.codec }

func (d *device) timeout() time.Duration {
	if d.opt.Timeout > 0 {
		return d.opt.Timeout
	}
	if d.codec.Trigger == nil {
		return 2 * time.Second
	}
	return time.Second
}

// request discards stale input and sends cmd.
func (d *device) request(cmd []byte) error {
	d.fr.Reset()
	if f, ok := d.port.(serialport.Flusher); ok {
		if err := f.Flush(); err != nil {
			return err
		}
	}
	if _, err := d.port.Write(cmd); err != nil {
		return fmt.Errorf("sending %q to the %s scale: %w", cmd, d.name, err)
	}
	return nil
}

func (d *device) Read(ctx context.Context) (Reading, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	if d.codec.Trigger != nil {
		if err := d.request(d.codec.Trigger); err != nil {
			return Reading{}, err
		}
	}
	for {
		frame, err := d.fr.Next(ctx)
		if err != nil {
			return Reading{}, d.wrap(err)
		}
		at := time.Now()
		if d.first {
			d.first = false
			continue
		}
		r, err := d.codec.Parse(frame)
		if err != nil {
			return Reading{}, err
		}
		r.Raw, r.At = frame, at
		d.opt.logger().Debug("scale frame", "protocol", d.name, "raw", fmt.Sprintf("%q", frame), "reading", r.String())
		return r, nil
	}
}

func (d *device) wrap(err error) error {
	return fmt.Errorf("reading %s scale: %w", d.name, err)
}

// Zero zeroes the scale.
func (d *device) Zero(ctx context.Context) error {
	if d.codec.ZeroCmd == nil {
		return fmt.Errorf("the %s protocol has no zero command: zero the scale with its own key", d.name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	if err := d.request(d.codec.ZeroCmd); err != nil {
		return err
	}
	if !d.codec.ZeroReplies {
		return nil
	}
	frame, err := d.fr.Next(ctx)
	if err != nil {
		return d.wrap(err)
	}
	if _, err := d.codec.Parse(frame); err != nil {
		return fmt.Errorf("zeroing the %s scale: %w", d.name, err)
	}
	return nil
}

// Identify sends the protocol's identify or status command and returns
// the first frame of the reply.
func (d *device) Identify(ctx context.Context) ([]byte, error) {
	if d.codec.Identify == nil {
		return nil, fmt.Errorf("the %s protocol has no identify command", d.name)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, d.timeout())
	defer cancel()
	if err := d.request(d.codec.Identify); err != nil {
		return nil, err
	}
	frame, err := d.fr.Next(ctx)
	if err != nil {
		return nil, d.wrap(err)
	}
	return frame, nil
}

func (d *device) Close() error { return d.port.Close() }
