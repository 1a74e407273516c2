package serialport

import (
	"testing"
	"unicode/utf16"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

func TestWindowsHIDLayout(t *testing.T) {
	if got, want := hidInterfaceGUID.String(), "{4D1E55B2-F16F-11CF-88CB-001111000030}"; got != want {
		t.Errorf("GUID_DEVINTERFACE_HID = %s, want %s", got, want)
	}
	sizes := map[string][2]uintptr{
		"GUID":            {unsafe.Sizeof(guid{}), 16},
		"HIDD_ATTRIBUTES": {unsafe.Sizeof(hidAttributes{}), 12},
		"HIDP_CAPS":       {unsafe.Sizeof(hidpCaps{}), 64},
	}
	wantIface := uintptr(28)
	if unsafe.Sizeof(uintptr(0)) == 8 {
		wantIface = 32
	}
	sizes["SP_DEVICE_INTERFACE_DATA"] = [2]uintptr{unsafe.Sizeof(spDeviceInterfaceData{}), wantIface}
	for name, s := range sizes {
		if s[0] != s[1] {
			t.Errorf("sizeof(%s) = %d, want %d", name, s[0], s[1])
		}
	}
	var c hidpCaps
	if off := unsafe.Offsetof(c.InputReportByteLength); off != 4 {
		t.Errorf("HIDP_CAPS.InputReportByteLength at %d, want 4", off)
	}
	if off := unsafe.Offsetof(c.NumberLinkCollectionNodes); off != 44 {
		t.Errorf("HIDP_CAPS.NumberLinkCollectionNodes at %d, want 44", off)
	}
	var d spDeviceInterfaceData
	if off := unsafe.Offsetof(d.Flags); off != 20 {
		t.Errorf("SP_DEVICE_INTERFACE_DATA.Flags at %d, want 20", off)
	}
	if detailCbSize(8) != 8 || detailCbSize(4) != 6 {
		t.Errorf("detail cbSize = %d (64-bit), %d (32-bit); want 8, 6", detailCbSize(8), detailCbSize(4))
	}
}

func TestDevicePathFromDetail(t *testing.T) {
	const path = `\\?\hid#vid_0922&pid_8003#7&2b3c4d&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`
	buf := []byte{8, 0, 0, 0}
	for _, c := range utf16.Encode([]rune(path)) {
		buf = append(buf, byte(c), byte(c>>8))
	}
	buf = append(buf, 0, 0, 'x', 0) // terminator, then slack SetupAPI leaves
	got, err := devicePathFromDetail(buf)
	if err != nil || got != path {
		t.Errorf("devicePathFromDetail = %q, %v; want %q", got, err, path)
	}
	if _, err := devicePathFromDetail([]byte{8, 0, 0, 0, 0, 0}); err == nil {
		t.Error("empty device path accepted")
	}
	if got := utf16String([]uint16{'D', 'Y', 'M', 'O', ' ', 0, 'z'}); got != "DYMO" {
		t.Errorf("utf16String = %q, want DYMO", got)
	}
}

func TestIDsFromDevicePath(t *testing.T) {
	vid, pid, ok := idsFromDevicePath(`\\?\HID#VID_0EB8&PID_F000#7&1&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`)
	if !ok || vid != 0x0eb8 || pid != 0xf000 {
		t.Errorf("ids = %04x:%04x %v, want 0eb8:f000", vid, pid, ok)
	}
	if _, _, ok := idsFromDevicePath(`\\?\hid#acpi0c50#1`); ok {
		t.Error("ids read from a path without them")
	}
}

func TestOutputReportIsPadded(t *testing.T) {
	got, err := outputReport([]byte{0x02, 0x02}, 4)
	if err != nil || !cmp.Equal(got, []byte{0x02, 0x02, 0, 0}) {
		t.Errorf("outputReport = % x, %v; want 02 02 00 00", got, err)
	}
	if _, err := outputReport([]byte{0x02, 0x02}, 0); err == nil {
		t.Error("a device without output reports took one")
	}
	if _, err := outputReport([]byte{1, 2, 3}, 2); err == nil {
		t.Error("an overlong report was accepted")
	}
}
