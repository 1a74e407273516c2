package toledocont

import (
	"testing"

	"github.com/packline/packline/drivers/deviceuri"
	"github.com/packline/packline/drivers/scale"
	"github.com/packline/packline/drivers/scale/scaletest"
)

// 1.25 lb, two decimals (SWA 0x2C), gross, stable, with tare 0 and the
// checksum (7-bit sum 0x43, two's complement 0x3D).
const ref = "\x02\x2c\x20\x20000125000000\r\x3d"

var frames = []struct {
	name  string
	frame string
	want  scaletest.Want
}{
	{"1.25 lb with checksum", ref, scaletest.Want{Value: "1.25", Unit: "lb", Stable: true}},
	{"bad checksum", ref[:len(ref)-1] + "\x3e", scaletest.Want{Err: true}},
	{"motion kg", "\x02\x2d\x38\x20012345000000\r" + string(Checksum([]byte("\x02\x2d\x38\x20012345000000\r"))), scaletest.Want{Value: "12.345", Unit: "kg"}},
	{"negative", "\x02\x2c\x22\x20000050000000\r" + string(Checksum([]byte("\x02\x2c\x22\x20000050000000\r"))), scaletest.Want{Value: "-0.50", Unit: "lb", Stable: true, Under: true}},
	{"over", "\x02\x2c\x24\x20999999000000\r" + string(Checksum([]byte("\x02\x2c\x24\x20999999000000\r"))), scaletest.Want{Value: "9999.99", Unit: "lb", Stable: true, Over: true}},
	{"tens", "\x02\x29\x20\x20000125000000\r" + string(Checksum([]byte("\x02\x29\x20\x20000125000000\r"))), scaletest.Want{Value: "1250", Unit: "lb", Stable: true}},
	{"zero", "\x02\x2c\x20\x20000000000000\r" + string(Checksum([]byte("\x02\x2c\x20\x20000000000000\r"))), scaletest.Want{Value: "0.00", Unit: "lb", Stable: true, Zero: true}},
	{"power up", "\x02\x2c\x60\x20000125000000\r" + string(Checksum([]byte("\x02\x2c\x60\x20000125000000\r"))), scaletest.Want{Value: "1.25", Unit: "lb"}},
}

func TestChecksum(t *testing.T) {
	if got := Checksum([]byte(ref[:len(ref)-1])); got != 0x3d {
		t.Errorf("Checksum = %#x, want 0x3d", got)
	}
}

func TestParse(t *testing.T) {
	for _, f := range frames {
		r, err := Parse([]byte(f.frame))
		scaletest.Check(t, f.name, scaletest.Result{Reading: r, Err: err}, f.want)
	}
	short := "\x02\x2c\x20\x20000125\r"
	r, err := Parse([]byte(short))
	scaletest.Check(t, "short form", scaletest.Result{Reading: r, Err: err}, scaletest.Want{Value: "1.25", Unit: "lb", Stable: true})
}

func codec(t testing.TB, uri string) scale.Codec {
	c, err := NewCodec(deviceuri.MustParse(uri))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFraming(t *testing.T) {
	for _, f := range frames {
		t.Run(f.name, func(t *testing.T) {
			// A fresh codec per run: auto checksum detection is per stream.
			scaletest.Framing(t, codec(t, "toledocont+serial:///dev/ttyS0?checksum=on"), []byte(f.frame), f.want, []byte("\r99\r"), true)
		})
	}
	// Checksum auto-detection: a stream without checksums.
	plain := "\x02\x2c\x20\x20000125000000\r"
	res := scaletest.Run(codec(t, "toledocont+serial:///dev/ttyS0"), []byte(plain+plain+plain))
	if len(res) < 2 {
		t.Fatalf("auto, no checksum: %d frames", len(res))
	}
	for _, r := range res {
		scaletest.Check(t, "auto without checksum", r, scaletest.Want{Value: "1.25", Unit: "lb", Stable: true})
	}
	res = scaletest.Run(codec(t, "toledocont+serial:///dev/ttyS0"), []byte(ref+ref))
	for _, r := range res {
		scaletest.Check(t, "auto with checksum", r, scaletest.Want{Value: "1.25", Unit: "lb", Stable: true})
	}
	if _, err := NewCodec(deviceuri.MustParse("toledocont+serial:///dev/ttyS0?checksum=maybe")); err == nil {
		t.Error("checksum=maybe accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, fr := range frames {
		f.Add([]byte(fr.frame))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
		consistent(t, r, err)
		for _, res := range scaletest.Run(codec(t, "toledocont+serial:///dev/ttyS0"), b[:len(b)/2], b[len(b)/2:]) {
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
