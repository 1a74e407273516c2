// Package scaletest holds helpers for testing scale protocol codecs: a
// Port that replays byte chunks, and a runner that feeds a frame through a
// codec's framing split at every byte boundary, glued, behind garbage and
// behind a truncated copy of itself.
package scaletest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/packline/packline/drivers/scale"
)

// ChunkPort is a serialport.Port whose reads return Chunks one by one, then
// io.EOF.
type ChunkPort struct {
	Chunks [][]byte
	Wrote  bytes.Buffer
}

// Read returns the next chunk.
func (p *ChunkPort) Read(b []byte) (int, error) {
	if len(p.Chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(b, p.Chunks[0])
	p.Chunks[0] = p.Chunks[0][n:]
	if len(p.Chunks[0]) == 0 {
		p.Chunks = p.Chunks[1:]
	}
	return n, nil
}

// Write records b.
func (p *ChunkPort) Write(b []byte) (int, error) { return p.Wrote.Write(b) }

// Close does nothing.
func (p *ChunkPort) Close() error { return nil }

// SetReadDeadline does nothing.
func (p *ChunkPort) SetReadDeadline(time.Time) error { return nil }

// Result is one framed and parsed frame.
type Result struct {
	Reading scale.Reading
	Err     error
}

// Run frames chunks with codec and parses every frame.
func Run(codec scale.Codec, chunks ...[]byte) []Result {
	p := &ChunkPort{}
	for _, c := range chunks {
		p.Chunks = append(p.Chunks, bytes.Clone(c))
	}
	fr := scale.NewFramer(p, codec.Split)
	if codec.MaxFrame > 0 {
		fr.Max = codec.MaxFrame
	}
	fr.Datagram = codec.Datagram
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var out []Result
	for {
		frame, err := fr.Next(ctx)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			out = append(out, Result{Err: err})
			var fe *scale.FrameError
			if !errors.As(err, &fe) {
				return out
			}
			continue
		}
		r, err := codec.Parse(frame)
		r.Raw = frame
		out = append(out, Result{Reading: r, Err: err})
	}
}

// Want says what one frame must give.
type Want struct {
	Value, Unit               string
	Stable, Zero, Over, Under bool
	// Err means the frame must give a *scale.FrameError.
	Err bool
}

// Check compares one result with w.
func Check(t *testing.T, label string, got Result, w Want) {
	t.Helper()
	if w.Err {
		var fe *scale.FrameError
		if !errors.As(got.Err, &fe) {
			t.Errorf("%s: got %v / %s, want a *scale.FrameError", label, got.Err, got.Reading)
		} else if len(fe.Raw) == 0 {
			t.Errorf("%s: FrameError without raw bytes", label)
		}
		return
	}
	r := got.Reading
	if got.Err != nil {
		t.Errorf("%s: %v", label, got.Err)
		return
	}
	if r.Value != w.Value || r.Unit != w.Unit || r.Stable != w.Stable || r.Zero != w.Zero || r.Over != w.Over || r.Under != w.Under {
		t.Errorf("%s: got %q %q stable=%v zero=%v over=%v under=%v, want %q %q stable=%v zero=%v over=%v under=%v",
			label, r.Value, r.Unit, r.Stable, r.Zero, r.Over, r.Under, w.Value, w.Unit, w.Stable, w.Zero, w.Over, w.Under)
	}
	if w.Value != "" {
		m, err := scale.ParseValue(w.Value, w.Unit)
		if err != nil || m.Micrograms != r.Micrograms {
			t.Errorf("%s: %d µg, want %d µg", label, r.Micrograms, m.Micrograms)
		}
	}
}

// Framing feeds frame through codec split at every byte boundary, twice in
// one chunk, after garbage, and after every truncated copy of itself. Every
// weight that comes out must be the frame's own; truncated copies may only
// give frame errors. resync says the protocol has a frame start marker, so
// the whole frame after a truncated one must still come out; without one
// (MT-SICS lines) a truncated line may take the next one with it.
func Framing(t *testing.T, codec scale.Codec, frame []byte, w Want, garbage []byte, resync bool) {
	t.Helper()
	one := func(label string, res []Result, min int) {
		t.Helper()
		n := 0
		for _, r := range res {
			var fe *scale.FrameError
			if !w.Err && errors.As(r.Err, &fe) {
				continue // a dropped fragment
			}
			Check(t, label, r, w)
			n++
		}
		if n < min {
			t.Errorf("%s: %d frames came out, want %d", label, n, min)
		}
	}
	one("whole", Run(codec, frame), 1)
	if codec.Datagram == 0 {
		for i := 1; i < len(frame); i++ {
			one("split", Run(codec, frame[:i], frame[i:]), 1)
		}
		minAfterTruncated := 0
		if resync {
			minAfterTruncated = 1
		}
		for i := 1; i < len(frame); i++ {
			one("truncated copy first", Run(codec, frame[:i], frame), minAfterTruncated)
		}
		one("garbage first", Run(codec, append(bytes.Clone(garbage), frame...)), 1)
	} else {
		for i := 1; i < len(frame); i++ {
			if res := Run(codec, frame[:i], frame[i:]); len(res) != 0 {
				t.Errorf("datagram split at %d gave %v, want nothing", i, res)
			}
			one("truncated datagram", Run(codec, frame[:i], frame), 1)
		}
	}
	one("glued", Run(codec, append(bytes.Clone(frame), frame...)), 2)
}
