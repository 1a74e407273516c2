package discover

import (
	"fmt"
	"sort"

	"golang.org/x/sys/windows/registry"

	"github.com/packline/packline/drivers/serialport"
)

// List lists the COM ports Windows knows (HKLM\HARDWARE\DEVICEMAP\SERIALCOMM),
// then the HID POS scales among the HID device interfaces. The COM ports
// are returned even when listing HID devices fails.
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

func comPorts() ([]Port, error) {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `HARDWARE\DEVICEMAP\SERIALCOMM`, registry.QUERY_VALUE)
	if err == registry.ErrNotExist {
		return nil, nil // no serial ports at all
	}
	if err != nil {
		return nil, fmt.Errorf("reading the COM port list: %w", err)
	}
	defer k.Close()
	names, err := k.ReadValueNames(0)
	if err != nil {
		return nil, fmt.Errorf("reading the COM port list: %w", err)
	}
	var out []Port
	for _, n := range names {
		com, _, err := k.GetStringValue(n)
		if err != nil {
			continue
		}
		out = append(out, Port{Path: com, Device: n, Kind: "serial", Description: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}
