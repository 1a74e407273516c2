package apitype

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestWireShape pins the JSON field names clients depend on.
func TestWireShape(t *testing.T) {
	ok := true
	v := StationView{Station: "P1", Phase: PhaseDone, Prompt: "scan the label",
		Order:         &OrderView{ID: "576", Deadline: time.Date(2026, 11, 25, 17, 0, 0, 0, time.UTC), Lines: []LineView{{SKUID: "1", Name: "Mug", Want: 2, Got: 2}}},
		ExpectedGrams: 1250, MeasuredGrams: 1262, ToleranceGrams: 50, WeightOK: &ok,
		Label: &LabelView{TrackingNumber: "9400", Printed: true, PreviewPNG: []byte{0x89, 'P', 'N', 'G'}}}
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	msg := Message{Type: TypeEvent, Seq: 42, Event: EvStation, Data: data}
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"type":"event"`, `"seq":42`, `"event":"station"`, `"phase":"done"`, `"weight_ok":true`,
		`"expected_grams":1250`, `"preview_png":"iVBORw=="`, `"tracking_number":"9400"`, `"deadline":"2026-11-25T17:00:00Z"`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("frame lacks %s:\n%s", want, b)
		}
	}
	var back Message
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	var v2 StationView
	if err := json.Unmarshal(back.Data, &v2); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v, v2) {
		t.Errorf("round trip:\n got %+v\nwant %+v", v2, v)
	}
	h, _ := json.Marshal(Hello{Version: Version, Station: "P1", AfterSeq: 7})
	if string(h) != `{"version":1,"station":"P1","after_seq":7}` {
		t.Errorf("hello %s", h)
	}
	var err2 error = &Error{Code: ErrWrongItem, Message: "not in this order"}
	if err2.Error() != "wrong_item: not in this order" {
		t.Errorf("Error() = %q", err2.Error())
	}
}

func TestCarrierService(t *testing.T) {
	for _, tc := range []struct{ carrier, service, want string }{
		{"USPS", "USPS Ground Advantage", "USPS Ground Advantage"},
		{"USPS", "Ground Advantage", "USPS Ground Advantage"},
		{"UPS", "ups ground", "ups ground"},
		{"", "Ground Advantage", "Ground Advantage"},
		{"FedEx", "", "FedEx"},
	} {
		if got := (LabelView{Carrier: tc.carrier, Service: tc.service}).CarrierService(); got != tc.want {
			t.Errorf("CarrierService(%q, %q) = %q, want %q", tc.carrier, tc.service, got, tc.want)
		}
	}
}
