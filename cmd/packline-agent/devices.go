package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/discover"
	"github.com/packline/packline/drivers/printer"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/serialport"
)

// portList collects repeated --port flags.
type portList []string

func (p *portList) String() string     { return strings.Join(*p, ",") }
func (p *portList) Set(s string) error { *p = append(*p, s); return nil }
func (p *portList) Get() any           { return []string(*p) }

func init() {
	register(&command{
		name:    "devices",
		args:    "[--probe] [--port PATH]... [--printer HOST:9100]...",
		summary: "list serial ports, HID scales and label printers, and with --probe the scale URI each port answers to",
		flags: func(fs *flag.FlagSet) {
			fs.Bool("probe", false, "talk to each port to find the scale's protocol and line setting")
			fs.Var(&portList{}, "port", "also probe this port (repeatable): a port not listed, a TCP serial device server (10.0.0.5:4001) or a HID scale's VID:PID (0922:8003)")
			fs.Var(&portList{}, "printer", "also ask this printer for its status (repeatable): a network printer's HOST or HOST:PORT (port 9100, asked with ~HQES), or a printer URI such as tspl+tcp://10.0.0.9:9100")
			fs.Duration("timeout", 20*time.Second, "give up probing a port or printer after this long")
		},
		run: runDevices,
	})
}

type deviceRow struct {
	port discover.Port
	uri  string
}

func runDevices(ctx context.Context, c *cli, fs *flag.FlagSet) error {
	if fs.NArg() != 0 {
		return errUsage
	}
	probe := flagValue[bool](fs, "probe")
	extra := flagValue[[]string](fs, "port")
	named := flagValue[[]string](fs, "printer")
	timeout := flagValue[time.Duration](fs, "timeout")
	var queried []printerRow
	for _, p := range named {
		u, err := namedPrinter(p)
		if err != nil {
			return err
		}
		queried = append(queried, printerRow{target: u.Target, transport: u.Transport, uri: u})
	}
	ports, err := discover.List()
	for _, p := range extra {
		ports = append(ports, namedPort(p))
		probe = true
	}
	printers, perr := discover.ListPrinters(ctx)
	if perr != nil {
		fmt.Fprintf(c.stderr, "packline-agent: %v\n", perr)
	}
	if err != nil {
		if len(ports) == 0 && len(printers) == 0 && len(queried) == 0 {
			return err
		}
		fmt.Fprintf(c.stderr, "packline-agent: %v\n", err)
	}
	rows := make([]deviceRow, len(ports))
	var wg sync.WaitGroup
	for i, p := range ports {
		rows[i] = deviceRow{port: p, uri: suggest(p, ports)}
		if !probe {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			u, err := scale.Probe(pctx, p.Path)
			rows[i].uri = probeResult(p, ports, u, err)
		}()
	}
	for i := range queried {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			queried[i].desc = printerStatus(pctx, queried[i].uri)
		}()
	}
	wg.Wait()
	if len(ports) == 0 {
		fmt.Fprintln(c.stdout, "no serial ports or HID scales found: plug the scale in (and switch it on), or name its port with --port")
	} else {
		tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PORT\tKIND\tDESCRIPTION\tURI")
		for _, r := range rows {
			desc := r.port.Description
			if r.port.Device != "" && r.port.Device != r.port.Path {
				desc = strings.TrimSpace(desc + " -> " + r.port.Device)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.port.Path, r.port.Kind, desc, r.uri)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		if !probe {
			fmt.Fprintln(c.stdout, "run with --probe to find each scale's protocol; put the URI in the station's scale setting")
		}
	}
	fmt.Fprintln(c.stdout)
	if err := writePrinters(c, printers, queried); err != nil {
		return err
	}
	return nil
}

// printerRow is one row of the printer table.
type printerRow struct {
	target, transport, desc string
	uri                     deviceuri.URI
	// text is the URI as shown; it is uri.String() when empty.
	text string
	note string
}

