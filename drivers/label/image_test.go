package label

import (
	"context"
	"errors"
	"image"
	"image/color"
	"testing"
)

func TestRenderImage(t *testing.T) {
	// A picture label: the TikTok label rendered as a 203 dpi A6 picture.
	a6, err := renderer(t).Render(context.Background(), tiktokPDF(t), Spec{DPI: 203, Stock: "A6"})
	if err != nil {
		t.Fatal(err)
	}
	pic := a6.Image()
	for _, tc := range []struct {
		name string
		img  image.Image
		spec Spec
		w, h int
	}{
		{"shrink to 4x6 at 203", pic, Spec{DPI: 203}, 812, 1218},
		{"enlarge to 4x6 at 300", pic, Spec{DPI: 300}, 1218, 1827},
		{"landscape picture turned", rotateCW(pic), Spec{DPI: 203}, 812, 1218},
		{"rgba picture", toRGBA(pic), Spec{DPI: 203}, 812, 1218},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := RenderImage(tc.img, tc.spec)
			if err != nil {
				t.Fatalf("RenderImage: %v", err)
			}
			if b.Width != tc.w || b.Height != tc.h {
				t.Fatalf("bitmap %dx%d, want %dx%d", b.Width, b.Height, tc.w, tc.h)
			}
			box := ink(b)
			if box.Dy() <= box.Dx() {
				t.Errorf("ink %v is not portrait", box)
			}
			checkTracking(t, b, tracking)
		})
	}

	// Transparent pixels are paper, not ink.
	clear := image.NewNRGBA(image.Rect(0, 0, 400, 600))
	if _, err := RenderImage(clear, Spec{DPI: 203}); !errors.Is(err, ErrBlankPage) {
		t.Errorf("transparent picture: %v, want ErrBlankPage", err)
	}
	if _, err := RenderImage(nil, Spec{DPI: 203}); err == nil {
		t.Error("nil picture: no error")
	}
	if _, err := RenderImage(image.NewGray(image.Rect(0, 0, 0, 10)), Spec{DPI: 203}); err == nil {
		t.Error("empty picture: no error")
	}
	if _, err := RenderImage(pic, Spec{DPI: 100}); err == nil {
		t.Error("bad spec: no error")
	}
}

func toRGBA(g *image.Gray) *image.NRGBA {
	out := image.NewNRGBA(g.Rect)
	for y := g.Rect.Min.Y; y < g.Rect.Max.Y; y++ {
		for x := g.Rect.Min.X; x < g.Rect.Max.X; x++ {
			v := g.GrayAt(x, y).Y
			out.SetNRGBA(x, y, color.NRGBA{R: v, G: v, B: v, A: 0xff})
		}
	}
	return out
}
