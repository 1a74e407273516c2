package zpl

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

// maxParams bounds one command's parameters (a ^GF field's data included).
const maxParams = 2*maxGraphicBytes + 1024

// Command is one ZPL command: its prefix ('^' or '~'), its two-letter code
// in upper case, and its raw parameters.
type Command struct {
	Prefix byte
	Code   string
	Params []byte
}

// String returns the command as it appears on the wire, without parameters.
func (c Command) String() string { return string(c.Prefix) + c.Code }

// Item is what a Scanner returns: a complete ^XA…^XZ format, or a
// host command sent outside a format or executed immediately (~HS, ~HQES…).
type Item struct {
	// Format holds the commands between ^XA and ^XZ when Command is nil.
	Format []Command
	// Command is set when the item is a single command, nil for a format.
	Command *Command
}

// immediate reports the tilde commands without parameters that a printer
// acts on as soon as it reads them; the scanner must not wait for more bytes.
func immediate(code string) bool {
	switch code {
	case "HS", "HI", "HM", "HD", "HB", "HH", "HU", "JA", "PS", "PP", "JR", "WC", "JC", "JL", "RO", "JX":
		return true
	}
	return false
}

// Scanner splits a ZPL byte stream into formats and host commands, the way
// a printer reads its port: commands are acted on as soon as they are
// complete, ^GFB binary data is read by count, and junk between commands is
// skipped.
type Scanner struct {
	r      *bufio.Reader
	format []Command
	in     bool
}

// NewScanner returns a scanner reading r.
func NewScanner(r io.Reader) *Scanner {
	return &Scanner{r: bufio.NewReaderSize(r, 64<<10)}
}

// Next returns the next format or host command. It returns io.EOF at the end
// of the stream (a format cut short is reported as io.ErrUnexpectedEOF).
func (s *Scanner) Next() (Item, error) {
	for {
		c, err := s.command()
		if err != nil {
			if err == io.EOF && s.in {
				return Item{}, fmt.Errorf("zpl: stream ended inside a format (no ^XZ): %w", io.ErrUnexpectedEOF)
			}
			return Item{}, err
		}
		switch {
		case c.Prefix == '~':
			return Item{Command: &c}, nil
		case c.Code == "XA":
			s.in = true
			s.format = s.format[:0:0]
		case c.Code == "XZ":
			if !s.in {
				continue
			}
			s.in = false
			f := s.format
			s.format = nil
			return Item{Format: f}, nil
		case s.in:
			s.format = append(s.format, c)
		default:
			// A caret command outside a format (^MM, ^JU…) is a setting.
			return Item{Command: &c}, nil
		}
	}
}

// command reads one command.
func (s *Scanner) command() (Command, error) {
	// Skip to the next prefix.
	var prefix byte
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			return Command{}, err
		}
		if b == '^' || b == '~' {
			prefix = b
			break
		}
	}
	var code [2]byte
	for i := range code {
		b, err := s.r.ReadByte()
		if err != nil {
			return Command{}, noEOF(err)
		}
		if b == '^' || b == '~' {
			// A bare prefix: start again from this one.
			_ = s.r.UnreadByte()
			return s.command()
		}
		if b >= 'a' && b <= 'z' {
			b -= 'a' - 'A'
		}
		code[i] = b
	}
	c := Command{Prefix: prefix, Code: string(code[:])}
	switch {
	case prefix == '^' && c.Code == "XZ", prefix == '^' && c.Code == "XA", prefix == '~' && immediate(c.Code):
		return c, nil
	case prefix == '~' && c.Code == "HQ":
		p := make([]byte, 2)
		if _, err := io.ReadFull(s.r, p); err != nil {
			return Command{}, noEOF(err)
		}
		c.Params = bytes.ToUpper(p)
		return c, nil
	case prefix == '^' && c.Code == "GF":
		return s.graphic(c)
	}
	p, err := s.until(nil)
	c.Params = p
	return c, err
}

// graphic reads ^GF parameters; binary forms are read by their byte count.
func (s *Scanner) graphic(c Command) (Command, error) {
	var head []byte
	for commas := 0; commas < 4; {
		b, err := s.r.ReadByte()
		if err != nil {
			return Command{}, noEOF(err)
		}
		if b == '^' || b == '~' {
			_ = s.r.UnreadByte()
			c.Params = head
			return c, nil // malformed; DecodeGF reports it
		}
		if b == ',' {
			commas++
		}
		head = append(head, b)
		if len(head) > 64 {
			c.Params = head
			return c, nil
		}
	}
	format := strings.TrimSpace(strings.ToUpper(string(head[:bytes.IndexByte(head, ',')])))
	if format == "B" || format == "C" {
		f := bytes.Split(head, []byte{','})
		n, err := strconv.Atoi(strings.TrimSpace(string(f[1])))
		if err == nil && n >= 0 && n <= maxGraphicBytes {
			// Z64/B64 text may follow even in the binary forms.
			peek, _ := s.r.Peek(5)
			if !bytes.Equal(peek, []byte(":Z64:")) && !bytes.Equal(peek, []byte(":B64:")) {
				data := make([]byte, n)
				if _, err := io.ReadFull(s.r, data); err != nil {
					return Command{}, noEOF(err)
				}
				c.Params = append(head, data...)
				return c, nil
			}
		}
	}
	p, err := s.until(head)
	c.Params = p
	return c, err
}

