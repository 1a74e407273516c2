//go:build linux

package printer

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/packline/packline/drivers/printer/printersim"
)

// ptyPrinter serves a simulated printer on the master side of a pseudo
// terminal and returns the terminal's name.
func ptyPrinter(t *testing.T, lang string, raw bool) (*printersim.Sim, string) {
	t.Helper()
	master, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	if raw {
		tio, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		tio.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
		tio.Oflag &^= unix.OPOST
		tio.Lflag &^= unix.ECHO | unix.ECHONL | unix.ICANON | unix.ISIG | unix.IEXTEN
		tio.Cflag |= unix.CS8
		if err := unix.IoctlSetTermios(int(tty.Fd()), unix.TCSETS, tio); err != nil {
			t.Fatal(err)
		}
	}
	sim := printersim.New(printersim.Options{Language: lang})
	done := make(chan struct{})
	go func() {
		defer close(done)
		sim.Serve(master)
	}()
	t.Cleanup(func() {
		tty.Close()
		master.Close()
		<-done
	})
	return sim, tty.Name()
}

func TestUSBDeviceBidirectional(t *testing.T) {
	sim, name := ptyPrinter(t, "zpl", true)
	p := open(t, "zpl+usb://"+name+"?status_timeout=2s")
	ctx := testCtx(t)
	st, err := p.Status(ctx)
	if err != nil || !st.Ready {
		t.Fatalf("status over the device file: %+v %v", st, err)
	}
	img := randomLabel(9, 812, 1218)
	if err := p.Print(ctx, Job{ID: "usb", Image: img}); err != nil {
		t.Fatal(err)
	}
	if got, err := sim.WaitLabels(ctx, 1); err != nil || !bytes.Equal(got[0].Bits, img.Bits) {
		t.Fatalf("label over USB differs (%v)", err)
	}
	sim.SetFault(printersim.FaultPaperOut)
	if err := p.Print(ctx, Job{ID: "usb2", Image: img}); !errors.Is(err, ErrNotReady) {
		t.Fatalf("paper out over USB: %v", err)
	}
}

func TestSerialThroughPty(t *testing.T) {
	sim, name := ptyPrinter(t, "zpl", false)
	p := open(t, "zpl+serial://"+name+"?baud=115200&status_timeout=2s")
	ctx := testCtx(t)
	img := randomLabel(10, 812, 1218)
	for i := 0; i < 2; i++ {
		if err := p.Print(ctx, Job{ID: fmt.Sprint("ser-", i), Image: img}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := sim.WaitLabels(ctx, 2)
	if err != nil || !bytes.Equal(got[1].Bits, img.Bits) {
		t.Fatalf("label over serial differs (%v); jobs %d rejected %d queries %d", err, sim.Jobs(), sim.Rejected(), sim.StatusQueries())
	}
	sim.SetFault(printersim.FaultHeadOpen)
	st, err := p.Status(ctx)
	if err != nil || st.Ready || st.Errors[0] != "head open" {
		t.Fatalf("head open over serial: %+v %v", st, err)
	}
}

func TestTSPLSerialStatus(t *testing.T) {
	sim, name := ptyPrinter(t, "tspl", false)
	p := open(t, "tspl+serial://"+name+"?status_timeout=2s")
	sim.SetFault(printersim.FaultPaperOut)
	st, err := p.Status(testCtx(t))
	if err != nil || st.Ready || st.Errors[0] != "paper out" {
		t.Fatalf("%+v %v", st, err)
	}
}
