package zpl

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/packline/packline/drivers/raster"
)

func randomBitmap(r *rand.Rand, w, h int, density float64) *raster.Bitmap {
	b := raster.New(w, h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			if r.Float64() < density {
				b.Set(x, y, true)
			}
		}
	}
	return b
}

func sameBits(t *testing.T, got, want *raster.Bitmap) {
	t.Helper()
	if got.Width != want.Width || got.Height != want.Height {
		t.Fatalf("size %dx%d, want %dx%d", got.Width, got.Height, want.Width, want.Height)
	}
	if !bytes.Equal(got.Bits, want.Bits) {
		for y := 0; y < want.Height; y++ {
			if !bytes.Equal(got.Row(y), want.Row(y)) {
				t.Fatalf("row %d: got %x, want %x", y, got.Row(y), want.Row(y))
			}
		}
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{1, 1}, {7, 3}, {8, 8}, {9, 17}, {812, 1218}, {1218, 1827}, {100, 1}}
	for _, sz := range sizes {
		for _, d := range []float64{0, 0.02, 0.5, 1} {
			img := randomBitmap(r, sz[0], sz[1], d)
			job, err := Encode(img, EncodeOptions{Width: sz[0], Height: sz[1], Copies: 2})
			if err != nil {
				t.Fatal(err)
			}
			head := fmt.Sprintf("^XA^PW%d^LH0,0^FO0,0^GFA,%d,%d,%d,:Z64:", sz[0], len(img.Bits), len(img.Bits), img.Stride)
			if len(img.Bits) > MaxGraphicField {
				head = fmt.Sprintf("^XA^PW%d^LH0,0^FO0,0^GFA,", sz[0]) // banded; see TestEncodeKeepsGraphicFieldsUnderLimit
			}
			if !bytes.HasPrefix(job, []byte(head)) ||
				!bytes.HasSuffix(job, []byte("^FS^PQ2^XZ")) {
				t.Fatalf("%v: job frame wrong: %.80q … %q", sz, job, job[len(job)-12:])
			}
			got, l, err := DecodeLabel(job)
			if err != nil {
				t.Fatalf("%v density %v: %v", sz, d, err)
			}
			if l.Copies != 2 {
				t.Errorf("copies %d, want 2", l.Copies)
			}
			sameBits(t, got, img)
		}
	}
}

// TestEncodeKeepsGraphicFieldsUnderLimit checks that no ^GF field of a full
// 4x6 label declares more than 99999 bytes, that the bands tile the image
// from the top without gaps, and that they compose back into the image.
func TestEncodeKeepsGraphicFieldsUnderLimit(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct {
		dpi, w, h, fields int
	}{
		{203, 812, 1218, 2},   // 124,236 bytes
		{300, 1218, 1827, 3},  // 279,531 bytes
		{600, 2436, 3654, 12}, // 1,114,470 bytes
	} {
		t.Run(fmt.Sprint(c.dpi), func(t *testing.T) {
			img := randomBitmap(r, c.w, c.h, 0.1)
			job, err := Encode(img, EncodeOptions{Width: c.w, Height: c.h})
			if err != nil {
				t.Fatal(err)
			}
			s := NewScanner(bytes.NewReader(job))
			it, err := s.Next()
			if err != nil || it.Format == nil {
				t.Fatalf("no format: %v", err)
			}
			fields, nextY, y := 0, 0, -1
			for _, cmd := range it.Format {
				switch cmd.Code {
				case "FO":
					if _, err := fmt.Sscanf(string(cmd.Params), "0,%d", &y); err != nil {
						t.Fatalf("^FO%s: %v", cmd.Params, err)
					}
				case "GF":
					fields++
					var sent, total, stride int
					if _, err := fmt.Sscanf(string(cmd.Params), "A,%d,%d,%d,", &sent, &total, &stride); err != nil {
						t.Fatalf("^GF header %.40q: %v", cmd.Params, err)
					}
					if sent > MaxGraphicField || total > MaxGraphicField {
						t.Errorf("field %d declares b=%d c=%d, over %d", fields, sent, total, MaxGraphicField)
					}
					if stride != img.Stride || total%stride != 0 {
						t.Errorf("field %d: %d bytes of %d per row", fields, total, stride)
					}
					if y != nextY {
						t.Errorf("field %d at row %d, want %d (bands must tile the image)", fields, y, nextY)
					}
					nextY = y + total/stride
				}
			}
			if fields != c.fields || nextY != c.h {
				t.Errorf("%d fields covering %d rows, want %d covering %d", fields, nextY, c.fields, c.h)
			}
			got, _, err := DecodeLabel(job)
			if err != nil {
				t.Fatal(err)
			}
			sameBits(t, got, img)
		})
	}
}

