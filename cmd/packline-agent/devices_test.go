package main

import (
	"strings"
	"testing"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/discover"
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
