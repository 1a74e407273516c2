package serialport

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// ScaleUsagePage is the HID usage page of POS scales.
const ScaleUsagePage = 0x8d

// HIDDevice is one HID device: a hidraw node on Linux, a top-level
// collection's device interface on Windows.
type HIDDevice struct {
	// Path opens the device: /dev/hidraw3, or on Windows
	// \\?\hid#vid_0922&pid_8003#...
	Path string
	// VID and PID are the USB vendor and product ids.
	VID, PID uint16
	// Serial is the USB serial number string, when the device has one.
	Serial string
	// Product is the product string, when known.
	Product string
	// UsagePages are the usage pages the device declares (on Windows the
	// top-level collection's only).
	UsagePages []uint32
}

// IsScale reports whether d declares the POS scale usage page.
func (d HIDDevice) IsScale() bool {
	for _, p := range d.UsagePages {
		if p == ScaleUsagePage {
			return true
		}
	}
	return false
}

// HIDSelector names a HID device by what stays the same across replugs and
// reboots: its USB ids and, to tell identical devices apart, its serial
// number. Device URIs carry it as hidpos://0922:8003?serial=...
type HIDSelector struct {
	VID, PID uint16
	// Serial, when set, must equal the device's serial number.
	Serial string
}

// Target returns the selector as a device URI target (0922:8003).
func (s HIDSelector) Target() string { return fmt.Sprintf("%04x:%04x", s.VID, s.PID) }

// String formats s as 0922:8003 or 0922:8003?serial=A1.
func (s HIDSelector) String() string {
	if s.Serial != "" {
		return s.Target() + "?serial=" + s.Serial
	}
	return s.Target()
}

// ParseHIDSelector reads a VID:PID target (four hex digits each, such as
// 0922:8003). ok is false for anything else, such as a device path.
func ParseHIDSelector(target string) (sel HIDSelector, ok bool) {
	v, p, found := strings.Cut(target, ":")
	if !found || len(v) != 4 || len(p) != 4 {
		return HIDSelector{}, false
	}
	vid, err1 := strconv.ParseUint(v, 16, 16)
	pid, err2 := strconv.ParseUint(p, 16, 16)
	if err1 != nil || err2 != nil {
		return HIDSelector{}, false
	}
	return HIDSelector{VID: uint16(vid), PID: uint16(pid)}, true
}

// IsHIDName reports whether name names a HID device rather than a serial
// port or an address: a VID:PID selector, a Linux hidraw file or a Windows
// HID device path.
func IsHIDName(name string) bool {
	if _, ok := ParseHIDSelector(name); ok {
		return true
	}
	l := strings.ToLower(name)
	return strings.Contains(l, "hidraw") || strings.HasPrefix(l, `\\?\hid#`) || strings.HasPrefix(l, `\\.\hid#`)
}

// SelectHID picks the device sel names among devs. Among the devices with
// the right ids (and serial), one that declares the scale usage page wins:
// a scale may expose further interfaces under the same ids. More than one
// candidate is an error that says how to tell them apart.
func SelectHID(devs []HIDDevice, sel HIDSelector) (HIDDevice, error) {
	var match, scales []HIDDevice
	for _, d := range devs {
		if d.VID != sel.VID || d.PID != sel.PID {
			continue
		}
		if sel.Serial != "" && !strings.EqualFold(strings.TrimSpace(d.Serial), strings.TrimSpace(sel.Serial)) {
			continue
		}
		match = append(match, d)
		if d.IsScale() {
			scales = append(scales, d)
		}
	}
	if len(scales) > 0 {
		match = scales
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return HIDDevice{}, &Error{Port: sel.String(), Op: "open", Err: fmt.Errorf("%w: no HID device %s is connected", ErrNotFound, sel),
			Hint: "plug the scale in and switch it on; `packline-agent devices` lists the HID scales present and their ids"}
	}
	var serials, paths []string
	for _, d := range match {
		paths = append(paths, d.Path)
		if d.Serial != "" {
			serials = append(serials, d.Serial)
		}
	}
	hint := "add ?serial= with one of " + strings.Join(serials, ", ") + " to the URI"
	if len(serials) < len(match) {
		hint = "these devices have no distinct serial numbers: name one by its path instead (" + strings.Join(paths, ", ") + ")"
	}
	return HIDDevice{}, &Error{Port: sel.String(), Op: "open", Err: fmt.Errorf("%d HID devices match %s", len(match), sel), Hint: hint}
}

