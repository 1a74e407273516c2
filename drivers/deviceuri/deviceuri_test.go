package deviceuri

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in                       string
		proto, transport, target string
		param, value             string
	}{
		{"nci+serial:///dev/ttyUSB0?baud=9600&parity=E&data=7", "nci", "serial", "/dev/ttyUSB0", "parity", "E"},
		{"sics+tcp://10.1.2.3:4001", "sics", "tcp", "10.1.2.3:4001", "", ""},
		{"toledo8217+serial://COM3", "toledo8217", "serial", "COM3", "", ""},
		{"hidpos:///dev/hidraw0", "hidpos", "", "/dev/hidraw0", "", ""},
		{"zpl+tcp://10.1.2.9:9100", "zpl", "tcp", "10.1.2.9:9100", "", ""},
		{"zpl+usb:///dev/usb/lp0", "zpl", "usb", "/dev/usb/lp0", "", ""},
		{"zpl+winspool://Zebra ZP450", "zpl", "winspool", "Zebra ZP450", "", ""},
		{"zpl+winspool://Zebra%20ZP450%20(2)", "zpl", "winspool", "Zebra ZP450 (2)", "", ""},
		{"zpl+cups://label4x6", "zpl", "cups", "label4x6", "", ""},
		{"sim://scale", "sim", "", "scale", "", ""},
		{"sim://printer?dir=/tmp/labels", "sim", "", "printer", "dir", "/tmp/labels"},
		{"  NCI+Serial:///dev/ttyS0 ", "nci", "serial", "/dev/ttyS0", "", ""},
	}
	for _, tt := range tests {
		u, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if u.Protocol != tt.proto || u.Transport != tt.transport || u.Target != tt.target {
			t.Errorf("Parse(%q) = %q %q %q, want %q %q %q", tt.in, u.Protocol, u.Transport, u.Target, tt.proto, tt.transport, tt.target)
		}
		if tt.param != "" && u.Params.Get(tt.param) != tt.value {
			t.Errorf("Parse(%q) param %s = %q, want %q", tt.in, tt.param, u.Params.Get(tt.param), tt.value)
		}
		again, err := Parse(u.String())
		if err != nil || again.String() != u.String() {
			t.Errorf("round trip of %q: %q, %v", tt.in, again.String(), err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := map[string]string{
		"/dev/ttyUSB0":         "want protocol+transport://target",
		"nci+serial://":        "no target",
		"zpl+tcp://10.0.0.9":   "host:port",
		"a+b+c://x":            "protocol or protocol+transport",
		"nci+serial://x?%zz":   "bad query",
		"n ci+serial:///dev/x": "scheme",
		"://x":                 "want protocol",
	}
	for in, want := range tests {
		_, err := Parse(in)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", in, err, want)
		}
	}
}

func TestSerial(t *testing.T) {
	def := Serial{Baud: 9600, DataBits: 8, Parity: 'N', StopBits: 1}
	u := MustParse("nci+serial:///dev/ttyUSB0?baud=19200&parity=e&data=7&stop=2")
	got, err := u.Serial(def)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Serial{19200, 7, 'E', 2}); got != want {
		t.Errorf("Serial() = %+v, want %+v", got, want)
	}
	got, err = MustParse("toledo8217+serial://COM3").Serial(Serial{9600, 7, 'E', 1})
	if err != nil || got != (Serial{9600, 7, 'E', 1}) {
		t.Errorf("defaults: %+v, %v", got, err)
	}
	for _, bad := range []string{"baud=9601", "data=9", "parity=X", "stop=3", "baud=fast"} {
		if _, err := MustParse("nci+serial:///dev/x?" + bad).Serial(def); err == nil {
			t.Errorf("Serial with %s succeeded, want error", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"nci+serial:///dev/ttyUSB0?baud=9600&parity=E&data=7", "zpl+winspool://Zebra ZP450", "sim://printer?dir=/tmp", "sics+tcp://[::1]:4001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			return
		}
		if u.Protocol == "" || u.Target == "" {
			t.Fatalf("Parse(%q) accepted an empty protocol or target: %+v", s, u)
		}
		_, _ = u.Serial(Serial{9600, 8, 'N', 1})
	})
}
