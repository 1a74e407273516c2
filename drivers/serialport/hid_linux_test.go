//go:build linux

package serialport

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/packline/packline/drivers/deviceuri"
)

func readReport(t *testing.T, p Port) []byte {
	t.Helper()
	buf := make([]byte, 64)
	n, err := p.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	return buf[:n]
}

// TestVIDPIDFollowsRenumbering opens hidpos://0922:8003 against a fake
// sysfs tree, renumbers the scale as the kernel does after a replug, and
// opens it again: the URI reaches the scale both times.
func TestVIDPIDFollowsRenumbering(t *testing.T) {
	root := t.TempDir()
	old := hidSysRoot
	hidSysRoot = root
	t.Cleanup(func() { hidSysRoot = old })

	const dymo = "HID_ID=0003:00000922:00008003\nHID_NAME=DYMO M10\nHID_UNIQ=A1\n"
	first := []byte{0x03, 0x04, 0x0b, 0xff, 0x6f, 0x04}
	fakeHIDRaw(t, root, "hidraw0", "HID_ID=0003:0000046D:0000C52B\n", []byte{0x05, 0x01}, []byte{0x01})
	fakeHIDRaw(t, root, "hidraw1", dymo, dymoDescriptor, first)
	u := deviceuri.MustParse("hidpos://0922:8003")

	p, err := Open(context.Background(), u, deviceuri.Serial{})
	if err != nil {
		t.Fatal(err)
	}
	if got := readReport(t, p); string(got) != string(first) {
		t.Errorf("first open read % x, want % x", got, first)
	}
	p.Close()

	// Unplugged: the node goes away, and opening says so.
	for _, d := range []string{"sys/class/hidraw/hidraw1", "dev/hidraw1"} {
		if err := os.RemoveAll(filepath.Join(root, d)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Open(context.Background(), u, deviceuri.Serial{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("open while unplugged = %v, want ErrNotFound", err)
	}

	// Replugged as hidraw4.
	second := []byte{0x03, 0x04, 0x0c, 0xfe, 0x11, 0x03}
	fakeHIDRaw(t, root, "hidraw4", dymo, dymoDescriptor, second)
	p, err = Open(context.Background(), u, deviceuri.Serial{})
	if err != nil {
		t.Fatalf("open after renumbering: %v", err)
	}
	defer p.Close()
	if got := readReport(t, p); string(got) != string(second) {
		t.Errorf("after renumbering read % x, want % x", got, second)
	}

	// The serial picks one of two identical scales.
	fakeHIDRaw(t, root, "hidraw5", "HID_ID=0003:00000922:00008003\nHID_UNIQ=B2\n", dymoDescriptor, []byte{0x03, 0x02, 0x0c, 0xfe, 0x00, 0x00})
	if _, err := Open(context.Background(), u, deviceuri.Serial{}); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("open of two identical scales without serial = %v, want an ambiguity error", err)
	}
	q, err := Open(context.Background(), deviceuri.MustParse("hidpos://0922:8003?serial=B2"), deviceuri.Serial{})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	if got := readReport(t, q); got[1] != 0x02 {
		t.Errorf("serial=B2 read % x, want the B2 scale's report", got)
	}
}