func TestEncodeRefusesOversizeImage(t *testing.T) {
	_, err := Encode(raster.New(840, 1183), EncodeOptions{Width: 812, Height: 1218})
	if err == nil || !strings.Contains(err.Error(), "840x1183") {
		t.Fatalf("err = %v, want a size error naming 840x1183", err)
	}
	if _, err := Encode(&raster.Bitmap{Width: 8, Height: 2, Stride: 1, Bits: []byte{1}}, EncodeOptions{}); err == nil {
		t.Fatal("inconsistent bitmap accepted")
	}
}

func TestCRC16XModem(t *testing.T) {
	// The CRC-16/XMODEM check value.
	if got := CRC16([]byte("123456789")); got != 0x31C3 {
		t.Fatalf("CRC16(123456789) = %04X, want 31C3", got)
	}
}

func TestDecodeGFAShortcuts(t *testing.T) {
	tests := []struct {
		name, params string
		want         string // hex of the bitmap bytes
	}{
		{"plain hex", "A,4,4,2,FF00A55A", "ff00a55a"},
		{"lowercase hex", "A,2,2,2,a5ff", "a5ff"},
		{"comma fills zeros", "A,6,6,2,F,FF,,", "f000ff000000"},
		{"bang fills ones", "A,4,4,2,0!!", "0fffffff"},
		{"colon repeats row", "A,8,8,2,12AB:::", "12ab12ab12ab12ab"},
		{"repeat counts G-Y", "A,4,4,2,IAB,", "aaab0000"},
		{"counts add up", "A,12,12,12,gJ1", strings.Repeat("11", 12)},
		{"one row per stride", "A,4,4,1,HFH0HAHA", "ff00aaaa"},
		{"line breaks ignored", "A,4,4,2,FF\r\n00\nA5\r\n5A", "ff00a55a"},
		{"missing rows stay white", "A,6,6,2,FFFF", "ffff00000000"},
		{"colon after shortcut row", "A,6,6,2,F!:,", "ffffffff0000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := DecodeGF([]byte(tt.params))
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(img.Bits); got != tt.want {
				t.Fatalf("bits %s, want %s", got, tt.want)
			}
		})
	}
}

func TestDecodeGFALongRepeats(t *testing.T) {
	// 200 bytes a row = 400 digits: z is exactly one row; y+T is
	// 380+14 = 394, h+J is 40+4.
	params := "A,1000,1000,200,zA" + "yT56," + "hJ1,:" + "zF"
	img, err := DecodeGF([]byte(params))
	if err != nil {
		t.Fatal(err)
	}
	row0 := bytes.Repeat([]byte{0xaa}, 200)
	row1 := append(bytes.Repeat([]byte{0x55}, 197), 0x60, 0, 0) // 394 fives, a six, then zeros
	row2 := make([]byte, 200)
	for i := 0; i < 22; i++ { // h(40)+J(4) = 44 ones = 22 bytes
		row2[i] = 0x11
	}
	row3 := bytes.Repeat([]byte{0xff}, 200)
	want := bytes.Join([][]byte{row0, row1, row2, row2, row3}, nil)
	if !bytes.Equal(img.Bits, want) {
		t.Fatalf("got\n%x\nwant\n%x", img.Bits, want)
	}
}

