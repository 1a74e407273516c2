package zpl

import (
	"bytes"
	"io"
	"testing"

	"github.com/packline/packline/drivers/raster"
)

func FuzzDecodeGF(f *testing.F) {
	img := raster.New(20, 6)
	img.Set(3, 2, true)
	img.Set(19, 5, true)
	z, _ := Z64(img.Bits)
	f.Add(append([]byte("A,18,18,3,"), z...))
	f.Add([]byte("A,1000,1000,200,zAyT56,hJ1,:zF"))
	f.Add([]byte("A,6,6,2,F!:,"))
	f.Add([]byte("B,4,4,2,\x00\xff^X"))
	f.Add([]byte("A,4,4,2," + b64Field("B64", []byte{1, 2, 3, 4})))
	f.Fuzz(func(t *testing.T, p []byte) {
		img, err := DecodeGF(p)
		if err != nil {
			return
		}
		if err := img.Validate(); err != nil {
			t.Fatalf("decoded bitmap invalid: %v", err)
		}
	})
}

func FuzzScanner(f *testing.F) {
	img := raster.New(16, 4)
	img.Set(1, 1, true)
	job, _ := Encode(img, EncodeOptions{})
	f.Add(job)
	f.Add([]byte("~HS~HQES^XA^FO8,1^GFB,4,4,2,^XZ~\x00^FS^XZ~JA"))
	f.Add([]byte("^XA^PW16^LL4^FO0,0^GFA,2,2,1,FF:^FS^PQ2^XZ"))
	f.Fuzz(func(t *testing.T, stream []byte) {
		s := NewScanner(bytes.NewReader(stream))
		for i := 0; ; i++ {
			it, err := s.Next()
			if err != nil {
				if err != io.EOF && err != io.ErrUnexpectedEOF && !bytes.Contains([]byte(err.Error()), []byte("zpl:")) {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if i > len(stream) {
				t.Fatal("scanner does not advance")
			}
			if it.Command != nil {
				continue
			}
			l, err := ParseFormat(it.Format)
			if err != nil {
				continue
			}
			if out, err := l.Render(); err == nil {
				if err := out.Validate(); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func FuzzParseHQES(f *testing.F) {
	f.Add([]byte(hqesMediaOutHeadOpen))
	f.Add([]byte(hqesPausedNearEnd))
	f.Add([]byte(hqesOK))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := ParseHQES(b)
		if err != nil {
			return
		}
		_ = s.ErrorNames()
		_ = s.WarningNames()
		again, err := ParseHQES(FormatHQES(s))
		if err != nil {
			t.Fatalf("formatted status does not parse: %v", err)
		}
		if again.Errors != s.Errors || again.Warnings != s.Warnings {
			t.Fatalf("round trip %+v != %+v", again, s)
		}
	})
}

func FuzzParseHS(f *testing.F) {
	f.Add([]byte(hsPaperOutPaused))
	f.Add([]byte(hsHeadOpenRemaining))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHS(b)
		if err != nil {
			return
		}
		_ = h.Errors()
	})
}
