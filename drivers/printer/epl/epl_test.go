package epl

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/packline/packline/drivers/raster"
)

func TestRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for _, sz := range [][2]int{{812, 1218}, {1218, 1827}, {13, 5}} {
		img := raster.New(sz[0], sz[1])
		// Ink in bands so blank rows are skipped between GW runs.
		for y := 0; y < sz[1]; y++ {
			if (y/4)%3 == 1 {
				continue
			}
			for i := 0; i < sz[0]/5+1; i++ {
				img.Set(r.IntN(sz[0]), y, true)
			}
		}
		job, err := Encode(img, EncodeOptions{Copies: 2})
		if err != nil {
			t.Fatal(err)
		}
		l, err := Decode(job)
		if err != nil {
			t.Fatal(err)
		}
		if l.Copies != 2 || !bytes.Equal(l.Image.Bits, img.Bits) || l.Image.Width != sz[0] {
			t.Fatalf("%v: round trip differs (copies %d)", sz, l.Copies)
		}
		if n := bytes.Count(job, []byte("GW0,")); sz[1] > 100 && n < sz[1]/12 {
			t.Fatalf("%d GW commands: blank rows were not skipped", n)
		}
	}
}

func TestPolarityAndFrame(t *testing.T) {
	img := raster.New(8, 2)
	img.Bits[1] = 0xf0
	job, err := Encode(img, EncodeOptions{Width: 812, Height: 1218})
	if err != nil {
		t.Fatal(err)
	}
	want := "\nN\nq812\nQ1218,24\nGW0,1,1,1,\x0f\nP1\n"
	if string(job) != want {
		t.Fatalf("job %q, want %q", job, want)
	}
	if _, err := Encode(raster.New(900, 10), EncodeOptions{Width: 812, Height: 1218}); err == nil {
		t.Fatal("oversize image accepted")
	}
	for _, bad := range []string{"N\nq8\nQ8,24\n", "N\nq8\nQ8,24\nGW0,0,1,9,\x00\nP1\n", "N\nP1\n"} {
		if _, err := Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%q) accepted", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	img := raster.New(16, 4)
	img.Set(3, 1, true)
	job, _ := Encode(img, EncodeOptions{})
	f.Add(job)
	f.Add([]byte("\nN\nq812\nQ1218,24\nGW0,1,1,1,\x0f\nP1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := Decode(b)
		if err == nil {
			if err := l.Image.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestScannerMatchesDecode(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	var stream []byte
	var want []*raster.Bitmap
	for i := 0; i < 3; i++ {
		img := raster.New(203, 101)
		for k := 0; k < 2000; k++ {
			img.Set(r.IntN(203), r.IntN(101), true)
		}
		job, err := Encode(img, EncodeOptions{Copies: i + 1})
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, job...)
		want = append(want, img)
	}
	s := NewScanner(bytes.NewReader(stream))
	for i, img := range want {
		l, err := s.Next()
		if err != nil {
			t.Fatal(err)
		}
		if l.Copies != i+1 || !bytes.Equal(l.Image.Bits, img.Bits) {
			t.Fatalf("label %d differs", i)
		}
	}
	if _, err := s.Next(); err == nil {
		t.Fatal("no end of stream")
	}
}

func FuzzScanner(f *testing.F) {
	img := raster.New(16, 4)
	img.Set(3, 1, true)
	job, _ := Encode(img, EncodeOptions{})
	f.Add(job)
	f.Add([]byte("\nN\nq812\nQ1218,24\nGW0,1,1,1,\x0f\nP1\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s := NewScanner(bytes.NewReader(b))
		for {
			l, err := s.Next()
			if err != nil {
				return
			}
			if err := l.Image.Validate(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
