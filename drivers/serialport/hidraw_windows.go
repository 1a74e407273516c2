package serialport

import (
	"errors"
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

// Windows has no hidraw files: a HID device is a device interface of the
// HID class, found through SetupAPI and read through hid.dll and ReadFile,
// all without cgo.
var (
	modHID      = windows.NewLazySystemDLL("hid.dll")
	modSetupAPI = windows.NewLazySystemDLL("setupapi.dll")

	procHidDGetHidGuid                   = modHID.NewProc("HidD_GetHidGuid")
	procHidDGetAttributes                = modHID.NewProc("HidD_GetAttributes")
	procHidDGetPreparsedData             = modHID.NewProc("HidD_GetPreparsedData")
	procHidDFreePreparsedData            = modHID.NewProc("HidD_FreePreparsedData")
	procHidPGetCaps                      = modHID.NewProc("HidP_GetCaps")
	procHidDGetProductString             = modHID.NewProc("HidD_GetProductString")
	procHidDGetSerialNumberString        = modHID.NewProc("HidD_GetSerialNumberString")
	procSetupDiGetClassDevsW             = modSetupAPI.NewProc("SetupDiGetClassDevsW")
	procSetupDiEnumDeviceInterfaces      = modSetupAPI.NewProc("SetupDiEnumDeviceInterfaces")
	procSetupDiGetDeviceInterfaceDetailW = modSetupAPI.NewProc("SetupDiGetDeviceInterfaceDetailW")
	procSetupDiDestroyDeviceInfoList     = modSetupAPI.NewProc("SetupDiDestroyDeviceInfoList")
)

const (
	digcfPresent         = 0x02
	digcfDeviceInterface = 0x10
	// writeTimeout bounds an output report (the zero command).
	writeTimeout = 2 * time.Second
)

// loadHID finds every procedure up front, so a missing one is an error
// rather than a panic in the middle of a call.
func loadHID() error {
	for _, p := range []*windows.LazyProc{procHidDGetHidGuid, procHidDGetAttributes, procHidDGetPreparsedData, procHidDFreePreparsedData,
		procHidPGetCaps, procHidDGetProductString, procHidDGetSerialNumberString, procSetupDiGetClassDevsW,
		procSetupDiEnumDeviceInterfaces, procSetupDiGetDeviceInterfaceDetailW, procSetupDiDestroyDeviceInfoList} {
		if err := p.Find(); err != nil {
			return fmt.Errorf("loading the Windows HID functions: %w", err)
		}
	}
	return nil
}

// ListHID lists the HID devices present: every interface of the HID class,
// with its ids, serial number, product string and top-level usage page.
func ListHID() ([]HIDDevice, error) {
	if err := loadHID(); err != nil {
		return nil, err
	}
	g := hidInterfaceGUID
	procHidDGetHidGuid.Call(uintptr(unsafe.Pointer(&g)))
	set, _, err := procSetupDiGetClassDevsW.Call(uintptr(unsafe.Pointer(&g)), 0, 0, digcfPresent|digcfDeviceInterface)
	if windows.Handle(set) == windows.InvalidHandle {
		return nil, fmt.Errorf("listing HID devices (SetupDiGetClassDevsW): %w", err)
	}
	defer procSetupDiDestroyDeviceInfoList.Call(set)
	var out []HIDDevice
	for i := 0; ; i++ {
		var d spDeviceInterfaceData
		d.CbSize = uint32(unsafe.Sizeof(d))
		r, _, err := procSetupDiEnumDeviceInterfaces.Call(set, 0, uintptr(unsafe.Pointer(&g)), uintptr(i), uintptr(unsafe.Pointer(&d)))
		if r == 0 {
			if errors.Is(err, windows.ERROR_NO_MORE_ITEMS) {
				return out, nil
			}
			return out, fmt.Errorf("listing HID devices (SetupDiEnumDeviceInterfaces): %w", err)
		}
		path, err := interfacePath(set, &d)
		if err != nil {
			continue // vanished while listing
		}
		out = append(out, describeHID(path))
	}
}

// interfacePath asks SetupAPI for the device path of one interface.
func interfacePath(set uintptr, d *spDeviceInterfaceData) (string, error) {
	var need uint32
	procSetupDiGetDeviceInterfaceDetailW.Call(set, uintptr(unsafe.Pointer(d)), 0, 0, uintptr(unsafe.Pointer(&need)), 0)
	if need < 6 {
		return "", errors.New("no device interface detail")
	}
	words := make([]uint32, (need+3)/4) // DWORD-aligned, as the structure needs
	buf := unsafe.Slice((*byte)(unsafe.Pointer(&words[0])), len(words)*4)
	*(*uint32)(unsafe.Pointer(&words[0])) = detailCbSize(unsafe.Sizeof(uintptr(0)))
	r, _, err := procSetupDiGetDeviceInterfaceDetailW.Call(set, uintptr(unsafe.Pointer(d)), uintptr(unsafe.Pointer(&words[0])), uintptr(len(buf)), 0, 0)
	if r == 0 {
		return "", fmt.Errorf("SetupDiGetDeviceInterfaceDetailW: %w", err)
	}
	return devicePathFromDetail(buf)
}

// describeHID opens path without read or write access (allowed even for
// devices another program holds) and reads its attributes and caps.
func describeHID(path string) HIDDevice {
	d := HIDDevice{Path: path}
	d.VID, d.PID, _ = idsFromDevicePath(path)
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return d
	}
	h, err := windows.CreateFile(p, 0, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE, nil, windows.OPEN_EXISTING, 0, 0)
	if err != nil {
		return d
	}
	defer windows.CloseHandle(h)
	attr := hidAttributes{Size: uint32(unsafe.Sizeof(hidAttributes{}))}
	if r, _, _ := procHidDGetAttributes.Call(uintptr(h), uintptr(unsafe.Pointer(&attr))); byte(r) != 0 {
		d.VID, d.PID = attr.VendorID, attr.ProductID
	}
	if caps, err := hidCaps(h); err == nil {
		d.UsagePages = []uint32{uint32(caps.UsagePage)}
	}
	var s [128]uint16
	if r, _, _ := procHidDGetProductString.Call(uintptr(h), uintptr(unsafe.Pointer(&s[0])), uintptr(len(s)*2)); byte(r) != 0 {
		d.Product = utf16String(s[:])
	}
	s = [128]uint16{}
	if r, _, _ := procHidDGetSerialNumberString.Call(uintptr(h), uintptr(unsafe.Pointer(&s[0])), uintptr(len(s)*2)); byte(r) != 0 {
		d.Serial = utf16String(s[:])
	}
	return d
}

