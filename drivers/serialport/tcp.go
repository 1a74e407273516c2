package serialport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync/atomic"
	"time"
)

// tcpPort is a serial device server (raw TCP, e.g. port 4001) or any other
// net.Conn.
type tcpPort struct {
	name   string
	c      net.Conn
	closed atomic.Bool
}

// DialTCP connects to a serial device server at addr (host:port).
func DialTCP(ctx context.Context, addr string) (Port, error) {
	var d net.Dialer
	if _, ok := ctx.Deadline(); !ok {
		d.Timeout = 5 * time.Second
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, &Error{Port: addr, Op: "connect", Err: fmt.Errorf("%w: %v", ErrNotFound, err), Hint: "check the device server's address and port and that it is powered and on the network"}
	}
	return &tcpPort{name: addr, c: c}, nil
}

// FromConn wraps c (a TCP connection or an in-memory pipe) as a Port.
func FromConn(name string, c net.Conn) Port { return &tcpPort{name: name, c: c} }

func (t *tcpPort) SetReadDeadline(d time.Time) error { return t.c.SetReadDeadline(d) }

func (t *tcpPort) Read(b []byte) (int, error) {
	n, err := t.c.Read(b)
	if err != nil && n == 0 {
		return 0, t.mapErr("read", err)
	}
	return n, nil
}

func (t *tcpPort) Write(b []byte) (int, error) {
	n, err := t.c.Write(b)
	if err != nil {
		return n, t.mapErr("write", err)
	}
	return n, nil
}

// Flush drains whatever the device already sent.
func (t *tcpPort) Flush() error {
	var buf [512]byte
	defer t.c.SetReadDeadline(time.Time{})
	for {
		if err := t.c.SetReadDeadline(time.Now().Add(time.Millisecond)); err != nil {
			return t.mapErr("flush", err)
		}
		if _, err := t.c.Read(buf[:]); err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return nil
			}
			return t.mapErr("flush", err)
		}
	}
}

func (t *tcpPort) Close() error {
	t.closed.Store(true)
	return t.c.Close()
}

func (t *tcpPort) mapErr(op string, err error) error {
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return ErrTimeout
	case t.closed.Load():
		return &Error{Port: t.name, Op: op, Err: os.ErrClosed}
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, net.ErrClosed) || isConnLost(err):
		return &Error{Port: t.name, Op: op, Err: fmt.Errorf("%w: %v", ErrGone, err), Hint: "the device server closed the connection; the agent reconnects by itself"}
	}
	return &Error{Port: t.name, Op: op, Err: err}
}

func isConnLost(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}
