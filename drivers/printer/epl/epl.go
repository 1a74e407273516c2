// Package epl encodes 1-bit labels as Eltron/Zebra EPL2 jobs and decodes
// them back. EPL2's GW graphic uses 0 for a black dot, the inverse of
// raster.Bitmap.
package epl

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"

	"github.com/packline/packline/drivers/raster"
)

// EncodeOptions describe the label an image is printed on.
type EncodeOptions struct {
	// Width and Height are the label size in dots (q and Q); zero uses the
	// image size.
	Width, Height int
	// Gap is the gap between labels in dots (24 = 3 mm at 203 dpi); zero
	// means 24.
	Gap int
	// Copies is the quantity (P); zero means one.
	Copies int
}

// Encode returns an EPL2 job printing img at the label's origin:
//
//	N q812 Q1218,24 GW0,y,rowbytes,rows,<binary> … P1
//
// Runs of blank rows are skipped; each run of inked rows is one GW.
func Encode(img *raster.Bitmap, opt EncodeOptions) ([]byte, error) {
	if err := img.Validate(); err != nil {
		return nil, fmt.Errorf("epl: %w", err)
	}
	w, h := opt.Width, opt.Height
	if w == 0 {
		w = img.Width
	}
	if h == 0 {
		h = img.Height
	}
	if img.Width > w || img.Height > h {
		return nil, fmt.Errorf("epl: image is %dx%d dots but the label is %dx%d: render the label at the printer's size", img.Width, img.Height, w, h)
	}
	gap := opt.Gap
	if gap <= 0 {
		gap = 24
	}
	copies := max(opt.Copies, 1)
	var b bytes.Buffer
	b.Grow(len(img.Bits)/4 + 64)
	fmt.Fprintf(&b, "\nN\nq%d\nQ%d,%d\n", w, h, gap)
	blank := func(y int) bool {
		for _, c := range img.Row(y) {
			if c != 0 {
				return false
			}
		}
		return true
	}
	for y := 0; y < img.Height; {
		if blank(y) {
			y++
			continue
		}
		end := y
		for end < img.Height && !blank(end) {
			end++
		}
		fmt.Fprintf(&b, "GW0,%d,%d,%d,", y, img.Stride, end-y)
		for _, c := range img.Bits[y*img.Stride : end*img.Stride] {
			b.WriteByte(^c)
		}
		b.WriteByte('\n')
		y = end
	}
	fmt.Fprintf(&b, "P%d\n", copies)
	return b.Bytes(), nil
}

// Label is a decoded EPL2 job.
type Label struct {
	Image  *raster.Bitmap
	Copies int
}

// Decode parses an EPL2 job made of N, q, Q, GW and P commands (others are
// skipped) and draws its graphics on a q x Q canvas.
func Decode(job []byte) (*Label, error) {
	width, height := 0, 0
	type gw struct {
		x, y, stride, rows int
		data               []byte
	}
	var gws []gw
	copies := 0
	for len(job) > 0 {
		line := job
		if i := bytes.IndexByte(job, '\n'); i >= 0 {
			line = job[:i]
		}
		switch {
		case bytes.HasPrefix(line, []byte("GW")):
			head := job[2:]
			var n [4]int
			for i := range n {
				j := bytes.IndexByte(head, ',')
				if j < 0 {
					return nil, errors.New("epl: GW needs x,y,rowbytes,rows,data")
				}
				v, err := strconv.Atoi(string(bytes.TrimSpace(head[:j])))
				if err != nil || v < 0 || v > 1<<16 {
					return nil, fmt.Errorf("epl: GW parameter %q is not a number", head[:j])
				}
				n[i] = v
				head = head[j+1:]
			}
			size := n[2] * n[3]
			if size == 0 || size > 16<<20 || len(head) < size {
				return nil, fmt.Errorf("epl: GW declares %dx%d bytes but %d follow", n[2], n[3], len(head))
			}
			gws = append(gws, gw{n[0], n[1], n[2], n[3], head[:size]})
			job = head[size:]
			if len(job) > 0 && job[0] == '\r' {
				job = job[1:]
			}
			if len(job) > 0 && job[0] == '\n' {
				job = job[1:]
			}
			continue
		case bytes.HasPrefix(line, []byte("q")):
			width = atoi(line[1:])
		case bytes.HasPrefix(line, []byte("Q")):
			height = atoi(bytes.SplitN(line[1:], []byte{','}, 2)[0])
		case bytes.HasPrefix(line, []byte("P")):
			copies = atoi(bytes.SplitN(line[1:], []byte{','}, 2)[0])
		case bytes.Equal(bytes.TrimSpace(line), []byte("N")):
			gws = gws[:0]
		}
		if len(line) == len(job) {
			break
		}
		job = job[len(line)+1:]
	}
	if copies <= 0 {
		return nil, errors.New("epl: job has no P (print) command")
	}
	if width <= 0 || height <= 0 || width > 8000 || height > 8000 {
		return nil, fmt.Errorf("epl: label size q%d Q%d is missing or out of range", width, height)
	}
	img := raster.New(width, height)
	for _, g := range gws {
		for r := 0; r < g.rows; r++ {
			row := g.data[r*g.stride : (r+1)*g.stride]
			for i, c := range row {
				c = ^c
				for bit := 0; bit < 8; bit++ {
					if c&(0x80>>bit) != 0 {
						img.Set(g.x+i*8+bit, g.y+r, true)
					}
				}
			}
		}
	}
	return &Label{Image: img, Copies: copies}, nil
}

func atoi(b []byte) int {
	n, err := strconv.Atoi(string(bytes.TrimSpace(b)))
	if err != nil {
		return 0
	}
	return n
}
