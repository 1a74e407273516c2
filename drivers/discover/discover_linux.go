package discover

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// List lists the serial ports and HID scales present.
func List() ([]Port, error) { return ListIn("/") }

// ListIn is List over a file tree rooted at root (a copy of /dev and /sys
// in tests).
func ListIn(root string) ([]Port, error) {
	var out []Port
	seen := map[string]bool{}
	byID, _ := filepath.Glob(filepath.Join(root, "dev/serial/by-id/*"))
	sort.Strings(byID)
	for _, link := range byID {
		dev, err := filepath.EvalSymlinks(link)
		if err != nil {
			continue
		}
		seen[dev] = true
		out = append(out, Port{Path: strip(root, link), Device: strip(root, dev), Kind: "serial", Description: filepath.Base(link)})
	}
	for _, pat := range []string{"dev/ttyUSB*", "dev/ttyACM*", "dev/ttyS*"} {
		m, _ := filepath.Glob(filepath.Join(root, pat))
		sort.Strings(m)
		for _, dev := range m {
			if seen[dev] {
				continue
			}
			name := filepath.Base(dev)
			if strings.HasPrefix(name, "ttyS") && !uartPresent(root, name) {
				continue
			}
			out = append(out, Port{Path: strip(root, dev), Device: strip(root, dev), Kind: "serial", Description: usbDescription(root, name)})
		}
	}
	hid, _ := filepath.Glob(filepath.Join(root, "sys/class/hidraw/hidraw*"))
	sort.Strings(hid)
	for _, dir := range hid {
		name := filepath.Base(dir)
		uevent, _ := os.ReadFile(filepath.Join(dir, "device/uevent"))
		vid, pid, hidName, _ := parseHIDID(string(uevent))
		desc, _ := os.ReadFile(filepath.Join(dir, "device/report_descriptor"))
		scale := false
		for _, p := range UsagePages(desc) {
			if p == 0x8d {
				scale = true
			}
		}
		known := knownName(vid, pid)
		if !scale && known == "" {
			continue
		}
		d := known
		if d == "" {
			d = hidName
		}
		if d == "" {
			d = "HID POS scale"
		}
		out = append(out, Port{Path: "/dev/" + name, Device: "/dev/" + name, Kind: "hid", Description: d, VID: vid, PID: pid})
	}
	return out, nil
}

func strip(root, p string) string {
	if root == "/" {
		return p
	}
	r, err := filepath.Rel(root, p)
	if err != nil {
		return p
	}
	return "/" + r
}

// uartPresent reports whether a ttyS port has hardware behind it: the
// 8250 driver creates 4 to 32 of them regardless and marks absent ones
// with type 0.
func uartPresent(root, name string) bool {
	b, err := os.ReadFile(filepath.Join(root, "sys/class/tty", name, "type"))
	if err != nil {
		_, err := os.Stat(filepath.Join(root, "sys/class/tty", name, "device"))
		return err == nil
	}
	return strings.TrimSpace(string(b)) != "0"
}

// usbDescription names a USB serial adapter from sysfs, when it can.
func usbDescription(root, name string) string {
	dev := filepath.Join(root, "sys/class/tty", name, "device")
	for i := 0; i < 4; i++ {
		dev = filepath.Join(dev, "..")
		prod, err := os.ReadFile(filepath.Join(dev, "product"))
		if err == nil {
			return strings.TrimSpace(string(prod))
		}
	}
	return ""
}