func TestDecodeGFAErrors(t *testing.T) {
	for _, p := range []string{
		"A,2,2,1,:",        // nothing to repeat
		"A,2,2,1,FFFFFF",   // past the last row
		"A,2,2,1,Z",        // not hex... Z is not a count either
		"A,2,2,1,G",        // count without a digit
		"A,2,2,1,IF",       // repeat overruns the row
		"A,2,2,1,F:",       // colon mid row
		"A,x,2,1,FF",       // bad count
		"A,3,3,2,FFFFFF",   // total not a multiple of the row
		"A,2,2",            // too few fields
		"C,2,2,1,\x00\x01", // compressed binary
		"Q,2,2,1,FFFF",     // unknown format
		"B,4,4,2,\x01",     // short binary
	} {
		if _, err := DecodeGF([]byte(p)); err == nil {
			t.Errorf("DecodeGF(%q) accepted", p)
		}
	}
}

func TestHexRowsRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 50; i++ {
		w, h := 1+r.IntN(900), 1+r.IntN(40)
		img := randomBitmap(r, w, h, []float64{0, 0.01, 0.3, 0.99, 1}[i%5])
		// Repeat some rows so ':' is used.
		for y := 1; y < h; y += 3 {
			copy(img.Row(y), img.Row(y-1))
		}
		data := HexRows(img.Bits, img.Stride)
		got, err := DecodeGF(fmt.Appendf(nil, "A,%d,%d,%d,%s", len(img.Bits), len(img.Bits), img.Stride, data))
		if err != nil {
			t.Fatalf("%dx%d: %v\n%s", w, h, err, data)
		}
		if !bytes.Equal(got.Bits, img.Bits) {
			t.Fatalf("%dx%d: hex round trip differs\n%s", w, h, data)
		}
	}
}

func TestZ64CRCMismatchRefused(t *testing.T) {
	z, err := Z64([]byte{0xff, 0x00, 0xff, 0x00})
	if err != nil {
		t.Fatal(err)
	}
	// Flip one base64 character; the CRC no longer matches.
	bad := bytes.Clone(z)
	if bad[8] == 'A' {
		bad[8] = 'B'
	} else {
		bad[8] = 'A'
	}
	_, err = DecodeGF(append([]byte("A,4,4,2,"), bad...))
	if !errors.Is(err, ErrCRC) {
		t.Fatalf("err = %v, want ErrCRC", err)
	}
	// Damaged CRC text.
	bad = append(bytes.Clone(z[:len(z)-4]), "12G4"...)
	if _, err := DecodeGF(append([]byte("A,4,4,2,"), bad...)); err == nil {
		t.Fatal("CRC with a non-hex digit accepted")
	}
	if _, err := DecodeGF(append([]byte("A,4,4,2,"), z...)); err != nil {
		t.Fatalf("good payload refused: %v", err)
	}
}

func b64Field(kind string, payload []byte) string {
	text := base64.StdEncoding.EncodeToString(payload)
	return fmt.Sprintf(":%s:%s:%04X", kind, text, CRC16([]byte(text)))
}

func TestZ64GzipAndB64(t *testing.T) {
	data := []byte{0x80, 0x01, 0xff, 0x7e}
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write(data)
	w.Close()
	for _, p := range []string{
		"A,4,4,2," + b64Field("Z64", gz.Bytes()),
		"A,4,4,2," + b64Field("B64", data),
		"B,4,4,2," + b64Field("B64", data),
	} {
		img, err := DecodeGF([]byte(p))
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !bytes.Equal(img.Bits, data) {
			t.Fatalf("%s: got %x", p, img.Bits)
		}
	}
	// Line breaks inside the base64 are ignored by printers.
	f := b64Field("B64", bytes.Repeat(data, 30))
	broken := f[:20] + "\r\n" + f[20:]
	if _, err := DecodeGF([]byte("A,120,120,2," + broken)); err != nil {
		t.Fatalf("line break inside base64: %v", err)
	}
}

