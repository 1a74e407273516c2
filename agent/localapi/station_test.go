package localapi

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/packline/packline/agent/localapi/apitype"
)

// listingBackend is a fakeBackend that knows its stations.
type listingBackend struct {
	*fakeBackend
	ids []string
}

func (b listingBackend) Stations() []string { return b.ids }

// expectStationView reads the next message and checks that it is a
// station event for station with prompt.
func expectStationView(t *testing.T, c *testClient, station, prompt string) {
	t.Helper()
	m := c.mustRead()
	if m.Type != apitype.TypeEvent || m.Event != apitype.EvStation {
		t.Fatalf("got %s %s %s, want a station event", m.Type, m.Event, m.Data)
	}
	var v apitype.StationView
	if err := json.Unmarshal(m.Data, &v); err != nil {
		t.Fatal(err)
	}
	if v.Station != station || v.Prompt != prompt {
		t.Fatalf("station event %+v, want station %s prompt %q", v, station, prompt)
	}
}

// expectTaken reads the station_taken event and then the close.
func expectTaken(t *testing.T, c *testClient, station string) apitype.StationTaken {
	t.Helper()
	m := c.mustRead()
	if m.Type != apitype.TypeEvent || m.Event != apitype.EvStationTaken {
		t.Fatalf("got %s %s %s, want a station_taken event", m.Type, m.Event, m.Data)
	}
	if m.Seq != 0 {
		t.Errorf("station_taken has seq %d; it belongs to one connection and must not move the stream", m.Seq)
	}
	var st apitype.StationTaken
	if err := json.Unmarshal(m.Data, &st); err != nil {
		t.Fatal(err)
	}
	if st.Station != station {
		t.Errorf("station_taken %+v, want station %s", st, station)
	}
	if _, err := c.read(); !isClose(err, apitype.CloseStationTaken) {
		t.Fatalf("after station_taken: %v, want close %d", err, apitype.CloseStationTaken)
	}
	return st
}

func TestNewestClaimTakesTheStation(t *testing.T) {
	s, addr := startServer(t, Options{})
	old := mustDial(t, addr)
	old.hello("S1", 0)
	old.welcome()
	old.snapshot()
	other := mustDial(t, addr)
	other.hello("S2", 0)
	other.welcome()
	other.snapshot()

	taker := mustDial(t, addr)
	taker.send(apitype.TypeHello, "", apitype.Hello{Version: apitype.Version, Station: "S1", Client: "packline-station test"})
	if w := taker.welcome(); w.Resumed || w.Station != "S1" {
		t.Fatalf("taker's welcome %+v, want a fresh one for S1", w)
	}
	if snap := taker.snapshot(); snap[0].Event != apitype.EvStation {
		t.Fatalf("taker's snapshot starts with %s", snap[0].Event)
	}

	st := expectTaken(t, old, "S1")
	if st.By != "127.0.0.1" || st.Client != "packline-station test" {
		t.Errorf("station_taken %+v, want by 127.0.0.1 and the taker's client name", st)
	}

	// The station's events and commands now belong to the taker alone,
	// and the other station is undisturbed.
	taker.send(apitype.TypeCommand, "c1", apitype.Command{Kind: apitype.CmdScan, Code: "SKU-1"})
	expectStationView(t, taker, "S1", "scanned SKU-1")
	if m := taker.mustRead(); m.Type != apitype.TypeResult || m.ID != "c1" {
		t.Fatalf("got %s %s, want the result of c1", m.Type, m.ID)
	}
	s.Publish("S2", apitype.EvStation, apitype.StationView{Station: "S2", Prompt: "still here"})
	expectStationView(t, other, "S2", "still here")
	other.send(apitype.TypeCommand, "c2", apitype.Command{Kind: apitype.CmdScan, Code: "SKU-2"})
	expectStationView(t, other, "S2", "scanned SKU-2")
	if m := other.mustRead(); m.Type != apitype.TypeResult || m.ID != "c2" {
		t.Fatalf("got %s %s, want the result of c2", m.Type, m.ID)
	}
	s.Publish("S1", apitype.EvStation, apitype.StationView{Station: "S1", Prompt: "live"})
	expectStationView(t, taker, "S1", "live")
}

// TestResumingClaimTakesTheStation is an app back after a network blip
// whose old connection the agent still thinks alive: it resumes and gets
// its station at once.
func TestResumingClaimTakesTheStation(t *testing.T) {
	s, addr := startServer(t, Options{})
	old := mustDial(t, addr)
	old.hello("S1", 0)
	w := old.welcome()
	old.snapshot()
	s.Publish("S1", apitype.EvReading, apitype.Reading{Grams: 5})
	old.mustRead()

	back := mustDial(t, addr)
	back.hello("S1", w.Seq)
	if w2 := back.welcome(); !w2.Resumed {
		t.Fatalf("welcome %+v, want resumed", w2)
	}
	if m := back.mustRead(); m.Event != apitype.EvReading || m.Seq != w.Seq+1 {
		t.Fatalf("replay %+v, want the reading at %d", m, w.Seq+1)
	}
	expectTaken(t, old, "S1")
	s.Publish("S1", apitype.EvStation, apitype.StationView{Station: "S1", Prompt: "live"})
	expectStationView(t, back, "S1", "live")
}

func TestUnknownStationRefused(t *testing.T) {
	_, addr := startServer(t, Options{Backend: listingBackend{fakeBackend: newFakeBackend(), ids: []string{"st2", "st1"}}})
	c := mustDial(t, addr)
	c.hello("st9", 0)
	e := decodeErr(t, c.mustRead())
	if e.Code != apitype.ErrUnknownStation {
		t.Errorf("code %s, want %s", e.Code, apitype.ErrUnknownStation)
	}
	for _, want := range []string{`"st9"`, "st1, st2", "--station", "PACKLINE_STATION", "station file", "[[station]]"} {
		if !strings.Contains(e.Message, want) {
			t.Errorf("message lacks %q: %s", want, e.Message)
		}
	}
	if _, err := c.read(); !isClose(err, apitype.CloseUnknownStation) {
		t.Fatalf("after the error: %v, want close %d", err, apitype.CloseUnknownStation)
	}

	ok := mustDial(t, addr)
	ok.hello("st1", 0)
	if w := ok.welcome(); w.Station != "st1" {
		t.Errorf("welcome %+v", w)
	}
}

func TestNoStationsConfigured(t *testing.T) {
	_, addr := startServer(t, Options{Backend: listingBackend{fakeBackend: newFakeBackend()}})
	c := mustDial(t, addr)
	c.hello("st1", 0)
	e := decodeErr(t, c.mustRead())
	if e.Code != apitype.ErrUnknownStation || !strings.Contains(e.Message, "no stations configured") {
		t.Errorf("error %+v", e)
	}
	if _, err := c.read(); !isClose(err, apitype.CloseUnknownStation) {
		t.Fatalf("after the error: %v, want close %d", err, apitype.CloseUnknownStation)
	}
}

func TestCloseReasonFits(t *testing.T) {
	long := "station " + strings.Repeat("é", 80)
	r := closeReason(long)
	if len(r) > 123 || !strings.HasPrefix(long, r) || !strings.HasSuffix(r, "é") {
		t.Errorf("closeReason cut to %d bytes: %q", len(r), r)
	}
	if closeReason("short") != "short" {
		t.Error("short reason changed")
	}
}
