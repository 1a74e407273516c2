// Package discover lists the ports a scale may sit on: serial ports (on
// Linux /dev/serial/by-id links, ttyUSB, ttyACM and present ttyS ports; on
// Windows the COM ports in HKLM\HARDWARE\DEVICEMAP\SERIALCOMM) and Linux
// hidraw devices that are HID POS scales (usage page 0x8D or a known
// VID:PID). It only looks; package scale probes.
package discover

import (
	"fmt"
	"strings"
)

// Port is one candidate port.
type Port struct {
	// Path is the name to put in a device URI: a stable
	// /dev/serial/by-id link when there is one, COM3, /dev/hidraw0.
	Path string
	// Device is the kernel device Path resolves to.
	Device string
	// Kind is "serial" or "hid".
	Kind string
	// Description says what the port is, when known.
	Description string
	// VID and PID are the USB ids of a HID device.
	VID, PID uint16
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
func UsagePages(desc []byte) []uint32 {
	var pages []uint32
	for i := 0; i < len(desc); {
		b := desc[i]
		if b == 0xfe { // long item
			if i+1 >= len(desc) {
				break
			}
			i += 3 + int(desc[i+1])
			continue
		}
		size := int(b & 0x03)
		if size == 3 {
			size = 4
		}
		if i+1+size > len(desc) {
			break
		}
		if b&0xfc == 0x04 { // global Usage Page
			var v uint32
			for j := 0; j < size; j++ {
				v |= uint32(desc[i+1+j]) << (8 * j)
			}
			pages = append(pages, v)
		}
		i += 1 + size
	}
	return pages
}

// parseHIDID reads HID_ID=0003:00000922:00008003 from a uevent file.
func parseHIDID(uevent string) (vid, pid uint16, name string, ok bool) {
	for _, line := range strings.Split(uevent, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "HID_ID":
			var bus, a, b uint32
			if _, err := fmt.Sscanf(v, "%x:%x:%x", &bus, &a, &b); err == nil {
				vid, pid, ok = uint16(a), uint16(b), true
			}
		case "HID_NAME":
			name = v
		}
	}
	return vid, pid, name, ok
}