func TestScannerStream(t *testing.T) {
	bin := []byte{'^', 'X', 'Z', '~', 0x00, 0xff, '^', 'G'} // binary that looks like commands
	stream := "junk~HS\r\n^XA^PW16^LH0,0^FO8,1^GFB,8,8,2," + string(bin) + "^FS~HQES^PQ3^XZ~JA^XA^FO0,0^GFA,2,2,1,FF:^FS^XZ"
	s := NewScanner(strings.NewReader(stream))
	var got []string
	var labels []*Label
	for {
		it, err := s.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if it.Command != nil {
			got = append(got, it.Command.String()+string(it.Command.Params))
			continue
		}
		l, err := ParseFormat(it.Format)
		if err != nil {
			t.Fatal(err)
		}
		labels = append(labels, l)
		got = append(got, "format")
	}
	if want := "~HS ~HQES format ~JA format"; strings.Join(got, " ") != want {
		t.Fatalf("items %q, want %q", strings.Join(got, " "), want)
	}
	if labels[0].Copies != 3 || labels[0].Width != 16 || len(labels[0].Graphics) != 1 {
		t.Fatalf("label 0 = %+v", labels[0])
	}
	g := labels[0].Graphics[0]
	if g.X != 8 || g.Y != 1 || !bytes.Equal(g.Image.Bits, bin) {
		t.Fatalf("graphic at %d,%d bits %x", g.X, g.Y, g.Image.Bits)
	}
	img, err := labels[0].Render()
	if err != nil {
		t.Fatal(err)
	}
	// The 16-bit graphic at x=8 is clipped to ^PW16: only its first byte shows.
	if img.Width != 16 || img.Height != 5 || img.Row(1)[1] != '^' || img.Row(1)[0] != 0 {
		t.Fatalf("render %dx%d row1 %x", img.Width, img.Height, img.Row(1))
	}
	if !bytes.Equal(labels[1].Graphics[0].Image.Bits, []byte{0xff, 0xff}) {
		t.Fatalf("label 1 bits %x", labels[1].Graphics[0].Image.Bits)
	}
}

func TestScannerCutFormat(t *testing.T) {
	s := NewScanner(strings.NewReader("^XA^FO0,0^GFA,2,2,1,FF"))
	if _, err := s.Next(); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("err = %v, want unexpected EOF", err)
	}
}

// Replies as printed by a ZD420 (~HQES) and a GK420d (~HS).
const (
	hqesMediaOutHeadOpen = "\x02\r\n\r\n  PRINTER STATUS                \r\n   ERRORS:         1 00000000 00000005\r\n   WARNINGS:       0 00000000 00000000\r\n\x03\r\n"
	hqesPausedNearEnd    = "\x02\r\n  PRINTER STATUS\r\n   ERRORS:         1 00000000 00010000\r\n   WARNINGS:       1 00000000 00000008\r\n\x03\r\n"
	hqesOK               = "\x02\r\n  PRINTER STATUS\r\n   ERRORS:         0 00000000 00000000\r\n   WARNINGS:       0 00000000 00000000\r\n\x03\r\n"
	hsPaperOutPaused     = "\x02030,1,1,1218,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n"
	hsHeadOpenRemaining  = "\x02030,0,0,1218,002,0,0,0,000,0,0,0\x03\r\n\x02001,0,1,0,0,2,4,1,00000005,1,000\x03\r\n\x021234,0\x03\r\n"
)

