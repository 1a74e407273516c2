//go:build !windows

package serialport

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"syscall"
	"time"
)

// hidPort reads a Linux /dev/hidrawN file: every read returns one input
// report (with its report ID when the device numbers its reports).
type hidPort struct {
	name   string
	f      *os.File
	lock   *portLock
	closed atomic.Bool
}

// hidSysRoot is where ListHID looks for sys/class/hidraw; tests point it
// at a fake tree.
var hidSysRoot = "/"

// ListHID lists the hidraw devices present (see ListHIDRawIn).
func ListHID() ([]HIDDevice, error) { return ListHIDRawIn(hidSysRoot) }

// OpenHIDRaw opens a hidraw device file for plain reads and writes; no cgo.
func OpenHIDRaw(name string) (Port, error) {
	lock, err := lockPort(name)
	if err != nil {
		return nil, hidOpenError(name, err)
	}
	f, err := os.OpenFile(name, os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		lock.release()
		return nil, hidOpenError(name, err)
	}
	return &hidPort{name: name, f: f, lock: lock}, nil
}

func hidOpenError(name string, err error) error {
	e := openError(name, err)
	var pe *Error
	if errors.As(e, &pe) && errors.Is(pe.Err, ErrDenied) {
		pe.Hint = `install a udev rule such as SUBSYSTEM=="hidraw", ATTRS{idVendor}=="0922", MODE="0660", GROUP="plugdev" and add the agent's user to that group`
	}
	return e
}

func (h *hidPort) SetReadDeadline(t time.Time) error {
	if err := h.f.SetReadDeadline(t); err != nil && !errors.Is(err, os.ErrNoDeadline) {
		return err
	}
	return nil
}

func (h *hidPort) Read(b []byte) (int, error) {
	n, err := h.f.Read(b)
	if n > 0 {
		return n, nil
	}
	switch {
	case err == nil:
		return 0, nil
	case errors.Is(err, os.ErrDeadlineExceeded):
		return 0, ErrTimeout
	case h.closed.Load():
		return 0, &Error{Port: h.name, Op: "read", Err: os.ErrClosed}
	case errors.Is(err, io.EOF) || isGone(err):
		return 0, &Error{Port: h.name, Op: "read", Err: fmt.Errorf("%w: %v", ErrGone, err), Hint: "replug the scale; the agent reopens it by itself"}
	}
	return 0, &Error{Port: h.name, Op: "read", Err: err}
}

func (h *hidPort) Write(b []byte) (int, error) {
	n, err := h.f.Write(b)
	if err != nil {
		if isGone(err) {
			return n, &Error{Port: h.name, Op: "write", Err: fmt.Errorf("%w: %v", ErrGone, err)}
		}
		return n, &Error{Port: h.name, Op: "write", Err: err}
	}
	return n, nil
}

func (h *hidPort) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	err := h.f.Close()
	h.lock.release()
	return err
}