// until reads parameter bytes up to (not including) the next prefix.
func (s *Scanner) until(p []byte) ([]byte, error) {
	for {
		b, err := s.r.ReadByte()
		if err != nil {
			if err == io.EOF && len(p) > 0 {
				return p, nil
			}
			return p, err
		}
		if b == '^' || b == '~' {
			_ = s.r.UnreadByte()
			return p, nil
		}
		if len(p) >= maxParams {
			return nil, fmt.Errorf("zpl: command parameters longer than %d bytes", maxParams)
		}
		p = append(p, b)
	}
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Graphic is a decoded ^GF field and where it lands on the label.
type Graphic struct {
	X, Y  int
	Image *raster.Bitmap
}

// Label is a parsed format: its print width (^PW), length (^LL), quantity
// (^PQ) and graphic fields. Text and barcode fields are not rendered.
type Label struct {
	Width, Length int
	Copies        int
	Graphics      []Graphic
	// Other counts the commands that were read but not rendered.
	Other int
}

// ParseFormat parses the commands of one format into a Label.
func ParseFormat(cmds []Command) (*Label, error) {
	l := &Label{Copies: 1}
	var hx, hy, fx, fy int
	baseline := false // ^FT places a graphic's bottom edge at y
	for _, c := range cmds {
		if c.Prefix != '^' {
			continue
		}
		switch c.Code {
		case "PW":
			l.Width = atoiDefault(c.Params, 0)
		case "LL":
			l.Length = atoiDefault(c.Params, 0)
		case "LH":
			hx, hy = pair(c.Params)
		case "FO", "FT":
			fx, fy = pair(c.Params)
			baseline = c.Code == "FT"
		case "PQ":
			if n := atoiDefault(firstField(c.Params), 1); n > 0 {
				l.Copies = n
			}
		case "GF":
			img, err := DecodeGF(c.Params)
			if err != nil {
				return nil, err
			}
			y := hy + fy
			if baseline {
				y = max(0, y-img.Height)
			}
			l.Graphics = append(l.Graphics, Graphic{X: hx + fx, Y: y, Image: img})
		case "FS":
		default:
			l.Other++
		}
	}
	return l, nil
}

// maxCanvas bounds the rendered label (a 600 dpi 8x12 inch label fits).
const maxCanvas = 8000

// Render draws the label's graphic fields on a canvas of ^PW x ^LL dots,
// grown to hold every graphic when those are absent or smaller. Bytes past a
// graphic's true width are the padding of its rows; they are drawn only
// where they fall inside ^PW.
func (l *Label) Render() (*raster.Bitmap, error) {
	w, h := l.Width, l.Length
	for _, g := range l.Graphics {
		if l.Width == 0 {
			w = max(w, g.X+g.Image.Width)
		}
		h = max(h, g.Y+g.Image.Height)
	}
	if w <= 0 || h <= 0 {
		return nil, errors.New("zpl: the format has no size and no graphic: nothing to print")
	}
	if w > maxCanvas || h > maxCanvas {
		return nil, fmt.Errorf("zpl: label of %dx%d dots is larger than %d dots a side", w, h, maxCanvas)
	}
	out := raster.New(w, h)
	for _, g := range l.Graphics {
		if g.X%8 == 0 && g.X >= 0 && g.Y >= 0 {
			// Fast path: byte-aligned copy.
			bx := g.X / 8
			n := min(g.Image.Stride, out.Stride-bx)
			for y := 0; y < g.Image.Height && g.Y+y < h; y++ {
				if n <= 0 {
					break
				}
				dst := out.Row(g.Y + y)[bx : bx+n]
				src := g.Image.Row(y)[:n]
				for i := range dst {
					dst[i] |= src[i]
				}
			}
		} else {
			for y := 0; y < g.Image.Height; y++ {
				for x := 0; x < g.Image.Width; x++ {
					if g.Image.Black(x, y) {
						out.Set(g.X+x, g.Y+y, true)
					}
				}
			}
		}
	}
	// Clear padding bits past the canvas width.
	if pad := w % 8; pad != 0 {
		mask := byte(0xff) << (8 - pad)
		for y := 0; y < h; y++ {
			out.Row(y)[out.Stride-1] &= mask
		}
	}
	return out, nil
}

func firstField(p []byte) []byte {
	if i := bytes.IndexByte(p, ','); i >= 0 {
		return p[:i]
	}
	return p
}

func atoiDefault(p []byte, def int) int {
	n, err := strconv.Atoi(strings.TrimSpace(string(firstField(p))))
	if err != nil || n < 0 || n > 1<<24 {
		return def
	}
	return n
}

func pair(p []byte) (int, int) {
	a, b, _ := bytes.Cut(p, []byte{','})
	return atoiDefault(a, 0), atoiDefault(b, 0)
}

// DecodeLabel parses the first format in a ZPL job and renders it.
func DecodeLabel(job []byte) (*raster.Bitmap, *Label, error) {
	s := NewScanner(bytes.NewReader(job))
	for {
		it, err := s.Next()
		if err == io.EOF {
			return nil, nil, errors.New("zpl: no ^XA…^XZ format in the job")
		}
		if err != nil {
			return nil, nil, err
		}
		if it.Command != nil {
			continue
		}
		l, err := ParseFormat(it.Format)
		if err != nil {
			return nil, nil, err
		}
		img, err := l.Render()
		return img, l, err
	}
}
