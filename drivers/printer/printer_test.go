package printer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/label"
	"github.com/packline/packline/drivers/printer/epl"
	"github.com/packline/packline/drivers/printer/printersim"
	"github.com/packline/packline/drivers/printer/zpl"
	"github.com/packline/packline/drivers/raster"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func randomLabel(seed uint64, w, h int) *raster.Bitmap {
	r := rand.New(rand.NewPCG(seed, 99))
	b := raster.New(w, h)
	for i := 0; i < w*h/11; i++ {
		b.Set(r.IntN(w), r.IntN(h), true)
	}
	// A solid bar, as on a real label.
	for y := 100; y < 140 && y < h; y++ {
		for x := 10; x < w-10; x++ {
			b.Set(x, y, true)
		}
	}
	return b
}

func startSim(t *testing.T, lang string) (*printersim.Sim, string) {
	t.Helper()
	s := printersim.New(printersim.Options{Language: lang})
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, addr
}

func open(t *testing.T, uri string) Printer {
	t.Helper()
	p, err := Open(deviceuri.MustParse(uri), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	return p
}

func TestZPLOverTCP(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	p := open(t, "zpl+tcp://"+addr)
	ctx := testCtx(t)
	st, err := p.Status(ctx)
	if err != nil || !st.Ready || !strings.Contains(st.Raw, "ERRORS:") {
		t.Fatalf("status %+v, %v", st, err)
	}
	img := randomLabel(1, 812, 1218)
	if err := p.Print(ctx, Job{ID: "o-1", Image: img}); err != nil {
		t.Fatal(err)
	}
	got, err := sim.WaitLabels(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[0].Bits, img.Bits) {
		t.Fatal("printed label differs")
	}
	// One connection for the status check, one for the job; status asked
	// before and after the job.
	if sim.Connections() != 2 || sim.StatusQueries() != 3 {
		t.Fatalf("connections %d, status queries %d; want 2 and 3", sim.Connections(), sim.StatusQueries())
	}
}

func TestConcurrentJobsAreSerialised(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	p := open(t, "zpl+tcp://"+addr)
	ctx := testCtx(t)
	const n = 8
	imgs := make([]*raster.Bitmap, n)
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range imgs {
		imgs[i] = randomLabel(uint64(10+i), 812, 1218)
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs <- p.Print(ctx, Job{ID: fmt.Sprint("job-", i), Image: imgs[i]})
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	got, err := sim.WaitLabels(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n || sim.Rejected() != 0 || sim.Connections() != n {
		t.Fatalf("labels %d rejected %d connections %d; want %d intact labels over %d connections", len(got), sim.Rejected(), sim.Connections(), n, n)
	}
	for i, img := range imgs {
		found := false
		for _, g := range got {
			found = found || bytes.Equal(g.Bits, img.Bits)
		}
		if !found {
			t.Fatalf("job %d missing or mixed with another", i)
		}
	}
}

func TestPaperOutIsNotSent(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	p := open(t, "zpl+tcp://"+addr)
	sim.SetFault(printersim.FaultPaperOut)
	err := p.Print(testCtx(t), Job{ID: "o-2", Image: randomLabel(2, 100, 100)})
	var nr *NotReadyError
	if !errors.As(err, &nr) || !errors.Is(err, ErrNotReady) {
		t.Fatalf("err = %v, want NotReadyError", err)
	}
	if !strings.Contains(err.Error(), "media out") || !strings.Contains(err.Error(), "load labels") {
		t.Fatalf("message %q does not say what is wrong and what to do", err)
	}
	if sim.Jobs() != 0 {
		t.Fatalf("sim received %d jobs while out of paper", sim.Jobs())
	}
	st, err := p.Status(testCtx(t))
	if err != nil || st.Ready || st.Errors[0] != "media out" {
		t.Fatalf("status %+v %v", st, err)
	}
}

func TestSilentPrinterIsAnError(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	sim.SetFault(printersim.FaultMute)
	p := open(t, "zpl+tcp://"+addr+"?status_timeout=200ms")
	const want = "printer did not answer ~HQES or ~HS: check it is on and connected; set status=off to print without status"
	if _, err := p.Status(testCtx(t)); !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), want) {
		t.Fatalf("status err = %v, want ErrNoAnswer saying %q", err, want)
	}
	if err := p.Print(testCtx(t), Job{ID: "x", Image: randomLabel(3, 64, 64)}); !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), want) {
		t.Fatalf("print err = %v, want ErrNoAnswer", err)
	}
	if sim.Jobs() != 0 {
		t.Fatal("job sent to a printer that did not answer")
	}
}