func TestParseHQES(t *testing.T) {
	s, err := ParseHQES([]byte(hqesMediaOutHeadOpen))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.ErrorNames(), ","); got != "media out,head open" {
		t.Fatalf("errors %q", got)
	}
	if len(s.WarningNames()) != 0 {
		t.Fatalf("warnings %q", s.WarningNames())
	}
	s, err = ParseHQES([]byte(hqesPausedNearEnd))
	if err != nil {
		t.Fatal(err)
	}
	if e, w := strings.Join(s.ErrorNames(), ","), strings.Join(s.WarningNames(), ","); e != "paused" || w != "paper near end" {
		t.Fatalf("errors %q warnings %q", e, w)
	}
	s, err = ParseHQES([]byte(hqesOK))
	if err != nil || len(s.ErrorNames()) != 0 {
		t.Fatalf("ok reply: %v %v", s.ErrorNames(), err)
	}
	for _, bad := range []string{"", "\x02 PRINTER STATUS\x03", "ERRORS: 1 zz 00000000", "ERRORS: 2 0 0", "ERRORS: 1 0"} {
		if _, err := ParseHQES([]byte(bad)); err == nil {
			t.Errorf("ParseHQES(%q) accepted", bad)
		}
	}
	// Round trip through the formatter the simulator uses.
	want := ExtStatus{ErrorFlag: true, Errors: ErrHeadOpen | ErrPaused, WarningFlag: true, Warnings: WarnCleanHead}
	got, err := ParseHQES(FormatHQES(want))
	if err != nil || got != want {
		t.Fatalf("round trip %+v, %v; want %+v", got, err, want)
	}
	if n := (ExtStatus{ErrorFlag: true, Errors: 0x40000000}).ErrorNames(); len(n) != 1 || !strings.Contains(n[0], "40000000") {
		t.Fatalf("unknown bit named %q", n)
	}
}

func TestParseHS(t *testing.T) {
	h, err := ParseHS([]byte(hsPaperOutPaused))
	if err != nil {
		t.Fatal(err)
	}
	if !h.PaperOut || !h.Paused || h.HeadOpen || h.LabelLength != 1218 {
		t.Fatalf("%+v", h)
	}
	if got := strings.Join(h.Errors(), ","); got != "paper out,paused" {
		t.Fatalf("errors %q", got)
	}
	h, err = ParseHS([]byte(hsHeadOpenRemaining))
	if err != nil {
		t.Fatal(err)
	}
	if !h.HeadOpen || h.PaperOut || h.LabelsRemaining != 5 || !h.LabelWaiting || h.FormatsInBuffer != 2 {
		t.Fatalf("%+v", h)
	}
	for _, bad := range []string{"", hsPaperOutPaused[:40], "\x021,2\x03\x023\x03\x024\x03", strings.Replace(hsPaperOutPaused, "030,1", "030,x", 1)} {
		if _, err := ParseHS([]byte(bad)); err == nil {
			t.Errorf("ParseHS(%q) accepted", bad)
		}
	}
	want := HostStatus{CommSettings: 30, HeadOpen: true, LabelsRemaining: 7, LabelLength: 1218, PrintMode: 2, FunctionSettings: 1, Password: 1234}
	got, err := ParseHS(FormatHS(want))
	if err != nil || got != want {
		t.Fatalf("round trip %+v, %v; want %+v", got, err, want)
	}
}

func TestFieldOriginAndBaseline(t *testing.T) {
	job := "^XA^PW32^LL20^LH8,2^FO8,1^GFA,2,2,1,FF:^FS^FT0,10^GFA,1,1,1,81^FS^XZ"
	img, l, err := DecodeLabel([]byte(job))
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Graphics) != 2 || l.Graphics[0].X != 16 || l.Graphics[0].Y != 3 || l.Graphics[1].X != 8 || l.Graphics[1].Y != 11 {
		t.Fatalf("graphics at %+v", l.Graphics)
	}
	if img.Width != 32 || img.Height != 20 || img.Row(3)[2] != 0xff || img.Row(4)[2] != 0xff || img.Row(11)[1] != 0x81 {
		t.Fatalf("render %dx%d", img.Width, img.Height)
	}
}
