package scale

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/serialport"
)

// ProbeSettings returns the line settings Probe tries, most common first.
func ProbeSettings() []deviceuri.Serial {
	return []deviceuri.Serial{
		{Baud: 9600, DataBits: 7, Parity: 'E', StopBits: 1},
		{Baud: 9600, DataBits: 8, Parity: 'N', StopBits: 1},
		{Baud: 4800, DataBits: 8, Parity: 'N', StopBits: 1},
		{Baud: 19200, DataBits: 8, Parity: 'N', StopBits: 1},
		{Baud: 2400, DataBits: 7, Parity: 'E', StopBits: 1},
	}
}

// probeOrder is the order of active probes; each command is harmless to
// the other families.
func probeOrder() []string { return []string{"nci", "sma", "sics", "toledo8217"} }

const (
	listenFor = 300 * time.Millisecond
	answerFor = 400 * time.Millisecond
)

// Probe finds the scale on portPath and returns the URI that reaches it.
// A HID device (a VID:PID such as 0922:8003, a hidraw file, a Windows HID
// device path) is read for HID POS reports. A TCP serial device server
// (host:port, or tcp://host:port) is asked in every protocol over one
// connection: its serial side has its own line setting. A serial port is
// opened at each of ProbeSettings. On TCP and serial Probe first listens
// for a streaming scale (Toledo continuous), then sends each protocol's
// status or identify command (NCI S<CR>, SMA <LF>A<CR>, MT-SICS I4,
// Toledo 8217 Ehello) and matches the reply.
func Probe(ctx context.Context, portPath string) (deviceuri.URI, error) {
	if serialport.IsHIDName(portPath) {
		return probeHID(ctx, portPath)
	}
	if addr, ok := TCPAddress(portPath); ok {
		return probeTCP(ctx, addr)
	}
	for _, s := range ProbeSettings() {
		if err := ctx.Err(); err != nil {
			return deviceuri.URI{}, err
		}
		u, err := probeSetting(ctx, portPath, s)
		if err == nil {
			return u, nil
		}
		if errors.Is(err, serialport.ErrBusy) || errors.Is(err, serialport.ErrNotFound) || errors.Is(err, serialport.ErrDenied) {
			return deviceuri.URI{}, err
		}
	}
	return deviceuri.URI{}, fmt.Errorf("probing %s: %w: no known scale protocol answered at 9600 7E1, 9600 8N1, 4800, 19200 or 2400 baud; check the scale is on and set to NCI, SMA, MT-SICS, Toledo 8217 or continuous output", portPath, ErrNoAnswer)
}

