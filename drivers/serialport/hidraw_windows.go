package serialport

import "errors"

// ListHID finds nothing on Windows, which has no hidraw files.
func ListHID() ([]HIDDevice, error) {
	return nil, errors.New("hidraw devices exist only on Linux")
}

// OpenHIDRaw is not available on Windows, which has no hidraw files.
func OpenHIDRaw(name string) (Port, error) {
	return nil, &Error{Port: name, Op: "open", Err: errors.New("hidraw devices exist only on Linux"), Hint: "switch the scale to its serial (USB-CDC) mode and use a COM port URI"}
}