// writePrinters prints the printers found and those named with
// --printer, with the notes that go with them below the table.
func writePrinters(c *cli, found []discover.Printer, queried []printerRow) error {
	rows := make([]printerRow, 0, len(found)+len(queried))
	for _, p := range found {
		rows = append(rows, printerRow{target: p.Target, transport: p.Transport, desc: p.Description, text: p.URI(), note: p.Note})
	}
	rows = append(rows, queried...)
	if len(rows) == 0 {
		fmt.Fprintln(c.stdout, "no label printers found: plug the printer in and switch it on, or name a network printer with --printer HOST:9100")
		return nil
	}
	tw := tabwriter.NewWriter(c.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PRINTER\tTRANSPORT\tDESCRIPTION\tURI")
	for _, r := range rows {
		text := r.text
		if text == "" {
			text = r.uri.String()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.target, r.transport, r.desc, text)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, r := range rows {
		if r.note != "" {
			fmt.Fprintf(c.stdout, "%s: %s\n", r.target, r.note)
		}
	}
	fmt.Fprintln(c.stdout, "put the printer's URI in the station's printer setting; packline-agent print URI FILE.pdf prints a test label")
	return nil
}

// namedPrinter is the URI of a printer named with --printer: HOST or
// HOST:PORT of a network ZPL printer (port 9100 when none is given), the
// same with tcp:// in front, or a printer URI.
func namedPrinter(s string) (deviceuri.URI, error) {
	scheme, rest, hasScheme := strings.Cut(s, "://")
	if hasScheme && !strings.EqualFold(scheme, "tcp") {
		u, err := deviceuri.Parse(s)
		if err != nil {
			return deviceuri.URI{}, fmt.Errorf("--printer %s: %w", s, err)
		}
		switch u.Protocol {
		case "zpl", "epl", "tspl":
			return u, nil
		}
		return deviceuri.URI{}, fmt.Errorf("--printer %s: %q is not a printer language: write zpl+, epl+ or tspl+ before the transport, or give HOST:9100", s, u.Protocol)
	}
	if hasScheme {
		s = rest
	}
	addr := s
	if _, _, err := net.SplitHostPort(s); err != nil {
		addr = net.JoinHostPort(strings.Trim(s, "[]"), "9100")
	}
	host, port, err := net.SplitHostPort(addr)
	if n, perr := strconv.Atoi(port); err != nil || host == "" || perr != nil || n < 1 || n > 65535 {
		return deviceuri.URI{}, fmt.Errorf("--printer %q: want the network printer's HOST or HOST:PORT, e.g. 10.0.0.9:9100, or a printer URI such as zpl+usb:///dev/usb/lp0", s)
	}
	return deviceuri.URI{Protocol: "zpl", Transport: "tcp", Target: addr}, nil
}

// printerStatus asks the printer at u for its status (for ZPL ~HQES,
// then ~HS if it never answers that) and says what it answered.
func printerStatus(ctx context.Context, u deviceuri.URI) string {
	p, err := printer.Open(u, printer.Options{})
	if err != nil {
		return err.Error()
	}
	defer p.Close()
	st, err := p.Status(ctx)
	switch {
	case err == nil && st.Ready:
		return "ready" + listSuffix(st.Warnings)
	case err == nil:
		return strings.TrimPrefix((&printer.NotReadyError{Status: st}).Error(), "printer ") + listSuffix(st.Warnings)
	case errors.Is(err, printer.ErrNoStatus):
		return "cannot tell: no status over this link"
	case errors.Is(err, printer.ErrNoAnswer) && u.Protocol == "zpl":
		return "no status reply: check power, paper and head; an EPL2 or TSPL printer does not answer ZPL (name it as epl+ or tspl+ instead)"
	case errors.Is(err, printer.ErrNoAnswer):
		return "no status reply: check power, paper and head"
	case errors.Is(err, context.DeadlineExceeded):
		return "no status reply in time: another client may hold the printer's port; try again"
	}
	return err.Error()
}

// namedPort is the row of a port named with --port: a TCP serial device
// server, a HID scale (by VID:PID or device path) or a serial port.
func namedPort(p string) discover.Port {
	if addr, ok := scale.TCPAddress(p); ok {
		return discover.Port{Path: addr, Device: addr, Kind: "tcp", Description: "named with --port"}
	}
	port := discover.Port{Path: p, Device: p, Kind: "serial", Description: "named with --port"}
	if serialport.IsHIDName(p) {
		port.Kind = "hid" // a VID:PID is its own stable name
	}
	return port
}

// probeResult is the URI column after probing p: the URI found (for a HID
// scale its stable VID:PID form), or what stood in the way.
func probeResult(p discover.Port, ports []discover.Port, u deviceuri.URI, err error) string {
	switch {
	case err == nil && p.Kind == "hid":
		return suggest(p, ports)
	case err == nil:
		return u.String()
	case errors.Is(err, serialport.ErrBusy):
		return "busy: another program holds the port open"
	case errors.Is(err, serialport.ErrDenied) && p.Kind == "hid":
		return "permission denied: install the agent's udev rule for the scale (the package does) and replug it"
	case errors.Is(err, serialport.ErrDenied):
		return "permission denied: add the agent's user to the dialout group"
	case errors.Is(err, serialport.ErrNotFound) && p.Kind == "tcp":
		return "nothing accepts connections there: check the device server's address and port"
	case errors.Is(err, serialport.ErrNotFound):
		return "not found: check the name and that the device is plugged in"
	}
	return "no scale answered"
}

// suggest is the URI shown without probing. A HID scale gets the
// VID:PID form that survives a replug, when its ids tell it apart.
func suggest(p discover.Port, ports []discover.Port) string {
	switch p.Kind {
	case "hid":
		if u, ok := discover.StableURI(p, ports); ok {
			return u.String()
		}
		// Windows device paths hold a '?', which would start the query.
		return "hidpos://" + strings.NewReplacer("%", "%25", "?", "%3F").Replace(p.Path)
	case "tcp":
		return "?+tcp://" + p.Path + " (probe to fill in the protocol)"
	}
	return "?+serial://" + p.Path + " (probe to fill in the protocol)"
}
