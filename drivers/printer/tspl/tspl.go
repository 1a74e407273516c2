// Package tspl encodes 1-bit labels as TSC TSPL/TSPL2 jobs (TSC, Gprinter
// and most low-cost 4x6 printers), decodes them, and parses the one-byte
// <ESC>!? status. TSPL's BITMAP uses 0 for a black dot, the inverse of
// raster.Bitmap.
package tspl

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

// StatusQuery is the immediate status command; the printer answers one byte.
const StatusQuery = "\x1b!?"

// Status bits of the <ESC>!? reply.
const (
	HeadOpen  byte = 1 << 0
	PaperJam  byte = 1 << 1
	PaperOut  byte = 1 << 2
	RibbonOut byte = 1 << 3
	Paused    byte = 1 << 4
	Printing  byte = 1 << 5
	CoverOpen byte = 1 << 6
)

// Status is a decoded <ESC>!? reply.
type Status byte

// ParseStatus decodes the one-byte reply. Bit 7 is never set by a printer;
// a reply with it set is refused as line noise.
func ParseStatus(b []byte) (Status, error) {
	if len(b) != 1 {
		return 0, fmt.Errorf("tspl: status reply is %d bytes, want 1", len(b))
	}
	if b[0]&0x80 != 0 {
		return 0, fmt.Errorf("tspl: status byte %#02x has bit 7 set: not a status reply", b[0])
	}
	return Status(b[0]), nil
}

// Errors lists the conditions that stop printing, in words.
func (s Status) Errors() []string {
	var out []string
	for _, n := range []struct {
		bit  byte
		name string
	}{{HeadOpen, "head open"}, {PaperJam, "paper jam"}, {PaperOut, "paper out"}, {RibbonOut, "ribbon out"}, {Paused, "paused"}, {CoverOpen, "cover open"}} {
		if byte(s)&n.bit != 0 {
			out = append(out, n.name)
		}
	}
	return out
}

// Busy reports whether the printer is printing.
func (s Status) Busy() bool { return byte(s)&Printing != 0 }

// EncodeOptions describe the label an image is printed on.
type EncodeOptions struct {
	// WidthIn and HeightIn are the label size in inches (SIZE).
	WidthIn, HeightIn float64
	// GapMM is the gap between labels in millimetres; zero means 3.
	GapMM float64
	// Copies is the quantity (PRINT); zero means one.
	Copies int
}

// Encode returns a TSPL job printing img at the label's origin:
//
//	SIZE 4,6 / GAP 3 mm,0 mm / DIRECTION 0,0 / CLS / BITMAP 0,0,wbytes,h,0,<binary> / PRINT 1
func Encode(img *raster.Bitmap, opt EncodeOptions) ([]byte, error) {
	if err := img.Validate(); err != nil {
		return nil, fmt.Errorf("tspl: %w", err)
	}
	if opt.WidthIn <= 0 || opt.HeightIn <= 0 {
		return nil, errors.New("tspl: label size in inches is required")
	}
	gap := opt.GapMM
	if gap <= 0 {
		gap = 3
	}
	copies := max(opt.Copies, 1)
	var b bytes.Buffer
	b.Grow(len(img.Bits) + 128)
	fmt.Fprintf(&b, "SIZE %s,%s\r\nGAP %s mm,0 mm\r\nDIRECTION 0,0\r\nCLS\r\nBITMAP 0,0,%d,%d,0,",
		num(opt.WidthIn), num(opt.HeightIn), num(gap), img.Stride, img.Height)
	for _, c := range img.Bits {
		b.WriteByte(^c)
	}
	fmt.Fprintf(&b, "\r\nPRINT %d\r\n", copies)
	return b.Bytes(), nil
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// Bitmap is one BITMAP command's image and position.
type Bitmap struct {
	X, Y  int
	Image *raster.Bitmap
}

// Label is what a PRINT command prints: the size in inches, the bitmaps
// drawn since CLS, and the quantity.
type Label struct {
	WidthIn, HeightIn float64
	Bitmaps           []Bitmap
	Copies            int
}

// Render draws the label at dotsPerInch (203, or 304.5 for the 300 dpi
// class), clipped to SIZE; without SIZE the canvas holds every bitmap.
func (l *Label) Render(dotsPerInch float64) (*raster.Bitmap, error) {
	w, h := int(l.WidthIn*dotsPerInch+0.5), int(l.HeightIn*dotsPerInch+0.5)
	if w == 0 || h == 0 {
		for _, b := range l.Bitmaps {
			w = max(w, b.X+b.Image.Width)
			h = max(h, b.Y+b.Image.Height)
		}
	}
	if w <= 0 || h <= 0 || w > 8000 || h > 8000 {
		return nil, fmt.Errorf("tspl: label of %dx%d dots is empty or too large", w, h)
	}
	out := raster.New(w, h)
	for _, b := range l.Bitmaps {
		for y := 0; y < b.Image.Height; y++ {
			for x := 0; x < b.Image.Width; x++ {
				if b.Image.Black(x, y) {
					out.Set(b.X+x, b.Y+y, true)
				}
			}
		}
	}
	return out, nil
}

// Item is what a Scanner returns: a status query or a printed label.
type Item struct {
	// Query is the immediate command (e.g. "!?", "!S") when the item is one.
	Query string
	// Label is set when a PRINT command was read.
	Label *Label
}

// Scanner reads a TSPL stream the way a printer does: line commands
// terminated by CR LF or LF, BITMAP data read by count, and <ESC>!
// immediate commands acted on at once.
type Scanner struct {
	r   *bufio.Reader
	cur Label
}

// NewScanner returns a scanner reading r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 64<<10)}
}

