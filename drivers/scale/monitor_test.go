package scale_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/scale/scalesim"

	_ "github.com/packline/packline/drivers/scale/all"
)

// waitState polls the monitor's state until ok or the test's patience ends.
func waitState(t *testing.T, m *scale.Monitor, ok func(scale.Status) bool) scale.Status {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if st := m.State(); ok(st) {
			return st
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("state never reached; last %+v", m.State())
	return scale.Status{}
}

func runMonitor(t *testing.T, u deviceuri.URI, opt scale.MonitorOptions) *scale.Monitor {
	t.Helper()
	m := scale.NewMonitor(u, opt)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return m
}

func fastOpts() scale.MonitorOptions {
	return scale.MonitorOptions{Interval: 10 * time.Millisecond, MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, Options: scale.Options{Timeout: 500 * time.Millisecond}}
}

func TestCaptureStableAfterMotion(t *testing.T) {
	for _, proto := range []string{"nci", "sma", "sics", "toledo8217", "toledocont", "hidpos"} {
		t.Run(proto, func(t *testing.T) {
			sim := scalesim.New(proto, scalesim.Options{Weight: "0.00", Unit: "lb", Dir: t.TempDir(), Interval: 10 * time.Millisecond})
			defer sim.Close()
			path, err := sim.ServePTY()
			if err != nil {
				t.Fatal(err)
			}
			tr := "serial"
			if proto == "hidpos" {
				tr = "hidraw"
			}
			m := runMonitor(t, deviceuri.URI{Protocol: proto, Transport: tr, Target: path}, fastOpts())
			ch, unsub := m.Subscribe()
			defer unsub()
			waitState(t, m, func(s scale.Status) bool { return s.Connected })

			// Empty platter: zero readings never capture.
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			_, err = scale.CaptureStable(ctx, ch, 3)
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("capture on an empty platter: %v, want a deadline error", err)
			}

			sim.SetMotion(200 * time.Millisecond)
			if err := sim.SetWeight("4.20", "lb"); err != nil {
				t.Fatal(err)
			}
			ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			r, err := scale.CaptureStable(ctx, ch, 3)
			if err != nil {
				t.Fatal(err)
			}
			if r.Value != "4.20" || r.Unit != "lb" || !r.Stable {
				t.Fatalf("captured %s, want 4.20 lb stable", r)
			}
		})
	}
}

func TestCaptureStableRules(t *testing.T) {
	at := time.Now().Add(time.Hour) // after the capture starts
	mk := func(v string, stable bool) scale.Reading {
		r, err := scale.ParseValue(v, "lb")
		if err != nil {
			t.Fatal(err)
		}
		r.Stable, r.At, r.Raw = stable, at, []byte(v)
		r.Zero = r.Micrograms == 0
		return r
	}
	over := mk("9.00", true)
	over.Over = true
	stale := mk("7.00", true)
	stale.At = time.Now().Add(-time.Minute)
	tests := []struct {
		name string
		in   []scale.Reading
		want string // "" = no capture
	}{
		{"three identical", []scale.Reading{mk("1.00", true), mk("1.00", true), mk("1.00", true)}, "1.00"},
		{"motion breaks the run", []scale.Reading{mk("1.00", true), mk("1.00", false), mk("1.00", true), mk("1.00", true)}, ""},
		{"a change restarts", []scale.Reading{mk("1.00", true), mk("1.02", true), mk("1.02", true), mk("1.02", true)}, "1.02"},
		{"zero never", []scale.Reading{mk("0.00", true), mk("0.00", true), mk("0.00", true)}, ""},
		{"over never", []scale.Reading{over, over, over}, ""},
		{"stale readings ignored", []scale.Reading{stale, stale, stale, mk("2.00", true), mk("2.00", true)}, ""},
		{"negative never", []scale.Reading{mk("-1.00", true), mk("-1.00", true), mk("-1.00", true)}, ""},
	}
	for _, tt := range tests {
		ch := make(chan scale.Reading, len(tt.in))
		for _, r := range tt.in {
			ch <- r
		}
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		r, err := scale.CaptureStable(ctx, ch, 3)
		cancel()
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("%s: captured %s, want none", tt.name, r)
		case tt.want != "" && (err != nil || r.Value != tt.want):
			t.Errorf("%s: got %s, %v; want %s", tt.name, r, err, tt.want)
		}
	}
	ch := make(chan scale.Reading)
	close(ch)
	if _, err := scale.CaptureStable(context.Background(), ch, 3); err == nil {
		t.Error("capture on a closed channel succeeded")
	}
}

