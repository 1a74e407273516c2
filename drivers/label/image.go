package label

import (
	"errors"
	"fmt"
	"image"

	"github.com/packline/packline/drivers/raster"
)

// maxImagePixels bounds the images RenderImage accepts (a 4x6 label at
// 600 dpi is 8.8 M pixels).
const maxImagePixels = 64 << 20

// RenderImage fits a picture label (a carrier's PNG, TikTok's
// SHIPPING_LABEL_PICTURE) onto spec's stock and converts it to dots the
// same way as Render. A picture has no physical size, so the whole image
// is scaled to fill the stock (turned a quarter clockwise when its
// orientation is the opposite of the stock's), keeping its aspect, and
// centred. Shrinking averages pixels; enlarging repeats them, so bar edges
// stay sharp.
func RenderImage(img image.Image, spec Spec) (*raster.Bitmap, error) {
	if img == nil {
		return nil, errors.New("render label image: no image")
	}
	cw, ch, err := spec.Canvas()
	if err != nil {
		return nil, fmt.Errorf("render label image: %w", err)
	}
	b := img.Bounds()
	if b.Dx() <= 0 || b.Dy() <= 0 || b.Dx()*b.Dy() > maxImagePixels {
		return nil, fmt.Errorf("render label image: %dx%d pixels is not a label picture (at most %d pixels)", b.Dx(), b.Dy(), maxImagePixels)
	}
	g := toGray(img)
	if (g.Rect.Dx() > g.Rect.Dy() && cw < ch) || (g.Rect.Dx() < g.Rect.Dy() && cw > ch) {
		g = rotateCW(g)
	}
	w, h := g.Rect.Dx(), g.Rect.Dy()
	// Largest size with the image's aspect that fits the canvas.
	tw, th := cw, h*cw/w
	if th > ch {
		tw, th = w*ch/h, ch
	}
	tw, th = max(tw, 1), max(th, 1)
	canvas := image.NewGray(image.Rect(0, 0, cw, ch))
	for i := range canvas.Pix {
		canvas.Pix[i] = 0xff
	}
	placeCentred(canvas, resample(g, tw, th))
	conv := newConverter()
	bm := conv.toBitmap(canvas)
	if !hasInk(bm.Bits) {
		return nil, fmt.Errorf("render label image: %w: the picture has nothing dark enough to print", ErrBlankPage)
	}
	return bm, nil
}

// toGray converts img to luma with a white background under transparency.
func toGray(img image.Image) *image.Gray {
	b := img.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	if src, ok := img.(*image.Gray); ok {
		for y := 0; y < b.Dy(); y++ {
			copy(g.Pix[y*g.Stride:(y+1)*g.Stride], src.Pix[src.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		return g
	}
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			r, gg, bb, a := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
			// Composite over white, then luma (299R + 587G + 114B).
			white := 0xffff - a
			l := (299*(r+white) + 587*(gg+white) + 114*(bb+white)) / 1000
			g.Pix[y*g.Stride+x] = uint8(min(l, 0xffff) >> 8)
		}
	}
	return g
}

// resample scales g to w x h: a box average when shrinking, nearest pixel
// when enlarging.
func resample(g *image.Gray, w, h int) *image.Gray {
	sw, sh := g.Rect.Dx(), g.Rect.Dy()
	if sw == w && sh == h {
		return g
	}
	out := image.NewGray(image.Rect(0, 0, w, h))
	for oy := 0; oy < h; oy++ {
		y0 := oy * sh / h
		y1 := max((oy+1)*sh/h, y0+1)
		for ox := 0; ox < w; ox++ {
			x0 := ox * sw / w
			x1 := max((ox+1)*sw/w, x0+1)
			sum, n := 0, 0
			for y := y0; y < y1; y++ {
				row := g.Pix[y*g.Stride:]
				for x := x0; x < x1; x++ {
					sum += int(row[x])
					n++
				}
			}
			out.Pix[oy*out.Stride+ox] = uint8(sum / n)
		}
	}
	return out
}