// hidCaps reads the top-level collection's capabilities.
func hidCaps(h windows.Handle) (hidpCaps, error) {
	var pp uintptr
	if r, _, err := procHidDGetPreparsedData.Call(uintptr(h), uintptr(unsafe.Pointer(&pp))); byte(r) == 0 {
		return hidpCaps{}, fmt.Errorf("HidD_GetPreparsedData: %w", err)
	}
	defer procHidDFreePreparsedData.Call(pp)
	var caps hidpCaps
	if st, _, _ := procHidPGetCaps.Call(pp, uintptr(unsafe.Pointer(&caps))); uint32(st) != hidpStatusSuccess {
		return hidpCaps{}, fmt.Errorf("HidP_GetCaps: status %#x", uint32(st))
	}
	return caps, nil
}

// hidPort reads input reports of one HID device with overlapped I/O, so a
// read honours its deadline and Close (from any goroutine) ends it.
// Every read returns one input report with its report ID first, as hidraw
// does; Windows pads a report to the device's longest input report.
type hidPort struct {
	name   string
	h      windows.Handle
	inLen  int
	outLen int

	// wake is signalled when the deadline changes or the port closes.
	wake windows.Handle

	rmu   sync.Mutex // one read at a time; guards rov, rbuf, rdone
	rov   *windows.Overlapped
	rbuf  []byte
	rdone *uint32

	wmu   sync.Mutex // one write at a time; guards wov, wdone
	wov   *windows.Overlapped
	wdone *uint32

	mu     sync.Mutex
	dl     time.Time
	closed atomic.Bool
	gone   atomic.Bool
}

