//go:build windows

package printer

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The Windows spooler API, called without cgo.
var (
	winspool             = windows.NewLazySystemDLL("winspool.drv")
	procOpenPrinterW     = winspool.NewProc("OpenPrinterW")
	procClosePrinter     = winspool.NewProc("ClosePrinter")
	procStartDocPrinterW = winspool.NewProc("StartDocPrinterW")
	procEndDocPrinter    = winspool.NewProc("EndDocPrinter")
	procStartPagePrinter = winspool.NewProc("StartPagePrinter")
	procEndPagePrinter   = winspool.NewProc("EndPagePrinter")
	procWritePrinter     = winspool.NewProc("WritePrinter")
	procGetPrinterW      = winspool.NewProc("GetPrinterW")
)

// docInfo1 is DOC_INFO_1W.
type docInfo1 struct {
	docName    *uint16
	outputFile *uint16
	datatype   *uint16
}

// printerInfo2 is PRINTER_INFO_2W.
type printerInfo2 struct {
	serverName, printerName, shareName, portName, driverName *uint16
	comment, location                                        *uint16
	devMode                                                  uintptr
	sepFile, printProcessor, datatype, parameters            *uint16
	securityDescriptor                                       uintptr
	attributes, priority, defaultPriority                    uint32
	startTime, untilTime, status, jobs, averagePPM           uint32
}

// winspoolTransport prints through a Windows printer queue with the RAW
// datatype (XPS_PASS for v4 drivers: ?datatype=XPS_PASS).
type winspoolTransport struct {
	name     string
	datatype string
}

func newWinspool(name, datatype string) (transport, error) {
	if datatype != "RAW" && datatype != "XPS_PASS" {
		return nil, fmt.Errorf("printer %q: datatype=%q: use RAW or XPS_PASS", name, datatype)
	}
	return &winspoolTransport{name: name, datatype: datatype}, nil
}

func openPrinter(name string) (windows.Handle, error) {
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, err
	}
	var h windows.Handle
	r, _, e := procOpenPrinterW.Call(uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&h)), 0)
	if r == 0 {
		return 0, fmt.Errorf("%w: OpenPrinter %q: %v: is the printer installed for all users (a service cannot see per-user printers)?", ErrUnreachable, name, e)
	}
	return h, nil
}

func (t *winspoolTransport) open(ctx context.Context) (session, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	h, err := openPrinter(t.name)
	if err != nil {
		return nil, err
	}
	return &winspoolSession{t: t, h: h}, nil
}

func (t *winspoolTransport) close() error { return nil }

// status reads the queue's state (PRINTER_INFO_2 Status and Attributes).
func (t *winspoolTransport) status(ctx context.Context) (Status, error) {
	h, err := openPrinter(t.name)
	if err != nil {
		return Status{}, err
	}
	defer procClosePrinter.Call(uintptr(h))
	var need uint32
	procGetPrinterW.Call(uintptr(h), 2, 0, 0, uintptr(unsafe.Pointer(&need)))
	if need == 0 || need > 1<<20 {
		return Status{}, fmt.Errorf("GetPrinter %q: no printer information: %w", t.name, ErrNoStatus)
	}
	buf := make([]byte, need)
	r, _, e := procGetPrinterW.Call(uintptr(h), 2, uintptr(unsafe.Pointer(&buf[0])), uintptr(need), uintptr(unsafe.Pointer(&need)))
	if r == 0 {
		return Status{}, fmt.Errorf("GetPrinter %q: %v: %w", t.name, e, ErrNoStatus)
	}
	pi := (*printerInfo2)(unsafe.Pointer(&buf[0]))
	st := Status{Raw: fmt.Sprintf("status=%#x attributes=%#x jobs=%d", pi.status, pi.attributes, pi.jobs)}
	for _, b := range []struct {
		bit  uint32
		name string
	}{
		{0x1, "paused"}, {0x2, "error"}, {0x8, "paper jam"}, {0x10, "paper out"}, {0x40, "paper problem"},
		{0x80, "offline"}, {0x1000, "not available"}, {0x100000, "needs user intervention"}, {0x400000, "door open"},
	} {
		if pi.status&b.bit != 0 {
			st.Errors = append(st.Errors, b.name)
		}
	}
	if pi.attributes&0x400 != 0 { // PRINTER_ATTRIBUTE_WORK_OFFLINE
		st.Errors = append(st.Errors, "set to use printer offline")
	}
	if pi.jobs > 0 {
		st.Warnings = append(st.Warnings, fmt.Sprintf("%d jobs in the Windows queue", pi.jobs))
	}
	st.Ready = len(st.Errors) == 0
	return st, nil
}

type winspoolSession struct {
	t       *winspoolTransport
	h       windows.Handle
	started bool
}

func (s *winspoolSession) start() error {
	name, _ := windows.UTF16PtrFromString("Packline label")
	dt, _ := windows.UTF16PtrFromString(s.t.datatype)
	di := docInfo1{docName: name, datatype: dt}
	r, _, e := procStartDocPrinterW.Call(uintptr(s.h), 1, uintptr(unsafe.Pointer(&di)))
	if r == 0 {
		return fmt.Errorf("StartDocPrinter %q (%s): %v", s.t.name, s.t.datatype, e)
	}
	if r, _, e := procStartPagePrinter.Call(uintptr(s.h)); r == 0 {
		procEndDocPrinter.Call(uintptr(s.h))
		return fmt.Errorf("StartPagePrinter %q: %v", s.t.name, e)
	}
	s.started = true
	return nil
}

func (s *winspoolSession) write(ctx context.Context, p []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(p) == 0 {
		return nil
	}
	if !s.started {
		if err := s.start(); err != nil {
			return err
		}
	}
	for len(p) > 0 {
		var n uint32
		r, _, e := procWritePrinter.Call(uintptr(s.h), uintptr(unsafe.Pointer(&p[0])), uintptr(len(p)), uintptr(unsafe.Pointer(&n)))
		if r == 0 {
			return fmt.Errorf("WritePrinter %q: %v", s.t.name, e)
		}
		if n == 0 {
			return fmt.Errorf("WritePrinter %q wrote nothing", s.t.name)
		}
		p = p[n:]
	}
	return nil
}

func (s *winspoolSession) canRead() bool { return false }

func (s *winspoolSession) read([]byte, time.Time) (int, error) { return 0, ErrNoStatus }

func (s *winspoolSession) finish(context.Context) error {
	if !s.started {
		return nil
	}
	s.started = false
	var errs []string
	if r, _, e := procEndPagePrinter.Call(uintptr(s.h)); r == 0 {
		errs = append(errs, fmt.Sprintf("EndPagePrinter: %v", e))
	}
	if r, _, e := procEndDocPrinter.Call(uintptr(s.h)); r == 0 {
		errs = append(errs, fmt.Sprintf("EndDocPrinter: %v", e))
	}
	if len(errs) > 0 {
		return fmt.Errorf("printer %q: %s", s.t.name, strings.Join(errs, "; "))
	}
	return nil
}

func (s *winspoolSession) close() error {
	if s.started {
		procEndPagePrinter.Call(uintptr(s.h))
		procEndDocPrinter.Call(uintptr(s.h))
	}
	r, _, e := procClosePrinter.Call(uintptr(s.h))
	if r == 0 {
		return fmt.Errorf("ClosePrinter %q: %v", s.t.name, e)
	}
	return nil
}
