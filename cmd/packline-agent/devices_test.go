package main

import (
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/discover"
	"github.com/packline/packline/drivers/printer/printersim"
	"github.com/packline/packline/drivers/scale/scalesim"
)

func TestDevicesProbeTCP(t *testing.T) {
	sim := scalesim.New("sics", scalesim.Options{Weight: "1.5", Unit: "kg"})
	defer sim.Close()
	addr, err := sim.ServeTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	// The timeout bounds probing whatever serial ports this machine has.
	code, out, errs := run(t, "devices", "--port", addr, "--timeout", "5s")
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, errs)
	}
	want := "sics+tcp://" + addr
	line := ""
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, addr) {
			line = l
		}
	}
	if !strings.Contains(line, " tcp ") || !strings.HasSuffix(strings.TrimSpace(line), want) {
		t.Fatalf("row for %s is %q, want kind tcp and URI %s:\n%s", addr, line, want, out)
	}
	code, out, errs = run(t, "scale", "read", want, "--count", "1")
	if code != 0 || !strings.Contains(out, "1.5 kg") {
		t.Errorf("reading the probed URI %s: code %d, out %q, stderr %q", want, code, out, errs)
	}
}

func TestDevicesSuggestsStableHIDURIs(t *testing.T) {
	m10 := discover.Port{Path: "/dev/hidraw3", Kind: "hid", VID: 0x0922, PID: 0x8003}
	twinA := discover.Port{Path: `\\?\hid#vid_2474&pid_0550#7&1&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`, Kind: "hid", VID: 0x2474, PID: 0x0550}
	twinB := discover.Port{Path: `\\?\hid#vid_2474&pid_0550#7&2&0&0000#{4d1e55b2-f16f-11cf-88cb-001111000030}`, Kind: "hid", VID: 0x2474, PID: 0x0550}
	ports := []discover.Port{m10, twinA, twinB}
	if got := suggest(m10, ports); got != "hidpos://0922:8003" {
		t.Errorf("suggest(M10) = %q, want hidpos://0922:8003", got)
	}
	// Identical scales without serial numbers fall back to the path,
	// escaped so the URI parses back to it.
	got := suggest(twinA, ports)
	u, err := deviceuri.Parse(got)
	if err != nil || u.Protocol != "hidpos" || u.Target != twinA.Path || len(u.Params) != 0 {
		t.Errorf("suggest(twin) = %q, parses to %+v, %v; want the device path %s", got, u, err, twinA.Path)
	}
	if got := suggest(namedPort("0922:8009"), ports); got != "hidpos://0922:8009" {
		t.Errorf("suggest(--port 0922:8009) = %q", got)
	}
	if p := namedPort("tcp://10.0.0.5:4001"); p.Kind != "tcp" || p.Path != "10.0.0.5:4001" {
		t.Errorf("namedPort(tcp://10.0.0.5:4001) = %+v", p)
	}
	if p := namedPort("/dev/ttyUSB3"); p.Kind != "serial" {
		t.Errorf("namedPort(/dev/ttyUSB3) = %+v", p)
	}
}

func TestDevicesProbeTCPNothingThere(t *testing.T) {
	sim := scalesim.New("nci", scalesim.Options{})
	addr, err := sim.ServeTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sim.Close()
	code, out, _ := run(t, "devices", "--port", addr, "--timeout", "2s")
	if code != 0 || !strings.Contains(out, "nothing accepts connections there") {
		t.Errorf("code %d, out:\n%s", code, out)
	}
}

func TestDevicesPrinterStatus(t *testing.T) {
	sim := printersim.New(printersim.Options{})
	defer sim.Close()
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	row := func(out string) string {
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, addr+" ") {
				return l
			}
		}
		return ""
	}
	code, out, errs := run(t, "devices", "--printer", addr, "--timeout", "5s")
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, errs)
	}
	line := row(out)
	if !strings.Contains(line, " tcp ") || !strings.Contains(line, " ready ") || !strings.HasSuffix(strings.TrimSpace(line), "zpl+tcp://"+addr) {
		t.Errorf("row for %s is %q, want tcp, ready and zpl+tcp://%s:\n%s", addr, line, addr, out)
	}
	if sim.StatusQueries() == 0 {
		t.Error("the printer was not asked for its status")
	}

	sim.SetFault(printersim.FaultPaperOut)
	_, out, _ = run(t, "devices", "--printer", "tcp://"+addr, "--timeout", "5s")
	if line := row(out); !strings.Contains(line, "not ready: media out") || !strings.Contains(line, "load labels") {
		t.Errorf("row for a printer out of paper is %q, want the fault and what to do:\n%s", line, out)
	}
}

func TestDevicesPrinterUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	code, out, _ := run(t, "devices", "--printer", addr, "--timeout", "5s")
	if code != 0 || !strings.Contains(out, "refused the connection") {
		t.Errorf("code %d, out:\n%s", code, out)
	}
}

func TestDevicesNamedPrinter(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.9":                 "zpl+tcp://10.0.0.9:9100",
		"10.0.0.9:6101":            "zpl+tcp://10.0.0.9:6101",
		"TCP://label-1.local:9100": "zpl+tcp://label-1.local:9100",
		"[fe80::1]":                "zpl+tcp://[fe80::1]:9100",
		"tspl+tcp://10.0.0.9:9100": "tspl+tcp://10.0.0.9:9100",
		"zpl+usb:///dev/usb/lp0":   "zpl+usb:///dev/usb/lp0",
	} {
		u, err := namedPrinter(in)
		if err != nil || u.String() != want {
			t.Errorf("namedPrinter(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	for _, in := range []string{"nci+serial://COM3", "10.0.0.9:abc", ":9100", "10.0.0.9:70000"} {
		if u, err := namedPrinter(in); err == nil {
			t.Errorf("namedPrinter(%q) = %v, want an error", in, u)
		}
	}
	code, _, errs := run(t, "devices", "--printer", "sics+tcp://10.0.0.9:4001")
	if code == 0 || !strings.Contains(errs, "not a printer language") {
		t.Errorf("devices --printer with a scale URI: code %d, stderr %q", code, errs)
	}
}

func TestDevicesListsCUPSQueues(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the Windows spooler lists printers there, not lpstat")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\n" +
		"case \"$1\" in\n" +
		"-e) echo label4x6; echo tsc ;;\n" +
		"-v) echo 'device for label4x6: socket://10.1.2.9:9100'; echo 'device for tsc: usb://TSC/TTP-244%20Pro?serial=1' ;;\n" +
		"esac\n"
	if err := os.WriteFile(filepath.Join(dir, "lpstat"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	code, out, errs := run(t, "devices")
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, errs)
	}
	for _, want := range []string{"zpl+cups://label4x6", "tspl+cups://tsc", "label4x6: CUPS passes jobs on to a network printer: zpl+tcp://10.1.2.9:9100"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
