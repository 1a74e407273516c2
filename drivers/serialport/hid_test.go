package serialport

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// dymoDescriptor is the start of a Dymo M10 report descriptor: Usage Page
// (Scale, 0x8D), Usage (Scale Device), Collection (Application).
var dymoDescriptor = []byte{0x05, 0x8d, 0x09, 0x01, 0xa1, 0x01, 0x85, 0x01, 0x09, 0x20, 0xa1, 0x02, 0xc0, 0xc0}

func writeFile(t *testing.T, root, name, data string) {
	t.Helper()
	p := filepath.Join(root, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// fakeHIDRaw adds sys/class/hidraw/<node> and dev/<node> (holding report)
// to the tree under root.
func fakeHIDRaw(t *testing.T, root, node, uevent string, desc []byte, report []byte) {
	t.Helper()
	writeFile(t, root, "sys/class/hidraw/"+node+"/device/uevent", uevent)
	writeFile(t, root, "sys/class/hidraw/"+node+"/device/report_descriptor", string(desc))
	writeFile(t, root, "dev/"+node, string(report))
}

func TestParseHIDSelector(t *testing.T) {
	sel, ok := ParseHIDSelector("0922:8003")
	if !ok || sel.VID != 0x0922 || sel.PID != 0x8003 {
		t.Errorf("ParseHIDSelector(0922:8003) = %+v, %v", sel, ok)
	}
	if sel, ok := ParseHIDSelector("0EB8:F000"); !ok || sel.Target() != "0eb8:f000" {
		t.Errorf("upper case: %+v, %v", sel, ok)
	}
	for _, s := range []string{"/dev/hidraw0", "10.0.0.5:4001", "922:8003", "0922:80031", "zzzz:8003", "COM3"} {
		if _, ok := ParseHIDSelector(s); ok {
			t.Errorf("ParseHIDSelector(%q) accepted", s)
		}
	}
	for name, want := range map[string]bool{
		"0922:8003": true, "/dev/hidraw3": true, `\\?\hid#vid_0922&pid_8003#1`: true, `\\.\HID#VID_0922&PID_8003#1`: true,
		"/dev/ttyUSB0": false, "COM3": false, "10.0.0.5:4001": false,
	} {
		if IsHIDName(name) != want {
			t.Errorf("IsHIDName(%q) = %v, want %v", name, !want, want)
		}
	}
	if s := (HIDSelector{VID: 0x922, PID: 0x8003, Serial: "A1"}).String(); s != "0922:8003?serial=A1" {
		t.Errorf("String = %q", s)
	}
}

func TestSelectHID(t *testing.T) {
	scale := []uint32{0x8d}
	devs := []HIDDevice{
		{Path: "/dev/hidraw0", VID: 0x046d, PID: 0xc52b, UsagePages: []uint32{0x01}},
		{Path: "/dev/hidraw1", VID: 0x0922, PID: 0x8003, Serial: "A1", UsagePages: []uint32{0xff00}}, // vendor interface
		{Path: "/dev/hidraw2", VID: 0x0922, PID: 0x8003, Serial: "A1", UsagePages: scale},
		{Path: "/dev/hidraw3", VID: 0x0922, PID: 0x8009, Serial: "B7", UsagePages: scale},
		{Path: "/dev/hidraw4", VID: 0x0922, PID: 0x8009, Serial: "C9", UsagePages: scale},
		{Path: "/dev/hidraw5", VID: 0x1446, PID: 0x6a73},
		{Path: "/dev/hidraw6", VID: 0x2474, PID: 0x0550, UsagePages: scale},
		{Path: "/dev/hidraw7", VID: 0x2474, PID: 0x0550, UsagePages: scale},
	}
	for _, c := range []struct {
		sel      HIDSelector
		want     string
		errHas   string
		notFound bool
	}{
		{sel: HIDSelector{VID: 0x0922, PID: 0x8003}, want: "/dev/hidraw2"},
		{sel: HIDSelector{VID: 0x0922, PID: 0x8009, Serial: "c9"}, want: "/dev/hidraw4"},
		{sel: HIDSelector{VID: 0x1446, PID: 0x6a73}, want: "/dev/hidraw5"}, // no scale page, but the only one
		{sel: HIDSelector{VID: 0x0922, PID: 0x8009}, errHas: "?serial= with one of B7, C9"},
		{sel: HIDSelector{VID: 0x2474, PID: 0x0550}, errHas: "/dev/hidraw6, /dev/hidraw7"},
		{sel: HIDSelector{VID: 0x0922, PID: 0x8004}, notFound: true},
		{sel: HIDSelector{VID: 0x0922, PID: 0x8009, Serial: "Z0"}, notFound: true},
	} {
		d, err := SelectHID(devs, c.sel)
		switch {
		case c.want != "":
			if err != nil || d.Path != c.want {
				t.Errorf("SelectHID(%s) = %s, %v; want %s", c.sel, d.Path, err, c.want)
			}
		case c.notFound:
			if !errors.Is(err, ErrNotFound) {
				t.Errorf("SelectHID(%s) = %s, %v; want ErrNotFound", c.sel, d.Path, err)
			}
		default:
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("SelectHID(%s) = %s, %v; want an error saying %q", c.sel, d.Path, err, c.errHas)
			}
		}
	}
}

func TestListHIDRawIn(t *testing.T) {
	root := t.TempDir()
	fakeHIDRaw(t, root, "hidraw10", "HID_ID=0003:00000922:00008009\nHID_NAME=DYMO S250\nHID_UNIQ=B7\n", dymoDescriptor, nil)
	fakeHIDRaw(t, root, "hidraw2", "DRIVER=hid-generic\nHID_ID=0003:00000922:00008003\nHID_NAME=DYMO M10 Postal Scale\nHID_UNIQ=\n", dymoDescriptor, nil)
	fakeHIDRaw(t, root, "hidraw3", "HID_ID=0003:0000046D:0000C52B\nHID_NAME=Logitech Receiver\n", []byte{0x05, 0x01, 0x09, 0x06}, nil)
	fakeHIDRaw(t, root, "hidraw4", "DRIVER=hid-generic\n", nil, nil) // no ids: left out
	got, err := ListHIDRawIn(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []HIDDevice{
		{Path: filepath.Join(root, "dev/hidraw2"), VID: 0x0922, PID: 0x8003, Product: "DYMO M10 Postal Scale", UsagePages: []uint32{0x8d}},
		{Path: filepath.Join(root, "dev/hidraw3"), VID: 0x046d, PID: 0xc52b, Product: "Logitech Receiver", UsagePages: []uint32{0x01}},
		{Path: filepath.Join(root, "dev/hidraw10"), VID: 0x0922, PID: 0x8009, Serial: "B7", Product: "DYMO S250", UsagePages: []uint32{0x8d}},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ListHIDRawIn (-want +got):\n%s", d)
	}
}

func TestParseHIDUeventIDs(t *testing.T) {
	for uevent, want := range map[string]hidUevent{
		"HID_ID=0003:00000922:00008003\n":   {vid: 0x0922, pid: 0x8003, ok: true},
		"HID_ID=0005:0000046D:0000B342\r\n": {vid: 0x046d, pid: 0xb342, ok: true},
		// Not USB ids: refused, not taken for 0922:8003.
		"HID_ID=0003:00010922:00008003\n":   {},
		"HID_ID=0003:00000922:00018003\n":   {},
		"HID_ID=0003:00000922:8003x\n":      {},
		"HID_ID=0003:0922\n":                {},
		"HID_ID=0003:00000922:00008003:1\n": {},
	} {
		if got := parseHIDUevent(uevent); got != want {
			t.Errorf("parseHIDUevent(%q) = %+v, want %+v", uevent, got, want)
		}
	}
}

func TestReportUsagePages(t *testing.T) {
	if d := cmp.Diff([]uint32{0x8d}, ReportUsagePages(dymoDescriptor)); d != "" {
		t.Error(d)
	}
	if d := cmp.Diff([]uint32{0x8d}, ReportUsagePages([]byte{0x06, 0x8d, 0x00})); d != "" {
		t.Error(d)
	}
	if got := ReportUsagePages([]byte{0x07, 0x01}); len(got) != 0 {
		t.Errorf("truncated item gave %v", got)
	}
}
