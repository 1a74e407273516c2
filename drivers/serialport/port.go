// Package serialport opens the byte streams that scales and other serial
// devices speak over: a serial port through github.com/tarm/serial, a TCP
// serial device server, or a HID device (a Linux hidraw file, or on
// Windows a HID device read through hid.dll). All three satisfy
// Port, report a read timeout as ErrTimeout and an unplugged device as
// ErrGone, so protocol code never has to know which platform or transport it
// runs on.
package serialport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
)

// Port is an open device stream with a read deadline.
type Port interface {
	io.ReadWriteCloser
	// SetReadDeadline makes reads after t fail with ErrTimeout. The zero
	// time means no deadline.
	SetReadDeadline(t time.Time) error
}

// Flusher is implemented by ports that can discard input the device sent
// before the next request.
type Flusher interface {
	Flush() error
}

// timeoutError is the type of ErrTimeout; it satisfies net.Error's Timeout.
type timeoutError struct{}

func (timeoutError) Error() string   { return "read timed out: the device sent nothing" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

var (
	// ErrTimeout reports a read that hit its deadline without data. The
	// port is still usable.
	ErrTimeout error = timeoutError{}
	// ErrGone reports a device that disappeared: an unplugged USB adapter
	// (EIO, ENODEV, ENXIO, a hung-up tty) or a closed TCP connection. The
	// port must be closed and reopened.
	ErrGone = errors.New("device is gone (unplugged, powered off or disconnected)")
	// ErrBusy reports a port another program holds open.
	ErrBusy = errors.New("port is in use by another program")
	// ErrNotFound reports a port name that does not exist.
	ErrNotFound = errors.New("port does not exist")
	// ErrDenied reports a port the agent has no permission to open.
	ErrDenied = errors.New("permission denied")
)

// Error is a port error with the port's name and a hint saying what to do.
type Error struct {
	Port string
	Op   string
	Err  error
	Hint string
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s: %v", e.Op, e.Port, e.Err)
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// IsTimeout reports whether err is a read timeout.
func IsTimeout(err error) bool { return errors.Is(err, ErrTimeout) }

// Open opens the stream named by u: transport "serial" (a serial port with
// line setting def unless the URI overrides baud, data, parity or stop),
// "tcp" (a serial device server) or "hidraw" (a HID device; also the
// default for the hidpos protocol). A HID target is a VID:PID such as
// 0922:8003 (with ?serial= to pick one of several identical devices),
// looked up at every open so a renumbered device is found again, or a
// device path: /dev/hidraw0 on Linux, \\.\hid#vid_0922&pid_8003#... on
// Windows (write the \\?\ prefix as \\.\ or \\%3F\ in a URI).
func Open(ctx context.Context, u deviceuri.URI, def deviceuri.Serial) (Port, error) {
	switch u.Transport {
	case "serial":
		s, err := u.Serial(def)
		if err != nil {
			return nil, err
		}
		return OpenSerial(u.Target, s)
	case "tcp":
		return DialTCP(ctx, u.Target)
	case "hidraw":
		return OpenHID(u.Target, u.Params.Get("serial"))
	case "":
		if u.Protocol == "hidpos" {
			return OpenHID(u.Target, u.Params.Get("serial"))
		}
	}
	return nil, fmt.Errorf("device %s: transport %q is not one of serial, tcp, hidraw (e.g. nci+serial:///dev/ttyUSB0 or sics+tcp://10.0.0.5:4001)", u, u.Transport)
}
