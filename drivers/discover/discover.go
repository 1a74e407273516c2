// Package discover lists the ports a scale may sit on and the label
// printers present. Ports: serial ports (on Linux /dev/serial/by-id links,
// ttyUSB, ttyACM and present ttyS ports; on Windows the COM ports in
// HKLM\HARDWARE\DEVICEMAP\SERIALCOMM, named by SetupAPI) and HID devices
// that are POS scales (usage page 0x8D or a known VID:PID): Linux hidraw
// files, Windows HID device interfaces. Printers: Linux USB printer device
// files and CUPS queues, and the Windows spooler's printers, each with a
// suggested device URI. It only looks; packages scale and printer talk to
// the devices.
package discover

import (
	"net/url"
	"strings"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/serialport"
)

// Port is one candidate port.
type Port struct {
	// Path is the name to put in a device URI: a stable
	// /dev/serial/by-id link when there is one, COM3, /dev/hidraw0 or a
	// Windows HID device path (StableURI names a HID scale better).
	Path string
	// Device is the kernel device Path resolves to.
	Device string
	// Kind is "serial" or "hid".
	Kind string
	// Description says what the port is, when known.
	Description string
	// VID and PID are the USB ids of a HID device, or of a USB serial
	// adapter where the system tells them (Windows).
	VID, PID uint16
	// Serial is a HID device's USB serial number, when it has one.
	Serial string
}

// String formats p for a listing.
func (p Port) String() string {
	s := p.Path
	if p.Device != "" && p.Device != p.Path {
		s += " -> " + p.Device
	}
	if p.Description != "" {
		s += " (" + p.Description + ")"
	}
	return s
}

// KnownHIDScale names a HID POS scale by its USB ids.
type KnownHIDScale struct {
	VID, PID uint16
	Name     string
}

// KnownHIDScales returns the HID POS scales known by VID:PID
// (erjiang/usbscale scales.h).
func KnownHIDScales() []KnownHIDScale {
	return []KnownHIDScale{
		{0x0922, 0x8003, "Dymo M10"},
		{0x0922, 0x8004, "Dymo M25"},
		{0x0922, 0x8009, "Dymo S180/S250"},
		{0x1446, 0x6a73, "Stamps.com"},
		{0x2474, 0x0550, "Stamps.com"},
		{0x2474, 0x3550, "Stamps.com"},
		{0x0eb8, 0xf000, "Mettler Toledo PS60"},
		{0x0b67, 0x555e, "Fairbanks SCB-R9000"},
		{0x7b7c, 0x0100, "USPS Elane"},
		{0x0d8f, 0x0200, "Pitney Bowes 397-B"},
	}
}

// knownName returns the scale's name for vid:pid, or "".
func knownName(vid, pid uint16) string {
	for _, k := range KnownHIDScales() {
		if k.VID == vid && k.PID == pid {
			return k.Name
		}
	}
	return ""
}

// UsagePages returns the usage pages a HID report descriptor declares.
func UsagePages(desc []byte) []uint32 { return serialport.ReportUsagePages(desc) }

// hidPorts turns the HID devices present into ports: the POS scales among
// them, known by usage page 0x8D or by VID:PID.
func hidPorts(devs []serialport.HIDDevice, path func(string) string) []Port {
	var out []Port
	for _, d := range devs {
		known := knownName(d.VID, d.PID)
		if !d.IsScale() && known == "" {
			continue
		}
		desc := known
		if desc == "" {
			desc = d.Product
		}
		if desc == "" {
			desc = "HID POS scale"
		}
		p := path(d.Path)
		out = append(out, Port{Path: p, Device: p, Kind: "hid", Description: desc, VID: d.VID, PID: d.PID, Serial: d.Serial})
	}
	return out
}

// StableURI returns the device URI that finds p again after a replug or a
// reboot: hidpos://0922:8003 for a HID scale, with ?serial= when another
// of ports has the same ids. ok is false when p has no such name (a serial
// port, or identical HID scales without serial numbers).
func StableURI(p Port, ports []Port) (u deviceuri.URI, ok bool) {
	if p.Kind != "hid" || p.VID == 0 && p.PID == 0 {
		return deviceuri.URI{}, false
	}
	sel := serialport.HIDSelector{VID: p.VID, PID: p.PID}
	twins := 0
	for _, q := range ports {
		if q.Kind == "hid" && q.VID == p.VID && q.PID == p.PID {
			twins++
		}
	}
	u = deviceuri.URI{Protocol: "hidpos", Target: sel.Target()}
	if twins > 1 {
		if p.Serial == "" {
			return deviceuri.URI{}, false
		}
		for _, q := range ports {
			if q.Path != p.Path && q.Kind == "hid" && q.VID == p.VID && q.PID == p.PID && strings.EqualFold(q.Serial, p.Serial) {
				return deviceuri.URI{}, false
			}
		}
		u.Params = url.Values{"serial": {p.Serial}}
	}
	return u, true
}