// logTo returns a logger writing text to b.
func logTo(b *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestHQESFallsBackToHS(t *testing.T) {
	sim := printersim.New(printersim.Options{NoHQES: true})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	var logs syncBuffer
	p, err := Open(deviceuri.MustParse("zpl+tcp://"+addr+"?status_timeout=200ms"), Options{Logger: logTo(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx := testCtx(t)
	// ~HQES unanswered, then ~HS before and after the job.
	if err := p.Print(ctx, Job{ID: "a", Image: randomLabel(6, 64, 64)}); err != nil {
		t.Fatal(err)
	}
	if n := sim.StatusQueries(); n != 3 {
		t.Fatalf("%d status queries for the first job, want 3 (~HQES, ~HS, ~HS)", n)
	}
	// From then on only ~HS.
	if err := p.Print(ctx, Job{ID: "b", Image: randomLabel(7, 64, 64)}); err != nil {
		t.Fatal(err)
	}
	if n := sim.StatusQueries(); n != 5 {
		t.Fatalf("%d status queries after the second job, want 5", n)
	}
	if sim.Jobs() != 2 {
		t.Fatalf("printed %d jobs, want 2", sim.Jobs())
	}
	sim.SetFault(printersim.FaultPaused)
	if st, err := p.Status(ctx); err != nil || st.Ready || st.Errors[0] != "paused" {
		t.Fatalf("paused printer over ~HS: %+v %v", st, err)
	}
	if got := strings.Count(logs.String(), "level=INFO msg=\"printer does not answer ~HQES; asking with ~HS from now on\""); got != 1 {
		t.Fatalf("fallback logged %d times at info, want once:\n%s", got, logs.String())
	}
}

func TestExplicitHQESIsStrict(t *testing.T) {
	sim := printersim.New(printersim.Options{NoHQES: true})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	p := open(t, "zpl+tcp://"+addr+"?status=hqes&status_timeout=200ms")
	err = p.Print(testCtx(t), Job{ID: "s", Image: randomLabel(8, 64, 64)})
	if !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), "no reply to ~HQES") {
		t.Fatalf("err = %v, want ErrNoAnswer for ~HQES", err)
	}
	if sim.Jobs() != 0 || sim.StatusQueries() != 1 {
		t.Fatalf("jobs %d queries %d; want nothing sent and ~HQES asked once", sim.Jobs(), sim.StatusQueries())
	}
}

func TestBusyPortSaysSo(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	// Another client holds the printer's only connection.
	other, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	for sim.Connections() == 0 {
		time.Sleep(time.Millisecond)
	}
	p := open(t, "zpl+tcp://"+addr+"?status_timeout=200ms")
	err = p.Print(testCtx(t), Job{ID: "busy", Image: randomLabel(9, 64, 64)})
	if !errors.Is(err, ErrNoAnswer) || !strings.Contains(err.Error(), "may be busy with another client") {
		t.Fatalf("err = %v, want a hint that another client holds the printer", err)
	}
}

func TestPrintStatusReportsFaultAfterJob(t *testing.T) {
	sim := printersim.New(printersim.Options{Roll: 1})
	addr, err := sim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	p := open(t, "zpl+tcp://"+addr)
	after, err := p.(JobStatusPrinter).PrintStatus(testCtx(t), Job{ID: "last", Image: randomLabel(10, 64, 64)})
	if err != nil {
		t.Fatalf("the job was taken, so Print succeeds: %v", err)
	}
	if !after.Checked || after.Err != nil || after.Status.Ready || after.Status.Errors[0] != "media out" {
		t.Fatalf("after the job: %+v, want media out", after)
	}
}

func TestHostStatusMode(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	p := open(t, "zpl+tcp://"+addr+"?status=hs&status_timeout=200ms")
	ctx := testCtx(t)
	if st, err := p.Status(ctx); err != nil || !st.Ready {
		t.Fatalf("ready: %+v %v", st, err)
	}
	sim.SetFault(printersim.FaultPaused)
	if err := p.Print(ctx, Job{ID: "p", Image: randomLabel(4, 64, 64)}); !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "PAUSE") {
		t.Fatalf("paused: %v", err)
	}
	// During head open a Zebra does not answer ~HS at all: that is an
	// error, never "fine".
	sim.SetFault(printersim.FaultHeadOpen)
	if _, err := p.Status(ctx); !errors.Is(err, ErrNoAnswer) {
		t.Fatalf("head open: %v, want ErrNoAnswer", err)
	}
}

func TestDeadPrinter(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	p := open(t, "zpl+tcp://"+addr)
	err = p.Print(testCtx(t), Job{ID: "d", Image: randomLabel(5, 64, 64)})
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("err = %v, want ErrUnreachable saying refused", err)
	}
}

