package serialport

import (
	"errors"
	"os"
	"strings"

	"golang.org/x/sys/windows"
)

// portLock is a no-op on Windows: COM ports are exclusive by nature and a
// second CreateFile fails with ERROR_ACCESS_DENIED.
type portLock struct{}

func lockPort(string) (*portLock, error) { return nil, nil }

func (*portLock) exclusive() {}

func (*portLock) alive(string) bool { return true }

func (*portLock) release() {}

func isGone(err error) bool {
	return errors.Is(err, windows.ERROR_BAD_COMMAND) || errors.Is(err, windows.ERROR_GEN_FAILURE) ||
		errors.Is(err, windows.ERROR_OPERATION_ABORTED) || errors.Is(err, windows.ERROR_DEVICE_NOT_CONNECTED) ||
		errors.Is(err, windows.ERROR_INVALID_HANDLE)
}

func openError(name string, err error) error {
	switch {
	case errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION) || strings.Contains(strings.ToLower(err.Error()), "access is denied"):
		return &Error{Port: name, Op: "open", Err: ErrBusy, Hint: "another program holds the COM port open (a second agent, a terminal program, a vendor utility): close it and try again"}
	case errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, os.ErrNotExist):
		return &Error{Port: name, Op: "open", Err: ErrNotFound, Hint: "check the cable and the COM number in Device Manager; `packline-agent devices` lists the ports present"}
	case isGone(err):
		return &Error{Port: name, Op: "open", Err: ErrGone, Hint: "replug the adapter"}
	}
	return &Error{Port: name, Op: "open", Err: err}
}
