package printer

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/serialport"
)

// serialTransport keeps the serial port open between jobs (reopening it
// toggles the modem lines and can reset the printer) and drops it after an
// I/O error so the next job reopens it.
type serialTransport struct {
	uri deviceuri.URI
	tm  timeouts

	mu    sync.Mutex
	port  serialport.Port
	dirty bool // a late reply may be waiting in the input buffer
}

func (t *serialTransport) open(ctx context.Context) (session, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.port == nil {
		// 9600 8N1 is the usual line setting of label printers.
		p, err := serialport.Open(ctx, t.uri, deviceuri.Serial{Baud: 9600, DataBits: 8, Parity: 'N', StopBits: 1})
		if err != nil {
			return nil, errors.Join(ErrUnreachable, err)
		}
		t.port = p
		t.dirty = true
	}
	if t.dirty {
		// Drain what the printer sent since (a late reply, power-on
		// noise). The port's Flush would also discard unsent output.
		buf := make([]byte, 512)
		for {
			t.port.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
			n, err := t.port.Read(buf)
			if err != nil || n == 0 {
				break
			}
		}
		t.dirty = false
	}
	return &serialSession{t: t, p: t.port}, nil
}

func (t *serialTransport) drop(p serialport.Port) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.port == p {
		t.port.Close()
		t.port = nil
	}
}

func (t *serialTransport) close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.port == nil {
		return nil
	}
	err := t.port.Close()
	t.port = nil
	return err
}

type serialSession struct {
	t *serialTransport
	p serialport.Port
}

func (s *serialSession) write(ctx context.Context, p []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	_, err := s.p.Write(p)
	if err != nil {
		s.t.drop(s.p)
	}
	return err
}

func (s *serialSession) canRead() bool { return true }

func (s *serialSession) read(p []byte, deadline time.Time) (int, error) {
	if err := s.p.SetReadDeadline(deadline); err != nil {
		return 0, err
	}
	n, err := s.p.Read(p)
	if err != nil && !serialport.IsTimeout(err) {
		s.t.drop(s.p)
	}
	return n, err
}

func (s *serialSession) stale() {
	s.t.mu.Lock()
	s.t.dirty = true
	s.t.mu.Unlock()
}

func (s *serialSession) finish(context.Context) error { return nil }
func (s *serialSession) close() error                 { return nil }
