package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/discover"
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
		args:    "[--probe] [--port PATH]...",
		summary: "list serial ports and HID scales, and with --probe the scale URI each one answers to",
		flags: func(fs *flag.FlagSet) {
			fs.Bool("probe", false, "talk to each port to find the scale's protocol and line setting")
			fs.Var(&portList{}, "port", "also probe this port (repeatable): a port not listed, a TCP serial device server (10.0.0.5:4001) or a HID scale's VID:PID (0922:8003)")
			fs.Duration("timeout", 20*time.Second, "give up probing a port after this long")
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
	timeout := flagValue[time.Duration](fs, "timeout")
	ports, err := discover.List()
	if err != nil {
		if len(ports) == 0 {
			return err
		}
		fmt.Fprintf(c.stderr, "packline-agent: %v\n", err)
	}
	for _, p := range extra {
		ports = append(ports, namedPort(p))
		probe = true
	}
	if len(ports) == 0 {
		fmt.Fprintln(c.stdout, "no serial ports or HID scales found: plug the scale in (and switch it on), or name its port with --port")
		return nil
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
	wg.Wait()
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
		fmt.Fprintln(c.stdout, "\nrun with --probe to find each scale's protocol; put the URI in the station's scale setting")
	}
	return nil
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
