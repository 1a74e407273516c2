package scale

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
)

// Streamer is implemented by scales whose Read returns frames the scale
// sends by itself; a Monitor reads them back to back instead of polling.
type Streamer interface {
	Streaming() bool
}

func (d *device) Streaming() bool { return d.codec.Trigger == nil }

// MonitorOptions configures a Monitor.
type MonitorOptions struct {
	Options
	// Interval is the pause between polls of request/response scales
	// (default 200 ms). Streaming scales are read continuously.
	Interval time.Duration
	// MinBackoff and MaxBackoff bound the pause before reopening a scale
	// that failed (default 100 ms and 5 s; doubled after each failure).
	MinBackoff, MaxBackoff time.Duration
	// Buffer is each subscriber's channel size (default 16). A slow
	// subscriber loses its oldest readings, never blocks the scale.
	Buffer int
	// MaxTimeouts is how many unanswered reads in a row make the Monitor
	// reopen the port (default 3).
	MaxTimeouts int
}

// Status is a Monitor's view of its scale.
type Status struct {
	// Connected reports an open scale that answers.
	Connected bool
	// Err says what is wrong, in words for the packer; empty when fine.
	// It may be set while Connected when the scale itself reports an
	// error (a zero error, an unknown command).
	Err string
	// Since is when Connected or Err last changed.
	Since time.Time
}

// Monitor runs one scale for a station: it reads (polls or streams),
// publishes every Reading to its subscribers, tracks the connection state
// and reopens the scale with backoff after an unplug or a failure.
type Monitor struct {
	uri deviceuri.URI
	opt MonitorOptions

	mu     sync.Mutex
	status Status
	subs   map[chan Reading]struct{}
	cur    Scale
}

// NewMonitor returns a Monitor for the scale at u. Run starts it.
func NewMonitor(u deviceuri.URI, opt MonitorOptions) *Monitor {
	if opt.Interval <= 0 {
		opt.Interval = 200 * time.Millisecond
	}
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 100 * time.Millisecond
	}
	if opt.MaxBackoff < opt.MinBackoff {
		opt.MaxBackoff = 5 * time.Second
		if opt.MaxBackoff < opt.MinBackoff {
			opt.MaxBackoff = opt.MinBackoff
		}
	}
	if opt.Buffer <= 0 {
		opt.Buffer = 16
	}
	if opt.MaxTimeouts <= 0 {
		opt.MaxTimeouts = 3
	}
	return &Monitor{uri: u, opt: opt, subs: map[chan Reading]struct{}{}, status: Status{Err: "not started", Since: time.Now()}}
}

// URI returns the scale's URI.
func (m *Monitor) URI() deviceuri.URI { return m.uri }

// State returns the current connection state.
func (m *Monitor) State() Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.status
}

func (m *Monitor) setState(connected bool, err string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.status.Connected == connected && m.status.Err == err {
		return
	}
	m.status = Status{Connected: connected, Err: err, Since: time.Now()}
	m.opt.logger().Info("scale state", "uri", m.uri.String(), "connected", connected, "err", err)
}

// Subscribe returns a channel of every Reading from now on and a function
// that ends the subscription (and closes the channel).
func (m *Monitor) Subscribe() (<-chan Reading, func()) {
	ch := make(chan Reading, m.opt.Buffer)
	m.mu.Lock()
	m.subs[ch] = struct{}{}
	m.mu.Unlock()
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			m.mu.Lock()
			delete(m.subs, ch)
			m.mu.Unlock()
			close(ch)
		})
	}
}

func (m *Monitor) publish(r Reading) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for ch := range m.subs {
		select {
		case ch <- r:
			continue
		default:
		}
		select { // full: drop the oldest
		case <-ch:
		default:
		}
		select {
		case ch <- r:
		default:
		}
	}
}

// Zero zeroes the scale if it is open and its protocol can.
func (m *Monitor) Zero(ctx context.Context) error {
	m.mu.Lock()
	sc := m.cur
	m.mu.Unlock()
	if sc == nil {
		return fmt.Errorf("scale %s is not connected", m.uri)
	}
	z, ok := sc.(Zeroer)
	if !ok {
		return fmt.Errorf("scale %s cannot be zeroed from the agent: press its ZERO key", m.uri)
	}
	return z.Zero(ctx)
}

// Run reads the scale until ctx ends. It returns nil when ctx ends; it
// never gives up on a scale that fails, it retries with backoff.
func (m *Monitor) Run(ctx context.Context) error {
	backoff := m.opt.MinBackoff
	for {
		sc, err := Open(ctx, m.uri, m.opt.Options)
		if err == nil {
			m.mu.Lock()
			m.cur = sc
			m.mu.Unlock()
			backoff = m.opt.MinBackoff
			err = m.loop(ctx, sc)
			m.mu.Lock()
			m.cur = nil
			m.mu.Unlock()
			sc.Close()
		}
		if ctx.Err() != nil {
			m.setState(false, "stopped")
			return nil
		}
		m.setState(false, err.Error())
		m.opt.logger().Debug("scale reopen", "uri", m.uri.String(), "in", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			m.setState(false, "stopped")
			return nil
		case <-t.C:
		}
		backoff = min(backoff*2, m.opt.MaxBackoff)
	}
}

// loop reads one open scale until it fails for good.
func (m *Monitor) loop(ctx context.Context, sc Scale) error {
	streaming := false
	if s, ok := sc.(Streamer); ok {
		streaming = s.Streaming()
	}
	timeouts := 0
	for {
		r, err := sc.Read(ctx)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var fe *FrameError
		switch {
		case err == nil:
			timeouts = 0
			m.setState(true, "")
			m.publish(r)
		case errors.As(err, &fe):
			timeouts = 0
			m.setState(true, fe.Error())
		case errors.Is(err, ErrNoAnswer):
			timeouts++
			m.setState(false, "the scale does not answer: check that it is on, the cable, and the protocol and line setting in "+m.uri.String())
			if timeouts >= m.opt.MaxTimeouts {
				return err
			}
		default:
			return err
		}
		if streaming {
			continue // the next frame is already on its way
		}
		t := time.NewTimer(m.opt.Interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// Acceptable reports whether r may be accepted as a package weight: stable,
// with a weight, above zero, neither over capacity nor under zero.
func Acceptable(r Reading) bool {
	return r.Stable && !r.Zero && !r.Over && !r.Under && r.Value != "" && r.Micrograms > 0
}

// CaptureStable waits for n consecutive acceptable (see Acceptable),
// identical readings on ch and returns the last. Readings taken before the
// call are ignored, so a weight is never carried over from the previous
// package; zero, under-zero and over-capacity readings restart the count.
func CaptureStable(ctx context.Context, ch <-chan Reading, n int) (Reading, error) {
	if n < 1 {
		n = 1
	}
	start := time.Now()
	var last Reading
	count := 0
	for {
		select {
		case <-ctx.Done():
			if last.Raw != nil {
				return Reading{}, fmt.Errorf("no stable weight (last reading %s): %w", last, context.Cause(ctx))
			}
			return Reading{}, fmt.Errorf("no stable weight: %w", context.Cause(ctx))
		case r, ok := <-ch:
			if !ok {
				return Reading{}, errors.New("no stable weight: the scale monitor stopped")
			}
			if r.At.Before(start) {
				continue
			}
			if !Acceptable(r) {
				count, last = 0, r
				continue
			}
			if count > 0 && r.Micrograms == last.Micrograms && r.Unit == last.Unit {
				count++
			} else {
				count = 1
			}
			last = r
			if count >= n {
				return r, nil
			}
		}
	}
}
