//go:build linux

package discover

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dymoDescriptor is the start of a Dymo M10 report descriptor: Usage Page
// (Scale, 0x8D), Usage (Scale Device), Collection (Application).
var dymoDescriptor = []byte{0x05, 0x8d, 0x09, 0x01, 0xa1, 0x01, 0x85, 0x01, 0x09, 0x20, 0xa1, 0x02, 0xc0, 0xc0}

func write(t *testing.T, root, name, data string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestListIn(t *testing.T) {
	root := t.TempDir()
	write(t, root, "dev/ttyUSB0", "")
	write(t, root, "dev/ttyACM0", "")
	write(t, root, "dev/ttyS0", "")
	write(t, root, "dev/ttyS1", "")
	write(t, root, "sys/class/tty/ttyS0/type", "4\n")
	write(t, root, "sys/class/tty/ttyS1/type", "0\n")
	os.MkdirAll(filepath.Join(root, "dev/serial/by-id"), 0o755)
	if err := os.Symlink("../../ttyUSB0", filepath.Join(root, "dev/serial/by-id/usb-FTDI_FT232R_A1-if00-port0")); err != nil {
		t.Fatal(err)
	}
	write(t, root, "sys/class/hidraw/hidraw0/device/uevent", "DRIVER=hid-generic\nHID_ID=0003:00000922:00008003\nHID_NAME=DYMO M10 Postal Scale\nHID_UNIQ=A1\n")
	write(t, root, "sys/class/hidraw/hidraw0/device/report_descriptor", string(dymoDescriptor))
	write(t, root, "sys/class/hidraw/hidraw1/device/uevent", "HID_ID=0003:0000046D:0000C52B\nHID_NAME=Logitech Receiver\n")
	write(t, root, "sys/class/hidraw/hidraw1/device/report_descriptor", "\x05\x01\x09\x06")
	write(t, root, "sys/class/hidraw/hidraw2/device/uevent", "HID_ID=0003:00001234:00005678\nHID_NAME=Acme Scale\n")
	write(t, root, "sys/class/hidraw/hidraw2/device/report_descriptor", "\x06\x8d\x00\x09\x20")

	got, err := ListIn(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []Port{
		{Path: "/dev/serial/by-id/usb-FTDI_FT232R_A1-if00-port0", Device: "/dev/ttyUSB0", Kind: "serial", Description: "usb-FTDI_FT232R_A1-if00-port0"},
		{Path: "/dev/ttyACM0", Device: "/dev/ttyACM0", Kind: "serial"},
		{Path: "/dev/ttyS0", Device: "/dev/ttyS0", Kind: "serial"},
		{Path: "/dev/hidraw0", Device: "/dev/hidraw0", Kind: "hid", Description: "Dymo M10", VID: 0x0922, PID: 0x8003, Serial: "A1"},
		{Path: "/dev/hidraw2", Device: "/dev/hidraw2", Kind: "hid", Description: "Acme Scale", VID: 0x1234, PID: 0x5678},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ListIn (-want +got):\n%s", d)
	}
}

func TestStableURI(t *testing.T) {
	m10 := Port{Path: "/dev/hidraw3", Kind: "hid", VID: 0x0922, PID: 0x8003}
	s250a := Port{Path: "/dev/hidraw4", Kind: "hid", VID: 0x0922, PID: 0x8009, Serial: "B7"}
	s250b := Port{Path: "/dev/hidraw5", Kind: "hid", VID: 0x0922, PID: 0x8009, Serial: "C9"}
	twinA := Port{Path: "/dev/hidraw6", Kind: "hid", VID: 0x2474, PID: 0x0550}
	twinB := Port{Path: "/dev/hidraw7", Kind: "hid", VID: 0x2474, PID: 0x0550}
	tty := Port{Path: "/dev/ttyUSB0", Kind: "serial"}
	all := []Port{m10, s250a, s250b, twinA, twinB, tty}
	for _, c := range []struct {
		p    Port
		want string
	}{
		{m10, "hidpos://0922:8003"},
		{s250a, "hidpos://0922:8009?serial=B7"},
		{s250b, "hidpos://0922:8009?serial=C9"},
		{twinA, ""},
		{tty, ""},
	} {
		u, ok := StableURI(c.p, all)
		got := ""
		if ok {
			got = u.String()
		}
		if got != c.want {
			t.Errorf("StableURI(%s) = %q, want %q", c.p.Path, got, c.want)
		}
	}
}

func TestUsagePages(t *testing.T) {
	if d := cmp.Diff([]uint32{0x8d}, UsagePages(dymoDescriptor)); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff([]uint32{0x8d}, UsagePages([]byte{0x06, 0x8d, 0x00})); d != "" {
		t.Error(d)
	}
	if got := UsagePages([]byte{0x07, 0x01}); len(got) != 0 {
		t.Errorf("truncated item gave %v", got)
	}
}

func FuzzUsagePages(f *testing.F) {
	f.Add(dymoDescriptor)
	f.Add([]byte{0xfe, 0x02, 0x00, 0x01, 0x02, 0x05, 0x8d})
	f.Fuzz(func(t *testing.T, b []byte) { UsagePages(b) })
}