// TCPAddress reports whether name is the address of a TCP serial device
// server rather than a port name: tcp://host:port, or host:port with a
// numeric port (a HID VID:PID such as 0922:8003 is not one).
func TCPAddress(name string) (addr string, ok bool) {
	if rest, found := strings.CutPrefix(strings.ToLower(name), "tcp://"); found {
		name = name[len(name)-len(rest):]
		_, _, err := net.SplitHostPort(name)
		return name, err == nil
	}
	if serialport.IsHIDName(name) || strings.HasPrefix(name, "/") || strings.HasPrefix(name, `\`) {
		return "", false
	}
	host, port, err := net.SplitHostPort(name)
	if err != nil || host == "" {
		return "", false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", false
	}
	return name, true
}

func serialURI(proto, path string, s deviceuri.Serial) deviceuri.URI {
	return deviceuri.URI{Protocol: proto, Transport: "serial", Target: path, Params: url.Values{
		"baud": {strconv.Itoa(s.Baud)}, "data": {strconv.Itoa(s.DataBits)}, "parity": {string(s.Parity)}, "stop": {strconv.Itoa(s.StopBits)},
	}}
}

func probeSetting(ctx context.Context, path string, s deviceuri.Serial) (deviceuri.URI, error) {
	p, err := serialport.OpenSerial(path, s)
	if err != nil {
		return deviceuri.URI{}, err
	}
	defer p.Close()
	return probePort(ctx, p, func(proto string) deviceuri.URI { return serialURI(proto, path, s) })
}

func probeTCP(ctx context.Context, addr string) (deviceuri.URI, error) {
	p, err := serialport.DialTCP(ctx, addr)
	if err != nil {
		return deviceuri.URI{}, fmt.Errorf("probing %s: %w", addr, err)
	}
	defer p.Close()
	u, err := probePort(ctx, p, func(proto string) deviceuri.URI {
		return deviceuri.URI{Protocol: proto, Transport: "tcp", Target: addr}
	})
	if err != nil {
		if ctx.Err() != nil {
			return deviceuri.URI{}, fmt.Errorf("probing %s: %w", addr, context.Cause(ctx))
		}
		return deviceuri.URI{}, fmt.Errorf("probing %s: %w: no known scale protocol answered over TCP; check that the device server's serial side matches the scale (usually 9600 7E1) and that the scale is on and set to NCI, SMA, MT-SICS, Toledo 8217 or continuous output", addr, ErrNoAnswer)
	}
	return u, nil
}

// probePort tries every protocol on the open port p; uri names the port
// in each protocol.
func probePort(ctx context.Context, p serialport.Port, uri func(proto string) deviceuri.URI) (deviceuri.URI, error) {
	// Passive first: a streaming scale talks without being asked.
	if d, ok := Lookup("toledocont"); ok {
		u := uri(d.Name)
		if c, err := d.Codec(u); err == nil && listen(ctx, p, c) {
			return u, nil
		}
	}
	for _, name := range probeOrder() {
		d, ok := Lookup(name)
		if !ok || d.Match == nil {
			continue
		}
		u := uri(name)
		c, err := d.Codec(u)
		if err != nil || c.Identify == nil {
			continue
		}
		if ask(ctx, p, c.Identify, d.Match) {
			return u, nil
		}
	}
	return deviceuri.URI{}, ErrNoAnswer
}

// listen reports whether a valid frame of c arrives within listenFor.
func listen(ctx context.Context, p serialport.Port, c Codec) bool {
	ctx, cancel := context.WithTimeout(ctx, listenFor)
	defer cancel()
	fr := NewFramer(p, c.Split)
	for {
		frame, err := fr.Next(ctx)
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) {
				continue
			}
			return false
		}
		if _, err := c.Parse(frame); err == nil {
			return true
		}
	}
}

// ask sends cmd and reports whether match accepts the reply.
func ask(ctx context.Context, p serialport.Port, cmd []byte, match func([]byte) bool) bool {
	if f, ok := p.(serialport.Flusher); ok {
		_ = f.Flush()
	}
	if _, err := p.Write(cmd); err != nil {
		return false
	}
	deadline := time.Now().Add(answerFor)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	var got []byte
	buf := make([]byte, 256)
	for time.Now().Before(deadline) {
		_ = p.SetReadDeadline(deadline)
		n, err := p.Read(buf)
		got = append(got, buf[:n]...)
		if match(got) {
			return true
		}
		if err != nil {
			return false
		}
	}
	return false
}

func probeHID(ctx context.Context, path string) (deviceuri.URI, error) {
	u := deviceuri.URI{Protocol: "hidpos", Target: path}
	d, ok := Lookup("hidpos")
	if !ok {
		return deviceuri.URI{}, fmt.Errorf("probing %s: the hidpos driver is not linked in", path)
	}
	c, err := d.Codec(u)
	if err != nil {
		return deviceuri.URI{}, err
	}
	p, err := serialport.OpenHID(path, "")
	if err != nil {
		return deviceuri.URI{}, err
	}
	defer p.Close()
	if !listen(ctx, p, c) {
		return deviceuri.URI{}, fmt.Errorf("probing %s: %w: no HID POS scale report (is it a scale, and switched on?)", path, ErrNoAnswer)
	}
	return u, nil
}
