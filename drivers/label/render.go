package label

import (
	"errors"
	"fmt"
	"image"
	"math"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	pdfiumerrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/requests"
)

// maxProbePixels bounds the first render of a page. A page bigger than
// that at printer resolution (a poster, a bogus MediaBox) is first
// rendered smaller just to find its content, then only the content is
// rendered at the size it will print.
const maxProbePixels = 16 << 20

// bigPagePixels is the page size past which the instance that rendered
// it is recycled: a 4x6 page at 600 dpi is 8.8 M pixels.
const bigPagePixels = 12 << 20

// suspectError marks a failure inside PDFium after the document opened:
// the instance may be in a bad state and is not reused.
type suspectError struct{ err error }

func (e *suspectError) Error() string { return e.err.Error() }
func (e *suspectError) Unwrap() error { return e.err }

func suspect(err error) error { return &suspectError{err: err} }

// inkPad is the margin in pixels kept around the ink when cropping, so
// anti-aliased fringes are not cut.
const inkPad = 1

// renderPage renders page 1 of pdf onto a canvasW x canvasH canvas at dpi
// dots per inch.
func renderPage(inst pdfium.Pdfium, pdf []byte, dpi float64, canvasW, canvasH int, conv *converter) (*Result, error) {
	doc, err := inst.OpenDocument(&requests.OpenDocument{File: &pdf})
	if err != nil {
		return nil, openError(err)
	}
	defer func() {
		_, _ = inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: doc.Document})
	}()
	count, err := inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: doc.Document})
	if err != nil {
		return nil, suspect(fmt.Errorf("%w: count pages: %w", ErrNotPDF, err))
	}
	if count.PageCount <= 0 {
		return nil, fmt.Errorf("%w: nothing to print (download the label again)", ErrNoPages)
	}
	page := requests.Page{ByIndex: &requests.PageByIndex{Document: doc.Document, Index: 0}}
	size, err := inst.GetPageSize(&requests.GetPageSize{Page: page})
	if err != nil {
		return nil, suspect(fmt.Errorf("%w: page 1 cannot be loaded: %w (the file is damaged: download the label again)", ErrNotPDF, err))
	}
	wPt, hPt := size.Width, size.Height
	// 200 inches is far beyond any label; past it the page size is bogus.
	if !(wPt >= 1 && hPt >= 1 && wPt <= 200*72 && hPt <= 200*72) {
		return nil, fmt.Errorf("%w: page 1 is %.1f x %.1f points, not a printable size", ErrNotPDF, wPt, hPt)
	}

	res := &Result{Pages: count.PageCount, Scale: 1}
	k := dpi / 72 // dots per point
	// A big page grows the instance's memory for good: drop it after.
	res.recycle = wPt*hPt*k*k > bigPagePixels
	// Turn the page when its orientation is the opposite of the stock's.
	res.Rotated = (wPt > hPt && canvasW < canvasH) || (wPt < hPt && canvasW > canvasH)
	cw, ch := canvasW, canvasH
	if res.Rotated {
		cw, ch = ch, cw
	}

	pk := k
	if area := wPt * k * hPt * k; area > maxProbePixels {
		pk = k * math.Sqrt(maxProbePixels/area)
	}
	probe, err := renderGray(inst, page, nil, roundPx(wPt*pk), roundPx(hPt*pk))
	if err != nil {
		return nil, err
	}
	exact := pk == k
	// A reduced probe averages thin light strokes into faint grey: count
	// any tone as content there, so nothing is cut that prints at full
	// resolution.
	minDark, pad := uint8(whiteBelow), inkPad
	if !exact {
		minDark, pad = 1, inkPad+2
	}
	ink := inkBox(probe, conv, minDark)
	if ink.Empty() {
		return nil, fmt.Errorf("%w: page 1 has nothing dark enough to print (a blank or white-on-white page; check the label in a PDF viewer)", ErrBlankPage)
	}
	pw, ph := probe.Rect.Dx(), probe.Rect.Dy()

	var content *image.Gray
	switch {
	case exact && pw <= cw && ph <= ch:
		// The whole page fits: print it at true size, margins and all.
		content = probe

	default:
		ink = ink.Inset(-pad).Intersect(probe.Rect)
		// Ink size at printer resolution.
		iw := float64(ink.Dx()) * k / pk
		ih := float64(ink.Dy()) * k / pk
		res.Cropped = true
		if iw <= float64(cw) && ih <= float64(ch) {
			// Cut white margins only: keep as much of the page around
			// the ink as the canvas holds.
			if exact {
				content = cropAround(probe, ink, cw, ch)
				break
			}
			winW := math.Min(wPt, float64(cw)/k)
			winH := math.Min(hPt, float64(ch)/k)
			cx := (float64(ink.Min.X+ink.Max.X) / 2) / pk
			cy := (float64(ink.Min.Y+ink.Max.Y) / 2) / pk
			crop := &requests.RenderPageCrop{
				X: clampF(cx-winW/2, 0, wPt-winW), Y: clampF(cy-winH/2, 0, hPt-winH),
				Width: winW, Height: winH,
			}
			content, err = renderGray(inst, page, crop, min(cw, roundPx(winW*k)), min(ch, roundPx(winH*k)))
			if err != nil {
				return nil, err
			}
			break
		}
		// Still too big: shrink the ink box to fit, keeping its aspect.
		res.Scale = math.Min(float64(cw)/iw, float64(ch)/ih)
		crop := &requests.RenderPageCrop{
			X:     float64(ink.Min.X) / pk,
			Y:     float64(ink.Min.Y) / pk,
			Width: float64(ink.Dx()) / pk, Height: float64(ink.Dy()) / pk,
		}
		content, err = renderGray(inst, page, crop, cw, ch)
		if err != nil {
			return nil, err
		}
	}
	if content.Rect.Dx() > cw || content.Rect.Dy() > ch {
		// A pixel of rounding: trim white, never ink.
		if b := inkBox(content, conv, whiteBelow); !b.Empty() {
			content = cropAround(content, b, cw, ch)
		}
	}
	if res.Rotated {
		content = rotateCW(content)
	}
	canvas := image.NewGray(image.Rect(0, 0, canvasW, canvasH))
	for i := range canvas.Pix {
		canvas.Pix[i] = 0xff
	}
	placeCentred(canvas, content)
	res.Bitmap = conv.toBitmap(canvas)
	if !hasInk(res.Bitmap.Bits) {
		return nil, fmt.Errorf("%w: page 1 converts to no printable dots (only very light content)", ErrBlankPage)
	}
	return res, nil
}

