package order

import "testing"

func TestParseMassAndCeil(t *testing.T) {
	tests := []struct {
		value, unit string
		want        Mass
		declUnit    string
		decimals    int
		declared    string
	}{
		{"1.25", "lb", 566_990_463, "lb", 2, "1.25"},
		{"1.251", "lb", 567_444_055, "lb", 2, "1.26"},
		{"113.5", "oz", 3_217_670_875, "lb", 2, "7.10"},
		{"500", "g", 500 * Gram, "g", 0, "500"},
		{"500.2", "g", 500_200_000, "g", 0, "501"},
		{"0.001", "kg", Gram, "g", 0, "1"},
		{"7.85", "lb", 3_560_700_105, "lb", 2, "7.85"},
		{"0.0001", "g", 100, "g", 0, "1"},
		{"-0.50", "kg", -500 * Gram, "g", 0, "-500"},
		{"-1.25", "lb", -566_990_463, "lb", 2, "-1.25"},
	}
	for _, tt := range tests {
		got, err := ParseMass(tt.value, tt.unit)
		if err != nil {
			t.Fatalf("ParseMass(%q, %q): %v", tt.value, tt.unit, err)
		}
		if got != tt.want {
			t.Errorf("ParseMass(%q, %q) = %d, want %d", tt.value, tt.unit, got, tt.want)
		}
		decl, err := got.CeilIn(tt.declUnit, tt.decimals)
		if err != nil {
			t.Fatal(err)
		}
		if decl != tt.declared {
			t.Errorf("%s %s declared in %s = %q, want %q", tt.value, tt.unit, tt.declUnit, decl, tt.declared)
		}
	}
}

func TestParseMassErrors(t *testing.T) {
	for _, in := range [][2]string{{"abc", "g"}, {"1", "stone"}, {"", "g"}, {"1e30", "kg"}} {
		if _, err := ParseMass(in[0], in[1]); err == nil {
			t.Errorf("ParseMass(%q, %q) succeeded, want error", in[0], in[1])
		}
	}
}

func TestItemsExpandsBundlesAndSkipsCancelled(t *testing.T) {
	o := Order{LineItems: []LineItem{
		{ID: "1", SKUID: "A", ProductID: "pa"},
		{ID: "2", SKUID: "A", ProductID: "pa"},
		{ID: "3", SKUID: "BUNDLE", ProductID: "pb", Components: []Component{{SKUID: "C", ProductID: "pc", Count: 2}, {SKUID: "D", ProductID: "pd", Count: 1}}},
		{ID: "4", SKUID: "E", ProductID: "pe", Cancelled: true},
	}}
	got := o.Expected()
	want := map[string]int{"A": 2, "C": 2, "D": 1}
	if len(got) != len(want) {
		t.Fatalf("Expected() = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("Expected()[%s] = %d, want %d", k, got[k], v)
		}
	}
	p := Pack{Scanned: map[string]int{"A": 2, "C": 1}}
	if p.Complete(&o) {
		t.Error("Complete() = true with units missing")
	}
	miss := p.Missing(&o)
	if len(miss) != 2 || miss[0] != (Shortfall{"C", 1}) || miss[1] != (Shortfall{"D", 1}) {
		t.Errorf("Missing() = %v", miss)
	}
}
