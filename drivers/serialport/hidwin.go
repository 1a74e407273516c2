package serialport

// The Windows HID structures and the pure parts of reading them. They live
// in a file without a build constraint so their layout is tested on every
// platform; hidraw_windows.go makes the calls.

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
)

// guid is a Windows GUID, laid out like windows.GUID.
type guid struct {
	Data1 uint32
	Data2 uint16
	Data3 uint16
	Data4 [8]byte
}

// String formats g as {4D1E55B2-F16F-11CF-88CB-001111000030}.
func (g guid) String() string {
	return fmt.Sprintf("{%08X-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X}", g.Data1, g.Data2, g.Data3,
		g.Data4[0], g.Data4[1], g.Data4[2], g.Data4[3], g.Data4[4], g.Data4[5], g.Data4[6], g.Data4[7])
}

// hidInterfaceGUID is GUID_DEVINTERFACE_HID, what HidD_GetHidGuid returns.
var hidInterfaceGUID = guid{0x4d1e55b2, 0xf16f, 0x11cf, [8]byte{0x88, 0xcb, 0x00, 0x11, 0x11, 0x00, 0x00, 0x30}}

// spDeviceInterfaceData is SP_DEVICE_INTERFACE_DATA (28 bytes on 32-bit
// Windows, 32 on 64-bit).
type spDeviceInterfaceData struct {
	CbSize             uint32
	InterfaceClassGUID guid
	Flags              uint32
	Reserved           uintptr
}

// detailCbSize is the cbSize SetupDiGetDeviceInterfaceDetailW wants in an
// SP_DEVICE_INTERFACE_DETAIL_DATA_W: the size of the fixed part, which
// setupapi.h packs to 1 byte on 32-bit Windows (6) and to 8 on 64-bit (8).
// The device path always starts at offset 4.
func detailCbSize(ptrSize uintptr) uint32 {
	if ptrSize == 8 {
		return 8
	}
	return 6
}

// devicePathFromDetail reads the NUL-terminated UTF-16LE DevicePath of an
// SP_DEVICE_INTERFACE_DETAIL_DATA_W buffer.
func devicePathFromDetail(buf []byte) (string, error) {
	if len(buf) < 6 {
		return "", errors.New("device interface detail is too short")
	}
	var u []uint16
	for i := 4; i+1 < len(buf); i += 2 {
		c := uint16(buf[i]) | uint16(buf[i+1])<<8
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	if len(u) == 0 {
		return "", errors.New("device interface detail has an empty device path")
	}
	return string(utf16.Decode(u)), nil
}

// utf16String decodes a NUL-terminated UTF-16 buffer such as the one
// HidD_GetProductString fills.
func utf16String(u []uint16) string {
	for i, c := range u {
		if c == 0 {
			u = u[:i]
			break
		}
	}
	return strings.TrimSpace(string(utf16.Decode(u)))
}

// hidAttributes is HIDD_ATTRIBUTES (12 bytes; Size must say so).
type hidAttributes struct {
	Size          uint32
	VendorID      uint16
	ProductID     uint16
	VersionNumber uint16
}

// hidpCaps is HIDP_CAPS (64 bytes). Report lengths include the report ID
// byte, which Windows always puts first (zero for devices without report
// IDs).
type hidpCaps struct {
	Usage                     uint16
	UsagePage                 uint16
	InputReportByteLength     uint16
	OutputReportByteLength    uint16
	FeatureReportByteLength   uint16
	Reserved                  [17]uint16
	NumberLinkCollectionNodes uint16
	NumberInputButtonCaps     uint16
	NumberInputValueCaps      uint16
	NumberInputDataIndices    uint16
	NumberOutputButtonCaps    uint16
	NumberOutputValueCaps     uint16
	NumberOutputDataIndices   uint16
	NumberFeatureButtonCaps   uint16
	NumberFeatureValueCaps    uint16
	NumberFeatureDataIndices  uint16
}

// hidpStatusSuccess is HIDP_STATUS_SUCCESS, HidP_GetCaps's good answer.
const hidpStatusSuccess = 0x00110000

// idsFromDevicePath reads the USB ids out of a HID device path such as
// \\?\hid#vid_0922&pid_8003#7&2b3c&0&0000#{4d1e55b2-...}, for devices
// that refuse HidD_GetAttributes.
func idsFromDevicePath(path string) (vid, pid uint16, ok bool) {
	l := strings.ToLower(path)
	vi := strings.Index(l, "vid_")
	pi := strings.Index(l, "pid_")
	if vi < 0 || pi < 0 || vi+8 > len(l) || pi+8 > len(l) {
		return 0, 0, false
	}
	v, err1 := strconv.ParseUint(l[vi+4:vi+8], 16, 16)
	p, err2 := strconv.ParseUint(l[pi+4:pi+8], 16, 16)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return uint16(v), uint16(p), true
}

// outputReport pads b (report ID first) to the device's output report
// length, as WriteFile on a HID device requires.
func outputReport(b []byte, length int) ([]byte, error) {
	switch {
	case length == 0:
		return nil, errors.New("the device takes no output reports")
	case len(b) == 0:
		return nil, errors.New("empty output report")
	case len(b) > length:
		return nil, fmt.Errorf("output report of %d bytes is longer than the device's %d", len(b), length)
	}
	out := make([]byte, length)
	copy(out, b)
	return out, nil
}
