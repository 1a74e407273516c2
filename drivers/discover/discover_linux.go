package discover

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/packline/packline/drivers/serialport"
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
	hid, err := serialport.ListHIDRawIn(root)
	if err != nil {
		return out, err
	}
	out = append(out, hidPorts(hid, func(p string) string { return strip(root, p) })...)
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

// usbPrintersIn lists the USB printer device files under root
// (/dev/usb/lp*), with the IEEE 1284 id from
// /sys/class/usbmisc/lpN/device/ieee1284_id when it can be read.
func usbPrintersIn(root string) []Printer {
	files, _ := filepath.Glob(filepath.Join(root, "dev/usb/lp*"))
	sort.Strings(files)
	var out []Printer
	for _, f := range files {
		name := filepath.Base(f)
		p := Printer{Transport: "usb", Target: strip(root, f)}
		var fields map[string]string
		if b, err := os.ReadFile(filepath.Join(root, "sys/class/usbmisc", name, "device/ieee1284_id")); err == nil {
			fields = ParseIEEE1284ID(strings.TrimSpace(string(b)))
		}
		p.Description = strings.TrimSpace(fields["MFG"] + " " + fields["MDL"])
		if p.Description == "" {
			p.Description = fields["DES"]
		}
		p.setLanguage(fields["CMD"], fields["MDL"], fields["MFG"], fields["DES"])
		out = append(out, p)
	}
	return out
}

// ListPrinters lists the label printers present: USB printer device
// files (/dev/usb/lp*) and CUPS queues. A failing lpstat is reported with
// the USB printers still listed.
func ListPrinters(ctx context.Context) ([]Printer, error) { return ListPrintersIn(ctx, "/") }

// ListPrintersIn is ListPrinters over a file tree rooted at root (a copy
// of /dev, /sys and /etc/cups/ppd in tests). CUPS is asked with the lpstat
// found on PATH.
func ListPrintersIn(ctx context.Context, root string) ([]Printer, error) {
	out := usbPrintersIn(root)
	cups, err := cupsPrinters(ctx, filepath.Join(root, "etc/cups/ppd"))
	return append(out, cups...), err
}
