package all_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/scale/scalesim"
	"github.com/packline/packline/drivers/serialport"

	_ "github.com/packline/packline/drivers/scale/all"
)

// wire maps a simulator protocol to the driver protocol that reads it.
func wire(p string) string {
	if p == "scp02" {
		return "nci"
	}
	return p
}

type serveFunc func(t *testing.T, sim *scalesim.Sim, proto string) deviceuri.URI

func servePTY(t *testing.T, sim *scalesim.Sim, proto string) deviceuri.URI {
	path, err := sim.ServePTY()
	if err != nil {
		t.Fatal(err)
	}
	tr := "serial"
	if proto == "hidpos" {
		tr = "hidraw"
	}
	return deviceuri.URI{Protocol: wire(proto), Transport: tr, Target: path}
}

func serveTCP(t *testing.T, sim *scalesim.Sim, proto string) deviceuri.URI {
	addr, err := sim.ServeTCP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return deviceuri.URI{Protocol: wire(proto), Transport: "tcp", Target: addr}
}

var transports = map[string]serveFunc{"pty": servePTY, "tcp": serveTCP}

// readStable reads until a stable reading or the test's patience ends.
func readStable(t *testing.T, sc scale.Scale) scale.Reading {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var last error
	for ctx.Err() == nil {
		r, err := sc.Read(ctx)
		if err == nil && r.Stable {
			return r
		}
		last = err
	}
	t.Fatalf("no stable reading: %v", last)
	return scale.Reading{}
}

func TestEveryProtocolOverEveryTransport(t *testing.T) {
	weights := []struct{ value, unit, wantValue string }{
		{"1.25", "lb", "1.25"},
		{"5.025", "lb", "5.025"},
		{"100.00", "g", "100.00"},
		{"2.50", "kg", "2.50"},
	}
	for _, proto := range scalesim.Protocols() {
		for tname, serve := range transports {
			t.Run(proto+"/"+tname, func(t *testing.T) {
				for _, w := range weights {
					if (proto == "toledocont") && w.unit == "g" {
						continue // continuous output carries lb or kg only
					}
					sim := scalesim.New(proto, scalesim.Options{Weight: w.value, Unit: w.unit, Dir: t.TempDir(), Interval: 10 * time.Millisecond})
					u := serve(t, sim, proto)
					if proto == "toledo8217" {
						u.Params = map[string][]string{"unit": {w.unit}}
					}
					sc, err := scale.Open(context.Background(), u, scale.Options{})
					if err != nil {
						sim.Close()
						t.Fatalf("Open(%s): %v", u, err)
					}
					r := readStable(t, sc)
					want, _ := scale.ParseValue(w.wantValue, w.unit)
					if r.Micrograms != want.Micrograms || r.Unit != w.unit || r.Value != w.wantValue {
						t.Errorf("%s %s%s: got %s (%d µg, %q), want %s %s (%d µg)", u, w.value, w.unit, r, r.Micrograms, r.Raw, w.wantValue, w.unit, want.Micrograms)
					}
					if len(r.Raw) == 0 || r.At.IsZero() {
						t.Errorf("reading lacks Raw or At: %+v", r)
					}
					sc.Close()
					sim.Close()
				}
			})
		}
	}
}

