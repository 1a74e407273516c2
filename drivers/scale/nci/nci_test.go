package nci

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
	// devices.md §2.2: TX 57 0D → RX 0A 20 20 31 2E 32 35 6C 62 0D 0A 30 30 0D 03.
	{"reference stable 1.25 lb", "\x0a\x20\x20\x31\x2e\x32\x35\x6c\x62\x0d\x0a\x30\x30\x0d\x03", scaletest.Want{Value: "1.25", Unit: "lb", Stable: true}},
	{"motion", "\n  1.27lb\r\n10\r\x03", scaletest.Want{Value: "1.27", Unit: "lb"}},
	{"empty at zero", "\n  0.00lb\r\n20\r\x03", scaletest.Want{Value: "0.00", Unit: "lb", Stable: true, Zero: true}},
	{"over capacity", "\n^^^^^^^^\r\n02\r\x03", scaletest.Want{Over: true, Stable: true}},
	{"under capacity", "\n________\r\n01\r\x03", scaletest.Want{Under: true, Stable: true}},
	{"zero error", "\n--------\r\n00\r\x03", scaletest.Want{Err: true}},
	{"unknown command", "\n?\r\x03", scaletest.Want{Err: true}},
	{"kg", "\n 12.345kg\r\n00\r\x03", scaletest.Want{Value: "12.345", Unit: "kg", Stable: true}},
	{"grams", "\n   850g\r\n00\r\x03", scaletest.Want{Value: "850", Unit: "g", Stable: true}},
	{"lb-oz form", "\n 2lb  3.5oz\r\n00\r\x03", scaletest.Want{Value: "35.5", Unit: "oz", Stable: true}},
	{"three status bytes (Brecknell 6712)", "\n  1.25lb\r\n0p0\r\x03", scaletest.Want{Value: "1.25", Unit: "lb", Stable: true}},
	{"four status bytes (67xxU)", "\n  1.25lb\r\n0pp0\r\x03", scaletest.Want{Value: "1.25", Unit: "lb", Stable: true}},
	{"SCP-02 with status", "\n  1.25LB\r\nS10\r\x03", scaletest.Want{Value: "1.25", Unit: "lb"}},
	{"SCP-02 without status", "\n  3.10KG\r\x03", scaletest.Want{Value: "3.10", Unit: "kg", Stable: true}},
	{"status only (S)", "\n00\r\x03", scaletest.Want{Stable: true}},
	{"RAM error", "\n  1.25lb\r\n40\r\x03", scaletest.Want{Err: true}},
	{"ROM error", "\n  1.25lb\r\n04\r\x03", scaletest.Want{Err: true}},
	{"faulty calibration", "\n  1.25lb\r\n08\r\x03", scaletest.Want{Err: true}},
	{"initial zero error", "\n  1.25lb\r\n0p8\r\x03", scaletest.Want{Err: true}},
	{"status with parity bit", "\n  1.25lb\r\n\xb0\xb0\r\x03", scaletest.Want{Value: "1.25", Unit: "lb", Stable: true}},
	{"bad status", "\n  1.25lb\r\nAB\r\x03", scaletest.Want{Err: true}},
	{"three lines", "\n  1.25lb\r\n  1.25lb\r\n00\r\x03", scaletest.Want{Err: true}},
}

func TestParse(t *testing.T) {
	for _, f := range frames {
		r, err := Parse([]byte(f.frame))
		scaletest.Check(t, f.name, scaletest.Result{Reading: r, Err: err}, f.want)
	}
}

func TestFraming(t *testing.T) {
	for _, f := range frames {
		if f.name == "three lines" {
			continue // the framer resynchronises on the second line: see TestResync
		}
		t.Run(f.name, func(t *testing.T) {
			scaletest.Framing(t, Codec(), []byte(f.frame), f.want, []byte("\r\x03xx\r\n"), true)
		})
	}
}

func TestResync(t *testing.T) {
	// The tail of a frame cut short right after a CR, then a whole frame.
	res := scaletest.Run(Codec(), []byte("\n  9.99lb\r"), []byte("\n  1.25lb\r\n00\r\x03"))
	if len(res) != 1 {
		t.Fatalf("got %d results, want 1: %v", len(res), res)
	}
	scaletest.Check(t, "resync", res[0], scaletest.Want{Value: "1.25", Unit: "lb", Stable: true})
}

func TestMatch(t *testing.T) {
	for in, want := range map[string]bool{"\n00\r\x03": true, "\nS00\r\x03": true, "\n?\r\x03": false, "S S 1 g\r\n": false, "": false} {
		if got := Match([]byte(in)); got != want {
			t.Errorf("Match(%q) = %v, want %v", in, got, want)
		}
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
