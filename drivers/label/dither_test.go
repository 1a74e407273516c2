package label

import (
	"bytes"
	"image"
	"image/png"
	"testing"
)

func pngDecode(p []byte) (image.Image, error) { return png.Decode(bytes.NewReader(p)) }

func grey(w, h int, fill uint8) *image.Gray {
	g := image.NewGray(image.Rect(0, 0, w, h))
	for i := range g.Pix {
		g.Pix[i] = fill
	}
	return g
}

func TestConverterLevels(t *testing.T) {
	c := newConverter()
	for _, tc := range []struct {
		luma     uint8
		min, max float64 // share of black dots
	}{
		{255, 0, 0},     // paper
		{235, 0, 0},     // near white prints nothing
		{20, 1, 1},      // near black prints solid
		{0, 1, 1},       // black
		{128, 0.2, 0.6}, // mid grey: dithered, about half
	} {
		b := c.toBitmap(grey(64, 64, tc.luma))
		black := 0
		for y := 0; y < 64; y++ {
			for x := 0; x < 64; x++ {
				if b.Black(x, y) {
					black++
				}
			}
		}
		share := float64(black) / (64 * 64)
		if share < tc.min || share > tc.max {
			t.Errorf("luma %d: %.2f black, want %.2f..%.2f", tc.luma, share, tc.min, tc.max)
		}
	}
}

// An anti-aliased bar edge (a mid-grey column next to solid black) is
// thresholded, never dithered: every row gets the same edge, so bar widths
// are the same on every scan line.
func TestConverterCrispEdges(t *testing.T) {
	c := newConverter()
	g := grey(40, 32, 255)
	for y := 0; y < 32; y++ {
		for x := 10; x < 20; x++ {
			g.Pix[y*g.Stride+x] = 0
		}
		g.Pix[y*g.Stride+9] = 100  // dark fringe: becomes black
		g.Pix[y*g.Stride+20] = 180 // light fringe: becomes white
	}
	b := c.toBitmap(g)
	for y := 0; y < 32; y++ {
		for x := 0; x < 40; x++ {
			want := x >= 9 && x < 20
			if b.Black(x, y) != want {
				t.Fatalf("pixel %d,%d black=%v, want %v", x, y, b.Black(x, y), want)
			}
		}
	}
}

func TestBayer16IsPermutation(t *testing.T) {
	seen := map[int]bool{}
	for _, row := range bayer16() {
		for _, v := range row {
			if v < 0 || v > 255 || seen[v] {
				t.Fatalf("value %d repeated or out of range", v)
			}
			seen[v] = true
		}
	}
}

func TestSpecCanvas(t *testing.T) {
	for _, tc := range []struct {
		spec Spec
		w, h int
		ok   bool
	}{
		{Spec{DPI: 203}, 812, 1218, true},
		{Spec{DPI: 300, Stock: "4x6"}, 1218, 1827, true},
		{Spec{DPI: 203, Stock: "4x4"}, 812, 812, true},
		{Spec{DPI: 203, Stock: "a6"}, 839, 1183, true},
		{Spec{DPI: 203, Stock: "4in x 6in"}, 0, 0, false},
		{Spec{DPI: 203, Stock: "4x6in"}, 812, 1218, true},
		{Spec{DPI: 203, Stock: "2.25x1.25"}, 457, 254, true},
		{Spec{DPI: 600, Stock: "4x6"}, 2436, 3654, true},
		{Spec{DPI: 203, Stock: "100x150mm"}, 799, 1199, true},
		{Spec{DPI: 204}, 0, 0, false},
		{Spec{DPI: 203, Stock: "x6"}, 0, 0, false},
		{Spec{DPI: 203, Stock: "40x60"}, 0, 0, false},
		{Spec{DPI: 203, Stock: "-4x6"}, 0, 0, false},
	} {
		w, h, err := tc.spec.Canvas()
		if (err == nil) != tc.ok || w != tc.w || h != tc.h {
			t.Errorf("%+v.Canvas() = %d, %d, %v; want %d, %d, ok=%v", tc.spec, w, h, err, tc.w, tc.h, tc.ok)
		}
	}
}
