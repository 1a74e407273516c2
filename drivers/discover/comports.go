package discover

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// comDevice is what SetupAPI tells about one device of the Ports class.
type comDevice struct {
	// Port is the "PortName" value of its device key: COM3.
	Port string
	// FriendlyName is SPDRP_FRIENDLYNAME: "USB Serial Device (COM3)".
	FriendlyName string
	// HardwareIDs is SPDRP_HARDWAREID: USB\VID_2341&PID_0043&REV_0001, …
	HardwareIDs []string
}

// USBIDs returns the USB vendor and product ids in a device's hardware ids
// (USB\VID_2341&PID_0043&REV_0001, FTDIBUS\VID_0403+PID_6001+A10K\0000).
// ok is false when none holds both.
func USBIDs(hardwareIDs []string) (vid, pid uint16, ok bool) {
	for _, id := range hardwareIDs {
		up := strings.ToUpper(id)
		v, okv := hexAfter(up, "VID_")
		p, okp := hexAfter(up, "PID_")
		if okv && okp {
			return v, p, true
		}
	}
	return 0, 0, false
}

// hexAfter reads the four hex digits after the first key in s.
func hexAfter(s, key string) (uint16, bool) {
	i := strings.Index(s, key)
	if i < 0 || len(s) < i+len(key)+4 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[i+len(key):i+len(key)+4], 16, 16)
	return uint16(n), err == nil
}

// comPortsFrom merges the COM ports of HKLM\HARDWARE\DEVICEMAP\SERIALCOMM
// (kernel device name → COM name) with what SetupAPI tells about them: the
// friendly name and USB ids when SetupAPI knows the port, else the kernel
// device name as before. Ports SetupAPI lists but SERIALCOMM lacks are
// kept too. Ports that are not COM ports (LPT1, in the same class) are
// left out. The result is sorted by port number.
func comPortsFrom(serialcomm map[string]string, devs []comDevice) []Port {
	byName := map[string]comDevice{}
	for _, d := range devs {
		if isCOM(d.Port) {
			byName[strings.ToUpper(d.Port)] = d
		}
	}
	var out []Port
	listed := map[string]bool{}
	for dev, com := range serialcomm {
		p := Port{Path: com, Device: dev, Kind: "serial", Description: dev}
		if d, ok := byName[strings.ToUpper(com)]; ok {
			describeCOM(&p, d)
		}
		listed[strings.ToUpper(com)] = true
		out = append(out, p)
	}
	for name, d := range byName {
		if listed[name] {
			continue
		}
		p := Port{Path: d.Port, Device: d.Port, Kind: "serial"}
		describeCOM(&p, d)
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := comNumber(out[i].Path), comNumber(out[j].Path)
		if a != b {
			return a < b
		}
		return out[i].Path < out[j].Path
	})
	return out
}

func describeCOM(p *Port, d comDevice) {
	if d.FriendlyName != "" {
		p.Description = d.FriendlyName
	}
	if vid, pid, ok := USBIDs(d.HardwareIDs); ok {
		p.VID, p.PID = vid, pid
		usb := fmt.Sprintf("USB %04x:%04x", vid, pid)
		if desc := strings.TrimSpace(p.Description); desc != "" {
			usb = desc + ", " + usb
		}
		p.Description = usb
	}
}

func isCOM(name string) bool {
	return comNumber(name) >= 0
}

// comNumber is the n of COMn, or -1.
func comNumber(name string) int {
	if len(name) < 4 || !strings.EqualFold(name[:3], "COM") {
		return -1
	}
	n, err := strconv.Atoi(name[3:])
	if err != nil || n < 0 {
		return -1
	}
	return n
}
