package printersim

import (
	"bufio"
	"bytes"
	"context"
	"image/png"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/drivers/printer/tspl"
	"github.com/packline/packline/drivers/printer/zpl"
	"github.com/packline/packline/drivers/raster"
)

func start(t *testing.T, opt Options) (*Sim, string) {
	t.Helper()
	s := New(opt)
	addr, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, addr
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func label(seed uint64, w, h int) *raster.Bitmap {
	r := rand.New(rand.NewPCG(seed, seed))
	b := raster.New(w, h)
	for i := 0; i < w*h/9; i++ {
		b.Set(r.IntN(w), r.IntN(h), true)
	}
	return b
}

func zplJob(t *testing.T, img *raster.Bitmap) []byte {
	t.Helper()
	job, err := zpl.Encode(img, zpl.EncodeOptions{Width: img.Width})
	if err != nil {
		t.Fatal(err)
	}
	return job
}

func TestPrintsZPLAsPNG(t *testing.T) {
	dir := t.TempDir()
	s, addr := start(t, Options{Dir: dir})
	img := label(1, 812, 1218)
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(zplJob(t, img))
	c.Close()
	got, err := s.WaitLabels(testCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[0].Bits, img.Bits) || got[0].Width != 812 {
		t.Fatal("printed label differs from the job")
	}
	f, err := os.ReadFile(filepath.Join(dir, "label-0001.png"))
	if err != nil || !bytes.HasPrefix(f, []byte("\x89PNG")) {
		t.Fatalf("label PNG: %v", err)
	}
}

// TestBandedZPLComposesOnePNG prints a 300 dpi 4x6 label, which the encoder
// sends as several ^GF bands at their ^FO rows, and checks that the PNG is
// the whole label.
func TestBandedZPLComposesOnePNG(t *testing.T) {
	dir := t.TempDir()
	s, addr := start(t, Options{Dir: dir, DPI: 300})
	img := label(2, 1218, 1827)
	job := zplJob(t, img)
	if n := bytes.Count(job, []byte("^GFA,")); n < 2 {
		t.Fatalf("the job has %d ^GF fields; want the label split into bands", n)
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(job)
	c.Close()
	if _, err := s.WaitLabels(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "label-0001.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	back := raster.FromImage(im)
	if back.Width != img.Width || back.Height != img.Height || !bytes.Equal(back.Bits, img.Bits) {
		t.Fatalf("PNG is %dx%d and differs from the %dx%d label sent", back.Width, back.Height, img.Width, img.Height)
	}
}

// query sends q on a fresh connection and reads until n ETX or the
// connection is idle for the read timeout.
func query(t *testing.T, addr, q string, etx int) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte(q))
	var buf []byte
	r := bufio.NewReader(c)
	for bytes.Count(buf, []byte{3}) < etx {
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		b, err := r.ReadByte()
		if err != nil {
			break
		}
		buf = append(buf, b)
	}
	return string(buf)
}

func TestStatusFollowsFault(t *testing.T) {
	s, addr := start(t, Options{})
	st, err := zpl.ParseHQES([]byte(query(t, addr, "~HQES", 1)))
	if err != nil || len(st.ErrorNames()) != 0 {
		t.Fatalf("ready printer: %v %v", st.ErrorNames(), err)
	}
	for _, c := range []struct {
		f    Fault
		want string
		hs   bool
	}{{FaultPaperOut, "media out", false}, {FaultHeadOpen, "head open", false}, {FaultPaused, "paused", true}, {FaultRibbonOut, "ribbon out", false}} {
		s.SetFault(c.f)
		st, err := zpl.ParseHQES([]byte(query(t, addr, "~HQES", 1)))
		if err != nil || strings.Join(st.ErrorNames(), ",") != c.want {
			t.Fatalf("%v: ~HQES errors %v, %v", c.f, st.ErrorNames(), err)
		}
		hs := query(t, addr, "~HS", 3)
		if c.hs {
			h, err := zpl.ParseHS([]byte(hs))
			if err != nil || !h.Paused {
				t.Fatalf("%v: ~HS %+v %v", c.f, h, err)
			}
		} else if hs != "" {
			t.Fatalf("%v: ~HS answered %q; a Zebra stays silent", c.f, hs)
		}
	}
}

func TestFaultHoldsLabelsUntilCleared(t *testing.T) {
	s, addr := start(t, Options{})
	s.SetFault(FaultPaperOut)
	c, _ := net.Dial("tcp", addr)
	c.Write(zplJob(t, label(2, 64, 32)))
	c.Write([]byte("~HS")) // a marker: once ~HS is read the job before it was too
	c.Close()
	// The printer took the job and printed nothing.
	for s.StatusQueries() == 0 {
		time.Sleep(time.Millisecond)
	}
	if s.Jobs() != 1 || len(s.Labels()) != 0 {
		t.Fatalf("jobs %d labels %d, want 1 held and 0 printed", s.Jobs(), len(s.Labels()))
	}
	s.SetFault(FaultNone)
	if got := s.Labels(); len(got) != 1 {
		t.Fatalf("%d labels after the fault cleared, want 1", len(got))
	}
}

func TestNoHQESAnswersOnlyHS(t *testing.T) {
	_, addr := start(t, Options{NoHQES: true})
	if got := query(t, addr, "~HQES", 1); got != "" {
		t.Fatalf("~HQES answered %q; old firmware ignores it", got)
	}
	if _, err := zpl.ParseHS([]byte(query(t, addr, "~HS", 3))); err != nil {
		t.Fatalf("~HS: %v", err)
	}
}

func TestRollRunsOut(t *testing.T) {
	s, addr := start(t, Options{Roll: 2})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		c.Write(zplJob(t, label(uint64(10+i), 64, 32)))
	}
	c.Write([]byte("~HQES"))
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	reply, err := bufio.NewReader(c).ReadBytes(3)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	st, err := zpl.ParseHQES(reply)
	if err != nil || strings.Join(st.ErrorNames(), ",") != "media out" {
		t.Fatalf("after the roll ran out: %v %v, want media out", st.ErrorNames(), err)
	}
	if s.Jobs() != 3 || len(s.Labels()) != 2 || s.Fault() != FaultPaperOut {
		t.Fatalf("jobs %d labels %d fault %v; want 3 received, 2 printed, paper out", s.Jobs(), len(s.Labels()), s.Fault())
	}
	// A fresh roll prints the held label.
	s.SetFault(FaultNone)
	if len(s.Labels()) != 3 || s.Fault() != FaultNone {
		t.Fatalf("labels %d fault %v after reloading", len(s.Labels()), s.Fault())
	}
}

