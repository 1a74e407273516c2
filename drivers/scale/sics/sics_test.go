package sics

import (
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
	// devices.md §2.4: TX 53 0D 0A → RX "S S      100.00 g\r\n".
	{"reference stable 100 g", "S S      100.00 g\r\n", scaletest.Want{Value: "100.00", Unit: "g", Stable: true}},
	{"dynamic", "S D      100.02 g\r\n", scaletest.Want{Value: "100.02", Unit: "g"}},
	{"kg negative", "S S     -0.005 kg\r\n", scaletest.Want{Value: "-0.005", Unit: "kg", Stable: true}},
	{"zero", "S S        0.00 g\r\n", scaletest.Want{Value: "0.00", Unit: "g", Stable: true, Zero: true}},
	{"busy", "S I\r\n", scaletest.Want{Err: true}},
	{"overload", "S +\r\n", scaletest.Want{Over: true}},
	{"underload", "S -\r\n", scaletest.Want{Under: true}},
	{"syntax error", "ES\r\n", scaletest.Want{Err: true}},
	{"transmission error", "ET\r\n", scaletest.Want{Err: true}},
	{"logical error", "EL\r\n", scaletest.Want{Err: true}},
	{"zero done", "Z A\r\n", scaletest.Want{Zero: true, Stable: true}},
	{"zero refused", "Z I\r\n", scaletest.Want{Err: true}},
	{"SI echo", "SI S     12.50 lb\r\n", scaletest.Want{Value: "12.50", Unit: "lb", Stable: true}},
	{"milligrams", "S S     1500 mg\r\n", scaletest.Want{Value: "1.5", Unit: "g", Stable: true}},
	{"missing unit", "S S      100.00\r\n", scaletest.Want{Err: true}},
	{"serial number is no weight", "I4 A \"0123456789\"\r\n", scaletest.Want{Err: true}},
}

func codec(t testing.TB) scale.Codec {
	c, err := NewCodec(deviceuri.MustParse("sics+serial:///dev/ttyS0"))
	if err != nil {
		t.Fatal(err)
	}
	return c
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
			scaletest.Framing(t, codec(t), []byte(f.frame), f.want, []byte("\r\n#~ "), false)
		})
	}
}

func TestCodecOptions(t *testing.T) {
	c, err := NewCodec(deviceuri.MustParse("sics+tcp://h:1?cmd=S"))
	if err != nil || string(c.Trigger) != "S\r\n" {
		t.Errorf("cmd=S: trigger %q, %v", c.Trigger, err)
	}
	if _, err := NewCodec(deviceuri.MustParse("sics+tcp://h:1?cmd=X")); err == nil {
		t.Error("cmd=X accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, fr := range frames {
		f.Add([]byte(fr.frame))
	}
	c := codec(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := Parse(b)
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
