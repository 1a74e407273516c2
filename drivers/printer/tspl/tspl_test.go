package tspl

import (
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/packline/packline/drivers/raster"
)

func randomBitmap(r *rand.Rand, w, h int) *raster.Bitmap {
	b := raster.New(w, h)
	for i := 0; i < w*h/7; i++ {
		b.Set(r.IntN(w), r.IntN(h), true)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		w, h   int
		in     [2]float64
		dpi    float64
		copies int
	}{{812, 1218, [2]float64{4, 6}, 203, 1}, {1218, 1827, [2]float64{4, 6}, 304.5, 3}, {406, 203, [2]float64{2, 1}, 203, 2}} {
		img := randomBitmap(r, c.w, c.h)
		job, err := Encode(img, EncodeOptions{WidthIn: c.in[0], HeightIn: c.in[1], Copies: c.copies})
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(job, []byte("SIZE ")) || !bytes.HasSuffix(job, []byte("\r\nPRINT "+string(rune('0'+c.copies))+"\r\n")) {
			t.Fatalf("frame: %.60q … %q", job, job[len(job)-12:])
		}
		l, err := Decode(job)
		if err != nil {
			t.Fatal(err)
		}
		if l.Copies != c.copies || l.WidthIn != c.in[0] || l.HeightIn != c.in[1] {
			t.Fatalf("label %+v", l)
		}
		got, err := l.Render(c.dpi)
		if err != nil {
			t.Fatal(err)
		}
		if got.Width != c.w || got.Height != c.h || !bytes.Equal(got.Bits, img.Bits) {
			t.Fatalf("%dx%d: decoded %dx%d differs", c.w, c.h, got.Width, got.Height)
		}
	}
}

func TestPolarityIsInverted(t *testing.T) {
	img := raster.New(8, 1)
	img.Bits[0] = 0xf0
	job, _ := Encode(img, EncodeOptions{WidthIn: 1, HeightIn: 1})
	if !bytes.Contains(job, []byte("BITMAP 0,0,1,1,0,\x0f\r\n")) {
		t.Fatalf("job %q: want 0 = black", job)
	}
}

func TestScannerStatusAndMM(t *testing.T) {
	stream := "\x1b!?SIZE 100 mm,150 mm\r\nGAP 3 mm,0\r\nCLS\r\nBITMAP 8,2,1,1,0,\x7f\r\n\x1b!SPRINT 2,2\r\n"
	s := NewScanner(strings.NewReader(stream))
	var got []string
	for {
		it, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Query != "" {
			got = append(got, it.Query)
			continue
		}
		got = append(got, "label")
		if it.Label.Copies != 4 || len(it.Label.Bitmaps) != 1 || it.Label.Bitmaps[0].X != 8 || it.Label.Bitmaps[0].Image.Bits[0] != 0x80 {
			t.Fatalf("label %+v", it.Label)
		}
		if w := it.Label.WidthIn; w < 3.93 || w > 3.94 {
			t.Fatalf("width %v in", w)
		}
	}
	if strings.Join(got, " ") != "!? !S label" {
		t.Fatalf("items %q", got)
	}
}

func TestParseStatus(t *testing.T) {
	for _, c := range []struct {
		b    byte
		want string
	}{{0x00, ""}, {0x01, "head open"}, {0x04, "paper out"}, {0x14, "paper out,paused"}, {0x20, ""}, {0x4a, "paper jam,ribbon out,cover open"}} {
		s, err := ParseStatus([]byte{c.b})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(s.Errors(), ","); got != c.want {
			t.Errorf("%#02x: %q, want %q", c.b, got, c.want)
		}
	}
	if s, _ := ParseStatus([]byte{0x20}); !s.Busy() {
		t.Error("0x20 is printing")
	}
	for _, bad := range [][]byte{nil, {0x80}, {0, 0}} {
		if _, err := ParseStatus(bad); err == nil {
			t.Errorf("ParseStatus(%x) accepted", bad)
		}
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add([]byte{0x00})
	f.Add([]byte{0x04})
	f.Add([]byte{0x14, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseStatus(b)
		if err == nil && len(s.Errors()) > 6 {
			t.Fatal("more errors than bits")
		}
	})
}

func FuzzScanner(f *testing.F) {
	img := raster.New(16, 3)
	img.Set(2, 1, true)
	job, _ := Encode(img, EncodeOptions{WidthIn: 1, HeightIn: 1})
	f.Add(job)
	f.Add([]byte("\x1b!?SIZE 100 mm,150 mm\r\nCLS\r\nBITMAP 8,2,1,1,0,\x7f\r\nPRINT 2,2\r\n"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := NewScanner(bytes.NewReader(stream))
		for {
			it, err := s.Next()
			if err != nil {
				return
			}
			if it.Label != nil {
				if out, err := it.Label.Render(203); err == nil {
					if err := out.Validate(); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
	})
}
