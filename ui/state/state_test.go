package state

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/ui/client"
)

var now = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

func TestCountdown(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{2*time.Hour + 14*time.Minute + 30*time.Second, "2h 14m left"},
		{35 * time.Minute, "35m left"},
		{20 * time.Second, "<1m left"},
		{27 * time.Hour, "1d 3h left"},
		{-35 * time.Minute, "LATE 35m"},
		{-3*time.Hour - 5*time.Minute, "LATE 3h 05m"},
		{-10 * time.Second, "LATE <1m"},
	} {
		if got := Countdown(now.Add(tt.d), now); got != tt.want {
			t.Errorf("Countdown(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
	if got := Countdown(time.Time{}, now); got != "no deadline" {
		t.Errorf("zero deadline: %q", got)
	}
}

func TestLiveUrgency(t *testing.T) {
	for _, tt := range []struct {
		agent string
		d     time.Duration
		want  string
	}{
		{apitype.UrgencyNormal, 30 * time.Hour, apitype.UrgencyNormal},
		{apitype.UrgencySoon, 6 * time.Hour, apitype.UrgencySoon},
		{apitype.UrgencySoon, 3 * time.Hour, apitype.UrgencyDue},
		{apitype.UrgencyDue, -time.Minute, apitype.UrgencyLate},
		{"", 10 * time.Hour, apitype.UrgencyNormal},
	} {
		if got := LiveUrgency(tt.agent, now.Add(tt.d), now); got != tt.want {
			t.Errorf("LiveUrgency(%s, %v) = %s, want %s", tt.agent, tt.d, got, tt.want)
		}
	}
	if UrgencyColor(apitype.UrgencyLate) != ColorError || UrgencyColor(apitype.UrgencyDue) != ColorWarn || UrgencyColor(apitype.UrgencyNormal) != ColorIdle {
		t.Error("urgency colours")
	}
}

func TestQueueRows(t *testing.T) {
	q := []apitype.QueueEntry{
		{OrderID: "C", Deadline: now.Add(30 * time.Hour), Urgency: apitype.UrgencyNormal},
		{OrderID: "NODL"},
		{OrderID: "A", Deadline: now.Add(-35 * time.Minute), Urgency: apitype.UrgencyDue, Exception: "weight"},
		{OrderID: "B", Deadline: now.Add(2 * time.Hour), Urgency: apitype.UrgencySoon, Staged: true, ClaimedBy: "S2"},
	}
	rows := QueueRows(q, "S1", now)
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.OrderID)
	}
	if got := strings.Join(ids, ","); got != "A,B,C,NODL" {
		t.Fatalf("order %s", got)
	}
	if rows[0].Countdown != "LATE 35m" || rows[0].Urgency != apitype.UrgencyLate || rows[0].Flags != "EXCEPTION: weight" {
		t.Errorf("row A %+v", rows[0])
	}
	if rows[1].Urgency != apitype.UrgencyDue || rows[1].Flags != "STAGED · AT S2" {
		t.Errorf("row B %+v", rows[1])
	}
	if q[0].OrderID != "C" {
		t.Error("QueueRows reordered its input")
	}
}

func TestBanner(t *testing.T) {
	m := NewModel("S1")
	if b := m.BannerFor(); b.Level != LevelInfo || !strings.Contains(b.Text, "Connecting") {
		t.Errorf("before the first welcome: %+v", b)
	}
	m.Welcome(apitype.Welcome{Seq: 1})
	m.SetConn(client.Connected, nil)
	m.Link = apitype.Link{Online: true, OutboxDepth: 3}
	if b := m.BannerFor(); b.Level != LevelOK || b.Text != "Online · station S1 · 3 to sync" {
		t.Errorf("online: %+v", b)
	}
	m.Link = apitype.Link{Online: false, Staged: 2}
	if b := m.BannerFor(); b.Level != LevelWarn || b.Text != "Offline: scanning, checking and weighing go on" || b.Detail != "Labels wait as staged and print when the link returns (2 staged)" {
		t.Errorf("internet down: %+v", b)
	}
	m.Devices = []apitype.DeviceStatus{{Kind: "scale", State: apitype.DeviceOffline, Detail: "unplugged"}}
	if b := m.BannerFor(); b.Level != LevelWarn || !strings.Contains(b.Text, "Scale offline: unplugged") || !strings.HasPrefix(b.Text, "Offline: scanning") {
		t.Errorf("scale offline: %+v", b)
	}
	m.SetConn(client.Disconnected, errors.New("dial refused"))
	if b := m.BannerFor(); b.Level != LevelError || !strings.Contains(b.Text, "reconnects by itself") || !strings.Contains(b.Detail, "Scans made now are not recorded") {
		t.Errorf("agent down: %+v", b)
	}
	if m.ConnErr != "dial refused" {
		t.Errorf("conn err %q", m.ConnErr)
	}
	m.SetConn(client.Connecting, nil)
	if b := m.BannerFor(); b.Level != LevelError || !strings.Contains(b.Text, "reconnects by itself") {
		t.Errorf("reconnecting after a welcome: %+v", b)
	}
	m.SetConn(client.Stopped, nil)
	if b := m.BannerFor(); b.Level != LevelError || strings.Contains(b.Text, "reconnects") || !strings.Contains(b.Detail, "not recorded") {
		t.Errorf("stopped: %+v", b)
	}
}