// OpenHID opens the HID device target names: a VID:PID selector (with the
// serial number serial, when not empty), resolved among the devices
// connected now, so a scale the system renumbered after a replug is found
// again; or a device path, opened as it is.
func OpenHID(target, serial string) (Port, error) {
	sel, ok := ParseHIDSelector(target)
	if !ok {
		if serial != "" {
			return nil, &Error{Port: target, Op: "open", Err: fmt.Errorf("serial=%s needs a VID:PID target", serial), Hint: "write the URI as hidpos://0922:8003?serial=" + serial}
		}
		return OpenHIDRaw(target)
	}
	sel.Serial = serial
	devs, err := ListHID()
	if err != nil {
		return nil, &Error{Port: sel.String(), Op: "open", Err: err, Hint: "name the device by its path instead; `packline-agent devices` lists them"}
	}
	d, err := SelectHID(devs, sel)
	if err != nil {
		return nil, err
	}
	return OpenHIDRaw(d.Path)
}

// ReportUsagePages returns the usage pages a HID report descriptor
// declares.
func ReportUsagePages(desc []byte) []uint32 {
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

// hidUevent is what a hidraw node's device/uevent says.
type hidUevent struct {
	vid, pid     uint16
	name, serial string
	ok           bool
}

// parseHIDUevent reads HID_ID=0003:00000922:00008003, HID_NAME and HID_UNIQ
// (the USB serial number) from a uevent file.
func parseHIDUevent(uevent string) hidUevent {
	var u hidUevent
	for _, line := range strings.Split(uevent, "\n") {
		k, v, _ := strings.Cut(strings.TrimSpace(line), "=")
		switch k {
		case "HID_ID":
			if vid, pid, ok := parseHIDID(v); ok {
				u.vid, u.pid, u.ok = vid, pid, true
			}
		case "HID_NAME":
			u.name = v
		case "HID_UNIQ":
			u.serial = v
		}
	}
	return u
}

// parseHIDID reads the USB ids of a HID_ID value, bus:vendor:product in
// hex (0003:00000922:00008003). The kernel keeps the vendor and product as
// 32 bits: ids that do not fit in 16 bits are no USB ids, and are refused
// rather than cut down to ones of another device.
func parseHIDID(v string) (vid, pid uint16, ok bool) {
	f := strings.Split(v, ":")
	if len(f) != 3 {
		return 0, 0, false
	}
	var n [3]uint64
	for i, s := range f {
		x, err := strconv.ParseUint(s, 16, 32)
		if err != nil {
			return 0, 0, false
		}
		n[i] = x
	}
	if n[1] > 0xffff || n[2] > 0xffff {
		return 0, 0, false
	}
	return uint16(n[1]), uint16(n[2]), true
}

// ListHIDRawIn lists the hidraw devices of the sysfs tree under root ("/"
// on a real system; a copy of /sys and /dev in tests): for each
// sys/class/hidraw/hidrawN its ids and serial from device/uevent, its
// usage pages from device/report_descriptor, and the path dev/hidrawN
// under root. Nodes whose uevent carries no HID_ID are left out.
func ListHIDRawIn(root string) ([]HIDDevice, error) {
	nodes, err := filepath.Glob(filepath.Join(root, "sys/class/hidraw/hidraw*"))
	if err != nil {
		return nil, fmt.Errorf("listing hidraw devices: %w", err)
	}
	sort.Slice(nodes, func(i, j int) bool { return hidrawNumber(nodes[i]) < hidrawNumber(nodes[j]) })
	var out []HIDDevice
	for _, dir := range nodes {
		b, err := os.ReadFile(filepath.Join(dir, "device/uevent"))
		if err != nil {
			continue // unplugged while listing
		}
		u := parseHIDUevent(string(b))
		if !u.ok {
			continue
		}
		desc, _ := os.ReadFile(filepath.Join(dir, "device/report_descriptor"))
		out = append(out, HIDDevice{
			Path:       filepath.Join(root, "dev", filepath.Base(dir)),
			VID:        u.vid,
			PID:        u.pid,
			Serial:     u.serial,
			Product:    u.name,
			UsagePages: ReportUsagePages(desc),
		})
	}
	return out, nil
}

// hidrawNumber is N of a .../hidrawN path, so hidraw10 sorts after hidraw9.
func hidrawNumber(p string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(filepath.Base(p), "hidraw"))
	if err != nil {
		return -1
	}
	return n
}
