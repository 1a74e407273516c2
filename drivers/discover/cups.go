//go:build !windows

package discover

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// lpstatTimeout bounds each lpstat run.
const lpstatTimeout = 5 * time.Second

// cupsPrinters lists the CUPS queues with `lpstat -e` and their device
// URIs with `lpstat -v`, run in the C locale. ppdDir is where CUPS keeps
// the local queues' PPDs (/etc/cups/ppd); a local queue without one is
// raw. Without lpstat there is nothing to list and no error.
func cupsPrinters(ctx context.Context, ppdDir string) ([]Printer, error) {
	lpstat, err := exec.LookPath("lpstat")
	if err != nil {
		return nil, nil
	}
	run := func(arg string) (string, error) {
		ctx, cancel := context.WithTimeout(ctx, lpstatTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, lpstat, arg)
		cmd.Env = append(os.Environ(), "LC_ALL=C", "LANG=C")
		out, err := cmd.CombinedOutput()
		text := string(out)
		if err != nil && !strings.Contains(text, "No destinations added") {
			return "", fmt.Errorf("listing CUPS queues: lpstat %s: %w: %s: start CUPS (systemctl start cups) or name the printer in the URI yourself", arg, err, strings.TrimSpace(text))
		}
		return text, nil
	}
	dests, err := run("-e")
	if err != nil {
		return nil, err
	}
	devices, err := run("-v")
	if err != nil {
		return nil, err
	}
	return parseLpstat(dests, devices, func(q string) bool {
		if ppdDir == "" {
			return false
		}
		if _, err := os.Stat(ppdDir); err != nil {
			return false // no local CUPS configuration to tell by
		}
		_, err := os.Stat(filepath.Join(ppdDir, q+".ppd"))
		return errors.Is(err, os.ErrNotExist)
	}), nil
}

// parseLpstat turns the output of `lpstat -e` (one destination a line)
// and `lpstat -v` ("device for Q: URI") into printers, in the order of
// `lpstat -e` with queues only `lpstat -v` names after them. raw reports
// whether a local queue has no driver; it is asked only for queues whose
// device is not another IPP printer or server.
func parseLpstat(dests, devices string, raw func(queue string) bool) []Printer {
	device := map[string]string{}
	var names []string
	seen := map[string]bool{}
	add := func(q string) {
		if q != "" && !seen[q] {
			seen[q] = true
			names = append(names, q)
		}
	}
	sc := bufio.NewScanner(strings.NewReader(dests))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "lpstat:") {
			continue
		}
		add(strings.Fields(line)[0])
	}
	sc = bufio.NewScanner(strings.NewReader(devices))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "device for ")
		if !ok {
			continue
		}
		q, uri, ok := strings.Cut(rest, ": ")
		if !ok {
			q, _, ok = strings.Cut(rest, ":")
			if !ok {
				continue
			}
		}
		// The name is read as `lpstat -e` gives it: without the white
		// space around it, which no queue name holds.
		q = strings.TrimSpace(q)
		if q == "" {
			continue
		}
		device[q] = strings.TrimSpace(uri)
		add(q)
	}
	var out []Printer
	for _, q := range names {
		dev := device[q]
		p := Printer{Transport: "cups", Target: q, Description: dev}
		scheme, hint, direct := cupsDevice(dev)
		switch scheme {
		case "ipp", "ipps", "http", "https", "dnssd", "implicitclass":
			// Another IPP printer or server: no local driver to tell by.
		default:
			p.Raw = raw != nil && raw(q)
		}
		p.setLanguage("", q, hint)
		if direct != "" {
			tip := "CUPS passes jobs on to a network printer: " + p.Language + "+tcp://" + direct + " prints there directly and reads its status"
			if p.Note != "" {
				tip += "; " + p.Note
			}
			p.Note = tip
		}
		if p.Raw {
			if p.Description != "" {
				p.Description = "raw queue, " + p.Description
			} else {
				p.Description = "raw queue"
			}
		}
		out = append(out, p)
	}
	return out
}

// cupsDevice splits a CUPS device URI into its scheme, its decoded host
// and path (which name the make and model for usb://) and, for a
// socket:// printer, the host:port to reach it directly. Device URIs need
// not be valid URLs (usb://Zebra%20Technologies/...), so they are taken
// apart by hand.
func cupsDevice(dev string) (scheme, hint, direct string) {
	scheme, rest, ok := strings.Cut(dev, "://")
	if !ok {
		return "", "", ""
	}
	rest, _, _ = strings.Cut(rest, "?")
	host, _, _ := strings.Cut(rest, "/")
	hint = rest
	if h, err := url.PathUnescape(rest); err == nil {
		hint = h
	}
	if scheme == "socket" && host != "" {
		if _, _, err := net.SplitHostPort(host); err == nil {
			direct = host
		} else {
			direct = net.JoinHostPort(strings.Trim(host, "[]"), "9100")
		}
		// Suggest only what a zpl+tcp:// URI takes: host:port, both
		// given, once the escapes are undone.
		h, err := url.PathUnescape(direct)
		if err != nil {
			direct = ""
		} else if host, port, err := net.SplitHostPort(h); err != nil || host == "" || port == "" {
			direct = ""
		}
	}
	return strings.ToLower(scheme), strings.ReplaceAll(hint, "/", " "), direct
}