func TestFaultyLinesNeverMisread(t *testing.T) {
	faults := map[string]scalesim.Options{
		"split":   {Split: true},
		"glued":   {Glue: true},
		"garbage": {Garbage: true},
	}
	for _, proto := range scalesim.Protocols() {
		for fname, opt := range faults {
			t.Run(proto+"/"+fname, func(t *testing.T) {
				opt.Weight, opt.Unit, opt.Dir, opt.Interval = "3.75", "lb", t.TempDir(), 10*time.Millisecond
				sim := scalesim.New(proto, opt)
				defer sim.Close()
				u := servePTY(t, sim, proto)
				sc, err := scale.Open(context.Background(), u, scale.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer sc.Close()
				for i := 0; i < 5; i++ {
					r := readStable(t, sc)
					if r.Value != "3.75" || r.Unit != "lb" {
						t.Fatalf("read %d: got %s raw %q, want 3.75 lb", i, r, r.Raw)
					}
				}
			})
		}
	}
}

func TestTruncatedFramesNeverMisread(t *testing.T) {
	for _, proto := range scalesim.Protocols() {
		t.Run(proto, func(t *testing.T) {
			sim := scalesim.New(proto, scalesim.Options{Weight: "12.5", Unit: "lb", Dir: t.TempDir(), Interval: 10 * time.Millisecond})
			defer sim.Close()
			sim.SetFault(scalesim.FaultTruncate)
			u := servePTY(t, sim, proto)
			sc, err := scale.Open(context.Background(), u, scale.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			good := 0
			for i := 0; i < 6; i++ {
				r, err := sc.Read(context.Background())
				var fe *scale.FrameError
				switch {
				case err == nil:
					if r.Value != "12.5" {
						t.Fatalf("got %s from %q, want 12.5 lb", r, r.Raw)
					}
					good++
				case errors.As(err, &fe):
				default:
					t.Fatalf("read: %v", err)
				}
			}
			if good == 0 {
				t.Errorf("no reading got through the truncated frames")
			}
		})
	}
}

func TestErrorFramesAreTypedErrors(t *testing.T) {
	cases := []struct {
		proto, fault string
	}{
		{"nci", scalesim.FaultUnknown},
		{"nci", scalesim.FaultZeroError},
		{"scp02", scalesim.FaultUnknown},
		{"sma", scalesim.FaultUnknown},
		{"sma", scalesim.FaultZeroError},
		{"sics", scalesim.FaultUnknown},
		{"toledo8217", scalesim.FaultZeroError},
		{"toledocont", scalesim.FaultChecksum},
		{"hidpos", scalesim.FaultZeroError},
	}
	for _, c := range cases {
		t.Run(c.proto+"/"+c.fault, func(t *testing.T) {
			sim := scalesim.New(c.proto, scalesim.Options{Weight: "1.25", Unit: "lb", Dir: t.TempDir(), Interval: 10 * time.Millisecond})
			defer sim.Close()
			sim.SetFault(c.fault)
			u := servePTY(t, sim, c.proto)
			sc, err := scale.Open(context.Background(), u, scale.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			r, err := sc.Read(context.Background())
			var fe *scale.FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("Read = %s, %v; want a *scale.FrameError", r, err)
			}
			if len(fe.Raw) == 0 {
				t.Errorf("FrameError without raw bytes: %v", fe)
			}
		})
	}
}

func TestOverAndUnderCapacity(t *testing.T) {
	for _, proto := range scalesim.Protocols() {
		t.Run(proto, func(t *testing.T) {
			sim := scalesim.New(proto, scalesim.Options{Weight: "1.25", Unit: "lb", Dir: t.TempDir(), Interval: 10 * time.Millisecond})
			defer sim.Close()
			u := servePTY(t, sim, proto)
			sc, err := scale.Open(context.Background(), u, scale.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			sim.SetOver(true)
			r := readUntil(t, sc, func(r scale.Reading) bool { return r.Over })
			if scale.Acceptable(r) {
				t.Errorf("over-capacity reading %s is acceptable", r)
			}
			sim.SetOver(false)
			if err := sim.SetWeight("-0.50", "lb"); err != nil {
				t.Fatal(err)
			}
			r = readUntil(t, sc, func(r scale.Reading) bool { return r.Under })
			if scale.Acceptable(r) {
				t.Errorf("under-zero reading %s is acceptable", r)
			}
		})
	}
}

func readUntil(t *testing.T, sc scale.Scale, ok func(scale.Reading) bool) scale.Reading {
	t.Helper()
	for i := 0; i < 100; i++ {
		r, err := sc.Read(context.Background())
		if err == nil && ok(r) {
			return r
		}
	}
	t.Fatalf("condition never reported")
	return scale.Reading{}
}

func TestZero(t *testing.T) {
	for _, proto := range []string{"nci", "sma", "sics", "toledo8217", "hidpos"} {
		t.Run(proto, func(t *testing.T) {
			sim := scalesim.New(proto, scalesim.Options{Weight: "0.40", Unit: "lb", Dir: t.TempDir(), Interval: 10 * time.Millisecond})
			defer sim.Close()
			u := servePTY(t, sim, proto)
			sc, err := scale.Open(context.Background(), u, scale.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			z, ok := sc.(scale.Zeroer)
			if !ok {
				t.Fatalf("%s scale is no Zeroer", proto)
			}
			if err := z.Zero(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := readUntil(t, sc, func(r scale.Reading) bool { return r.Stable })
			if !r.Zero || r.Micrograms != 0 {
				t.Errorf("after Zero: %s, want zero", r)
			}
		})
	}
}

func TestBusyAndMissingPorts(t *testing.T) {
	sim := scalesim.New("nci", scalesim.Options{Weight: "1", Unit: "lb", Dir: t.TempDir()})
	defer sim.Close()
	u := servePTY(t, sim, "nci")
	first, err := scale.Open(context.Background(), u, scale.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = scale.Open(context.Background(), u, scale.Options{})
	if !errors.Is(err, serialport.ErrBusy) {
		t.Errorf("second Open = %v, want ErrBusy", err)
	}
	_, err = scale.Open(context.Background(), deviceuri.MustParse("nci+serial://"+t.TempDir()+"/ttyUSB9"), scale.Options{})
	if !errors.Is(err, serialport.ErrNotFound) {
		t.Errorf("Open of a missing port = %v, want ErrNotFound", err)
	}
}

func TestSilentScaleTimesOut(t *testing.T) {
	sim := scalesim.New("nci", scalesim.Options{Weight: "1", Unit: "lb", Dir: t.TempDir()})
	defer sim.Close()
	sim.SetFault(scalesim.FaultSilent)
	u := servePTY(t, sim, "nci")
	sc, err := scale.Open(context.Background(), u, scale.Options{Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	_, err = sc.Read(context.Background())
	if !errors.Is(err, scale.ErrNoAnswer) || !errors.Is(err, serialport.ErrTimeout) {
		t.Errorf("Read from a silent scale = %v, want ErrNoAnswer and ErrTimeout", err)
	}
}

func TestProbe(t *testing.T) {
	for _, proto := range []string{"nci", "sma", "sics", "toledo8217", "toledocont"} {
		t.Run(proto, func(t *testing.T) {
			sim := scalesim.New(proto, scalesim.Options{Weight: "2.00", Unit: "lb", Dir: t.TempDir(), Interval: 20 * time.Millisecond})
			defer sim.Close()
			path, err := sim.ServePTY()
			if err != nil {
				t.Fatal(err)
			}
			u, err := scale.Probe(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			if u.Protocol != proto || u.Target != path {
				t.Fatalf("Probe = %s, want protocol %s on %s", u, proto, path)
			}
			sc, err := scale.Open(context.Background(), u, scale.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			if r := readStable(t, sc); r.Value != "2.00" {
				t.Errorf("after probe read %s, want 2.00 lb", r)
			}
		})
	}
}

// TestProbeTCP probes simulators behind a TCP serial device server by
// address alone, as `packline-agent devices --port 10.0.0.5:4001` does.
func TestProbeTCP(t *testing.T) {
	for _, proto := range []string{"nci", "scp02", "sma", "sics", "toledo8217", "toledocont"} {
		t.Run(proto, func(t *testing.T) {
			sim := scalesim.New(proto, scalesim.Options{Weight: "2.00", Unit: "lb", Interval: 20 * time.Millisecond})
			defer sim.Close()
			addr, err := sim.ServeTCP("127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			u, err := scale.Probe(context.Background(), addr)
			if err != nil {
				t.Fatal(err)
			}
			if u.Protocol != wire(proto) || u.Transport != "tcp" || u.Target != addr || len(u.Params) != 0 {
				t.Fatalf("Probe(%s) = %s, want %s+tcp://%s", addr, u, wire(proto), addr)
			}
			if _, err := deviceuri.Parse(u.String()); err != nil {
				t.Fatalf("probed URI %s does not parse: %v", u, err)
			}
			sc, err := scale.Open(context.Background(), u, scale.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer sc.Close()
			if r := readStable(t, sc); r.Value != "2.00" {
				t.Errorf("after probe read %s, want 2.00 lb", r)
			}
		})
	}
	t.Run("silent", func(t *testing.T) {
		sim := scalesim.New("nci", scalesim.Options{Weight: "1", Unit: "lb"})
		defer sim.Close()
		sim.SetFault(scalesim.FaultSilent)
		addr, err := sim.ServeTCP("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := scale.Probe(context.Background(), "tcp://"+addr); !errors.Is(err, scale.ErrNoAnswer) {
			t.Errorf("Probe of a silent server = %v, want ErrNoAnswer", err)
		}
	})
	t.Run("nothing listening", func(t *testing.T) {
		sim := scalesim.New("nci", scalesim.Options{})
		addr, err := sim.ServeTCP("127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		sim.Close()
		if _, err := scale.Probe(context.Background(), addr); !errors.Is(err, serialport.ErrNotFound) {
			t.Errorf("Probe of a closed port = %v, want ErrNotFound", err)
		}
	})
}

func TestProbeHID(t *testing.T) {
	dir := t.TempDir() + "/hidraw"
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sim := scalesim.New("hidpos", scalesim.Options{Weight: "7.85", Unit: "lb", Dir: dir, Interval: 10 * time.Millisecond})
	defer sim.Close()
	path, err := sim.ServePTY()
	if err != nil {
		t.Fatal(err)
	}
	u, err := scale.Probe(context.Background(), path)
	if err != nil || u.String() != "hidpos://"+path {
		t.Fatalf("Probe = %s, %v; want hidpos://%s", u, err, path)
	}
	sim.SetFault(scalesim.FaultSilent)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if _, err := scale.Probe(ctx, path); !errors.Is(err, scale.ErrNoAnswer) {
		t.Errorf("Probe of a silent HID device = %v, want ErrNoAnswer", err)
	}
}

func TestSimURI(t *testing.T) {
	name := fmt.Sprintf("%s-%d", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() { scalesim.RemoveShared(name) })
	u := deviceuri.MustParse("sim://scale?protocol=sma&weight=1.25lb&name=" + name)
	sc, err := scale.Open(context.Background(), u, scale.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	if r := readStable(t, sc); r.Value != "1.25" || r.Unit != "lb" {
		t.Fatalf("sim read %s, want 1.25 lb", r)
	}
	if err := scalesim.Shared(name).SetWeight("750", "g"); err != nil {
		t.Fatal(err)
	}
	if r := readStable(t, sc); r.Value != "750" || r.Unit != "g" {
		t.Fatalf("after SetWeight read %s, want 750 g", r)
	}
	for _, bad := range []string{"sim://scale?protocol=xyz", "sim://scale?weight=heavy"} {
		if _, err := scale.Open(context.Background(), deviceuri.MustParse(bad), scale.Options{}); err == nil {
			t.Errorf("Open(%s) succeeded", bad)
		}
	}
}

// TestSimulatorsSendTheReferenceFrames checks, over a pty and over TCP,
// that each simulator answers with the exact bytes of devices.md's
// examples and that the driver reads them as the manual says.
func TestSimulatorsSendTheReferenceFrames(t *testing.T) {
	cases := []struct {
		proto, value, unit string
		raw                []byte
		params             map[string][]string
	}{
		{"nci", "1.25", "lb", []byte{0x0A, 0x20, 0x20, 0x31, 0x2E, 0x32, 0x35, 0x6C, 0x62, 0x0D, 0x0A, 0x30, 0x30, 0x0D, 0x03}, nil},
		{"sma", "5.025", "lb", []byte{0x0A, 0x20, 0x31, 0x47, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x20, 0x35, 0x2E, 0x30, 0x32, 0x35, 0x6C, 0x62, 0x20, 0x0D}, nil},
		{"sics", "100.00", "g", []byte("S S      100.00 g\r\n"), nil},
		{"toledo8217", "001.25", "lb", []byte{0x02, 0x30, 0x30, 0x31, 0x2E, 0x32, 0x35, 0x0D}, nil},
		{"hidpos", "113.5", "oz", []byte{0x03, 0x04, 0x0B, 0xFF, 0x6F, 0x04}, nil},
		{"hidpos", "7.85", "lb", []byte{0x03, 0x04, 0x0C, 0xFE, 0x11, 0x03}, nil},
		{"toledocont", "1.25", "lb", []byte("\x02\x2c\x20\x20000125000000\r\x3d"), nil},
	}
	for _, c := range cases {
		for tname, serve := range transports {
			t.Run(c.proto+"/"+c.value+"/"+tname, func(t *testing.T) {
				sim := scalesim.New(c.proto, scalesim.Options{Weight: c.value, Unit: c.unit, Dir: t.TempDir(), Interval: 10 * time.Millisecond})
				defer sim.Close()
				u := serve(t, sim, c.proto)
				sc, err := scale.Open(context.Background(), u, scale.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer sc.Close()
				r := readStable(t, sc)
				if string(r.Raw) != string(c.raw) {
					t.Errorf("raw % X, want % X", r.Raw, c.raw)
				}
				want, _ := scale.ParseValue(c.value, c.unit)
				if r.Micrograms != want.Micrograms {
					t.Errorf("%s: %d µg, want %d", r, r.Micrograms, want.Micrograms)
				}
			})
		}
	}
}