// OpenHIDRaw opens the HID device at a Windows device path
// (\\?\hid#vid_0922&pid_8003#... or the same with \\.\) for reading input
// reports and writing output reports.
func OpenHIDRaw(name string) (Port, error) {
	if err := loadHID(); err != nil {
		return nil, &Error{Port: name, Op: "open", Err: err, Hint: "this Windows lacks the HID library; install the platform updates"}
	}
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, &Error{Port: name, Op: "open", Err: err, Hint: "the device path has a NUL byte in it"}
	}
	share := uint32(windows.FILE_SHARE_READ | windows.FILE_SHARE_WRITE)
	h, err := windows.CreateFile(p, windows.GENERIC_READ|windows.GENERIC_WRITE, share, nil, windows.OPEN_EXISTING, windows.FILE_FLAG_OVERLAPPED, 0)
	if errors.Is(err, windows.ERROR_ACCESS_DENIED) {
		// Some devices refuse writers; reading is all a scale needs.
		h, err = windows.CreateFile(p, windows.GENERIC_READ, share, nil, windows.OPEN_EXISTING, windows.FILE_FLAG_OVERLAPPED, 0)
	}
	if err != nil {
		return nil, hidOpenError(name, err)
	}
	caps, err := hidCaps(h)
	if err != nil {
		windows.CloseHandle(h)
		return nil, &Error{Port: name, Op: "open", Err: err, Hint: "this is not a HID device Windows can read; check the path with `packline-agent devices`"}
	}
	hp := &hidPort{name: name, h: h, inLen: int(caps.InputReportByteLength), outLen: int(caps.OutputReportByteLength),
		rov: new(windows.Overlapped), rdone: new(uint32), wov: new(windows.Overlapped), wdone: new(uint32)}
	if hp.inLen == 0 {
		hp.inLen = 64
	}
	hp.rbuf = make([]byte, hp.inLen)
	for _, ev := range []*windows.Handle{&hp.rov.HEvent, &hp.wov.HEvent, &hp.wake} {
		// Manual-reset events for the I/O, auto-reset for wake.
		manual := uint32(1)
		if ev == &hp.wake {
			manual = 0
		}
		e, err := windows.CreateEvent(nil, manual, 0, nil)
		if err != nil {
			hp.release()
			return nil, &Error{Port: name, Op: "open", Err: fmt.Errorf("creating an event: %w", err)}
		}
		*ev = e
	}
	return hp, nil
}

func hidOpenError(name string, err error) error {
	switch {
	case errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, windows.ERROR_PATH_NOT_FOUND):
		return &Error{Port: name, Op: "open", Err: ErrNotFound, Hint: "plug the scale in and switch it on; `packline-agent devices` lists the HID scales present (hidpos://0922:8003 survives a replug)"}
	case errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION):
		return &Error{Port: name, Op: "open", Err: ErrBusy, Hint: "another program holds the scale (a vendor utility such as DYMO Connect, or a second agent): close it and try again"}
	case isGone(err):
		return &Error{Port: name, Op: "open", Err: ErrGone, Hint: "replug the scale"}
	}
	return &Error{Port: name, Op: "open", Err: err}
}

func (h *hidPort) SetReadDeadline(t time.Time) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dl = t
	if !h.closed.Load() {
		_ = windows.SetEvent(h.wake) // release closes wake under mu
	}
	return nil
}

func (h *hidPort) deadline() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.dl
}

// Read reads one input report into b.
func (h *hidPort) Read(b []byte) (int, error) {
	h.rmu.Lock()
	defer h.rmu.Unlock()
	if err := h.usable("read"); err != nil {
		return 0, err
	}
	if dl := h.deadline(); !dl.IsZero() && !time.Now().Before(dl) {
		return 0, ErrTimeout
	}
	_ = windows.ResetEvent(h.rov.HEvent)
	*h.rdone = 0
	err := windows.ReadFile(h.h, h.rbuf, h.rdone, h.rov)
	if err != nil && !errors.Is(err, windows.ERROR_IO_PENDING) {
		return 0, h.ioError("read", err)
	}
	n, err := h.await()
	if n > 0 {
		return copy(b, h.rbuf[:n]), nil
	}
	return 0, err
}

// await waits for the pending read until it completes, the deadline
// passes or the port closes; then it cancels the read and waits for the
// cancellation, so the buffer and OVERLAPPED are free again.
func (h *hidPort) await() (int, error) {
	for {
		ms := uint32(windows.INFINITE)
		expired := false
		if dl := h.deadline(); !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				expired = true
			} else {
				ms = uint32(min(math.Ceil(float64(d)/float64(time.Millisecond)), float64(windows.INFINITE-1)))
			}
		}
		if expired || h.closed.Load() {
			return h.cancelRead()
		}
		ev, err := windows.WaitForMultipleObjects([]windows.Handle{h.rov.HEvent, h.wake}, false, ms)
		switch {
		case err != nil:
			h.cancelRead()
			return 0, &Error{Port: h.name, Op: "read", Err: fmt.Errorf("waiting for the device: %w", err)}
		case ev == windows.WAIT_OBJECT_0:
			var n uint32
			if err := windows.GetOverlappedResult(h.h, h.rov, &n, false); err != nil {
				return 0, h.ioError("read", err)
			}
			return int(n), nil
		}
		// Woken or timed out: go round and look at the deadline again.
	}
}