func event(t *testing.T, kind string, seq uint64, data any) apitype.Message {
	t.Helper()
	raw, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return apitype.Message{Type: apitype.TypeEvent, Seq: seq, Event: kind, Data: raw}
}

func TestApplyAndWelcome(t *testing.T) {
	m := NewModel("S1")
	view := apitype.StationView{Station: "S1", Phase: apitype.PhaseScanning, Order: &apitype.OrderView{ID: "O1", Lines: []apitype.LineView{
		{SKUID: "1", Name: "Mug", SellerSKU: "MUG", Want: 2, Got: 1}, {SKUID: "2", Name: "Card", Want: 1, Got: 1, Gift: true},
	}}}
	for _, tt := range []struct {
		msg  apitype.Message
		want Change
	}{
		{event(t, apitype.EvStation, 1, view), ChangeView},
		{event(t, apitype.EvStation, 2, apitype.StationView{Station: "S2", Phase: apitype.PhaseDone}), 0},
		{event(t, apitype.EvQueue, 3, []apitype.QueueEntry{{OrderID: "O2"}}), ChangeQueue},
		{event(t, apitype.EvReading, 4, apitype.Reading{Grams: 10, Stable: true}), ChangeReading},
		{event(t, apitype.EvDevice, 5, apitype.DeviceStatus{Kind: "scale", State: apitype.DeviceOK}), ChangeDevices},
		{event(t, apitype.EvDevice, 6, apitype.DeviceStatus{Kind: "scale", State: apitype.DeviceError}), ChangeDevices},
		{event(t, apitype.EvLink, 7, apitype.Link{Online: true}), ChangeLink},
		{event(t, apitype.EvAlert, 8, apitype.Alert{Kind: apitype.AlertWrongItem, Title: "Wrong item"}), ChangeAlert},
		{event(t, "future_event", 9, 1), 0},
	} {
		got, err := m.Apply(tt.msg)
		if err != nil || got != tt.want {
			t.Errorf("%s: change %b err %v, want %b", tt.msg.Event, got, err, tt.want)
		}
	}
	if m.View.Phase != apitype.PhaseScanning || len(m.Queue) != 1 || len(m.Devices) != 1 || m.Devices[0].State != apitype.DeviceError || m.Alert == nil || !m.Link.Online {
		t.Errorf("model %+v", m)
	}
	if got, want := m.Progress(); got != 2 || want != 3 {
		t.Errorf("progress %d/%d", got, want)
	}
	if got := LineText(m.View.Order.Lines[0]); got != "1 / 2  Mug" || LineSKU(m.View.Order.Lines[0]) != "MUG" {
		t.Errorf("line %q", got)
	}
	if got := LineText(m.View.Order.Lines[1]); got != "1 / 1  Card  GIFT" || !LineDone(m.View.Order.Lines[1]) || LineSKU(m.View.Order.Lines[1]) != "2" {
		t.Errorf("gift line %q", got)
	}
	if _, err := m.Apply(apitype.Message{Type: apitype.TypeEvent, Event: apitype.EvStation, Data: json.RawMessage(`{"phase":`)}); err == nil {
		t.Error("bad data accepted")
	}
	if _, err := m.Apply(apitype.Message{Type: apitype.TypeResult}); err == nil {
		t.Error("result applied as an event")
	}

	if c := m.Welcome(apitype.Welcome{Resumed: true}); c != ChangeConn || m.View.Order == nil {
		t.Errorf("resumed welcome dropped state")
	}
	if c := m.Welcome(apitype.Welcome{Resumed: false}); c != ChangeAll || m.View.Order != nil || m.Queue != nil || m.Alert != nil {
		t.Errorf("fresh welcome kept state: %+v", m)
	}
}

