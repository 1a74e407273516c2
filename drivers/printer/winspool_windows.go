//go:build windows

package printer

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// The Windows spooler API, called without cgo.
var (
	winspool               = windows.NewLazySystemDLL("winspool.drv")
	procOpenPrinterW       = winspool.NewProc("OpenPrinterW")
	procClosePrinter       = winspool.NewProc("ClosePrinter")
	procStartDocPrinterW   = winspool.NewProc("StartDocPrinterW")
	procEndDocPrinter      = winspool.NewProc("EndDocPrinter")
	procStartPagePrinter   = winspool.NewProc("StartPagePrinter")
	procEndPagePrinter     = winspool.NewProc("EndPagePrinter")
	procWritePrinter       = winspool.NewProc("WritePrinter")
	procGetPrinterW        = winspool.NewProc("GetPrinterW")
	procGetPrinterDriverW  = winspool.NewProc("GetPrinterDriverW")
	procGetJobW            = winspool.NewProc("GetJobW")
	procSetJobW            = winspool.NewProc("SetJobW")
	procAbortPrinter       = winspool.NewProc("AbortPrinter")
	errSpoolInfoNotPresent = errors.New("no information returned")
)

const (
	jobControlDelete = 5 // JOB_CONTROL_DELETE
	// spoolJobWait bounds how long a job is followed in the queue.
	spoolJobWait         = 30 * time.Second
	spoolJobPollInterval = 250 * time.Millisecond
	spoolInfoMax         = 1 << 20
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

// jobInfo1 is JOB_INFO_1W.
type jobInfo1 struct {
	jobID                                                        uint32
	printerName, machineName, userName, document, datatype, text *uint16
	status, priority, position, totalPages, pagesPrinted         uint32
	submitted                                                    [8]uint16 // SYSTEMTIME
}

// winspoolTransport prints through a Windows printer queue. The datatype
// is RAW, or XPS_PASS for v4/XPS drivers, unless ?datatype= forces one.
// After each job it follows the job in the queue until it has printed, so
// a job held by an offline or faulty printer is not taken for printed.
type winspoolTransport struct {
	name     string
	datatype string // datatypeAuto, datatypeRAW or datatypeXPSPass
	wait     time.Duration
	every    time.Duration
}

func newWinspool(name, datatype string) (transport, error) {
	dt, err := parseDatatype(name, datatype)
	if err != nil {
		return nil, err
	}
	return &winspoolTransport{name: name, datatype: dt, wait: spoolJobWait, every: spoolJobPollInterval}, nil
}

func openPrinter(name string) (windows.Handle, error) {
	n, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return 0, fmt.Errorf("printer name %q: %w", name, err)
	}
	var h windows.Handle
	r, _, e := procOpenPrinterW.Call(uintptr(unsafe.Pointer(n)), uintptr(unsafe.Pointer(&h)), 0)
	if r == 0 {
		return 0, fmt.Errorf("%w: OpenPrinter %q: %w: is the printer installed for all users (a service cannot see per-user printers)?", ErrUnreachable, name, e)
	}
	return h, nil
}

// spoolInfo calls a Get* spooler function that fills a caller's buffer:
// first for the size, then for the data. call gets the buffer (nil for the
// size) and its length.
func spoolInfo(call func(buf *byte, size uint32, need *uint32) (uintptr, error)) ([]byte, error) {
	var need uint32
	_, e := call(nil, 0, &need)
	if need == 0 {
		if e == nil || e == windows.ERROR_SUCCESS {
			return nil, errSpoolInfoNotPresent
		}
		return nil, e
	}
	if need > spoolInfoMax {
		return nil, fmt.Errorf("%d bytes of information is too much", need)
	}
	buf := make([]byte, need)
	if r, e := call(&buf[0], need, &need); r == 0 {
		return nil, e
	}
	return buf, nil
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
	if err := ctx.Err(); err != nil {
		return Status{}, err
	}
	h, err := openPrinter(t.name)
	if err != nil {
		return Status{}, err
	}
	defer procClosePrinter.Call(uintptr(h))
	return printerStatus(h, t.name)
}

// printerStatus reads PRINTER_INFO_2 of the open printer h.
func printerStatus(h windows.Handle, name string) (Status, error) {
	buf, err := spoolInfo(func(buf *byte, size uint32, need *uint32) (uintptr, error) {
		r, _, e := procGetPrinterW.Call(uintptr(h), 2, uintptr(unsafe.Pointer(buf)), uintptr(size), uintptr(unsafe.Pointer(need)))
		return r, e
	})
	if err != nil {
		return Status{}, fmt.Errorf("GetPrinter %q: %v: %w", name, err, ErrNoStatus)
	}
	pi := (*printerInfo2)(unsafe.Pointer(&buf[0]))
	return windowsPrinterStatus(pi.status, pi.attributes, pi.jobs), nil
}

// driverAttributes reads the driver's DRIVER_INFO_8 attributes; ok is false
// when the spooler does not say (an old or remote driver).
func driverAttributes(h windows.Handle) (attrs uint32, ok bool) {
	buf, err := spoolInfo(func(buf *byte, size uint32, need *uint32) (uintptr, error) {
		r, _, e := procGetPrinterDriverW.Call(uintptr(h), 0, 8, uintptr(unsafe.Pointer(buf)), uintptr(size), uintptr(unsafe.Pointer(need)))
		return r, e
	})
	off := driverInfo8AttributesOffset(unsafe.Sizeof(uintptr(0)))
	if err != nil || uintptr(len(buf)) < off+4 {
		return 0, false
	}
	return *(*uint32)(unsafe.Pointer(&buf[off])), true
}

