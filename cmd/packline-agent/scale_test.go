package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/scale/scalesim"
)

func ptySim(t *testing.T, proto string, opt scalesim.Options) (*scalesim.Sim, string) {
	t.Helper()
	opt.Dir = t.TempDir()
	sim := scalesim.New(proto, opt)
	t.Cleanup(func() { sim.Close() })
	path, err := sim.ServePTY()
	if err != nil {
		t.Fatal(err)
	}
	return sim, path
}

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	code := runMain(ctx, args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestScaleReadCount(t *testing.T) {
	_, path := ptySim(t, "nci", scalesim.Options{Weight: "1.25", Unit: "lb"})
	code, out, errs := run(t, "scale", "read", "nci+serial://"+path, "--count", "3", "--interval", "10ms")
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3:\n%s", len(lines), out)
	}
	for _, l := range lines {
		if !strings.Contains(l, "1.25 lb [stable]") || !strings.Contains(l, `raw "\n  1.25lb\r\n00\r\x03"`) {
			t.Errorf("line %q lacks the reading or the raw frame", l)
		}
	}
}

func TestScaleReadStable(t *testing.T) {
	sim, path := ptySim(t, "sma", scalesim.Options{Weight: "0.000", Unit: "lb", Motion: 150 * time.Millisecond})
	go func() {
		time.Sleep(100 * time.Millisecond)
		sim.SetWeight("5.025", "lb")
	}()
	code, out, errs := run(t, "scale", "read", "--stable", "--interval", "10ms", "sma+serial://"+path)
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, errs)
	}
	if !strings.HasPrefix(out, "stable 5.025 lb") {
		t.Errorf("output %q, want stable 5.025 lb", out)
	}
}

func TestScaleReadErrors(t *testing.T) {
	_, path := ptySim(t, "nci", scalesim.Options{Weight: "1", Unit: "lb"})
	missing := t.TempDir() + "/ttyUSB4"
	code, _, errs := run(t, "scale", "read", "nci+serial://"+missing)
	if code != 1 || !strings.Contains(errs, "does not exist") || !strings.Contains(errs, "packline-agent devices") {
		t.Errorf("wrong port: code %d, stderr %q", code, errs)
	}

	held, err := scale.Open(context.Background(), deviceuri.MustParse("nci+serial://"+path), scale.Options{})
	if err != nil {
		t.Fatal(err)
	}
	code, _, errs = run(t, "scale", "read", "nci+serial://"+path)
	held.Close()
	if code != 1 || !strings.Contains(errs, "in use by another program") {
		t.Errorf("busy port: code %d, stderr %q", code, errs)
	}

	sim, path2 := ptySim(t, "nci", scalesim.Options{Weight: "1", Unit: "lb"})
	sim.SetFault(scalesim.FaultSilent)
	code, _, errs = run(t, "scale", "read", "nci+serial://"+path2, "--timeout", "200ms")
	if code != 1 || !strings.Contains(errs, "does not answer") {
		t.Errorf("silent scale: code %d, stderr %q", code, errs)
	}

	code, _, errs = run(t, "scale", "read")
	if code != 2 || !strings.Contains(errs, "usage") {
		t.Errorf("no URI: code %d, stderr %q", code, errs)
	}
	code, _, errs = run(t, "scale", "read", "/dev/ttyUSB0")
	if code != 1 || !strings.Contains(errs, "protocol+transport") {
		t.Errorf("bare path: code %d, stderr %q", code, errs)
	}
}

func TestScaleReadSim(t *testing.T) {
	code, out, errs := run(t, "scale", "read", "sim://scale?protocol=sics&weight=250g", "--count", "1")
	if code != 0 || !strings.Contains(out, "250 g [stable]") {
		t.Errorf("sim: code %d, out %q, stderr %q", code, out, errs)
	}
}

func TestDevicesProbe(t *testing.T) {
	_, nci := ptySim(t, "nci", scalesim.Options{Weight: "1", Unit: "lb"})
	_, cont := ptySim(t, "toledocont", scalesim.Options{Weight: "1", Unit: "lb", Interval: 20 * time.Millisecond})
	code, out, errs := run(t, "devices", "--port", nci, "--port", cont)
	if code != 0 {
		t.Fatalf("code %d, stderr %s", code, errs)
	}
	for _, want := range []string{"URI", "nci+serial://" + nci + "?baud=9600", "toledocont+serial://" + cont + "?baud=9600"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	u := out[strings.Index(out, "nci+serial://"):]
	u = strings.Fields(u)[0]
	code, out, errs = run(t, "scale", "read", u, "--count", "1")
	if code != 0 || !strings.Contains(out, "1 lb") {
		t.Errorf("reading the probed URI %s: code %d, out %q, stderr %q", u, code, out, errs)
	}
}

func TestDevicesListOnly(t *testing.T) {
	code, out, errs := run(t, "devices")
	if code != 0 || out == "" {
		t.Errorf("devices: code %d, out %q, stderr %q", code, out, errs)
	}
}