func TestTSPLOverTCP(t *testing.T) {
	sim, addr := startSim(t, "tspl")
	p := open(t, "tspl+tcp://"+addr)
	ctx := testCtx(t)
	img := randomLabel(6, 812, 1218)
	if err := p.Print(ctx, Job{ID: "t", Image: img}); err != nil {
		t.Fatal(err)
	}
	got, err := sim.WaitLabels(ctx, 1)
	if err != nil || !bytes.Equal(got[0].Bits, img.Bits) {
		t.Fatalf("tspl label differs (%v)", err)
	}
	sim.SetFault(printersim.FaultHeadOpen)
	if err := p.Print(ctx, Job{ID: "t2", Image: img}); !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "head open") {
		t.Fatalf("head open: %v", err)
	}
}

func TestSimScheme(t *testing.T) {
	dir := t.TempDir()
	p := open(t, "sim://printer?dir="+dir+"&dpi=300")
	img := randomLabel(7, 1218, 1827)
	if err := p.Print(testCtx(t), Job{ID: "s", Image: img}); err != nil {
		t.Fatal(err)
	}
	sim, ok := Simulator(p)
	if !ok {
		t.Fatal("no simulator behind sim://printer")
	}
	if got := sim.Labels(); len(got) != 1 || got[0].Width != 1218 || !bytes.Equal(got[0].Bits, img.Bits) {
		t.Fatal("simulated label differs")
	}
	if _, err := os.Stat(filepath.Join(dir, "label-0001.png")); err != nil {
		t.Fatal(err)
	}
	// Larger than the stock: refused with the sizes in the message.
	err := p.Print(testCtx(t), Job{ID: "big", Image: raster.New(1300, 1827)})
	if err == nil || !strings.Contains(err.Error(), "1300x1827") {
		t.Fatalf("oversize: %v", err)
	}
}

func TestUSBDeviceFileWriteOnly(t *testing.T) {
	dev := filepath.Join(t.TempDir(), "lp0")
	if err := os.WriteFile(dev, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := open(t, "epl+usb://"+dev)
	img := randomLabel(8, 812, 1218)
	for i := 0; i < 2; i++ {
		if err := p.Print(testCtx(t), Job{ID: "u", Image: img}); err != nil {
			t.Fatal(err)
		}
	}
	data, _ := os.ReadFile(dev)
	first := data[:len(data)/2]
	l, err := epl.Decode(first)
	if err != nil || !bytes.Equal(l.Image.Bits, img.Bits) || !bytes.Equal(first, data[len(data)/2:]) {
		t.Fatalf("device file does not hold two copies of the job (%v)", err)
	}
	if _, err := p.Status(testCtx(t)); !errors.Is(err, ErrNoStatus) {
		t.Fatalf("status on a write-only file: %v, want ErrNoStatus", err)
	}
	missing := open(t, "zpl+usb://"+filepath.Join(t.TempDir(), "lp9"))
	if err := missing.Print(testCtx(t), Job{ID: "m", Image: img}); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "plugged in") {
		t.Fatalf("missing device: %v", err)
	}
}

func fakeCUPS(t *testing.T, lpstat string) (spool string) {
	t.Helper()
	bin := t.TempDir()
	spool = filepath.Join(bin, "spooled")
	lp := "#!/bin/sh\n[ \"$1 $2 $3 $4\" = \"-d label4x6 -o raw\" ] || { echo \"lp: bad arguments $*\" >&2; exit 1; }\n/bin/cat >> " + spool + "\necho 'request id is label4x6-1 (0 file(s))'\n"
	os.WriteFile(filepath.Join(bin, "lp"), []byte(lp), 0o755)
	os.WriteFile(filepath.Join(bin, "lpstat"), []byte("#!/bin/sh\necho '"+lpstat+"'\n"), 0o755)
	t.Setenv("PATH", bin)
	return spool
}

func TestCUPSRaw(t *testing.T) {
	spool := fakeCUPS(t, "printer label4x6 is idle.  enabled since Tue 01 Jan 2026")
	p := open(t, "zpl+cups://label4x6")
	img := randomLabel(11, 812, 1218)
	if err := p.Print(testCtx(t), Job{ID: "c", Image: img}); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(spool)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := zpl.DecodeLabel(data)
	if err != nil || !bytes.Equal(got.Bits, img.Bits) {
		t.Fatalf("lp received a different job (%v)", err)
	}
	if st, err := p.Status(testCtx(t)); err != nil || !st.Ready {
		t.Fatalf("status %+v %v", st, err)
	}
}

