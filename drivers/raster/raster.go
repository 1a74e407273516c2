// Package raster holds the 1-bit image that travels from the label renderer
// to the printer languages. It depends only on the standard library.
package raster

import (
	"fmt"
	"image"
	"image/color"
)

// Bitmap is a 1-bit image, rows packed MSB first: bit 7 of byte 0 is the
// leftmost pixel, and a set bit is black (ZPL's polarity).
type Bitmap struct {
	Width, Height int
	// Stride is the number of bytes per row: (Width+7)/8.
	Stride int
	Bits   []byte
}

// New returns an all-white bitmap of the given size.
func New(width, height int) *Bitmap {
	stride := (width + 7) / 8
	return &Bitmap{Width: width, Height: height, Stride: stride, Bits: make([]byte, stride*height)}
}

// Black reports whether the pixel at x, y is black. Pixels outside are white.
func (b *Bitmap) Black(x, y int) bool {
	if x < 0 || y < 0 || x >= b.Width || y >= b.Height {
		return false
	}
	return b.Bits[y*b.Stride+x/8]&(0x80>>(x%8)) != 0
}

// Set paints the pixel at x, y black or white. Pixels outside are ignored.
func (b *Bitmap) Set(x, y int, black bool) {
	if x < 0 || y < 0 || x >= b.Width || y >= b.Height {
		return
	}
	i, m := y*b.Stride+x/8, byte(0x80>>(x%8))
	if black {
		b.Bits[i] |= m
	} else {
		b.Bits[i] &^= m
	}
}

// Row returns the packed bytes of row y.
func (b *Bitmap) Row(y int) []byte { return b.Bits[y*b.Stride : (y+1)*b.Stride] }

// Validate checks that the dimensions and the buffer agree.
func (b *Bitmap) Validate() error {
	if b.Width <= 0 || b.Height <= 0 {
		return fmt.Errorf("bitmap is %dx%d: both sides must be positive", b.Width, b.Height)
	}
	if b.Stride != (b.Width+7)/8 {
		return fmt.Errorf("bitmap stride %d does not match width %d", b.Stride, b.Width)
	}
	if len(b.Bits) != b.Stride*b.Height {
		return fmt.Errorf("bitmap holds %d bytes, want %d", len(b.Bits), b.Stride*b.Height)
	}
	return nil
}

// Image returns the bitmap as a gray image (black on white), for PNG output
// and barcode decoding.
func (b *Bitmap) Image() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, b.Width, b.Height))
	for y := 0; y < b.Height; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+b.Width]
		for x := range row {
			if b.Black(x, y) {
				row[x] = 0
			} else {
				row[x] = 0xff
			}
		}
	}
	return img
}

// FromImage thresholds img at 50 % luminance into a bitmap.
func FromImage(img image.Image) *Bitmap {
	r := img.Bounds()
	b := New(r.Dx(), r.Dy())
	for y := 0; y < b.Height; y++ {
		for x := 0; x < b.Width; x++ {
			g := color.GrayModel.Convert(img.At(r.Min.X+x, r.Min.Y+y)).(color.Gray)
			b.Set(x, y, g.Y < 128)
		}
	}
	return b
}