// maxLine bounds a command line.
const maxLine = 4096

// Next returns the next status query or printed label, or io.EOF.
func (s *Scanner) Next() (Item, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return Item{}, err
		}
		if c == 0x1b {
			q := make([]byte, 2)
			if _, err := io.ReadFull(s.r, q); err != nil {
				return Item{}, unexpected(err)
			}
			if q[0] == '!' {
				return Item{Query: string(q)}, nil
			}
			continue
		}
		if c == '\r' || c == '\n' || c == ' ' {
			continue
		}
		_ = s.r.UnreadByte()
		word, err := s.word()
		if err != nil {
			return Item{}, err
		}
		if word == "BITMAP" {
			if err := s.bitmap(); err != nil {
				return Item{}, err
			}
			continue
		}
		line, err := s.line()
		if err != nil && !(err == io.EOF && word == "PRINT") {
			return Item{}, unexpected(err)
		}
		args := strings.Split(line, ",")
		switch word {
		case "SIZE":
			if len(args) >= 2 {
				s.cur.WidthIn, s.cur.HeightIn = inches(args[0]), inches(args[1])
			}
		case "CLS":
			s.cur.Bitmaps = nil
		case "PRINT":
			n, err := strconv.Atoi(strings.TrimSpace(args[0]))
			if err != nil || n < 1 {
				return Item{}, fmt.Errorf("tspl: PRINT %q: want a positive count", line)
			}
			l := s.cur
			l.Copies = n
			if len(args) > 1 {
				if m, err := strconv.Atoi(strings.TrimSpace(args[1])); err == nil && m > 0 {
					l.Copies = n * m
				}
			}
			l.Bitmaps = append([]Bitmap(nil), s.cur.Bitmaps...)
			return Item{Label: &l}, nil
		}
	}
}

func (s *Scanner) word() (string, error) {
	var w []byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return "", unexpected(err)
		}
		if c == ' ' || c == '\r' || c == '\n' {
			if c != ' ' {
				_ = s.r.UnreadByte()
			}
			return strings.ToUpper(string(w)), nil
		}
		if len(w) > 32 {
			return "", fmt.Errorf("tspl: command %.32q… is not a TSPL command", w)
		}
		w = append(w, c)
	}
}

func (s *Scanner) line() (string, error) {
	var l []byte
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return string(l), err
		}
		if c == '\n' {
			return strings.TrimSpace(string(l)), nil
		}
		if len(l) >= maxLine {
			return "", fmt.Errorf("tspl: command line longer than %d bytes", maxLine)
		}
		l = append(l, c)
	}
}

// bitmap reads "x,y,wbytes,h,mode," and the binary that follows.
func (s *Scanner) bitmap() error {
	var n [5]int
	for i := range n {
		var f []byte
		for {
			c, err := s.r.ReadByte()
			if err != nil {
				return unexpected(err)
			}
			if c == ',' {
				break
			}
			if len(f) > 16 {
				return errors.New("tspl: BITMAP parameters are not numbers")
			}
			f = append(f, c)
		}
		v, err := strconv.Atoi(strings.TrimSpace(string(f)))
		if err != nil || v < 0 || v > 1<<15 {
			return fmt.Errorf("tspl: BITMAP parameter %q is not a number", f)
		}
		n[i] = v
	}
	wb, h := n[2], n[3]
	if wb == 0 || h == 0 || wb*h > 16<<20 {
		return fmt.Errorf("tspl: BITMAP of %dx%d bytes is empty or too large", wb, h)
	}
	img := raster.New(wb*8, h)
	if _, err := io.ReadFull(s.r, img.Bits); err != nil {
		return unexpected(err)
	}
	for i := range img.Bits {
		img.Bits[i] = ^img.Bits[i]
	}
	s.cur.Bitmaps = append(s.cur.Bitmaps, Bitmap{X: n[0], Y: n[1], Image: img})
	return nil
}

// inches reads a SIZE argument: inches, or millimetres with " mm".
func inches(s string) float64 {
	s = strings.TrimSpace(strings.ToLower(s))
	mm := strings.HasSuffix(s, "mm")
	s = strings.TrimSpace(strings.TrimSuffix(s, "mm"))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 100 {
		return 0
	}
	if mm {
		return f / 25.4
	}
	return f
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Decode parses the first printed label of a TSPL job.
func Decode(job []byte) (*Label, error) {
	s := NewScanner(bytes.NewReader(job))
	for {
		it, err := s.Next()
		if err != nil {
			if err == io.EOF {
				return nil, errors.New("tspl: job has no PRINT command")
			}
			return nil, err
		}
		if it.Label != nil {
			return it.Label, nil
		}
	}
}