// openError classifies PDFium's open failure.
func openError(err error) error {
	switch {
	case errors.Is(err, pdfiumerrors.ErrPassword):
		return fmt.Errorf("%w: ask the carrier for an unprotected label (%w)", ErrEncrypted, err)
	case errors.Is(err, pdfiumerrors.ErrSecurity):
		return fmt.Errorf("%w with an unsupported security handler: ask the carrier for an unprotected label (%w)", ErrEncrypted, err)
	case errors.Is(err, pdfiumerrors.ErrFormat), errors.Is(err, pdfiumerrors.ErrFile):
		return fmt.Errorf("%w: the file is damaged or truncated (%w); download the label again", ErrNotPDF, err)
	}
	return fmt.Errorf("%w: pdfium cannot open it (%w); download the label again", ErrNotPDF, err)
}

// renderGray renders page (or the crop of it, in points) to fit within
// w x h pixels in grey and returns a copy the caller owns.
func renderGray(inst pdfium.Pdfium, page requests.Page, crop *requests.RenderPageCrop, w, h int) (*image.Gray, error) {
	w, h = max(w, 1), max(h, 1)
	r, err := inst.RenderPageInPixels(&requests.RenderPageInPixels{
		Page:        page,
		Width:       w,
		Height:      h,
		Crop:        crop,
		ImageFormat: requests.RenderImageFormatGrayscale,
		// Labels printed from annotations (stamps, filled forms) print
		// too, with their print appearance.
		RenderFlags: enums.FPDF_RENDER_FLAG_ANNOT | enums.FPDF_RENDER_FLAG_PRINTING,
	})
	if err != nil {
		return nil, suspect(fmt.Errorf("%w: page 1 does not render: %w (the file is damaged: download the label again)", ErrNotPDF, err))
	}
	defer r.Cleanup()
	src, ok := r.Result.RenderedImage.(*image.Gray)
	if !ok || src == nil {
		return nil, suspect(fmt.Errorf("pdfium returned a %T, want grey pixels", r.Result.RenderedImage))
	}
	dst := image.NewGray(image.Rect(0, 0, src.Rect.Dx(), src.Rect.Dy()))
	for y := 0; y < dst.Rect.Dy(); y++ {
		copy(dst.Pix[y*dst.Stride:(y+1)*dst.Stride], src.Pix[(y)*src.Stride:])
	}
	return dst, nil
}