func (h *hidPort) cancelRead() (int, error) {
	_ = windows.CancelIoEx(h.h, h.rov)
	var n uint32
	err := windows.GetOverlappedResult(h.h, h.rov, &n, true)
	if err == nil && n > 0 {
		return int(n), nil // it completed before the cancel
	}
	if h.closed.Load() {
		return 0, &Error{Port: h.name, Op: "read", Err: os.ErrClosed}
	}
	if err != nil && !errors.Is(err, windows.ERROR_OPERATION_ABORTED) {
		return 0, h.ioError("read", err)
	}
	return 0, ErrTimeout
}

// Write sends one output report (report ID first), padded to the device's
// output report length.
func (h *hidPort) Write(b []byte) (int, error) {
	h.wmu.Lock()
	defer h.wmu.Unlock()
	if err := h.usable("write"); err != nil {
		return 0, err
	}
	rep, err := outputReport(b, h.outLen)
	if err != nil {
		return 0, &Error{Port: h.name, Op: "write", Err: err, Hint: "this scale cannot take the command: use its own keys"}
	}
	_ = windows.ResetEvent(h.wov.HEvent)
	*h.wdone = 0
	err = windows.WriteFile(h.h, rep, h.wdone, h.wov)
	if err != nil && !errors.Is(err, windows.ERROR_IO_PENDING) {
		return 0, h.ioError("write", err)
	}
	ev, err := windows.WaitForSingleObject(h.wov.HEvent, uint32(writeTimeout/time.Millisecond))
	if err != nil || ev != windows.WAIT_OBJECT_0 {
		_ = windows.CancelIoEx(h.h, h.wov)
	}
	var n uint32
	if err := windows.GetOverlappedResult(h.h, h.wov, &n, true); err != nil {
		if errors.Is(err, windows.ERROR_OPERATION_ABORTED) && !h.closed.Load() {
			return 0, &Error{Port: h.name, Op: "write", Err: ErrTimeout, Hint: "the scale did not take the report; replug it if this persists"}
		}
		return 0, h.ioError("write", err)
	}
	if int(n) < len(b) {
		return int(n), &Error{Port: h.name, Op: "write", Err: fmt.Errorf("wrote %d of %d bytes", n, len(b))}
	}
	return len(b), nil
}

func (h *hidPort) usable(op string) error {
	switch {
	case h.closed.Load():
		return &Error{Port: h.name, Op: op, Err: os.ErrClosed}
	case h.gone.Load():
		return &Error{Port: h.name, Op: op, Err: ErrGone, Hint: "replug the scale; the agent reopens it by itself"}
	}
	return nil
}

func (h *hidPort) ioError(op string, err error) error {
	if h.closed.Load() {
		return &Error{Port: h.name, Op: op, Err: os.ErrClosed}
	}
	if isGone(err) {
		h.gone.Store(true)
		return &Error{Port: h.name, Op: op, Err: fmt.Errorf("%w: %v", ErrGone, err), Hint: "replug the scale; the agent reopens it by itself"}
	}
	return &Error{Port: h.name, Op: op, Err: err}
}

// Close ends a read or write in progress (CancelIoEx) and closes the
// device. It may be called from any goroutine.
func (h *hidPort) Close() error {
	if h.closed.Swap(true) {
		return nil
	}
	_ = windows.CancelIoEx(h.h, nil)
	h.mu.Lock()
	_ = windows.SetEvent(h.wake)
	h.mu.Unlock()
	h.rmu.Lock()
	h.wmu.Lock()
	defer h.rmu.Unlock()
	defer h.wmu.Unlock()
	return h.release()
}

func (h *hidPort) release() error {
	var err error
	if h.h != 0 && h.h != windows.InvalidHandle {
		err = windows.CloseHandle(h.h)
		h.h = windows.InvalidHandle
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range []*windows.Handle{&h.rov.HEvent, &h.wov.HEvent, &h.wake} {
		if *e != 0 {
			windows.CloseHandle(*e)
			*e = 0
		}
	}
	if err != nil {
		return fmt.Errorf("closing %s: %w", h.name, err)
	}
	return nil
}
