package scale

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/packline/packline/drivers/serialport"
)

// SplitFunc finds the next frame at the start of buf. It returns how many
// bytes to consume and, when a whole frame was found, the frame (a slice
// of buf). advance > 0 with a nil frame discards garbage; advance == 0
// asks for more bytes. A non-nil error (a *FrameError) reports a complete
// but invalid frame, which advance skips.
type SplitFunc func(buf []byte) (advance int, frame []byte, err error)

// Framer cuts a byte stream into frames with a SplitFunc. It copes with
// frames split over reads, several frames in one read, garbage before a
// frame and frames cut short (a later frame start resynchronises).
type Framer struct {
	r     serialport.Port
	split SplitFunc
	buf   []byte
	tmp   []byte
	// Max is the longest partial frame kept; longer runs are dropped.
	Max int
	// Datagram, when > 0, treats every read as whole reports of this
	// size (hidraw and Windows return one report per read): a shorter
	// read is dropped, the bytes after the last whole report of a longer
	// read are dropped (Windows pads every input report to the device's
	// longest), and bytes never carry over between reads.
	Datagram int
}

// NewFramer returns a Framer reading r.
func NewFramer(r serialport.Port, split SplitFunc) *Framer {
	return &Framer{r: r, split: split, tmp: make([]byte, 512), Max: 256}
}

// Reset drops buffered bytes, so a reply is never confused with what the
// device sent before the request.
func (f *Framer) Reset() { f.buf = f.buf[:0] }

// Buffered returns the bytes held for an incomplete frame.
func (f *Framer) Buffered() []byte { return f.buf }

// Next returns the next frame (a copy), a *FrameError, or a read error.
// It reads until ctx is done; a deadline on ctx becomes the port's read
// deadline and expiry is reported as ErrNoAnswer wrapping
// serialport.ErrTimeout.
func (f *Framer) Next(ctx context.Context) ([]byte, error) {
	for {
		if frame, err, ok := f.take(); ok {
			return frame, err
		}
		if err := ctx.Err(); err != nil {
			return nil, f.ctxErr(ctx)
		}
		dl, _ := ctx.Deadline()
		if err := f.r.SetReadDeadline(dl); err != nil {
			return nil, fmt.Errorf("setting read deadline: %w", err)
		}
		stop := context.AfterFunc(ctx, func() { _ = f.r.SetReadDeadline(time.Unix(1, 0)) })
		n, err := f.r.Read(f.tmp)
		stop()
		switch {
		case f.Datagram > 0 && n < f.Datagram:
			f.buf = f.buf[:0]
		case f.Datagram > 0:
			f.buf = append(f.buf[:0], f.tmp[:n-n%f.Datagram]...)
		default:
			f.buf = append(f.buf, f.tmp[:n]...)
		}
		if err != nil {
			if errors.Is(err, serialport.ErrTimeout) {
				if ctx.Err() != nil {
					return nil, f.ctxErr(ctx)
				}
				continue
			}
			return nil, err
		}
	}
}

func (f *Framer) ctxErr(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) && context.Cause(ctx) == ctx.Err() {
		if len(f.buf) > 0 {
			return fmt.Errorf("%w in time (incomplete frame %q): %w", ErrNoAnswer, f.buf, serialport.ErrTimeout)
		}
		return fmt.Errorf("%w in time: %w", ErrNoAnswer, serialport.ErrTimeout)
	}
	return context.Cause(ctx)
}

// take runs the split function over the buffer.
func (f *Framer) take() ([]byte, error, bool) {
	for len(f.buf) > 0 {
		adv, frame, err := f.split(f.buf)
		if adv < 0 || adv > len(f.buf) {
			adv = len(f.buf)
		}
		var out []byte
		if frame != nil {
			out = bytes.Clone(frame)
		}
		if err != nil {
			var fe *FrameError
			if errors.As(err, &fe) && fe.Raw != nil {
				fe.Raw = bytes.Clone(fe.Raw)
			}
		}
		f.buf = append(f.buf[:0], f.buf[adv:]...)
		if err != nil {
			return nil, err, true
		}
		if out != nil {
			return out, nil, true
		}
		if adv == 0 {
			if len(f.buf) > f.Max {
				f.buf = f.buf[:0]
			}
			return nil, nil, false
		}
	}
	return nil, nil, false
}

// SplitDelimited returns a SplitFunc for frames that begin with one of the
// bytes in start and end with end (both included in the frame). A frame
// always begins at the last start byte before its end, so a frame cut
// short by a new frame is dropped, never merged. Frames longer than max
// are dropped.
func SplitDelimited(start []byte, end byte, max int) SplitFunc {
	return func(buf []byte) (int, []byte, error) {
		first := bytes.IndexAny(buf, string(start))
		if first < 0 {
			return len(buf), nil, nil
		}
		if first > 0 {
			return first, nil, nil
		}
		e := bytes.IndexByte(buf[1:], end)
		if e < 0 {
			if len(buf) > max {
				next := bytes.IndexAny(buf[1:], string(start))
				if next < 0 {
					return len(buf), nil, nil
				}
				return next + 1, nil, nil
			}
			return 0, nil, nil
		}
		e++
		s := bytes.LastIndexAny(buf[:e], string(start))
		if s > 0 {
			return s, nil, nil
		}
		if e+1 > max {
			return e + 1, nil, nil
		}
		return e + 1, buf[:e+1], nil
	}
}
