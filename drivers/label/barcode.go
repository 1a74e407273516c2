package label

import (
	"context"
	"errors"
	"fmt"
	"image"
	"strings"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"

	"github.com/packline/packline/drivers/raster"
)

// ErrBarcodeUnreadable is wrapped by the error Prepare returns when the
// rendered label's barcode does not read back as the tracking number.
var ErrBarcodeUnreadable = errors.New("label barcode is unreadable")

// UnreadableError says which tracking number was wanted and what the
// rendered label's barcodes read instead. It unwraps to
// ErrBarcodeUnreadable.
type UnreadableError struct {
	Want  string
	Found []string
}

// Error says what was read and that the label must not be printed.
func (e *UnreadableError) Error() string {
	const advice = "the printed label would not scan and must not be printed (download the label again, or check the printer resolution and stock)"
	if e.Want == "" {
		return fmt.Sprintf("%v: no Code 128 barcode could be read; %s", ErrBarcodeUnreadable, advice)
	}
	found := "no Code 128 barcode could be read"
	if len(e.Found) > 0 {
		found = fmt.Sprintf("its barcodes read %q", e.Found)
	}
	return fmt.Sprintf("%v: %s, not tracking number %q; %s", ErrBarcodeUnreadable, found, e.Want, advice)
}

// Unwrap returns ErrBarcodeUnreadable.
func (e *UnreadableError) Unwrap() error { return ErrBarcodeUnreadable }

// Prepare renders pdf like Render and reads the result back: unless one of
// its barcodes carries wantTracking (see TrackingMatches) it returns an
// *UnreadableError and no bitmap.
func (r *Renderer) Prepare(ctx context.Context, pdf []byte, spec Spec, wantTracking string) (*raster.Bitmap, error) {
	want := strings.TrimSpace(wantTracking)
	if want == "" {
		return nil, errors.New("prepare label: the tracking number to check is empty")
	}
	bm, err := r.Render(ctx, pdf, spec)
	if err != nil {
		return nil, err
	}
	if _, err := CheckBarcode(bm, want); err != nil {
		return nil, fmt.Errorf("prepare label: %w", err)
	}
	return bm, nil
}

// CheckBarcode reads a rendered label's barcodes back, as Prepare does.
// With tracking set, one of them must carry it (see TrackingMatches); with
// tracking empty, at least one Code 128 barcode must decode. Otherwise it
// returns an *UnreadableError. found holds the texts read.
func CheckBarcode(b *raster.Bitmap, tracking string) (found []string, err error) {
	want := strings.TrimSpace(tracking)
	ok := false
	found, err = decodeBarcodes(b, func(text string) bool {
		ok = want == "" || TrackingMatches(text, want)
		return ok
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return found, &UnreadableError{Want: want, Found: found}
	}
	return found, nil
}

// TrackingMatches reports whether a decoded barcode carries tracking: the
// same text (ignoring case and a GS1 "]C1" prefix and group separators),
// or a GS1/USPS-style barcode that ends with the tracking number after a
// routing prefix such as "420" + ZIP code.
func TrackingMatches(decoded, tracking string) bool {
	tracking = strings.TrimSpace(tracking)
	if tracking == "" {
		return false
	}
	d := strings.TrimPrefix(strings.TrimSpace(decoded), "]C1")
	d = strings.ReplaceAll(d, "\x1d", "")
	if strings.EqualFold(d, tracking) {
		return true
	}
	// A suffix match needs a real tracking number, not a short fragment.
	return len(tracking) >= 8 && len(d) > len(tracking) &&
		strings.HasSuffix(strings.ToUpper(d), strings.ToUpper(tracking))
}

// DecodeBarcode reads every Code 128 barcode it can find on b, horizontal
// or vertical, and returns their texts without duplicates, in the order
// found. No barcode is not an error: the result is empty.
func DecodeBarcode(b *raster.Bitmap) ([]string, error) {
	return decodeBarcodes(b, func(string) bool { return false })
}

// decodeBarcodes is DecodeBarcode stopping as soon as stop returns true
// for a newly found text.
func decodeBarcodes(b *raster.Bitmap, stop func(text string) bool) ([]string, error) {
	if b == nil {
		return nil, errors.New("decode barcode: no bitmap")
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("decode barcode: %w", err)
	}
	img := b.Image()
	var found []string
	seen := map[string]bool{}
	for turn := 0; turn < 2; turn++ {
		g := img
		if turn == 1 {
			g = rotateCW(img) // vertical barcodes
		}
		for _, band := range bands(g.Rect) {
			text, ok := decodeCode128(g, band)
			if !ok || seen[text] {
				continue
			}
			seen[text] = true
			found = append(found, text)
			if stop(text) {
				return found, nil
			}
		}
	}
	return found, nil
}

// bands splits r into horizontal strips, overlapping by half, so that a
// label with several barcodes yields each of them: the reader stops at the
// first barcode in an image.
func bands(r image.Rectangle) []image.Rectangle {
	out := []image.Rectangle{r}
	h := max(r.Dy()/4, 64)
	if h >= r.Dy() {
		return out
	}
	for y := r.Min.Y; ; y += h / 2 {
		if y+h >= r.Max.Y {
			out = append(out, image.Rect(r.Min.X, r.Max.Y-h, r.Max.X, r.Max.Y))
			break
		}
		out = append(out, image.Rect(r.Min.X, y, r.Max.X, y+h))
	}
	return out
}

// decodeCode128 reads the first Code 128 barcode in the band of g.
func decodeCode128(g *image.Gray, band image.Rectangle) (string, bool) {
	// A planar YUV source is a plain luma plane: g's pixels, cropped to
	// the band without copying.
	src, err := gozxing.NewPlanarYUVLuminanceSource(g.Pix, g.Stride, g.Rect.Dy(),
		band.Min.X, band.Min.Y, band.Dx(), band.Dy(), false)
	if err != nil {
		return "", false
	}
	bmp, err := gozxing.NewBinaryBitmap(gozxing.NewGlobalHistgramBinarizer(src))
	if err != nil {
		return "", false
	}
	hints := map[gozxing.DecodeHintType]interface{}{
		gozxing.DecodeHintType_TRY_HARDER: true,
	}
	res, err := oned.NewCode128Reader().Decode(bmp, hints)
	if err != nil || res == nil {
		return "", false
	}
	return res.GetText(), true
}
