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
			fs.Var(&portList{}, "port", "also probe this port (repeatable), e.g. a port not listed")
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
		return err
	}
	for _, p := range extra {
		kind := "serial"
		if strings.Contains(p, "hidraw") {
			kind = "hid"
		}
		ports = append(ports, discover.Port{Path: p, Device: p, Kind: kind, Description: "named with --port"})
		probe = true
	}
	if len(ports) == 0 {
		fmt.Fprintln(c.stdout, "no serial ports or HID scales found: plug the scale in (and switch it on), or name its port with --port")
		return nil
	}
	rows := make([]deviceRow, len(ports))
	var wg sync.WaitGroup
	for i, p := range ports {
		rows[i] = deviceRow{port: p, uri: suggest(p)}
		if !probe {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pctx, cancel := context.WithTimeout(ctx, timeout)
			defer cancel()
			u, err := scale.Probe(pctx, p.Path)
			switch {
			case err == nil:
				rows[i].uri = u.String()
			case errors.Is(err, serialport.ErrBusy):
				rows[i].uri = "busy: another program holds the port open"
			case errors.Is(err, serialport.ErrDenied):
				rows[i].uri = "permission denied: add the agent's user to the dialout group"
			default:
				rows[i].uri = "no scale answered"
			}
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

// suggest is the URI shown without probing.
func suggest(p discover.Port) string {
	if p.Kind == "hid" {
		return deviceuri.URI{Protocol: "hidpos", Target: p.Path}.String()
	}
	return "?+serial://" + p.Path + " (probe to fill in the protocol)"
}
