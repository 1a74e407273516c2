package toledo8217

import (
	"errors"
	"strings"
	"testing"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/scale/scaletest"
)

var frames = []struct {
	name  string
	frame string
	want  scaletest.Want
}{
	// devices.md §2.5: TX 57 → RX 02 30 30 31 2E 32 35 0D.
	{"reference 1.25 lb", "\x02\x30\x30\x31\x2e\x32\x35\x0d", scaletest.Want{Value: "1.25", Unit: "lb", Stable: true}},
	// In motion: 02 3F 61 0D.
	{"reference motion", "\x02\x3f\x61\x0d", scaletest.Want{}},
	// Not stable / negative / out of range: 02 3F 44 0D (bit 2: under zero).
	{"reference status 44", "\x02\x3f\x44\x0d", scaletest.Want{Stable: true, Under: true}},
	{"over capacity", "\x02?\x62\r", scaletest.Want{Stable: true, Over: true}},
	{"centre of zero", "\x02?\x70\r", scaletest.Want{Stable: true, Zero: true}},
	// Bit 3 alone (02 3F 68 0D) and with motion (02 3F 69 0D): the scale
	// could not capture zero, so the frame is an error, not "stable, no
	// weight".
	{"outside zero-capture range", "\x02\x3f\x68\x0d", scaletest.Want{Err: true}},
	{"outside zero-capture range in motion", "\x02\x3f\x69\x0d", scaletest.Want{Err: true}},
	{"status with parity bit", "\x02?\xe1\r", scaletest.Want{}},
	{"bits 5-6 only", "\x02?\x60\r", scaletest.Want{Err: true}},
	{"zero weight", "\x02000.00\r", scaletest.Want{Value: "0.00", Unit: "lb", Stable: true, Zero: true}},
	{"net marker", "\x02 12.50N\r", scaletest.Want{Value: "12.50", Unit: "lb", Stable: true}},
	{"echo reply is no weight", "\x02E\r", scaletest.Want{Err: true}},
}

func codec(t testing.TB, uri string) scale.Codec {
	c, err := NewCodec(deviceuri.MustParse(uri))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestParse(t *testing.T) {
	for _, f := range frames {
		r, err := Parse([]byte(f.frame), "lb")
		scaletest.Check(t, f.name, scaletest.Result{Reading: r, Err: err}, f.want)
	}
}

func TestFraming(t *testing.T) {
	c := codec(t, "toledo8217+serial://COM3")
	for _, f := range frames {
		t.Run(f.name, func(t *testing.T) {
			scaletest.Framing(t, c, []byte(f.frame), f.want, []byte("\r#\r"), true)
		})
	}
}

func TestOutsideZeroCaptureSaysWhatToDo(t *testing.T) {
	_, err := Parse([]byte("\x02?\x68\r"), "lb")
	var fe *scale.FrameError
	if !errors.As(err, &fe) {
		t.Fatalf("Parse of status 0x68 = %v, want a *scale.FrameError", err)
	}
	if !strings.Contains(fe.Reason, "zero-capture range") || !strings.Contains(fe.Reason, "press ZERO") {
		t.Errorf("reason %q does not name the condition and the remedy", fe.Reason)
	}
}

func TestGrams(t *testing.T) {
	c := codec(t, "toledo8217+serial://COM3?unit=g")
	r, err := c.Parse([]byte("\x02001250\r"))
	if err != nil || r.Value != "1250" || r.Unit != "g" || r.Micrograms != 1_250_000_000 {
		t.Errorf("grams: %+v, %v", r, err)
	}
	if _, err := NewCodec(deviceuri.MustParse("toledo8217+serial://COM3?unit=stone")); err == nil {
		t.Error("unit=stone accepted")
	}
}

func TestMatch(t *testing.T) {
	if !Match([]byte("\x02E\rhello")) || Match([]byte("\x02E\r")) {
		t.Error("Match disagrees with the echo reply")
	}
}

func FuzzParse(f *testing.F) {
	for _, fr := range frames {
		f.Add([]byte(fr.frame))
	}
	c := codec(f, "toledo8217+serial://COM3")
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b, "lb")
		consistent(t, r, err)
		for _, res := range scaletest.Run(c, b[:len(b)/2], b[len(b)/2:]) {
			consistent(t, res.Reading, res.Err)
		}
	})
}

func consistent(t *testing.T, r scale.Reading, err error) {
	if err != nil || r.Value == "" {
		return
	}
	m, perr := scale.ParseValue(r.Value, r.Unit)
	if perr != nil || m.Micrograms != r.Micrograms {
		t.Fatalf("reading %q %q has %d µg, want %d (%v)", r.Value, r.Unit, r.Micrograms, m.Micrograms, perr)
	}
}
