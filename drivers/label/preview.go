package label

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/png"

	"github.com/packline/packline/drivers/raster"
)

// PreviewPNG returns b as a grey PNG at most maxWidth pixels wide (keeping
// the aspect; maxWidth <= 0 or wider than b means full size), for the
// station screen. Shrinking averages the dots, so thin bars stay visible
// as grey instead of vanishing.
func PreviewPNG(b *raster.Bitmap, maxWidth int) ([]byte, error) {
	if b == nil {
		return nil, errors.New("label preview: no bitmap")
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("label preview: %w", err)
	}
	var img *image.Gray
	if maxWidth <= 0 || maxWidth >= b.Width {
		img = b.Image()
	} else {
		img = shrink(b, maxWidth)
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("label preview: encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// shrink box-filters b down to width w (height in proportion): each output
// pixel is the share of white dots in its source area.
func shrink(b *raster.Bitmap, w int) *image.Gray {
	h := max(1, (b.Height*w+b.Width/2)/b.Width)
	out := image.NewGray(image.Rect(0, 0, w, h))
	for oy := 0; oy < h; oy++ {
		y0, y1 := oy*b.Height/h, max((oy+1)*b.Height/h, oy*b.Height/h+1)
		for ox := 0; ox < w; ox++ {
			x0, x1 := ox*b.Width/w, max((ox+1)*b.Width/w, ox*b.Width/w+1)
			black := 0
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					if b.Black(x, y) {
						black++
					}
				}
			}
			n := (y1 - y0) * (x1 - x0)
			out.Pix[oy*out.Stride+ox] = uint8(255 - black*255/n)
		}
	}
	return out
}