func TestApplyResult(t *testing.T) {
	m := NewModel("S1")
	m.ApplyResult(apitype.Result{}, client.ErrNotConnected)
	if !strings.Contains(m.Notice, "agent unreachable") {
		t.Errorf("notice %q", m.Notice)
	}
	m.ApplyResult(apitype.Result{Error: &apitype.Error{Code: apitype.ErrNotFound, Message: "No order or item 123"}}, nil)
	if m.Notice != "No order or item 123" {
		t.Errorf("notice %q", m.Notice)
	}
	v := apitype.StationView{Station: "S1", Phase: apitype.PhaseBoxing, UpdatedAt: now}
	if c := m.ApplyResult(apitype.Result{OK: true, View: &v}, nil); c&ChangeView == 0 || m.Notice != "" || m.View.Phase != apitype.PhaseBoxing {
		t.Errorf("ok result: %b %+v", c, m)
	}
	// A result that arrives after a newer event does not turn the screen back.
	m.View = apitype.StationView{Station: "S1", Phase: apitype.PhaseWeighing, UpdatedAt: now.Add(time.Second)}
	if c := m.ApplyResult(apitype.Result{OK: true, View: &v}, nil); c&ChangeView != 0 || m.View.Phase != apitype.PhaseWeighing {
		t.Errorf("stale result view applied: %+v", m.View)
	}
}

func TestWeight(t *testing.T) {
	ok, bad := true, false
	m := NewModel("S1")
	if w := m.WeightFor(); w.Live != "—" || w.LiveState != "no reading" {
		t.Errorf("no reading: %+v", w)
	}
	m.View = apitype.StationView{ExpectedGrams: 1250, ToleranceGrams: 50}
	m.Reading = &apitype.Reading{Grams: 1262, Stable: false}
	w := m.WeightFor()
	if w.Live != "1.262 kg" || w.Stable || w.LiveState != "settling…" || !w.InBand || w.Expected != "1.250 kg" || w.Band != "1.200–1.300 kg" || w.Tolerance != "± 50 g" {
		t.Errorf("settling: %+v", w)
	}
	// Stable, not yet accepted: the words say what the colour says.
	m.Reading = &apitype.Reading{Grams: 1262, Display: "2.78 lb", Stable: true}
	if w := m.WeightFor(); w.LiveState != "STABLE" || w.LiveVerdict != "In band: F2 accepts the weight" || !w.InBand {
		t.Errorf("stable in band before accepting: %+v", w)
	}
	m.Reading = &apitype.Reading{Grams: 1390, Display: "1.390 kg", Stable: true}
	if w := m.WeightFor(); w.LiveVerdict != "Out of band (+140 g): check the box" || w.InBand {
		t.Errorf("stable out of band before accepting: %+v", w)
	}
	m.Reading = &apitype.Reading{Grams: 1262, Display: "2.78 lb", Stable: true}
	m.View.MeasuredGrams, m.View.WeightOK = 1262, &ok
	w = m.WeightFor()
	if w.Live != "2.78 lb" || w.LiveState != "STABLE" || w.Verdict != "IN TOLERANCE" || w.Level != LevelOK || w.Measured != "1.262 kg" {
		t.Errorf("in tolerance: %+v", w)
	}
	m.View.MeasuredGrams, m.View.WeightOK = 1390, &bad
	m.Reading = &apitype.Reading{Grams: 1390, Stable: true}
	w = m.WeightFor()
	if w.Verdict != "OUT OF TOLERANCE (+140 g)" || w.Level != LevelError || w.InBand {
		t.Errorf("out of tolerance: %+v", w)
	}
	if FormatGrams(850) != "850 g" {
		t.Error(FormatGrams(850))
	}
}

func TestScanBuffer(t *testing.T) {
	b := NewScanBuffer(50 * time.Millisecond)
	at := now
	typeCode := func(s string, gap time.Duration) {
		for _, r := range s {
			at = at.Add(gap)
			b.Rune(r, at)
		}
	}
	typeCode("576100000001", 3*time.Millisecond)
	if code, ok := b.Commit(at.Add(3 * time.Millisecond)); !ok || code != "576100000001" {
		t.Errorf("scan: %q %v", code, ok)
	}
	// A stray key, a pause, then a real scan: the stray key is dropped.
	typeCode("x", time.Millisecond)
	at = at.Add(time.Second)
	typeCode("ABC-1", 2*time.Millisecond)
	if code, ok := b.Commit(at.Add(2 * time.Millisecond)); !ok || code != "ABC-1" {
		t.Errorf("after stray key: %q %v", code, ok)
	}
	if b.Discarded != 1 {
		t.Errorf("discarded %d", b.Discarded)
	}
	// A half-read code followed much later by Enter is not committed.
	typeCode("12", time.Millisecond)
	if _, ok := b.Commit(at.Add(time.Second)); ok {
		t.Error("stale fragment committed")
	}
	if _, ok := b.Commit(at.Add(time.Second)); ok {
		t.Error("empty commit")
	}
	// Control characters are ignored; gap zero allows slow manual typing.
	manual := NewScanBuffer(0)
	for i, r := range "\x02ORD-9\x03" {
		manual.Rune(r, now.Add(time.Duration(i)*time.Second))
	}
	if code, ok := manual.Commit(now.Add(time.Hour)); !ok || code != "ORD-9" {
		t.Errorf("manual: %q %v", code, ok)
	}
	if CleanScan(" \x02576100000001\r\n") != "576100000001" {
		t.Error("CleanScan")
	}
}

