package scale

import "testing"

func TestParseValue(t *testing.T) {
	tests := []struct {
		in, unit, want, wantUnit string
		ug                       int64
	}{
		{"  1.25", "lb", "1.25", "lb", 566_990_463},
		{"001.25", "LB", "1.25", "lb", 566_990_463},
		{"-  0.50", "kg", "-0.50", "kg", -500_000_000},
		{"+100.00", "g", "100.00", "g", 100_000_000},
		{"1500", "mg", "1.5", "g", 1_500_000},
		{"5", "mg", "0.005", "g", 5_000},
		{"0", "oz", "0", "oz", 0},
		{".5", "kg", "0.5", "kg", 500_000_000},
	}
	for _, tt := range tests {
		r, err := ParseValue(tt.in, tt.unit)
		if err != nil || r.Value != tt.want || r.Unit != tt.wantUnit || r.Micrograms != tt.ug {
			t.Errorf("ParseValue(%q, %q) = %q %q %d, %v; want %q %q %d", tt.in, tt.unit, r.Value, r.Unit, r.Micrograms, err, tt.want, tt.wantUnit, tt.ug)
		}
	}
	for _, bad := range [][2]string{{"1.2.3", "lb"}, {"abc", "lb"}, {"", "lb"}, {"1", "stone"}, {"1e5", "g"}, {"--1", "g"}} {
		if _, err := ParseValue(bad[0], bad[1]); err == nil {
			t.Errorf("ParseValue(%q, %q) succeeded", bad[0], bad[1])
		}
	}
}

func TestSplitDelimited(t *testing.T) {
	split := SplitDelimited([]byte{0x02}, '\r', 16)
	tests := []struct {
		in      string
		adv     int
		frame   string
		hasData bool
	}{
		{"\x02001.25\r", 8, "\x02001.25\r", true},
		{"xx\x02001.25\r", 2, "", false},
		{"\x02001\x02001.25\r", 4, "", false},
		{"\x02001.2", 0, "", false},
		{"garbage", 7, "", false},
		{"\x0212345678901234567890", 21, "", false},
	}
	for _, tt := range tests {
		adv, frame, err := split([]byte(tt.in))
		if err != nil || adv != tt.adv || string(frame) != tt.frame {
			t.Errorf("split(%q) = %d %q %v, want %d %q", tt.in, adv, frame, err, tt.adv, tt.frame)
		}
	}
}

func FuzzSplitDelimited(f *testing.F) {
	f.Add([]byte("\x02001.25\r"))
	f.Add([]byte("\n 1G       5.025lb \r"))
	split := SplitDelimited([]byte{0x02, '\n'}, '\r', 32)
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			adv, frame, _ := split(b)
			if adv < 0 || adv > len(b) {
				t.Fatalf("advance %d of %d", adv, len(b))
			}
			if frame != nil && (len(frame) > adv || frame[len(frame)-1] != '\r') {
				t.Fatalf("frame %q beyond advance %d", frame, adv)
			}
			if adv == 0 {
				return
			}
			b = b[adv:]
		}
	})
}