func TestCUPSDisabledQueue(t *testing.T) {
	spool := fakeCUPS(t, "printer label4x6 disabled since Tue 01 Jan 2026 -\n\tPaused")
	p := open(t, "zpl+cups://label4x6")
	err := p.Print(testCtx(t), Job{ID: "c", Image: randomLabel(12, 64, 64)})
	if !errors.Is(err, ErrNotReady) || !strings.Contains(err.Error(), "cupsenable") {
		t.Fatalf("err = %v, want not ready with a cupsenable hint", err)
	}
	if _, err := os.Stat(spool); err == nil {
		t.Fatal("job handed to a disabled queue")
	}
}

func TestCUPSMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	p := open(t, "zpl+cups://label4x6")
	err := p.Print(testCtx(t), Job{ID: "c", Image: randomLabel(13, 64, 64)})
	if err == nil || !strings.Contains(err.Error(), "lp command is not installed") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenErrors(t *testing.T) {
	for uri, want := range map[string]string{
		"zpl://10.0.0.1:9100":                  "no transport",
		"zpl+ftp://x":                          "not one of tcp",
		"pcl+tcp://10.0.0.1:9100":              "not one of zpl, epl, tspl",
		"zpl+tcp://10.0.0.1:9100?dpi=150":      "150 dpi",
		"zpl+tcp://10.0.0.1:9100?stock=big":    "label stock",
		"zpl+tcp://10.0.0.1:9100?status=maybe": "status=",
		"sim://scale":                          "sim://printer",
		"zpl+winspool://Zebra ZP450":           "only on Windows",
	} {
		_, err := Open(deviceuri.MustParse(uri), Options{})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Open(%s) = %v, want an error containing %q", uri, err, want)
		}
	}
}

func TestMediaMatchesLabelCanvas(t *testing.T) {
	for _, c := range []struct {
		dpi   int
		stock string
	}{{203, "4x6"}, {300, "4x6"}, {600, "4x6"}, {203, "4x4"}, {203, "100x150mm"}, {300, "A6"}, {203, "2.25x1.25"}} {
		m, err := MediaFor(deviceuri.MustParse("zpl+tcp://h:9100"), Options{DPI: c.dpi, Stock: c.stock})
		if err != nil {
			t.Fatal(err)
		}
		w, h, err := label.Spec{DPI: c.dpi, Stock: c.stock}.Canvas()
		if err != nil {
			t.Fatal(err)
		}
		if m.Width != w || m.Height != h {
			t.Errorf("%d dpi %s: printer %dx%d, renderer %dx%d", c.dpi, c.stock, m.Width, m.Height, w, h)
		}
	}
	m, _ := MediaFor(deviceuri.MustParse("zpl+tcp://h:9100?dpi=300"), Options{})
	if m.Width != 1218 || m.Height != 1827 {
		t.Fatalf("300 dpi 4x6 = %dx%d, want 1218x1827", m.Width, m.Height)
	}
}

func TestEPLOverTCP(t *testing.T) {
	sim, addr := startSim(t, "epl")
	p := open(t, "epl+tcp://"+addr)
	img := randomLabel(14, 812, 1218)
	if err := p.Print(testCtx(t), Job{ID: "e", Image: img, Copies: 2}); err != nil {
		t.Fatal(err)
	}
	got, err := sim.WaitLabels(testCtx(t), 1)
	if err != nil || !bytes.Equal(got[0].Bits, img.Bits) {
		t.Fatalf("epl label differs (%v)", err)
	}
	if _, err := p.Status(testCtx(t)); !errors.Is(err, ErrNoStatus) {
		t.Fatalf("EPL status: %v, want ErrNoStatus", err)
	}
}

func TestCancelWhileWaitingForStatus(t *testing.T) {
	sim, addr := startSim(t, "zpl")
	sim.SetFault(printersim.FaultMute)
	p := open(t, "zpl+tcp://"+addr+"?status_timeout=1m")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Print(ctx, Job{ID: "c", Image: randomLabel(60, 64, 64)}) }()
	for sim.StatusQueries() == 0 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if sim.Jobs() != 0 {
		t.Fatal("job sent after cancel")
	}
	// The printer is still usable afterwards.
	sim.SetFault(printersim.FaultNone)
	if err := p.Print(testCtx(t), Job{ID: "d", Image: randomLabel(61, 64, 64)}); err != nil {
		t.Fatal(err)
	}
}
