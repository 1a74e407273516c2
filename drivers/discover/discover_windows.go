package discover

import (
	"context"
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/packline/packline/drivers/serialport"
)

// List lists the COM ports Windows knows (HKLM\HARDWARE\DEVICEMAP\SERIALCOMM,
// named by SetupAPI's Ports class where it knows them), then the HID POS
// scales among the HID device interfaces. The COM ports are returned even
// when listing HID devices fails.
func List() ([]Port, error) {
	out, err := comPorts()
	if err != nil {
		return nil, err
	}
	hid, err := serialport.ListHID()
	out = append(out, hidPorts(hid, func(p string) string { return p })...)
	if err != nil {
		return out, fmt.Errorf("listing HID scales (name one with --port 0922:8003, its VID:PID, instead): %w", err)
	}
	return out, nil
}

// comPorts lists the COM ports: SERIALCOMM says which exist, SetupAPI
// gives their friendly names and USB ids. Either alone is enough.
func comPorts() ([]Port, error) {
	serialcomm, regErr := serialCOMM()
	devs, setupErr := setupAPIPorts()
	if regErr != nil && (setupErr != nil || len(devs) == 0) {
		return nil, regErr
	}
	return comPortsFrom(serialcomm, devs), nil
}

// serialCOMM reads HKLM\HARDWARE\DEVICEMAP\SERIALCOMM: kernel device name
// (\Device\USBSER000) → COM name.
func serialCOMM() (map[string]string, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `HARDWARE\DEVICEMAP\SERIALCOMM`, registry.QUERY_VALUE)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, nil // no serial ports at all
	}
	if err != nil {
		return nil, fmt.Errorf("reading the COM port list (name the port with --port COM3 instead): %w", err)
	}
	defer k.Close()
	names, err := k.ReadValueNames(0)
	if err != nil {
		return nil, fmt.Errorf("reading the COM port list (name the port with --port COM3 instead): %w", err)
	}
	out := map[string]string{}
	for _, n := range names {
		com, _, err := k.GetStringValue(n)
		if err != nil {
			continue
		}
		out[n] = com
	}
	return out, nil
}

// portsClass is the Ports (COM & LPT) device setup class,
// {4d36e978-e325-11ce-bfc1-08002be10318}.
var portsClass = windows.GUID{Data1: 0x4d36e978, Data2: 0xe325, Data3: 0x11ce, Data4: [8]byte{0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18}}

// setupAPIPorts lists the present devices of the Ports class with their
// PortName, friendly name and hardware ids.
func setupAPIPorts() ([]comDevice, error) {
	set, err := windows.SetupDiGetClassDevsEx(&portsClass, "", 0, windows.DIGCF_PRESENT, 0, "")
	if err != nil {
		return nil, fmt.Errorf("listing serial port devices (SetupDiGetClassDevs): %w", err)
	}
	defer set.Close()
	var out []comDevice
	for i := 0; ; i++ {
		info, err := set.EnumDeviceInfo(i)
		if errors.Is(err, windows.ERROR_NO_MORE_ITEMS) {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("listing serial port devices (SetupDiEnumDeviceInfo): %w", err)
		}
		d := comDevice{Port: portName(set, info)}
		if d.Port == "" {
			continue
		}
		if v, err := set.DeviceRegistryProperty(info, windows.SPDRP_FRIENDLYNAME); err == nil {
			d.FriendlyName, _ = v.(string)
		}
		if v, err := set.DeviceRegistryProperty(info, windows.SPDRP_HARDWAREID); err == nil {
			switch ids := v.(type) {
			case []string:
				d.HardwareIDs = ids
			case string:
				d.HardwareIDs = []string{ids}
			}
		}
		out = append(out, d)
	}
}

// portName reads the "PortName" value of a device's hardware key, or "".
func portName(set windows.DevInfo, info *windows.DevInfoData) string {
	h, err := set.OpenDevRegKey(info, windows.DICS_FLAG_GLOBAL, 0, windows.DIREG_DEV, windows.KEY_READ)
	if err != nil {
		return ""
	}
	k := registry.Key(h)
	defer k.Close()
	name, _, err := k.GetStringValue("PortName")
	if err != nil {
		return ""
	}
	return name
}

var (
	modWinspool       = windows.NewLazySystemDLL("winspool.drv")
	procEnumPrintersW = modWinspool.NewProc("EnumPrintersW")
)

const (
	printerEnumLocal       = 0x2 // PRINTER_ENUM_LOCAL
	printerEnumConnections = 0x4 // PRINTER_ENUM_CONNECTIONS
	enumPrintersMax        = 16 << 20
)

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

// ListPrinters lists the spooler's printers, local ones and connections
// to shared printers (EnumPrintersW, level 2), with a language guessed
// from the printer and driver names. Printers connected only for another
// user may be missing when the agent runs as a service.
func ListPrinters(ctx context.Context) ([]Printer, error) {
	if err := procEnumPrintersW.Find(); err != nil {
		return nil, fmt.Errorf("loading the Windows spooler functions (is the Print Spooler service installed?): %w", err)
	}
	var need, count uint32
	var buf []uint64 // 8-byte aligned for the structures
	for size := uint32(0); ; {
		var p *byte
		if len(buf) > 0 {
			p = (*byte)(unsafe.Pointer(&buf[0]))
		}
		r, _, err := procEnumPrintersW.Call(printerEnumLocal|printerEnumConnections, 0, 2,
			uintptr(unsafe.Pointer(p)), uintptr(size), uintptr(unsafe.Pointer(&need)), uintptr(unsafe.Pointer(&count)))
		if r != 0 {
			break
		}
		if !errors.Is(err, windows.ERROR_INSUFFICIENT_BUFFER) || need <= size || need > enumPrintersMax {
			return nil, fmt.Errorf("listing Windows printers (EnumPrinters): %w: check that the Print Spooler service is running", err)
		}
		size = need
		buf = make([]uint64, (size+7)/8)
	}
	if count == 0 {
		return nil, nil
	}
	infos := unsafe.Slice((*printerInfo2)(unsafe.Pointer(&buf[0])), count)
	out := make([]Printer, 0, count)
	for _, in := range infos {
		name := windows.UTF16PtrToString(in.printerName)
		if name == "" {
			continue
		}
		driver := windows.UTF16PtrToString(in.driverName)
		port := windows.UTF16PtrToString(in.portName)
		p := Printer{Transport: "winspool", Target: name, Description: driver}
		if port != "" {
			p.Description += " on " + port
		}
		p.setLanguage("", name, driver)
		out = append(out, p)
	}
	return out, nil
}
