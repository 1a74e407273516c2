package screens

import (
	"bytes"
	"encoding/binary"
	"io"
	"math"
	"time"

	"github.com/packline/packline/ui/state"
)

// Player plays an alert sound. Fyne has no audio output, so the station
// app plays the WAV from Tone through the system's player, or rings the
// terminal bell.
type Player interface {
	Play(state.SoundKind)
}

// PlayerFunc adapts a function to Player.
type PlayerFunc func(state.SoundKind)

// Play implements Player.
func (f PlayerFunc) Play(k state.SoundKind) { f(k) }

// BellPlayer rings the terminal bell on W: the fallback when no audio
// player exists.
type BellPlayer struct{ W io.Writer }

// Play implements Player.
func (b BellPlayer) Play(k state.SoundKind) {
	if k == state.SoundNone || b.W == nil {
		return
	}
	b.W.Write([]byte("\a"))
}

// toneSampleRate is the WAV sample rate.
const toneSampleRate = 22050

// segment is one part of a sound: a sweep from f0 to f1 Hz, then silence.
type segment struct {
	f0, f1 float64
	dur    time.Duration
	gap    time.Duration
}

// patterns gives every sound its own shape, so a packer knows what went
// wrong without looking at the screen.
var patterns = map[state.SoundKind][]segment{
	state.SoundWrongItem: {{220, 220, 180 * time.Millisecond, 70 * time.Millisecond}, {220, 220, 180 * time.Millisecond, 0}},
	state.SoundExtraUnit: {{330, 330, 110 * time.Millisecond, 50 * time.Millisecond}, {330, 330, 110 * time.Millisecond, 50 * time.Millisecond}, {330, 330, 110 * time.Millisecond, 0}},
	state.SoundCancelled: {{1200, 300, 700 * time.Millisecond, 80 * time.Millisecond}, {1200, 300, 700 * time.Millisecond, 0}},
	state.SoundWeight:    {{600, 600, 120 * time.Millisecond, 0}, {900, 900, 120 * time.Millisecond, 0}, {600, 600, 120 * time.Millisecond, 0}, {900, 900, 120 * time.Millisecond, 0}},
	state.SoundWarning:   {{700, 700, 200 * time.Millisecond, 0}},
	state.SoundError:     {{160, 160, 500 * time.Millisecond, 0}},
	state.SoundOK:        {{1400, 1800, 90 * time.Millisecond, 0}},
}

// Tone returns the sound of kind as a 16-bit mono PCM WAV file, or nil for
// SoundNone.
func Tone(kind state.SoundKind) []byte {
	segs, ok := patterns[kind]
	if !ok {
		return nil
	}
	var pcm []int16
	for _, s := range segs {
		n := int(s.dur.Seconds() * toneSampleRate)
		phase := 0.0
		for i := range n {
			f := s.f0 + (s.f1-s.f0)*float64(i)/float64(n)
			phase += 2 * math.Pi * f / toneSampleRate
			// Square-ish wave (clipped sine) cuts through warehouse noise;
			// 5 ms ramps avoid clicks.
			v := math.Max(-0.6, math.Min(0.6, math.Sin(phase)))
			ramp := math.Min(1, math.Min(float64(i), float64(n-1-i))/(0.005*toneSampleRate))
			pcm = append(pcm, int16(v*ramp*0.8*math.MaxInt16))
		}
		pcm = append(pcm, make([]int16, int(s.gap.Seconds()*toneSampleRate))...)
	}
	var b bytes.Buffer
	dataLen := uint32(len(pcm) * 2)
	b.WriteString("RIFF")
	binary.Write(&b, binary.LittleEndian, 36+dataLen)
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(toneSampleRate), uint32(toneSampleRate * 2), uint16(2), uint16(16)} {
		binary.Write(&b, binary.LittleEndian, v)
	}
	b.WriteString("data")
	binary.Write(&b, binary.LittleEndian, dataLen)
	binary.Write(&b, binary.LittleEndian, pcm)
	return b.Bytes()
}
