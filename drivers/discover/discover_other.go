//go:build !linux && !windows

package discover

import "context"

// List finds nothing on this platform: name the port in the URI.
func List() ([]Port, error) { return nil, nil }

// ListPrinters lists the CUPS queues, when lpstat is installed.
func ListPrinters(ctx context.Context) ([]Printer, error) {
	return cupsPrinters(ctx, "/etc/cups/ppd")
}
