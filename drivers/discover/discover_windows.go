package discover

import (
	"fmt"
	"sort"

	"golang.org/x/sys/windows/registry"
)

// List lists the COM ports Windows knows (HKLM\HARDWARE\DEVICEMAP\SERIALCOMM).
// Windows has no hidraw: HID scales need their serial (USB-CDC) mode.
func List() ([]Port, error) {
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