func TestMonitorRecoversFromUnplug(t *testing.T) {
	for _, tr := range []string{"pty", "tcp"} {
		for _, proto := range []string{"nci", "toledocont"} {
			t.Run(tr+"/"+proto, func(t *testing.T) {
				sim := scalesim.New(proto, scalesim.Options{Weight: "1.50", Unit: "lb", Dir: t.TempDir(), Interval: 10 * time.Millisecond})
				defer sim.Close()
				var u deviceuri.URI
				if tr == "pty" {
					path, err := sim.ServePTY()
					if err != nil {
						t.Fatal(err)
					}
					u = deviceuri.URI{Protocol: proto, Transport: "serial", Target: path}
				} else {
					addr, err := sim.ServeTCP("127.0.0.1:0")
					if err != nil {
						t.Fatal(err)
					}
					u = deviceuri.URI{Protocol: proto, Transport: "tcp", Target: addr}
				}
				m := runMonitor(t, u, fastOpts())
				ch, unsub := m.Subscribe()
				defer unsub()
				waitState(t, m, func(s scale.Status) bool { return s.Connected })
				if r := <-ch; r.Value != "1.50" {
					t.Fatalf("read %s, want 1.50 lb", r)
				}

				sim.Unplug()
				st := waitState(t, m, func(s scale.Status) bool { return !s.Connected })
				if st.Err == "" || st.Since.IsZero() {
					t.Errorf("unplugged state %+v has no error or time", st)
				}
				if err := sim.SetWeight("2.75", "lb"); err != nil {
					t.Fatal(err)
				}
				if err := sim.Replug(); err != nil {
					t.Fatal(err)
				}
				waitState(t, m, func(s scale.Status) bool { return s.Connected && s.Err == "" })
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				r, err := scale.CaptureStable(ctx, ch, 2)
				if err != nil || r.Value != "2.75" {
					t.Fatalf("after replug captured %s, %v; want 2.75 lb", r, err)
				}
			})
		}
	}
}

func TestSlowSubscriberDoesNotBlock(t *testing.T) {
	sim := scalesim.New("toledocont", scalesim.Options{Weight: "1.00", Unit: "lb", Dir: t.TempDir(), Interval: 2 * time.Millisecond})
	defer sim.Close()
	path, err := sim.ServePTY()
	if err != nil {
		t.Fatal(err)
	}
	opt := fastOpts()
	opt.Buffer = 2
	m := runMonitor(t, deviceuri.URI{Protocol: "toledocont", Transport: "serial", Target: path}, opt)
	slow, unsubSlow := m.Subscribe() // never read until the end
	defer unsubSlow()
	fast, unsub := m.Subscribe()
	defer unsub()
	for i := 0; i < 20; i++ {
		<-fast
	}
	if err := sim.SetWeight("3.00", "lb"); err != nil {
		t.Fatal(err)
	}
	for r := range fast {
		if r.Value == "3.00" {
			break
		}
	}
	// The slow subscriber holds only the newest readings.
	var last scale.Reading
	for len(slow) > 0 {
		last = <-slow
	}
	if last.Value != "3.00" {
		t.Errorf("slow subscriber's newest reading is %s, want 3.00 lb (oldest dropped)", last)
	}
}

func TestMonitorReportsSilentScale(t *testing.T) {
	sim := scalesim.New("nci", scalesim.Options{Weight: "1", Unit: "lb", Dir: t.TempDir()})
	defer sim.Close()
	sim.SetFault(scalesim.FaultSilent)
	path, err := sim.ServePTY()
	if err != nil {
		t.Fatal(err)
	}
	opt := fastOpts()
	opt.Timeout = 100 * time.Millisecond
	m := runMonitor(t, deviceuri.URI{Protocol: "nci", Transport: "serial", Target: path}, opt)
	st := waitState(t, m, func(s scale.Status) bool { return !s.Connected && s.Err != "" && s.Err != "not started" })
	t.Logf("silent scale: %s", st.Err)
	sim.SetFault(scalesim.FaultNone)
	waitState(t, m, func(s scale.Status) bool { return s.Connected && s.Err == "" })
}

func TestMonitorZero(t *testing.T) {
	sim := scalesim.New("sics", scalesim.Options{Weight: "0.30", Unit: "kg", Dir: t.TempDir()})
	defer sim.Close()
	path, err := sim.ServePTY()
	if err != nil {
		t.Fatal(err)
	}
	m := runMonitor(t, deviceuri.URI{Protocol: "sics", Transport: "serial", Target: path}, fastOpts())
	waitState(t, m, func(s scale.Status) bool { return s.Connected })
	ch, unsub := m.Subscribe()
	defer unsub()
	if err := m.Zero(context.Background()); err != nil {
		t.Fatal(err)
	}
	for r := range ch {
		if r.Zero {
			break
		}
	}
}
