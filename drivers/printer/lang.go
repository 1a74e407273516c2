package printer

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/printer/epl"
	"github.com/packline/packline/drivers/printer/tspl"
	"github.com/packline/packline/drivers/printer/zpl"
	"github.com/packline/packline/drivers/raster"
)

// language turns images into jobs and reads the printer's status replies.
type language interface {
	name() string
	encode(img *raster.Bitmap, copies int, m Media) ([]byte, error)
	// query is the status request; nil when the language has none.
	query() []byte
	// complete reports whether buf holds a whole reply to query.
	complete(buf []byte) bool
	parse(buf []byte) (Status, error)
}

func languageFor(uri deviceuri.URI) (language, error) {
	switch uri.Protocol {
	case "zpl":
		switch mode := uri.Param("status", ""); mode {
		case "":
			// ~HQES, falling back to ~HS for firmware without it.
			return zplLang{enc: new(zpl.Encoder), auto: true}, nil
		case "hqes":
			return zplLang{enc: new(zpl.Encoder)}, nil
		case "hs":
			return zplLang{enc: new(zpl.Encoder), hs: true}, nil
		case "off":
			return zplLang{enc: new(zpl.Encoder), off: true}, nil
		default:
			return nil, fmt.Errorf("device %s: status=%q: use hqes, hs or off", uri, mode)
		}
	case "epl":
		return eplLang{}, nil
	case "tspl":
		if uri.Param("status", "") == "off" {
			return tsplLang{off: true}, nil
		}
		return tsplLang{}, nil
	}
	return nil, fmt.Errorf("device %s: printer language %q is not one of zpl, epl, tspl (or sim://printer)", uri, uri.Protocol)
}

type zplLang struct {
	enc     *zpl.Encoder
	hs, off bool
	// auto: no status mode was chosen, so a printer silent to ~HQES is
	// asked with ~HS (see device.query).
	auto bool
}

func (zplLang) name() string { return "zpl" }

func (l zplLang) encode(img *raster.Bitmap, copies int, m Media) ([]byte, error) {
	return l.enc.Encode(img, zpl.EncodeOptions{Width: m.Width, Height: m.Height, Copies: copies})
}

func (l zplLang) query() []byte {
	switch {
	case l.off:
		return nil
	case l.hs:
		return []byte("~HS")
	}
	return []byte("~HQES")
}

func (l zplLang) complete(buf []byte) bool {
	if l.hs {
		return bytes.Count(buf, []byte{3}) >= 3
	}
	return isHQESReply(buf)
}

// isHQESReply reports whether buf holds a whole ~HQES reply.
func isHQESReply(buf []byte) bool {
	i := bytes.Index(buf, []byte("WARNINGS"))
	return i >= 0 && bytes.IndexByte(buf[i:], 3) >= 0
}

func (l zplLang) parse(buf []byte) (Status, error) {
	st := Status{Raw: string(buf)}
	if l.hs {
		h, err := zpl.ParseHS(buf)
		if err != nil {
			return st, err
		}
		st.Errors = h.Errors()
		if h.LabelsRemaining > 0 {
			st.Warnings = append(st.Warnings, fmt.Sprintf("%d labels waiting", h.LabelsRemaining))
		}
	} else {
		e, err := zpl.ParseHQES(buf)
		if err != nil {
			return st, err
		}
		st.Errors, st.Warnings = e.ErrorNames(), e.WarningNames()
	}
	st.Ready = len(st.Errors) == 0
	return st, nil
}

// zplEither asks with ~HS after ~HQES went unanswered, and takes whichever
// reply comes: a slow ~HQES answer arriving now means the printer does
// speak ~HQES after all.
type zplEither struct{ zplLang }

func (zplEither) query() []byte { return []byte("~HS") }

func (zplEither) complete(buf []byte) bool {
	return isHQESReply(buf) || bytes.Count(buf, []byte{3}) >= 3
}

func (l zplEither) parse(buf []byte) (Status, error) {
	if isHQESReply(buf) {
		return zplLang{}.parse(buf)
	}
	return zplLang{hs: true}.parse(buf)
}

type eplLang struct{}

func (eplLang) name() string { return "epl" }

func (eplLang) encode(img *raster.Bitmap, copies int, m Media) ([]byte, error) {
	gap := int(3 / 25.4 * float64(m.Width) / m.WidthIn)
	return epl.Encode(img, epl.EncodeOptions{Width: m.Width, Height: m.Height, Gap: gap, Copies: copies})
}

func (eplLang) query() []byte                { return nil }
func (eplLang) complete([]byte) bool         { return true }
func (eplLang) parse([]byte) (Status, error) { return Status{}, ErrNoStatus }

type tsplLang struct{ off bool }

func (tsplLang) name() string { return "tspl" }

func (tsplLang) encode(img *raster.Bitmap, copies int, m Media) ([]byte, error) {
	if img.Width > m.Width || img.Height > m.Height {
		return nil, fmt.Errorf("tspl: image is %dx%d dots but the label is %dx%d: render the label at the printer's size", img.Width, img.Height, m.Width, m.Height)
	}
	return tspl.Encode(img, tspl.EncodeOptions{WidthIn: round2(m.WidthIn), HeightIn: round2(m.HeightIn), Copies: copies})
}

func round2(f float64) float64 { return float64(int(f*100+0.5)) / 100 }

func (l tsplLang) query() []byte {
	if l.off {
		return nil
	}
	return []byte(tspl.StatusQuery)
}

func (tsplLang) complete(buf []byte) bool { return len(buf) >= 1 }

func (tsplLang) parse(buf []byte) (Status, error) {
	st := Status{Raw: fmt.Sprintf("%#02x", buf)}
	s, err := tspl.ParseStatus(buf[len(buf)-1:])
	if err != nil {
		return st, err
	}
	st.Errors = s.Errors()
	if s.Busy() {
		st.Warnings = append(st.Warnings, "printing")
	}
	st.Ready = len(st.Errors) == 0
	return st, nil
}

// describe joins a status for logs.
func describe(s Status) string {
	if s.Ready && len(s.Warnings) == 0 {
		return "ready"
	}
	parts := append(append([]string(nil), s.Errors...), s.Warnings...)
	return strings.Join(parts, ", ")
}