func TestSoundsAreDistinct(t *testing.T) {
	seen := map[SoundKind]string{}
	for _, kind := range []string{apitype.AlertWrongItem, apitype.AlertExtraUnit, apitype.AlertCancelled, apitype.AlertWeight, apitype.AlertDevice} {
		s := SoundFor(apitype.Alert{Kind: kind})
		if prev, dup := seen[s]; dup || s == SoundNone {
			t.Errorf("%s and %s share sound %q", kind, prev, s)
		}
		seen[s] = kind
	}
	if SoundFor(apitype.Alert{Kind: apitype.AlertError, Sound: "ok"}) != SoundOK {
		t.Error("sound hint ignored")
	}
	if AlertWords(apitype.Alert{Kind: apitype.AlertCancelled}) != "ORDER CANCELLED" || AlertWords(apitype.Alert{Title: "Wrong item"}) != "WRONG ITEM" {
		t.Error("alert words")
	}
}

func TestStationTakenBlocksTheScreen(t *testing.T) {
	m := NewModel("st1")
	m.Welcome(apitype.Welcome{Seq: 1})
	m.SetConn(client.Connected, nil)
	c := m.SetConn(client.Stopped, &client.TakenError{Station: "st1", By: "10.0.0.12"})
	if c&ChangeAlert == 0 || m.Alert == nil || !m.Blocked {
		t.Fatalf("after the takeover: change %b, alert %+v, blocked %v", c, m.Alert, m.Blocked)
	}
	const want = "Station st1 was opened on another computer (10.0.0.12). Set a different station id here, then restart the app."
	if m.Alert.Detail != want {
		t.Errorf("message %q, want %q", m.Alert.Detail, want)
	}
	if AlertWords(*m.Alert) != "STATION IN USE ELSEWHERE" {
		t.Errorf("headline %q", AlertWords(*m.Alert))
	}
	if m.DismissAlert() || m.Alert == nil {
		t.Error("a key dismissed the takeover message")
	}
	if b := m.BannerFor(); b.Level != LevelError || b.Text != "Station in use elsewhere" || strings.Contains(b.Text, "reconnects") {
		t.Errorf("banner %+v", b)
	}
	if got := TakenMessage("st1", "127.0.0.1"); !strings.Contains(got, "another app on the agent's computer (127.0.0.1)") {
		t.Errorf("loopback taker: %q", got)
	}
	if got := TakenMessage("st1", ""); got != "Station st1 was opened on another computer. Set a different station id here, then restart the app." {
		t.Errorf("unknown taker: %q", got)
	}
}

func TestUnknownStationBlocksUntilWelcomed(t *testing.T) {
	m := NewModel("st9")
	msg := `this agent has no station "st9"; its stations are st1, st2. Set this computer's station id with the app's --station flag`
	m.SetConn(client.Disconnected, &client.UnknownStationError{Station: "st9", Message: msg})
	if m.Alert == nil || !m.Blocked || m.Alert.Title != "Unknown station" || !strings.HasPrefix(m.Alert.Detail, `This agent has no station "st9"; its stations are st1, st2.`) {
		t.Fatalf("alert %+v, blocked %v", m.Alert, m.Blocked)
	}
	if b := m.BannerFor(); b.Text != "Unknown station" || b.Level != LevelError {
		t.Errorf("banner %+v", b)
	}
	// The agent's config was fixed: the next attempt is welcomed.
	m.SetConn(client.Connecting, nil)
	if m.Alert == nil {
		t.Fatal("message gone while still connecting")
	}
	if c := m.Welcome(apitype.Welcome{Seq: 5}); c&ChangeAlert == 0 || m.Alert != nil || m.Blocked {
		t.Errorf("after the welcome: change %b, alert %+v, blocked %v", c, m.Alert, m.Blocked)
	}
	m.SetConn(client.Connected, nil)
	m.Link = apitype.Link{Online: true}
	if b := m.BannerFor(); b.Level != LevelOK || b.Text != "Online · station st9" {
		t.Errorf("banner once welcomed %+v", b)
	}
}