// inkBox returns the bounding box of the pixels at least minDark dark
// (after gamma); with whiteBelow, the pixels that would print.
func inkBox(g *image.Gray, conv *converter, minDark uint8) image.Rectangle {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	minX, minY, maxX, maxY := w, h, -1, -1
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		first := -1
		for x, l := range row {
			if conv.darkness[l] >= minDark {
				first = x
				break
			}
		}
		if first < 0 {
			continue
		}
		last := first
		for x := w - 1; x > first; x-- {
			if conv.darkness[row[x]] >= minDark {
				last = x
				break
			}
		}
		minX, maxX = min(minX, first), max(maxX, last)
		if minY > y {
			minY = y
		}
		maxY = y
	}
	if maxX < 0 {
		return image.Rectangle{}
	}
	return image.Rect(minX, minY, maxX+1, maxY+1)
}

// cropAround returns the window of g, at most w x h, that contains ink
// (when it fits) centred as well as the page edges allow.
func cropAround(g *image.Gray, ink image.Rectangle, w, h int) *image.Gray {
	b := g.Rect
	ww, wh := min(w, b.Dx()), min(h, b.Dy())
	x0 := clampI((ink.Min.X+ink.Max.X)/2-ww/2, b.Min.X, b.Max.X-ww)
	y0 := clampI((ink.Min.Y+ink.Max.Y)/2-wh/2, b.Min.Y, b.Max.Y-wh)
	sub := g.SubImage(image.Rect(x0, y0, x0+ww, y0+wh)).(*image.Gray)
	out := image.NewGray(image.Rect(0, 0, ww, wh))
	for y := 0; y < wh; y++ {
		copy(out.Pix[y*out.Stride:(y+1)*out.Stride], sub.Pix[y*sub.Stride:])
	}
	return out
}

// rotateCW turns g a quarter turn clockwise.
func rotateCW(g *image.Gray) *image.Gray {
	w, h := g.Rect.Dx(), g.Rect.Dy()
	out := image.NewGray(image.Rect(0, 0, h, w))
	for y := 0; y < h; y++ {
		row := g.Pix[y*g.Stride : y*g.Stride+w]
		nx := h - 1 - y
		for x, v := range row {
			out.Pix[x*out.Stride+nx] = v
		}
	}
	return out
}

// placeCentred copies src into the middle of dst. src must not be larger.
func placeCentred(dst, src *image.Gray) {
	sw, sh := min(src.Rect.Dx(), dst.Rect.Dx()), min(src.Rect.Dy(), dst.Rect.Dy())
	ox, oy := (dst.Rect.Dx()-sw)/2, (dst.Rect.Dy()-sh)/2
	for y := 0; y < sh; y++ {
		copy(dst.Pix[(oy+y)*dst.Stride+ox:(oy+y)*dst.Stride+ox+sw], src.Pix[y*src.Stride:y*src.Stride+sw])
	}
}

func hasInk(bits []byte) bool {
	for _, b := range bits {
		if b != 0 {
			return true
		}
	}
	return false
}

func roundPx(v float64) int { return max(1, int(math.Round(v))) }

func clampF(v, lo, hi float64) float64 { return math.Max(lo, math.Min(v, hi)) }

func clampI(v, lo, hi int) int { return max(lo, min(v, hi)) }
