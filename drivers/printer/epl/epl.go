// Package epl encodes 1-bit labels as Eltron/Zebra EPL2 jobs and decodes
// them back. EPL2's GW graphic uses 0 for a black dot, the inverse of
// raster.Bitmap.
package epl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

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

// Scanner reads an EPL2 stream the way a printer does: LF-terminated
// commands (CR ignored), GW data read by count, and a label printed at
// each P command.
type Scanner struct {
	r      *bufio.Reader
	width  int
	height int
	gws    []Graphic
}

// Graphic is one GW command's image (black = 1) and position.
type Graphic struct {
	X, Y  int
	Image *raster.Bitmap
}

// NewScanner returns a scanner reading r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next printed label, or io.EOF at the end of the stream.
func (s *Scanner) Next() (*Label, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return nil, err
		}
		if c == '\r' || c == '\n' || c == ' ' {
			continue
		}
		if c == 'G' {
			if n, _ := s.r.Peek(1); len(n) == 1 && n[0] == 'W' {
				s.r.ReadByte()
				if err := s.graphic(); err != nil {
					return nil, err
				}
				continue
			}
		}
		line, err := s.r.ReadString('\n')
		if err != nil && err != io.EOF {
			return nil, err
		}
		if len(line) > 4096 {
			return nil, errors.New("epl: command line longer than 4096 bytes")
		}
		args := strings.TrimRight(line, "\r\n")
		switch c {
		case 'N':
			s.gws = nil
		case 'q':
			s.width = atoi([]byte(args))
		case 'Q':
			s.height = atoi([]byte(strings.SplitN(args, ",", 2)[0]))
		case 'P':
			n := atoi([]byte(strings.SplitN(args, ",", 2)[0]))
			if n <= 0 {
				return nil, fmt.Errorf("epl: P%q: want a positive quantity", args)
			}
			l, err := s.render(n)
			if err != nil {
				return nil, err
			}
			return l, nil
		}
		if err == io.EOF {
			return nil, io.ErrUnexpectedEOF
		}
	}
}

func (s *Scanner) graphic() error {
	var n [4]int
	for i := range n {
		f, err := s.r.ReadString(',')
		if err != nil || len(f) > 12 {
			return errors.New("epl: GW needs x,y,rowbytes,rows,data")
		}
		v, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(f, ",")))
		if err != nil || v < 0 || v > 1<<15 {
			return fmt.Errorf("epl: GW parameter %q is not a number", f)
		}
		n[i] = v
	}
	if n[2] == 0 || n[3] == 0 || n[2]*n[3] > 16<<20 {
		return fmt.Errorf("epl: GW of %dx%d bytes is empty or too large", n[2], n[3])
	}
	img := raster.New(n[2]*8, n[3])
	if _, err := io.ReadFull(s.r, img.Bits); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	for i := range img.Bits {
		img.Bits[i] = ^img.Bits[i]
	}
	s.gws = append(s.gws, Graphic{X: n[0], Y: n[1], Image: img})
	return nil
}

func (s *Scanner) render(copies int) (*Label, error) {
	w, h := s.width, s.height
	if w <= 0 || h <= 0 {
		for _, g := range s.gws {
			w, h = max(w, g.X+g.Image.Width), max(h, g.Y+g.Image.Height)
		}
	}
	if w <= 0 || h <= 0 || w > 8000 || h > 8000 {
		return nil, fmt.Errorf("epl: label of %dx%d dots is empty or too large (set q and Q)", w, h)
	}
	img := raster.New(w, h)
	for _, g := range s.gws {
		for y := 0; y < g.Image.Height; y++ {
			for x := 0; x < g.Image.Width; x++ {
				if g.Image.Black(x, y) {
					img.Set(g.X+x, g.Y+y, true)
				}
			}
		}
	}
	return &Label{Image: img, Copies: copies}, nil
}
