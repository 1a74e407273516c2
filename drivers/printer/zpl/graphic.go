package zpl

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/packline/packline/drivers/raster"
)

// maxGraphicBytes bounds the image size a ^GF field may declare (16 MiB,
// far above a 600 dpi 4x6 label), so hostile counts cannot exhaust memory.
const maxGraphicBytes = 16 << 20

// ErrCRC reports a Z64 or B64 payload whose CRC does not match its data.
var ErrCRC = errors.New("zpl: graphic CRC mismatch")

// DecodeGF decodes the parameters of a ^GF command (everything after "^GF",
// e.g. "A,8,8,1,FF,..." or "A,b,c,d,:Z64:...:CRC") into a bitmap d*8 dots
// wide and c/d rows high. It accepts ASCII hex with every compression
// shortcut, binary, and Z64/B64 payloads (zlib, gzip or raw deflate). The
// compressed binary form C is refused.
func DecodeGF(params []byte) (*raster.Bitmap, error) {
	var fields [4]string
	rest := params
	for i := range fields {
		j := bytes.IndexByte(rest, ',')
		if j < 0 {
			return nil, fmt.Errorf("zpl: ^GF needs format,bytes,total,rowbytes,data; got %d fields", i+1)
		}
		fields[i] = strings.TrimSpace(string(rest[:j]))
		rest = rest[j+1:]
	}
	format := strings.ToUpper(fields[0])
	if format == "" {
		format = "A"
	}
	sent, err := gfCount("byte count", fields[1])
	if err != nil {
		return nil, err
	}
	total, err := gfCount("total bytes", fields[2])
	if err != nil {
		return nil, err
	}
	stride, err := gfCount("bytes per row", fields[3])
	if err != nil {
		return nil, err
	}
	if stride == 0 || total == 0 {
		return nil, fmt.Errorf("zpl: ^GF with %d bytes of %d per row is empty", total, stride)
	}
	if total%stride != 0 {
		return nil, fmt.Errorf("zpl: ^GF total %d is not a multiple of the row length %d", total, stride)
	}
	img := raster.New(stride*8, total/stride)
	data := rest
	switch {
	case bytes.HasPrefix(data, []byte(":Z64:")), bytes.HasPrefix(data, []byte(":B64:")):
		raw, err := decodeB64(data)
		if err != nil {
			return nil, err
		}
		if len(raw) != total {
			return nil, fmt.Errorf("zpl: ^GF payload holds %d bytes, header says %d", len(raw), total)
		}
		copy(img.Bits, raw)
	case format == "A":
		if err := decodeHex(data, img); err != nil {
			return nil, err
		}
	case format == "B":
		if sent != total || len(data) < total {
			return nil, fmt.Errorf("zpl: ^GFB sends %d of %d bytes and holds %d: binary data must be complete", sent, total, len(data))
		}
		copy(img.Bits, data[:total])
	case format == "C":
		return nil, errors.New("zpl: ^GFC (compressed binary) is not supported: send ^GFA with Z64")
	default:
		return nil, fmt.Errorf("zpl: ^GF format %q: want A, B or C", fields[0])
	}
	return img, nil
}

func gfCount(what, s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("zpl: ^GF %s %q is not a whole number", what, s)
	}
	if n > maxGraphicBytes {
		return 0, fmt.Errorf("zpl: ^GF %s %d is larger than %d", what, n, maxGraphicBytes)
	}
	return n, nil
}

// decodeB64 decodes ":Z64:<base64>:<crc>" or ":B64:<base64>:<crc>".
func decodeB64(data []byte) ([]byte, error) {
	kind := string(data[1:4])
	body := data[5:]
	i := bytes.IndexByte(body, ':')
	if i < 0 {
		return nil, fmt.Errorf("zpl: :%s: payload has no ':CRC' after the data", kind)
	}
	text, crcText := body[:i], bytes.TrimSpace(body[i+1:])
	if len(crcText) > 4 {
		crcText = crcText[:4]
	}
	want, err := strconv.ParseUint(string(crcText), 16, 16)
	if err != nil || len(crcText) != 4 {
		return nil, fmt.Errorf("zpl: :%s: CRC %q is not four hex digits", kind, crcText)
	}
	// Printers ignore line breaks inside the base64 text; so does the CRC.
	clean := bytes.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == ' ' || r == '\t' {
			return -1
		}
		return r
	}, text)
	if got := CRC16(clean); got != uint16(want) {
		return nil, fmt.Errorf("%w: payload CRC %04X, field says %04X: the data was damaged in transit", ErrCRC, got, want)
	}
	raw := make([]byte, base64.StdEncoding.DecodedLen(len(clean)))
	n, err := base64.StdEncoding.Decode(raw, clean)
	if err != nil {
		return nil, fmt.Errorf("zpl: :%s: bad base64: %w", kind, err)
	}
	raw = raw[:n]
	if kind == "B64" {
		return raw, nil
	}
	return inflate(raw)
}

