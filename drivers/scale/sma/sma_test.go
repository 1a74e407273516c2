package sma

import (
	"testing"

	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/scale/scaletest"
)

var frames = []struct {
	name  string
	frame string
	want  scaletest.Want
}{
	// devices.md §2.3: 0A 20 31 47 20 20 20 20 20 20 20 35 2E 30 32 35 6C 62 20 0D.
	{"reference 5.025 lb", "\x0a\x20\x31\x47\x20\x20\x20\x20\x20\x20\x20\x35\x2e\x30\x32\x35\x6c\x62\x20\x0d", scaletest.Want{Value: "5.025", Unit: "lb", Stable: true}},
	{"motion", "\n 1GM      5.030lb \r", scaletest.Want{Value: "5.030", Unit: "lb"}},
	{"centre of zero", "\nZ1G       0.000lb \r", scaletest.Want{Value: "0.000", Unit: "lb", Stable: true, Zero: true}},
	{"net kg", "\n 2N       1.500kg \r", scaletest.Want{Value: "1.500", Unit: "kg", Stable: true}},
	{"over", "\nO1G  ----------lb \r", scaletest.Want{Over: true, Stable: true}},
	{"under", "\nU1G      -0.500lb \r", scaletest.Want{Value: "-0.500", Unit: "lb", Stable: true, Under: true}},
	{"zero error", "\nE1G  ----------lb \r", scaletest.Want{Err: true}},
	{"initial zero error", "\nI1G  ----------lb \r", scaletest.Want{Err: true}},
	{"tare error", "\nT1G  ----------lb \r", scaletest.Want{Err: true}},
	{"unknown command", "\n?\r", scaletest.Want{Err: true}},
	{"about reply is no weight", "\nSMA:2/1.0\r", scaletest.Want{Err: true}},
	{"bad motion field", "\n 1GX      5.025lb \r", scaletest.Want{Err: true}},
}

func TestParse(t *testing.T) {
	for _, f := range frames {
		r, err := Parse([]byte(f.frame))
		scaletest.Check(t, f.name, scaletest.Result{Reading: r, Err: err}, f.want)
	}
}

func TestFraming(t *testing.T) {
	for _, f := range frames {
		t.Run(f.name, func(t *testing.T) {
			scaletest.Framing(t, Codec(), []byte(f.frame), f.want, []byte("\rxx\r"), true)
		})
	}
}

func TestMatch(t *testing.T) {
	if !Match([]byte("\nSMA:2/1.0\r")) || Match([]byte("\n?\r")) {
		t.Error("Match disagrees with the about reply")
	}
}

func FuzzParse(f *testing.F) {
	for _, fr := range frames {
		f.Add([]byte(fr.frame))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		consistent(t, r, err)
		for _, res := range scaletest.Run(Codec(), b[:len(b)/2], b[len(b)/2:]) {
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
