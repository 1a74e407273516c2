package serialport

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"
)

// hidUevents are device/uevent files of hidraw nodes, as Linux writes
// them, and odd ones.
var hidUevents = []string{
	"HID_ID=0003:00000922:00008003\nHID_NAME=DYMO M10\nHID_UNIQ=A1\n",
	"HID_ID=0003:0000046D:0000C52B\n",
	"HID_ID=0003:00000922:00008009\nHID_NAME=DYMO S250\nHID_UNIQ=B7\n",
	"DRIVER=hid-generic\nHID_ID=0003:00000922:00008003\nHID_NAME=DYMO M10 Postal Scale\nHID_UNIQ=\n",
	"DRIVER=hid-generic\nHID_ID=0003:00000EB8:0000F000\nHID_NAME=Mettler Toledo PS60\nHID_PHYS=usb-0000:00:14.0-2/input0\nHID_UNIQ=\nMODALIAS=hid:b0003g0001v00000EB8p0000F000\n",
	"HID_ID=0005:0000046D:0000B342\r\nHID_NAME=Bluetooth Keyboard\r\n",
	"DRIVER=hid-generic\n",
	"HID_ID=0003:0922\n",
	"HID_ID=0003:00010922:00008003\n",
	"",
}

func FuzzParseHIDUevent(f *testing.F) {
	for _, u := range hidUevents {
		f.Add(u)
	}
	f.Fuzz(func(t *testing.T, uevent string) {
		u := parseHIDUevent(uevent)
		if !u.ok {
			if u.vid != 0 || u.pid != 0 {
				t.Fatalf("%q: ids %04x:%04x without HID_ID", uevent, u.vid, u.pid)
			}
		} else {
			// Some HID_ID line names exactly these ids: none is cut
			// down to 16 bits.
			found := false
			for _, line := range strings.Split(uevent, "\n") {
				v, ok := strings.CutPrefix(strings.TrimSpace(line), "HID_ID=")
				f := strings.Split(v, ":")
				if !ok || len(f) != 3 {
					continue
				}
				vid, err1 := strconv.ParseUint(f[1], 16, 64)
				pid, err2 := strconv.ParseUint(f[2], 16, 64)
				if err1 == nil && err2 == nil && vid == uint64(u.vid) && pid == uint64(u.pid) {
					found = true
				}
			}
			if !found {
				t.Fatalf("%q: ids %04x:%04x, which no HID_ID line holds", uevent, u.vid, u.pid)
			}
			// The ids select the device again, as a hidpos:// URI does.
			sel, ok := ParseHIDSelector(HIDSelector{VID: u.vid, PID: u.pid}.Target())
			if !ok || sel.VID != u.vid || sel.PID != u.pid {
				t.Fatalf("selector %04x:%04x reads back as %+v, %v", u.vid, u.pid, sel, ok)
			}
			dev := HIDDevice{Path: "/dev/hidraw0", VID: u.vid, PID: u.pid, Serial: u.serial, Product: u.name}
			sel.Serial = u.serial
			if d, err := SelectHID([]HIDDevice{dev}, sel); err != nil || d.Path != dev.Path {
				t.Fatalf("%+v not selected by %s: %v", dev, sel, err)
			}
		}
		// What the kernel writes reads back.
		if strings.ContainsAny(u.name+u.serial, "\r\n") {
			return
		}
		again := parseHIDUevent(fmt.Sprintf("HID_ID=0003:%08X:%08X\nHID_NAME=%s\nHID_UNIQ=%s\n", u.vid, u.pid, u.name, u.serial))
		if !again.ok || again.vid != u.vid || again.pid != u.pid || again.name != u.name || again.serial != u.serial {
			t.Fatalf("%+v reads back as %+v", u, again)
		}
	})
}

func FuzzParseHIDSelector(f *testing.F) {
	for _, s := range []string{"0922:8003", "0EB8:F000", "/dev/hidraw0", "10.0.0.5:4001", "922:8003", "0922:80031", "zzzz:8003", "COM3",
		`\\?\hid#vid_0922&pid_8003#7&2b3c4d&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`, `\\?\HID#VID_0EB8&PID_F000#7&1&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`, `\\?\hid#acpi0c50#1`, "+922:8003", "0x92:8003"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if sel, ok := ParseHIDSelector(s); ok {
			if !strings.EqualFold(sel.Target(), s) || !IsHIDName(s) {
				t.Fatalf("%q read as %s", s, sel.Target())
			}
		}
		if vid, pid, ok := idsFromDevicePath(s); ok {
			l := strings.ToLower(s)
			if !strings.Contains(l, fmt.Sprintf("vid_%04x", vid)) || !strings.Contains(l, fmt.Sprintf("pid_%04x", pid)) {
				t.Fatalf("%q: ids %04x:%04x", s, vid, pid)
			}
		}
	})
}

func FuzzDevicePathFromDetail(f *testing.F) {
	const path = `\\?\hid#vid_0922&pid_8003#7&2b3c4d&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`
	buf := []byte{8, 0, 0, 0}
	for _, c := range utf16.Encode([]rune(path)) {
		buf = append(buf, byte(c), byte(c>>8))
	}
	f.Add(append(buf, 0, 0, 'x', 0))
	f.Add(buf)
	f.Add([]byte{8, 0, 0, 0, 0, 0})
	f.Add([]byte{6, 0, 0, 0, 0x3d, 0xd8, 0x00, 0xde, 0, 0}) // a surrogate pair
	f.Add([]byte{6, 0, 0, 0, 0x3d})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := devicePathFromDetail(b)
		if err != nil {
			if p != "" || err.Error() == "" {
				t.Fatalf("% x: %q, %v", b, p, err)
			}
			return
		}
		if p == "" || strings.ContainsRune(p, 0) || len(utf16.Encode([]rune(p))) > (len(b)-4)/2 {
			t.Fatalf("% x: device path %q", b, p)
		}
		if vid, pid, ok := idsFromDevicePath(p); ok && !strings.Contains(strings.ToLower(p), fmt.Sprintf("vid_%04x", vid)) {
			t.Fatalf("%q: ids %04x:%04x", p, vid, pid)
		}
		u := make([]uint16, 0, len(b)/2)
		for i := 0; i+1 < len(b); i += 2 {
			u = append(u, uint16(b[i])|uint16(b[i+1])<<8)
		}
		_ = utf16String(u)
	})
}

func FuzzReportUsagePages(f *testing.F) {
	f.Add(dymoDescriptor)
	f.Add([]byte{0x06, 0x8d, 0x00})
	f.Add([]byte{0x05, 0x01, 0x09, 0x06})
	f.Add([]byte{0x07, 0x01})
	f.Add([]byte{0xfe, 0x02, 0x00, 0x01, 0x02, 0x05, 0x8d})
	f.Fuzz(func(t *testing.T, b []byte) {
		pages := ReportUsagePages(b)
		if len(pages) > len(b) {
			t.Fatalf("% x: %d usage pages", b, len(pages))
		}
		if (HIDDevice{UsagePages: pages}).IsScale() {
			// A scale's descriptor still declares the page with more
			// items after it.
			if !(HIDDevice{UsagePages: ReportUsagePages(append(append([]byte(nil), b...), 0xc0))}).IsScale() {
				t.Fatalf("% x: scale page lost behind an End Collection", b)
			}
		}
	})
}
