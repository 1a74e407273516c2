// Package zpl encodes 1-bit labels as Zebra ZPL II jobs, decodes ZPL
// streams and ^GF graphic fields back into bitmaps, and parses the printer's
// ~HS and ~HQES status replies.
package zpl

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"fmt"
	"strconv"
	"sync"

	"github.com/packline/packline/drivers/raster"
)

// EncodeOptions describe the label an image is printed on.
type EncodeOptions struct {
	// Width is the print width in dots (^PW); zero uses the image width.
	Width int
	// Height is the label length in dots; an image taller than a non-zero
	// Height is refused.
	Height int
	// Copies is the print quantity (^PQ); zero means one.
	Copies int
}

// Encoder encodes labels, reusing its compressors between calls (a zlib
// compressor holds about a megabyte). It is safe for concurrent use; the
// zero value is ready.
type Encoder struct {
	pool sync.Pool // of *zlib.Writer
}

// MaxGraphicField is the largest byte count a ^GF field may declare in its
// b and c parameters (the classic ZPL II limit). Encode splits a larger
// image into bands that each stay within it.
const MaxGraphicField = 99999

// Encode returns a complete ZPL II format that prints img at the label's
// origin as Z64-compressed ^GF graphic fields. An image of more than
// MaxGraphicField bytes is cut into horizontal bands of equal height (the
// last one may be shorter), each a ^GF field of its own at its row:
//
//	^XA^PW812^LH0,0^FO0,0^GFA,b,c,d,:Z64:<base64>:<crc>^FS^FO0,609^GFA,…^FS^PQ1^XZ
//
// Encode is (&Encoder{}).Encode; keep an Encoder to encode many labels.
func Encode(img *raster.Bitmap, opt EncodeOptions) ([]byte, error) {
	var e Encoder
	return e.Encode(img, opt)
}

// Encode is like the package's Encode.
func (e *Encoder) Encode(img *raster.Bitmap, opt EncodeOptions) ([]byte, error) {
	if err := img.Validate(); err != nil {
		return nil, fmt.Errorf("zpl: %w", err)
	}
	w := opt.Width
	if w == 0 {
		w = img.Width
	}
	if img.Width > w || (opt.Height > 0 && img.Height > opt.Height) {
		return nil, fmt.Errorf("zpl: image is %dx%d dots but the label is %dx%d: render the label at the printer's size", img.Width, img.Height, w, opt.Height)
	}
	copies := opt.Copies
	if copies <= 0 {
		copies = 1
	}
	if copies > 99999999 {
		return nil, fmt.Errorf("zpl: %d copies is more than ^PQ accepts (99999999)", copies)
	}
	rows, err := bandRows(img.Stride, img.Height)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(img.Bits)/16 + 256)
	b.WriteString("^XA^PW")
	b.WriteString(strconv.Itoa(w))
	b.WriteString("^LH0,0")
	for y := 0; y < img.Height; y += rows {
		h := min(rows, img.Height-y)
		band := img.Bits[y*img.Stride : (y+h)*img.Stride]
		field, err := e.Z64(band)
		if err != nil {
			return nil, err
		}
		b.WriteString("^FO0,")
		b.WriteString(strconv.Itoa(y))
		b.WriteString("^GFA,")
		n := strconv.Itoa(len(band))
		b.WriteString(n)
		b.WriteByte(',')
		b.WriteString(n)
		b.WriteByte(',')
		b.WriteString(strconv.Itoa(img.Stride))
		b.WriteByte(',')
		b.Write(field)
		b.WriteString("^FS")
	}
	b.WriteString("^PQ")
	b.WriteString(strconv.Itoa(copies))
	b.WriteString("^XZ")
	return b.Bytes(), nil
}

// bandRows returns how many rows of stride bytes go in one ^GF field so
// that no field declares more than MaxGraphicField bytes, spreading the
// rows evenly over the fewest fields.
func bandRows(stride, height int) (int, error) {
	if stride > MaxGraphicField {
		return 0, fmt.Errorf("zpl: a row of %d bytes is more than one ^GF field holds (%d): the image is far too wide for a label", stride, MaxGraphicField)
	}
	maxRows := MaxGraphicField / stride
	bands := (height + maxRows - 1) / maxRows
	return (height + bands - 1) / bands, nil
}

// Z64 returns data as a ^GF Z64 payload: ":Z64:" + base64(zlib(data)) + ":"
// + the CRC-16/XMODEM of the base64 text as four hex digits.
func Z64(data []byte) ([]byte, error) {
	var e Encoder
	return e.Z64(data)
}

// Z64 is like the package's Z64.
func (e *Encoder) Z64(data []byte) ([]byte, error) {
	var z bytes.Buffer
	z.Grow(len(data)/8 + 64)
	zw, _ := e.pool.Get().(*zlib.Writer)
	if zw == nil {
		zw = zlib.NewWriter(&z)
	} else {
		zw.Reset(&z)
	}
	defer e.pool.Put(zw)
	if _, err := zw.Write(data); err != nil {
		return nil, fmt.Errorf("zpl: compressing graphic: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("zpl: compressing graphic: %w", err)
	}
	n := base64.StdEncoding.EncodedLen(z.Len())
	out := make([]byte, 0, n+10)
	out = append(out, ":Z64:"...)
	out = out[:5+n]
	base64.StdEncoding.Encode(out[5:], z.Bytes())
	crc := CRC16(out[5:])
	out = append(out, ':')
	out = append(out, fmt.Sprintf("%04X", crc)...)
	return out, nil
}

// CRC16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), the check
// that ZPL puts after Z64 and B64 data.
func CRC16(p []byte) uint16 {
	var crc uint16
	for _, c := range p {
		crc ^= uint16(c) << 8
		for i := 0; i < 8; i++ {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// HexRows returns data as ^GF ASCII hex using the printer's compression
// shortcuts (repeat counts, ',' for a row that ends in zeros, '!' for a row
// that ends in ones and ':' for a repeated row). stride is the row length in
// bytes.
func HexRows(data []byte, stride int) []byte {
	const digits = "0123456789ABCDEF"
	var out []byte
	var prev []byte
	nib := make([]byte, 2*stride)
	for off := 0; off+stride <= len(data); off += stride {
		row := data[off : off+stride]
		if prev != nil && bytes.Equal(row, prev) {
			out = append(out, ':')
			continue
		}
		prev = row
		for i, c := range row {
			nib[2*i], nib[2*i+1] = digits[c>>4], digits[c&15]
		}
		// Trim a run of trailing '0' or 'F' into ',' or '!'.
		end := len(nib)
		var tail byte
		if last := nib[len(nib)-1]; last == '0' || last == 'F' {
			for end > 0 && nib[end-1] == last {
				end--
			}
			if last == '0' {
				tail = ','
			} else {
				tail = '!'
			}
		}
		for i := 0; i < end; {
			j := i
			for j < end && nib[j] == nib[i] {
				j++
			}
			out = appendRepeat(out, j-i)
			out = append(out, nib[i])
			i = j
		}
		if tail != 0 {
			out = append(out, tail)
		}
	}
	return out
}

// appendRepeat appends the repeat-count characters for n copies of the next
// digit; nothing for n == 1.
func appendRepeat(out []byte, n int) []byte {
	if n == 1 {
		return out
	}
	for n >= 400 {
		out = append(out, 'z')
		n -= 400
	}
	if n >= 20 {
		out = append(out, byte('g'+n/20-1))
		n %= 20
	}
	if n > 0 {
		out = append(out, byte('G'+n-1))
	}
	return out
}