// inflate undoes Z64 compression: zlib as printers and most encoders send
// it, gzip as in Zebra's own examples, or raw deflate.
func inflate(raw []byte) ([]byte, error) {
	var r io.Reader
	switch {
	case len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b:
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("zpl: Z64 gzip header: %w", err)
		}
		r = zr
	case len(raw) >= 2 && raw[0]&0x0f == 8 && (uint16(raw[0])<<8|uint16(raw[1]))%31 == 0:
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("zpl: Z64 zlib header: %w", err)
		}
		r = zr
	default:
		r = flate.NewReader(bytes.NewReader(raw))
	}
	out, err := io.ReadAll(io.LimitReader(r, maxGraphicBytes+1))
	if err != nil {
		return nil, fmt.Errorf("zpl: Z64 inflate: %w", err)
	}
	if len(out) > maxGraphicBytes {
		return nil, fmt.Errorf("zpl: Z64 inflates beyond %d bytes", maxGraphicBytes)
	}
	return out, nil
}

// decodeHex decodes ^GFA ASCII hex with the compression shortcuts into img.
func decodeHex(data []byte, img *raster.Bitmap) error {
	rowNibbles := 2 * img.Stride
	nib := make([]byte, 0, rowNibbles) // current row, one nibble value per entry
	row := 0
	repeat := 0
	finish := func(fill byte) {
		for len(nib) < rowNibbles {
			nib = append(nib, fill)
		}
		dst := img.Row(row)
		for i := range dst {
			dst[i] = nib[2*i]<<4 | nib[2*i+1]
		}
		row++
		nib = nib[:0]
	}
	for i, c := range data {
		if row >= img.Height {
			if isSpace(c) {
				continue
			}
			return fmt.Errorf("zpl: ^GFA data goes on past %d rows (at byte %d)", img.Height, i)
		}
		switch {
		case isSpace(c):
		case c >= 'G' && c <= 'Y':
			repeat += int(c-'G') + 1
		case c >= 'g' && c <= 'z':
			repeat += 20 * (int(c-'g') + 1)
		case c == ',' || c == '!':
			if repeat != 0 {
				return fmt.Errorf("zpl: ^GFA repeat count before %q at byte %d", c, i)
			}
			fill := byte(0)
			if c == '!' {
				fill = 0xf
			}
			finish(fill)
		case c == ':':
			if repeat != 0 || len(nib) != 0 {
				return fmt.Errorf("zpl: ^GFA ':' (repeat row) in the middle of a row at byte %d", i)
			}
			if row == 0 {
				return errors.New("zpl: ^GFA starts with ':' but there is no previous row to repeat")
			}
			copy(img.Row(row), img.Row(row-1))
			row++
		default:
			v, ok := hexVal(c)
			if !ok {
				return fmt.Errorf("zpl: ^GFA byte %d is %q, not hex data or a compression code", i, c)
			}
			n := repeat
			if n == 0 {
				n = 1
			}
			repeat = 0
			if len(nib)+n > rowNibbles {
				return fmt.Errorf("zpl: ^GFA repeat of %d digits at byte %d overruns the %d-digit row", n, i, rowNibbles)
			}
			for ; n > 0; n-- {
				nib = append(nib, v)
			}
			if len(nib) == rowNibbles {
				finish(0)
			}
		}
	}
	if repeat != 0 {
		return errors.New("zpl: ^GFA ends with a repeat count and no digit")
	}
	if len(nib) != 0 {
		finish(0)
	}
	// Rows not sent at all stay white, as on the printer.
	return nil
}

func isSpace(c byte) bool { return c == ' ' || c == '\r' || c == '\n' || c == '\t' }

func hexVal(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}
