package printer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// tcpTransport is raw TCP (port 9100): one connection per job, closed after
// it, as Zebra recommends; the printer serves one connection at a time.
type tcpTransport struct {
	addr string
	tm   timeouts
}

func (t *tcpTransport) open(ctx context.Context) (session, error) {
	dl := net.Dialer{Timeout: t.tm.dial}
	c, err := dl.DialContext(ctx, "tcp", t.addr)
	if err != nil {
		var ne net.Error
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, syscall.ECONNREFUSED):
			return nil, fmt.Errorf("%w: %s refused the connection: is the printer switched on, and is raw printing enabled on this port?", ErrUnreachable, t.addr)
		case errors.As(err, &ne) && ne.Timeout():
			return nil, fmt.Errorf("%w: no answer from %s within %s: check the printer's power and network cable", ErrUnreachable, t.addr, t.tm.dial)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrUnreachable, t.addr, err)
	}
	s := &tcpSession{c: c, tm: t.tm}
	// Cancelling ctx aborts any read or write in progress.
	s.stop = context.AfterFunc(ctx, func() { c.SetDeadline(time.Unix(1, 0)) })
	return s, nil
}

func (t *tcpTransport) close() error { return nil }

type tcpSession struct {
	c    net.Conn
	tm   timeouts
	stop func() bool
}

func (s *tcpSession) write(ctx context.Context, p []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.c.SetWriteDeadline(time.Now().Add(s.tm.write))
	_, err := s.c.Write(p)
	if err != nil && ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil && isTimeout(err) {
		return fmt.Errorf("the printer stopped reading for %s (buffer full, paused, or busy with another client): %w", s.tm.write, err)
	}
	return err
}

func (s *tcpSession) canRead() bool { return true }

// busyHint: port 9100 serves one client at a time, and a second one is
// connected but not read until the first leaves.
func (s *tcpSession) busyHint() string {
	return "the printer may be busy with another client: it serves one connection at a time, so wait or stop the other program printing to " + s.c.RemoteAddr().String()
}

func (s *tcpSession) read(p []byte, deadline time.Time) (int, error) {
	s.c.SetReadDeadline(deadline)
	return s.c.Read(p)
}

func (s *tcpSession) finish(context.Context) error { return nil }

func (s *tcpSession) close() error {
	s.stop()
	return s.c.Close()
}
