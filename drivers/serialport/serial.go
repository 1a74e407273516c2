package serialport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tarm/serial"

	"github.com/packline/packline/drivers/deviceuri"
)

// tick is the read timeout handed to tarm/serial. Linux turns it into
// VTIME=1, the shortest it supports; SetReadDeadline is emulated on top.
const tick = 100 * time.Millisecond

// serialPort is a tarm/serial port with deadline emulation and error
// normalisation.
type serialPort struct {
	name   string
	p      *serial.Port
	lock   *portLock
	mu     sync.Mutex
	dl     time.Time
	closed atomic.Bool
	gone   atomic.Bool
}

// OpenSerial opens the serial port name (COM3, /dev/ttyUSB0,
// /dev/serial/by-id/...) with line setting s. The port is locked against
// other programs for as long as it is open.
func OpenSerial(name string, s deviceuri.Serial) (Port, error) {
	cfg := &serial.Config{Name: name, Baud: s.Baud, ReadTimeout: tick, Size: byte(s.DataBits), StopBits: serial.StopBits(s.StopBits)}
	switch s.Parity {
	case 'N', 0:
		cfg.Parity = serial.ParityNone
	case 'E':
		cfg.Parity = serial.ParityEven
	case 'O':
		cfg.Parity = serial.ParityOdd
	case 'M':
		cfg.Parity = serial.ParityMark
	case 'S':
		cfg.Parity = serial.ParitySpace
	default:
		return nil, &Error{Port: name, Op: "open", Err: fmt.Errorf("parity %q", s.Parity), Hint: "use N, E, O, M or S"}
	}
	lock, err := lockPort(name)
	if err != nil {
		return nil, openError(name, err)
	}
	p, err := serial.OpenPort(cfg)
	if err != nil {
		lock.release()
		return nil, openError(name, err)
	}
	lock.exclusive()
	return &serialPort{name: name, p: p, lock: lock}, nil
}

func (s *serialPort) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	s.dl = t
	s.mu.Unlock()
	return nil
}

func (s *serialPort) deadline() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dl
}

// Read reads into b. tarm/serial returns zero bytes (io.EOF on Linux, no
// error on Windows) when its VTIME tick passes; a hung-up tty returns zero
// bytes at once, forever. Read tells the two apart by asking the tty.
func (s *serialPort) Read(b []byte) (int, error) {
	for {
		if s.closed.Load() {
			return 0, &Error{Port: s.name, Op: "read", Err: os.ErrClosed}
		}
		if s.gone.Load() {
			return 0, &Error{Port: s.name, Op: "read", Err: ErrGone, Hint: "reconnect the scale; the agent reopens the port by itself"}
		}
		if dl := s.deadline(); !dl.IsZero() && !time.Now().Before(dl) {
			return 0, ErrTimeout
		}
		n, err := s.p.Read(b)
		if n > 0 {
			return n, nil
		}
		if err != nil && !errors.Is(err, io.EOF) {
			if s.closed.Load() {
				return 0, &Error{Port: s.name, Op: "read", Err: os.ErrClosed}
			}
			return 0, s.ioError("read", err)
		}
		if s.closed.Load() {
			return 0, &Error{Port: s.name, Op: "read", Err: os.ErrClosed}
		}
		if !s.lock.alive(s.name) {
			s.gone.Store(true)
		}
	}
}

func (s *serialPort) Write(b []byte) (int, error) {
	if s.closed.Load() {
		return 0, &Error{Port: s.name, Op: "write", Err: os.ErrClosed}
	}
	n, err := s.p.Write(b)
	if err != nil {
		return n, s.ioError("write", err)
	}
	return n, nil
}

// Flush discards bytes received but not yet read.
func (s *serialPort) Flush() error {
	if err := s.p.Flush(); err != nil {
		return s.ioError("flush", err)
	}
	return nil
}

func (s *serialPort) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	err := s.p.Close()
	s.lock.release()
	if err != nil {
		return fmt.Errorf("closing %s: %w", s.name, err)
	}
	return nil
}

func (s *serialPort) ioError(op string, err error) error {
	if isGone(err) {
		s.gone.Store(true)
		return &Error{Port: s.name, Op: op, Err: fmt.Errorf("%w: %v", ErrGone, err), Hint: "reconnect the scale; the agent reopens the port by itself"}
	}
	return &Error{Port: s.name, Op: op, Err: err}
}