func TestOneConnectionAtATime(t *testing.T) {
	s, addr := start(t, Options{})
	a, b := label(3, 200, 100), label(4, 200, 100)
	ja, jb := zplJob(t, a), zplJob(t, b)
	ca, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	ca.Write(ja[:len(ja)/2])
	// The second client connects (into the backlog) and sends a whole job
	// while the first is half way through its own.
	cb, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cb.Write(jb); err != nil {
		t.Fatal(err)
	}
	cb.Close()
	ca.Write(ja[len(ja)/2:])
	ca.Close()
	got, err := s.WaitLabels(testCtx(t), 2)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got[0].Bits, a.Bits) || !bytes.Equal(got[1].Bits, b.Bits) {
		t.Fatal("labels out of order or mixed: the second connection was served before the first closed")
	}
	if s.Connections() != 2 || s.Rejected() != 0 {
		t.Fatalf("connections %d rejected %d", s.Connections(), s.Rejected())
	}
}

func TestTSPL(t *testing.T) {
	s, addr := start(t, Options{Language: "tspl"})
	img := label(5, 812, 1218)
	job, err := tspl.Encode(img, tspl.EncodeOptions{WidthIn: 4, HeightIn: 6})
	if err != nil {
		t.Fatal(err)
	}
	c, _ := net.Dial("tcp", addr)
	defer c.Close()
	c.Write([]byte(tspl.StatusQuery))
	one := make([]byte, 1)
	if _, err := io.ReadFull(c, one); err != nil || one[0] != 0 {
		t.Fatalf("status %x %v", one, err)
	}
	s.SetFault(FaultPaperOut)
	c.Write([]byte(tspl.StatusQuery))
	if _, err := io.ReadFull(c, one); err != nil || one[0] != tspl.PaperOut {
		t.Fatalf("status %x %v", one, err)
	}
	s.SetFault(FaultNone)
	c.Write(job)
	got, err := s.WaitLabels(testCtx(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Width != 812 || got[0].Height != 1218 || !bytes.Equal(got[0].Bits, img.Bits) {
		t.Fatalf("TSPL label %dx%d differs", got[0].Width, got[0].Height)
	}
}

func TestMalformedJobRejected(t *testing.T) {
	s, addr := start(t, Options{})
	c, _ := net.Dial("tcp", addr)
	c.Write([]byte("^XA^FO0,0^GFA,4,4,2,:Z64:eJxjYGBgAAAABAAB:0000^FS^XZ^XA^FO0,0^GFA,2,2,1,FF:^FS^XZ"))
	c.Close()
	if _, err := s.WaitLabels(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	if s.Rejected() != 1 {
		t.Fatalf("rejected %d, want the CRC-damaged job refused", s.Rejected())
	}
}

type rw struct {
	io.Reader
	io.Writer
}

func FuzzServeZPL(f *testing.F) {
	img := raster.New(24, 4)
	img.Set(5, 2, true)
	job, _ := zpl.Encode(img, zpl.EncodeOptions{})
	f.Add(job)
	f.Add([]byte("~HS~HQES^XA^FO8,1^GFB,4,4,2,^XZ~\x00^FS^XZ~JA~HI"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := New(Options{})
		if err := s.Serve(rw{bytes.NewReader(stream), io.Discard}); err != nil && !strings.Contains(err.Error(), "zpl") {
			t.Fatalf("serve: %v", err)
		}
	})
}

func FuzzServeTSPL(f *testing.F) {
	img := raster.New(24, 4)
	img.Set(5, 2, true)
	job, _ := tspl.Encode(img, tspl.EncodeOptions{WidthIn: 1, HeightIn: 1})
	f.Add(job)
	f.Add([]byte("\x1b!?SIZE 100 mm,150 mm\r\nCLS\r\nBITMAP 8,2,1,1,0,\x7f\r\nPRINT 2,2\r\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := New(Options{Language: "tspl"})
		_ = s.Serve(rw{bytes.NewReader(stream), io.Discard})
	})
}

func FuzzServeEPL(f *testing.F) {
	f.Add([]byte("\nN\nq812\nQ1218,24\nGW0,1,1,1,\x0f\nP1\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := New(Options{Language: "epl"})
		_ = s.Serve(rw{bytes.NewReader(stream), io.Discard})
	})
}
