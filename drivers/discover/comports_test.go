package discover

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUSBIDs(t *testing.T) {
	for _, c := range []struct {
		ids      []string
		vid, pid uint16
		ok       bool
	}{
		{[]string{`USB\VID_2341&PID_0043&REV_0001`, `USB\VID_2341&PID_0043`}, 0x2341, 0x0043, true},
		{[]string{`FTDIBUS\VID_0403+PID_6001+A10KHTR4A\0000`}, 0x0403, 0x6001, true},
		{[]string{`usb\vid_067b&pid_2303&rev_0300`}, 0x067b, 0x2303, true},
		{[]string{`ACPI\PNP0501`, `*PNP0501`}, 0, 0, false},
		{[]string{`USB\VID_12`}, 0, 0, false},
		{[]string{`USB\VID_ZZZZ&PID_0001`}, 0, 0, false},
		{nil, 0, 0, false},
	} {
		vid, pid, ok := USBIDs(c.ids)
		if vid != c.vid || pid != c.pid || ok != c.ok {
			t.Errorf("USBIDs(%q) = %04x, %04x, %v; want %04x, %04x, %v", c.ids, vid, pid, ok, c.vid, c.pid, c.ok)
		}
	}
}

func TestCOMPortsFrom(t *testing.T) {
	serialcomm := map[string]string{
		`\Device\Serial0`:   "COM1",
		`\Device\USBSER000`: "COM10",
		`\Device\VCP0`:      "COM3",
	}
	devs := []comDevice{
		{Port: "COM1", FriendlyName: "Communications Port (COM1)", HardwareIDs: []string{`ACPI\PNP0501`}},
		{Port: "COM10", FriendlyName: "USB Serial Device (COM10)", HardwareIDs: []string{`USB\VID_2341&PID_0043&REV_0001`}},
		{Port: "LPT1", FriendlyName: "Printer Port (LPT1)"},
		// Known to SetupAPI but missing from SERIALCOMM.
		{Port: "COM4", FriendlyName: "USB-SERIAL CH340 (COM4)", HardwareIDs: []string{`USB\VID_1A86&PID_7523`}},
	}
	got := comPortsFrom(serialcomm, devs)
	want := []Port{
		{Path: "COM1", Device: `\Device\Serial0`, Kind: "serial", Description: "Communications Port (COM1)"},
		{Path: "COM3", Device: `\Device\VCP0`, Kind: "serial", Description: `\Device\VCP0`},
		{Path: "COM4", Device: "COM4", Kind: "serial", Description: "USB-SERIAL CH340 (COM4), USB 1a86:7523", VID: 0x1a86, PID: 0x7523},
		{Path: "COM10", Device: `\Device\USBSER000`, Kind: "serial", Description: "USB Serial Device (COM10), USB 2341:0043", VID: 0x2341, PID: 0x0043},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("comPortsFrom (-want +got):\n%s", d)
	}
	// SERIALCOMM alone still lists the ports.
	got = comPortsFrom(map[string]string{`\Device\USBSER000`: "COM5"}, nil)
	want = []Port{{Path: "COM5", Device: `\Device\USBSER000`, Kind: "serial", Description: `\Device\USBSER000`}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("comPortsFrom without SetupAPI (-want +got):\n%s", d)
	}
}