type winspoolSession struct {
	t       *winspoolTransport
	h       windows.Handle
	started bool
	job     uint32 // the spooler's job id, from StartDocPrinter
}

// startDoc starts a document with datatype and returns its job id.
func (s *winspoolSession) startDoc(datatype string) (uint32, error) {
	name, _ := windows.UTF16PtrFromString("Packline label")
	dt, _ := windows.UTF16PtrFromString(datatype)
	di := docInfo1{docName: name, datatype: dt}
	r, _, e := procStartDocPrinterW.Call(uintptr(s.h), 1, uintptr(unsafe.Pointer(&di)))
	if r == 0 {
		return 0, e
	}
	return uint32(r), nil
}

// start starts the job's document and page, picking the datatype.
func (s *winspoolSession) start() error {
	dt := s.t.datatype
	if dt == datatypeAuto {
		attrs, ok := driverAttributes(s.h)
		dt = chooseDatatype(dt, attrs, ok)
	}
	job, err := s.startDoc(dt)
	var errno windows.Errno
	if errors.As(err, &errno) {
		if next, ok := retryDatatype(s.t.datatype, dt, uintptr(errno)); ok {
			dt = next
			job, err = s.startDoc(dt)
		}
	}
	if err != nil {
		hint := "check the printer in Printers & scanners"
		if errors.As(err, &errno) && errno == errorInvalidDatatype {
			hint = "the driver refuses this datatype: set ?datatype=RAW or ?datatype=XPS_PASS, or use a v3 driver such as ZDesigner"
		}
		return fmt.Errorf("StartDocPrinter %q (%s): %w: %s", s.t.name, dt, err, hint)
	}
	if r, _, e := procStartPagePrinter.Call(uintptr(s.h)); r == 0 {
		procAbortPrinter.Call(uintptr(s.h))
		return fmt.Errorf("StartPagePrinter %q: %w", s.t.name, e)
	}
	s.started, s.job = true, job
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
			return fmt.Errorf("WritePrinter %q: %w", s.t.name, e)
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

// finish ends the document, which submits the job, and follows it in the
// queue. A job the queue holds for a fault (offline, paper out, error,
// paused) is deleted from the queue and the fault returned as a
// *NotReadyError, so it is sent again once the printer is fixed; if it
// cannot be deleted it stays queued and prints when the fault is cleared,
// and finish reports it as taken. A job still waiting without a fault when
// the wait ends is left to the spooler.
func (s *winspoolSession) finish(ctx context.Context) error {
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
		s.cancel(s.job)
		return fmt.Errorf("printer %q: %s: check the printer in Printers & scanners", s.t.name, strings.Join(errs, "; "))
	}
	// Whatever else happens now, the job is in the queue: it was taken
	// unless it is held for a fault and can be deleted.
	outcome, last, _ := followSpoolJob(ctx, s.t.wait, s.t.every, s.poll)
	if outcome != spoolFault || s.cancel(s.job) != nil {
		return nil
	}
	return fmt.Errorf("printer %q held job %d in the Windows queue (%s), so it was deleted there and will be sent again: %w",
		s.t.name, s.job, last.fault.Raw, &NotReadyError{Status: last.fault})
}

// poll reads the job's state and, while it waits, the printer's.
func (s *winspoolSession) poll(ctx context.Context) (spoolPoll, error) {
	buf, err := spoolInfo(func(buf *byte, size uint32, need *uint32) (uintptr, error) {
		r, _, e := procGetJobW.Call(uintptr(s.h), uintptr(s.job), 1, uintptr(unsafe.Pointer(buf)), uintptr(size), uintptr(unsafe.Pointer(need)))
		return r, e
	})
	if errors.Is(err, windows.Errno(errorInvalidParameter)) {
		return spoolPoll{done: true, fault: Status{Ready: true}}, nil // left the queue
	}
	if err != nil {
		return spoolPoll{}, fmt.Errorf("GetJob %q job %d: %w", s.t.name, s.job, err)
	}
	ji := (*jobInfo1)(unsafe.Pointer(&buf[0]))
	var text string
	if ji.text != nil {
		text = windows.UTF16PtrToString(ji.text)
	}
	p := windowsJobPoll(ji.status, text)
	if p.done || len(p.fault.Errors) > 0 {
		return p, nil
	}
	q, err := printerStatus(s.h, s.t.name)
	if err != nil {
		return p, nil
	}
	return p.withQueue(q), nil
}

// cancel deletes job from the queue.
func (s *winspoolSession) cancel(job uint32) error {
	if job == 0 {
		return nil
	}
	if r, _, e := procSetJobW.Call(uintptr(s.h), uintptr(job), 0, 0, jobControlDelete); r == 0 {
		return fmt.Errorf("SetJob %q job %d delete: %w", s.t.name, job, e)
	}
	return nil
}

func (s *winspoolSession) close() error {
	if s.started {
		// A job cut short (write failed, ctx ended): drop it rather
		// than let the spooler print half a label.
		procAbortPrinter.Call(uintptr(s.h))
	}
	r, _, e := procClosePrinter.Call(uintptr(s.h))
	if r == 0 {
		return fmt.Errorf("ClosePrinter %q: %w", s.t.name, e)
	}
	return nil
}
