package label

import (
	"image"
	"math"

	"github.com/packline/packline/drivers/raster"
)

// Thresholds of the 1-bit conversion, in darkness (0 = paper white,
// 255 = full black) after the output gamma.
const (
	// whiteBelow: darker than paper by less than this prints nothing.
	whiteBelow = 56
	// blackAbove: darker than this always prints a dot.
	blackAbove = 199
	// edgeThreshold applies to mid-tones next to pure black or white, so the
	// anti-aliased edges of bars and glyphs snap to a crisp edge instead of
	// being dithered into a ragged one.
	edgeThreshold = 127
	// outputGamma lightens mid-tones a little: thermal dots spread, so a
	// dithered grey prints darker than its dot count suggests.
	outputGamma = 1.2
)

// converter turns grey pixels into printer dots. It holds only tables
// computed once and is safe for concurrent use.
type converter struct {
	// darkness maps luma (0 black .. 255 white) to darkness after gamma.
	darkness [256]uint8
	// dither is a 16x16 ordered (Bayer) threshold matrix spread over the
	// mid-tone range (whiteBelow, blackAbove].
	dither [16][16]uint8
}

func newConverter() *converter {
	c := &converter{}
	for l := 0; l < 256; l++ {
		d := float64(255-l) / 255
		c.darkness[l] = uint8(math.Round(255 * math.Pow(d, outputGamma)))
	}
	bayer := bayer16()
	for y := 0; y < 16; y++ {
		for x := 0; x < 16; x++ {
			// Rank 0..255 to a threshold strictly inside the mid-tone band.
			t := whiteBelow + (float64(bayer[y][x])+0.5)*float64(blackAbove-whiteBelow)/256
			c.dither[y][x] = uint8(t)
		}
	}
	return c
}

// bayer16 returns the 16x16 Bayer index matrix (a permutation of 0..255),
// built by the recursive doubling M(2n) = [4M, 4M+2; 4M+3, 4M+1].
func bayer16() [16][16]int {
	var m [16][16]int
	for n := 1; n < 16; n *= 2 {
		for y := 0; y < n; y++ {
			for x := 0; x < n; x++ {
				v := 4 * m[y][x]
				m[y][x] = v
				m[y][x+n] = v + 2
				m[y+n][x] = v + 3
				m[y+n][x+n] = v + 1
			}
		}
	}
	return m
}

// pixel classes of the 1-bit conversion.
const (
	classWhite = iota
	classMid
	classBlack
)

// toBitmap converts a grey image the size of the canvas into a 1-bit
// bitmap: paper-white and near-white print nothing, near-black prints
// solid, mid-tones that touch a solid black or white pixel are thresholded
// at edgeThreshold and interior mid-tones get the ordered dither. There is
// no error diffusion, so bar widths never drift.
func (c *converter) toBitmap(g *image.Gray) *raster.Bitmap {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := raster.New(w, h)
	// Three rows of darkness and class: previous, current, next.
	dark := [3][]uint8{make([]uint8, w), make([]uint8, w), make([]uint8, w)}
	class := [3][]uint8{make([]uint8, w), make([]uint8, w), make([]uint8, w)}
	load := func(slot, y int) {
		if y >= h {
			for x := 0; x < w; x++ {
				dark[slot][x], class[slot][x] = 0, classMid // no neighbour
			}
			return
		}
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		for x, l := range row {
			d := c.darkness[l]
			dark[slot][x] = d
			switch {
			case d < whiteBelow:
				class[slot][x] = classWhite
			case d > blackAbove:
				class[slot][x] = classBlack
			default:
				class[slot][x] = classMid
			}
		}
	}
	// Row -1 does not exist: mark it mid so it never counts as a neighbour.
	for x := 0; x < w; x++ {
		class[0][x] = classMid
	}
	load(1, 0)
	for y := 0; y < h; y++ {
		// Row y lives in slot (y+1)%3, so row -1 is slot 0.
		prev, cur, next := y%3, (y+1)%3, (y+2)%3
		load(next, y+1)
		dl, cl := dark[cur], class[cur]
		cp, cn := class[prev], class[next]
		bits := out.Row(y)
		drow := c.dither[y&15]
		for x := 0; x < w; x++ {
			var black bool
			switch cl[x] {
			case classWhite:
				continue
			case classBlack:
				black = true
			default:
				edge := cp[x] != classMid || cn[x] != classMid ||
					(x > 0 && cl[x-1] != classMid) || (x+1 < w && cl[x+1] != classMid)
				if edge {
					black = dl[x] > edgeThreshold
				} else {
					black = dl[x] > drow[x&15]
				}
			}
			if black {
				bits[x>>3] |= 0x80 >> (x & 7)
			}
		}
	}
	return out
}
