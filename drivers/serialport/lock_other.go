//go:build !linux && !windows

package serialport

import (
	"errors"
	"os"
	"syscall"
)

type portLock struct{}

func lockPort(string) (*portLock, error) { return nil, nil }

func (*portLock) exclusive() {}

func (*portLock) alive(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}

func (*portLock) release() {}

func isGone(err error) bool {
	return errors.Is(err, syscall.EIO) || errors.Is(err, syscall.ENXIO) || errors.Is(err, syscall.ENODEV)
}

func openError(name string, err error) error {
	switch {
	case errors.Is(err, syscall.EBUSY):
		return &Error{Port: name, Op: "open", Err: ErrBusy, Hint: "another program holds it open: close that program"}
	case errors.Is(err, os.ErrNotExist):
		return &Error{Port: name, Op: "open", Err: ErrNotFound, Hint: "check the cable and the port name; `packline-agent devices` lists the ports present"}
	case errors.Is(err, os.ErrPermission):
		return &Error{Port: name, Op: "open", Err: ErrDenied, Hint: "give the agent's user access to the port"}
	}
	return &Error{Port: name, Op: "open", Err: err}
}
