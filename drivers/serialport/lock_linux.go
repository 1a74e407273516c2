package serialport

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// portLock is a second descriptor on the device that holds an flock (so a
// second opener, in this process or another, is refused) and answers
// whether the tty is still there.
type portLock struct {
	fd int
}

func lockPort(name string) (*portLock, error) {
	fd, err := unix.Open(name, unix.O_RDONLY|unix.O_NOCTTY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	if err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrBusy
		}
		return nil, &os.PathError{Op: "lock", Path: name, Err: err}
	}
	return &portLock{fd: fd}, nil
}

// exclusive asks the tty to refuse further opens (TIOCEXCL), as other
// serial programs do; root is exempt. Errors are ignored: the flock already
// guards cooperating programs and hidraw files are no ttys.
func (l *portLock) exclusive() {
	if l == nil {
		return
	}
	_ = unix.IoctlSetInt(l.fd, unix.TIOCEXCL, 0)
}

// alive reports whether the device is still present: a hung-up tty fails
// every ioctl with EIO, and an unplugged adapter's device file vanishes.
func (l *portLock) alive(name string) bool {
	if l == nil {
		return true
	}
	if _, err := os.Stat(name); err != nil {
		return false
	}
	if _, err := unix.IoctlGetTermios(l.fd, unix.TCGETS); err != nil {
		return !isGone(err)
	}
	return true
}

func (l *portLock) release() {
	if l == nil || l.fd < 0 {
		return
	}
	unix.Close(l.fd)
	l.fd = -1
}

func isGone(err error) bool {
	return errors.Is(err, unix.EIO) || errors.Is(err, unix.ENODEV) || errors.Is(err, unix.ENXIO) || errors.Is(err, unix.EPIPE)
}

func openError(name string, err error) error {
	switch {
	case errors.Is(err, ErrBusy) || errors.Is(err, unix.EBUSY):
		return &Error{Port: name, Op: "open", Err: ErrBusy, Hint: "another program (or another packline agent) holds it open: close that program, or find it with `fuser " + name + "`"}
	case errors.Is(err, unix.ENOENT):
		return &Error{Port: name, Op: "open", Err: ErrNotFound, Hint: "check the cable and the port name; `packline-agent devices` lists the ports present"}
	case errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM):
		return &Error{Port: name, Op: "open", Err: ErrDenied, Hint: "add the agent's user to the dialout group (or install a udev rule for hidraw) and restart the agent"}
	case isGone(err):
		return &Error{Port: name, Op: "open", Err: ErrGone, Hint: "the device file exists but nothing answers behind it: replug the adapter"}
	case errors.Is(err, unix.ENOTTY):
		return &Error{Port: name, Op: "open", Err: err, Hint: "this file is not a serial port"}
	}
	return &Error{Port: name, Op: "open", Err: err}
}
