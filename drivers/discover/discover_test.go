//go:build linux

package discover

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/packline/packline/drivers/deviceuri"
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

// fakeLpstat puts an lpstat on PATH that answers -e and -v as CUPS does in
// the C locale, and in German otherwise.
func fakeLpstat(t *testing.T, dests, devices string) {
	t.Helper()
	dir := t.TempDir()
	// Only shell builtins: PATH holds nothing but this lpstat.
	script := "#!/bin/sh\n" +
		"if [ \"$LC_ALL\" != C ]; then echo \"Gerät für label4x6: socket://10.1.2.9\"; exit 0; fi\n" +
		"case \"$1\" in\n" +
		"-e) printf '%s' '" + dests + "' ;;\n" +
		"-v) printf '%s' '" + devices + "' ;;\n" +
		"*) echo \"lpstat: unknown option $1\" >&2; exit 1 ;;\n" +
		"esac\n"
	write(t, dir, "lpstat", script)
	if err := os.Chmod(filepath.Join(dir, "lpstat"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	t.Setenv("LC_ALL", "de_DE.UTF-8")
}

func TestListPrintersIn(t *testing.T) {
	root := t.TempDir()
	write(t, root, "dev/usb/lp0", "")
	write(t, root, "sys/class/usbmisc/lp0/device/ieee1284_id", "MANUFACTURER:Zebra Technologies ;COMMAND SET:ZPL;MODEL:ZTC ZP 450-200dpi;CLASS:PRINTER;\n")
	write(t, root, "dev/usb/lp1", "")
	write(t, root, "sys/class/usbmisc/lp1/device/ieee1284_id", "MFG:TSC;CMD:TSPL2;MDL:TTP-244 Pro;CLS:PRINTER;")
	write(t, root, "dev/usb/lp2", "") // no readable 1284 id
	write(t, root, "etc/cups/ppd/office.ppd", "*PPD-Adobe: \"4.3\"\n")
	fakeLpstat(t, "label4x6\noffice\nshipping\nremote\n",
		"device for label4x6: socket://10.1.2.9\n"+
			"device for office: usb://HP/LaserJet%20P1102?serial=000000\n"+
			"device for shipping: usb://Zebra%20Technologies/ZTC%20GK420d?serial=28J1\n"+
			"device for remote: ipp://printsrv.local/printers/labels\n")

	got, err := ListPrintersIn(context.Background(), root)
	if err != nil {
		t.Fatal(err)
	}
	guessed := "language not known, zpl assumed: write epl+ or tspl+ instead if the printer speaks EPL2 or TSPL"
	want := []Printer{
		{Transport: "usb", Target: "/dev/usb/lp0", Description: "Zebra Technologies ZTC ZP 450-200dpi", Language: "zpl"},
		{Transport: "usb", Target: "/dev/usb/lp1", Description: "TSC TTP-244 Pro", Language: "tspl"},
		{Transport: "usb", Target: "/dev/usb/lp2", Language: "zpl", Guessed: true, Note: guessed},
		{Transport: "cups", Target: "label4x6", Description: "raw queue, socket://10.1.2.9", Language: "zpl", Guessed: true, Raw: true,
			Note: "CUPS passes jobs on to a network printer: zpl+tcp://10.1.2.9:9100 prints there directly and reads its status; " + guessed},
		{Transport: "cups", Target: "office", Description: "usb://HP/LaserJet%20P1102?serial=000000", Language: "zpl", Guessed: true, Note: guessed},
		{Transport: "cups", Target: "shipping", Description: "raw queue, usb://Zebra%20Technologies/ZTC%20GK420d?serial=28J1", Language: "zpl", Raw: true},
		{Transport: "cups", Target: "remote", Description: "ipp://printsrv.local/printers/labels", Language: "zpl", Guessed: true, Note: guessed},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("ListPrintersIn (-want +got):\n%s", d)
	}
	for _, p := range got {
		if _, err := deviceuri.Parse(p.URI()); err != nil {
			t.Errorf("%s: suggested URI does not parse: %v", p.Target, err)
		}
	}
}

func TestListPrintersWithoutCUPS(t *testing.T) {
	root := t.TempDir()
	write(t, root, "dev/usb/lp0", "")
	t.Setenv("PATH", t.TempDir()) // no lpstat
	got, err := ListPrintersIn(context.Background(), root)
	if err != nil || len(got) != 1 || got[0].URI() != "zpl+usb:///dev/usb/lp0" {
		t.Errorf("ListPrintersIn without lpstat = %+v, %v; want the USB printer alone", got, err)
	}
}

func TestListPrintersCUPSDown(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "lpstat", "#!/bin/sh\necho 'lpstat: Scheduler is not running.' >&2\nexit 1\n")
	if err := os.Chmod(filepath.Join(dir, "lpstat"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	root := t.TempDir()
	write(t, root, "dev/usb/lp0", "")
	got, err := ListPrintersIn(context.Background(), root)
	if err == nil || !strings.Contains(err.Error(), "Scheduler is not running") || !strings.Contains(err.Error(), "start CUPS") {
		t.Errorf("error = %v, want lpstat's complaint and what to do", err)
	}
	if len(got) != 1 {
		t.Errorf("got %+v, want the USB printer still listed", got)
	}
}

func TestListPrintersNoQueues(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "lpstat", "#!/bin/sh\necho 'lpstat: No destinations added.' >&2\nexit 1\n")
	if err := os.Chmod(filepath.Join(dir, "lpstat"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	got, err := ListPrintersIn(context.Background(), t.TempDir())
	if err != nil || len(got) != 0 {
		t.Errorf("ListPrintersIn = %+v, %v; want nothing and no error", got, err)
	}
}
