package screens

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"image/png"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"

	"github.com/packline/packline/agent/localapi"
	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/ui/client"
	"github.com/packline/packline/ui/state"
	"github.com/packline/packline/ui/theme"
)

func TestMain(m *testing.M) {
	os.Setenv("LANG", "en_US.UTF-8")
	os.Exit(m.Run())
}

const token = "screens-test-token-0123456789"

// packBackend is a small pack flow: ORDER-1 opens an order of two mugs
// and a card; unknown codes and extra units raise alerts like the engine.
type packBackend struct {
	mu   sync.Mutex
	pub  *localapi.Server
	view apitype.StationView
}

func (b *packBackend) Do(_ context.Context, station string, cmd apitype.Command) apitype.Result {
	b.mu.Lock()
	defer b.mu.Unlock()
	fail := func(code, kind, title, words string) apitype.Result {
		b.pub.Publish(station, apitype.EvAlert, apitype.Alert{Kind: kind, Title: title, Detail: words, Sound: "error"})
		return apitype.Result{Error: &apitype.Error{Code: code, Message: words}}
	}
	v := &b.view
	v.Station = station
	switch {
	case cmd.Kind == apitype.CmdScan && cmd.Code == "ORDER-1":
		v.Phase = apitype.PhaseScanning
		v.Prompt = "Scan the items."
		v.Order = &apitype.OrderView{ID: "ORDER-1", Deadline: time.Now().Add(3 * time.Hour), Lines: []apitype.LineView{
			{SKUID: "11", SellerSKU: "MUG", Name: "Mug", Want: 2}, {SKUID: "12", SellerSKU: "CARD", Name: "Card", Want: 1},
		}}
	case cmd.Kind == apitype.CmdScan && cmd.Code == "CANCEL":
		return fail(apitype.ErrCancelled, apitype.AlertCancelled, "Order cancelled: do not ship", "The buyer cancelled ORDER-1. Put the items back.")
	case cmd.Kind == apitype.CmdScan && v.Order != nil:
		found := false
		for i := range v.Order.Lines {
			l := &v.Order.Lines[i]
			if l.SellerSKU != cmd.Code {
				continue
			}
			found = true
			if l.Got == l.Want {
				return fail(apitype.ErrExtraUnit, apitype.AlertExtraUnit, "Extra unit", "All "+l.Name+" units are already in. Take this one out.")
			}
			l.Got++
		}
		if !found {
			return fail(apitype.ErrWrongItem, apitype.AlertWrongItem, "Wrong item", cmd.Code+" is not in order ORDER-1. Put it back.")
		}
		done := true
		for _, l := range v.Order.Lines {
			done = done && l.Got == l.Want
		}
		if done {
			v.Phase, v.Prompt = apitype.PhaseBoxing, "Scan the box."
		}
	default:
		return apitype.Result{Error: &apitype.Error{Code: apitype.ErrNotFound, Message: "Nothing known by " + cmd.Code + ": scan an order first."}}
	}
	out := *v
	b.pub.Publish(station, apitype.EvStation, out)
	return apitype.Result{OK: true, View: &out}
}

func (b *packBackend) Snapshot(station string) (apitype.StationView, []apitype.QueueEntry, apitype.Link, []apitype.DeviceStatus) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v := b.view
	v.Station = station
	if v.Phase == "" {
		v.Phase, v.Prompt = apitype.PhaseIdle, "Scan an order."
	}
	return v, []apitype.QueueEntry{{OrderID: "ORDER-1", Deadline: time.Now().Add(3 * time.Hour), Urgency: apitype.UrgencyDue, Units: 3}},
		apitype.Link{Online: true}, []apitype.DeviceStatus{{Kind: "scale", State: apitype.DeviceOK}}
}

// harness is a station app wired to a real local API over loopback.
type harness struct {
	t      *testing.T
	mu     sync.Mutex // the "UI goroutine"
	sends  sync.WaitGroup
	st     *Station
	win    fyne.Window
	sounds []state.SoundKind
	stop   context.CancelFunc // stops the agent
}

func (h *harness) ui(f func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f()
}

// eventually polls cond on the UI until it holds; the deadline only
// guards against a hung test.
func (h *harness) eventually(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var ok bool
		h.ui(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var dump string
			h.ui(func() { dump = h.st.dump() })
			h.t.Fatalf("gave up waiting for %s; screen shows:\n%s", what, dump)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// scan types code into whatever has the keyboard and presses Enter, as a
// wedge scanner does.
func (h *harness) scan(code string) {
	h.ui(func() {
		c := h.win.Canvas()
		if c.Focused() != h.st.scan {
			h.t.Fatalf("scan field not focused before scanning %s (focused: %T)", code, c.Focused())
		}
		typeFocused(c, code)
		c.Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.New())
	h := &harness{t: t}

	b := &packBackend{}
	srv, err := localapi.New(localapi.Options{Backend: b, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	b.pub = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	actx, stopAgent := context.WithCancel(context.Background())
	served := make(chan struct{})
	go func() { srv.Serve(actx, ln); close(served) }()
	h.stop = func() { stopAgent(); <-served }
	t.Cleanup(h.stop)

	var cl *client.Client
	ctx, cancel := context.WithCancel(context.Background())
	h.ui(func() {
		h.st = NewStation(state.NewModel("P1"), Options{
			Do: h.ui,
			Send: func(cmd apitype.Command) {
				h.sends.Add(1)
				go func() {
					defer h.sends.Done()
					res, err := cl.Do(ctx, cmd)
					h.st.Result(cmd, res, err)
				}()
			},
			Player: PlayerFunc(func(k state.SoundKind) { h.sounds = append(h.sounds, k) }),
		})
		h.win = test.NewTempWindow(t, h.st.Content())
		h.st.Attach(h.win)
		h.win.Resize(ScreenSize)
	})
	cl, err = client.New(client.Options{URL: "ws://" + ln.Addr().String(), Token: token, Station: "P1", MinBackoff: time.Millisecond, MaxBackoff: 10 * time.Millisecond,
		OnWelcome: h.st.Welcome, OnEvent: h.st.Event, OnState: h.st.Conn})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cl.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; h.sends.Wait() })
	return h
}

// typeFocused types s into the object that has the keyboard.
func typeFocused(c fyne.Canvas, s string) {
	f := c.Focused()
	for _, r := range s {
		f.TypedRune(r)
	}
}

// dump describes the screen in words, for failure messages.
func (s *Station) dump() string {
	var b strings.Builder
	b.WriteString("banner: " + s.bannerText.Text + "\n")
	b.WriteString("phase: " + s.phaseText.Text + " / " + s.prompt.Text + "\n")
	b.WriteString("order: " + s.orderText.Text + "\n")
	b.WriteString("notice: " + s.notice.Text + "\n")
	b.WriteString("lines: " + strings.Join(s.lineTexts, " | ") + "\n")
	b.WriteString("queue: " + strings.Join(s.queueLines, " | ") + "\n")
	if s.alertLayer.Visible() {
		b.WriteString("ALERT: " + s.alertTitle.Text + " / " + strings.Join(s.alertLines, " ") + "\n")
	}
	return b.String()
}

func (s *Station) lineSummary() string { return strings.Join(s.lineTexts, " | ") }

func TestPackingOverTheLocalAPI(t *testing.T) {
	h := newHarness(t)
	s := h.st
	h.eventually("online banner", func() bool { return s.bannerText.Text == "Online · station P1" })
	h.eventually("idle screen", func() bool { return s.phaseText.Text == "Scan an order" && s.prompt.Text == "Scan an order." })
	h.ui(func() {
		if got := strings.Join(s.queueLines, "|"); !strings.HasPrefix(got, "ORDER-1 2h 59m left") && !strings.HasPrefix(got, "ORDER-1 3h 00m left") {
			t.Errorf("queue shows %q", got)
		}
	})

	h.scan("ORDER-1")
	h.eventually("order open", func() bool {
		return strings.HasPrefix(s.orderText.Text, "Order ORDER-1") && s.lineSummary() == "○ 0 / 2  Mug | ○ 0 / 1  Card"
	})
	h.scan("MUG")
	h.eventually("first mug ticked", func() bool {
		return s.lineSummary() == "◐ 1 / 2  Mug | ○ 0 / 1  Card" && s.progress.Text == "1 of 3 units"
	})

	h.scan("LAMP-9")
	h.eventually("wrong item alert", func() bool { return s.alertLayer.Visible() && s.alertTitle.Text == "WRONG ITEM" })
	h.ui(func() {
		if got := strings.Join(s.alertLines, " "); got != "LAMP-9 is not in order ORDER-1. Put it back." {
			t.Errorf("alert detail %q", got)
		}
		if s.alertTitle.TextSize < theme.SizeAlert*0.6 {
			t.Errorf("alert words at size %v: too small to read from a metre", s.alertTitle.TextSize)
		}
		if h.win.Canvas().Focused() != s.scan {
			t.Error("scan field lost the keyboard to the alert")
		}
		if bp, ap := fyne.CurrentApp().Driver().AbsolutePositionForObject(s.bannerText), fyne.CurrentApp().Driver().AbsolutePositionForObject(s.alertBG); !s.bannerText.Visible() || bp.Y >= ap.Y {
			t.Errorf("the alert covers the connection banner (banner at %v, alert at %v)", bp, ap)
		}
	})
	h.eventually("refusal in words", func() bool { return strings.Contains(s.notice.Text, "not in order ORDER-1") })

	// The next scan dismisses the alert and counts.
	h.scan("MUG")
	// Its result clears the refusal.
	h.eventually("second mug", func() bool {
		return !s.alertLayer.Visible() && s.lineSummary() == "✓ 2 / 2  Mug | ○ 0 / 1  Card" && !s.notice.Visible()
	})

	h.scan("MUG")
	h.eventually("extra unit alert", func() bool { return s.alertLayer.Visible() && s.alertTitle.Text == "EXTRA UNIT" })
	// Enter alone dismisses it and sends nothing.
	h.ui(func() { h.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn}) })
	h.ui(func() {
		if s.alertLayer.Visible() {
			t.Error("Enter did not dismiss the alert")
		}
	})

	h.scan("CARD")
	h.eventually("all in", func() bool {
		return s.progress.Text == "3 of 3 units  ✓ all in" && s.phaseText.Text == "Scan the box" && s.lineSummary() == "✓ 2 / 2  Mug | ✓ 1 / 1  Card"
	})

	h.scan("CANCEL")
	h.eventually("cancelled alert", func() bool { return s.alertLayer.Visible() && s.alertTitle.Text == "ORDER CANCELLED: DO NOT SHIP" })

	h.ui(func() {
		want := []state.SoundKind{state.SoundWrongItem, state.SoundExtraUnit, state.SoundCancelled}
		if len(h.sounds) != len(want) {
			t.Fatalf("sounds %v, want %v", h.sounds, want)
		}
		for i := range want {
			if h.sounds[i] != want[i] {
				t.Errorf("sound %d: %s, want %s", i, h.sounds[i], want[i])
			}
		}
		if s.scan.Text != "" {
			t.Errorf("scan field keeps %q after submitting", s.scan.Text)
		}
	})
}

func TestBannerWhenTheAgentGoesAway(t *testing.T) {
	h := newHarness(t)
	s := h.st
	h.eventually("online banner", func() bool { return strings.HasPrefix(s.bannerText.Text, "Online") })
	h.stop()
	h.eventually("unreachable banner", func() bool {
		return strings.HasPrefix(s.bannerText.Text, "Agent unreachable: the app reconnects by itself") && s.bannerBG.FillColor == state.ColorError
	})
	h.scan("ORDER-1")
	h.eventually("not-sent notice", func() bool {
		return strings.HasPrefix(s.notice.Text, "Not sent: agent unreachable") && s.notice.Visible()
	})
	h.ui(func() {
		if h.win.Canvas().Focused() != s.scan {
			t.Error("scan field lost focus")
		}
	})
}

// recorder is a station without an agent that records commands.
func recordingStation(t *testing.T, now time.Time) (*Station, fyne.Window, *[]apitype.Command) {
	t.Helper()
	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.New())
	var sent []apitype.Command
	m := state.NewModel("P1")
	st := NewStation(m, Options{Do: func(f func()) { f() }, Now: func() time.Time { return now }, Send: func(c apitype.Command) { sent = append(sent, c) }})
	w := test.NewTempWindow(t, st.Content())
	st.Attach(w)
	w.Resize(ScreenSize)
	return st, w, &sent
}

func TestKeyboardOnlyActions(t *testing.T) {
	st, w, sent := recordingStation(t, time.Now())
	st.m.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseException, Order: &apitype.OrderView{ID: "O1"}}
	st.Update(state.ChangeView)
	press := func(k fyne.KeyName) { w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: k}) }
	for _, k := range []fyne.KeyName{fyne.KeyF2, fyne.KeyF5, fyne.KeyF6, fyne.KeyF9, fyne.KeyEscape} {
		press(k)
	}
	typeFocused(w.Canvas(), "BOX-M2")
	press(fyne.KeyTab) // some scanners end with Tab
	var kinds []string
	for _, c := range *sent {
		kinds = append(kinds, c.Kind+":"+c.Code)
	}
	if got, want := strings.Join(kinds, ","), "accept_weight:,reprint:,retry_label:,zero_scale:,release:,scan:BOX-M2"; got != want {
		t.Errorf("sent %s, want %s", got, want)
	}
	if w.Canvas().Focused() != st.scan {
		t.Fatal("scan field not focused")
	}

	// F8: the override form takes the keyboard, then gives it back.
	press(fyne.KeyF8)
	if st.override == nil || w.Canvas().Focused() != st.overrideLead {
		t.Fatalf("override form not open with the lead field focused (focused %T)", w.Canvas().Focused())
	}
	typeFocused(w.Canvas(), "Ana")
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if w.Canvas().Focused() != st.overrideWhy {
		t.Fatal("Enter in the lead field did not move to the reason")
	}
	typeFocused(w.Canvas(), "scale recalibrated, box verified by hand")
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	last := (*sent)[len(*sent)-1]
	if last.Kind != apitype.CmdOverride || last.Lead != "Ana" || last.Reason != "scale recalibrated, box verified by hand" {
		t.Errorf("override sent %+v", last)
	}
	if st.override != nil || w.Canvas().Focused() != st.scan {
		t.Errorf("after the override the scan field does not have the keyboard (focused %T)", w.Canvas().Focused())
	}

	// An override without a reason is not sent.
	n := len(*sent)
	press(fyne.KeyF8)
	typeFocused(w.Canvas(), "Ana")
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	w.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(*sent) != n {
		t.Errorf("override without a reason sent: %+v", (*sent)[n:])
	}
	st.override.Hide()
	if w.Canvas().Focused() != st.scan {
		t.Error("cancelled override left the scan field unfocused")
	}

	// Closing asks first, and the scan field gets the keyboard back.
	quit := false
	st.ConfirmClose(func() { quit = true })
	if st.closing == nil {
		t.Fatal("no close confirmation")
	}
	st.closing.Hide()
	if quit || w.Canvas().Focused() != st.scan {
		t.Errorf("dismissed close: quit %v, focused %T", quit, w.Canvas().Focused())
	}

	// Esc dismisses an alert before it would release the order.
	st.m.Alert = &apitype.Alert{Kind: apitype.AlertWeight}
	st.Update(state.ChangeAlert)
	n = len(*sent)
	press(fyne.KeyEscape)
	if st.alertLayer.Visible() || len(*sent) != n {
		t.Errorf("Esc with an alert: visible %v, sent %+v", st.alertLayer.Visible(), (*sent)[n:])
	}
}

func TestScanWithoutFocus(t *testing.T) {
	st, w, sent := recordingStation(t, time.Now())
	at := time.Now()
	st.opts.Now = func() time.Time { return at }
	w.Canvas().Unfocus()
	// A wedge scanner types fast: the code goes through the scan buffer.
	for _, r := range "576461413038785752" {
		at = at.Add(4 * time.Millisecond)
		w.Canvas().OnTypedRune()(r)
	}
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyReturn})
	if len(*sent) != 1 || (*sent)[0].Code != "576461413038785752" {
		t.Fatalf("sent %+v", *sent)
	}
	if w.Canvas().Focused() != st.scan {
		t.Error("the scan field did not take the keyboard back")
	}
	// A stray key long before a scan is dropped.
	w.Canvas().Unfocus()
	w.Canvas().OnTypedRune()('q')
	at = at.Add(2 * time.Second)
	for _, r := range "MUG" {
		at = at.Add(3 * time.Millisecond)
		w.Canvas().OnTypedRune()(r)
	}
	w.Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyTab})
	if len(*sent) != 2 || (*sent)[1].Code != "MUG" {
		t.Fatalf("sent %+v", *sent)
	}
}

func TestQueueCountdownsTick(t *testing.T) {
	now := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	clock := now
	st, _, _ := recordingStation(t, now)
	st.opts.Now = func() time.Time { return clock }
	st.m.Queue = []apitype.QueueEntry{
		{OrderID: "B", Deadline: now.Add(26 * time.Hour), Urgency: apitype.UrgencyNormal, Staged: true},
		{OrderID: "A", Deadline: now.Add(20 * time.Minute), Urgency: apitype.UrgencyDue},
		{OrderID: "C", Deadline: now.Add(-time.Hour), Urgency: apitype.UrgencyLate, Exception: "weight"},
	}
	st.Update(state.ChangeQueue)
	if got := strings.Join(st.queueLines, "|"); got != "C LATE 1h 00m EXCEPTION: weight|A 20m left|B 1d 2h left STAGED" {
		t.Errorf("queue %q", got)
	}
	clock = now.Add(35 * time.Minute)
	st.Tick()
	if got := st.queueLines[1]; got != "A LATE 15m" {
		t.Errorf("after 35 minutes: %q", got)
	}
	if st.queueTitle.Text != "Queue  (3)" {
		t.Errorf("title %q", st.queueTitle.Text)
	}
}

func TestWeightPanel(t *testing.T) {
	st, _, _ := recordingStation(t, time.Now())
	ok := false
	st.m.View = apitype.StationView{Phase: apitype.PhaseException, ExpectedGrams: 1250, ToleranceGrams: 50, MeasuredGrams: 1390, WeightOK: &ok}
	st.m.Reading = &apitype.Reading{Grams: 1390, Display: "1.390 kg", Stable: true}
	st.Update(state.ChangeView | state.ChangeReading)
	if st.liveWeight.Text != "1.390 kg" || st.liveState.Text != "STABLE" || st.liveState.Color != state.ColorError {
		t.Errorf("live %q %q %v", st.liveWeight.Text, st.liveState.Text, st.liveState.Color)
	}
	if st.expected.Text != "Expected 1.250 kg ± 50 g  (1.200–1.300 kg)" || st.measured.Text != "Measured 1.390 kg" || st.verdict.Text != "OUT OF TOLERANCE (+140 g)" {
		t.Errorf("expected %q, measured %q, verdict %q", st.expected.Text, st.measured.Text, st.verdict.Text)
	}
	// Before the weight is accepted the verdict line says whether the
	// stable reading is in the band, in the live reading's colour.
	st.m.View = apitype.StationView{Phase: apitype.PhaseWeighing, ExpectedGrams: 1250, ToleranceGrams: 50}
	st.Update(state.ChangeView | state.ChangeReading)
	if st.measured.Text != "" || st.verdict.Text != "Out of band (+140 g): check the box" || st.verdict.Color != state.ColorError {
		t.Errorf("before accepting 1.390 kg: measured %q, verdict %q %v", st.measured.Text, st.verdict.Text, st.verdict.Color)
	}
	st.m.Reading = &apitype.Reading{Grams: 1262, Display: "1.262 kg", Stable: true}
	st.Update(state.ChangeReading)
	if st.verdict.Text != "In band: F2 accepts the weight" || st.verdict.Color != theme.Done {
		t.Errorf("before accepting 1.262 kg: verdict %q %v", st.verdict.Text, st.verdict.Color)
	}
	st.m.Reading = &apitype.Reading{Grams: 1262, Display: "1.262 kg"}
	st.Update(state.ChangeReading)
	if st.verdict.Text != "" {
		t.Errorf("a settling reading keeps the verdict %q", st.verdict.Text)
	}
	if st.liveState.Text != "settling…" {
		t.Errorf("unstable reading shows %q", st.liveState.Text)
	}
}

func TestTones(t *testing.T) {
	seen := map[string]state.SoundKind{}
	for _, k := range []state.SoundKind{state.SoundWrongItem, state.SoundExtraUnit, state.SoundCancelled, state.SoundWeight, state.SoundWarning, state.SoundError, state.SoundOK} {
		wav := Tone(k)
		if len(wav) < 44 || string(wav[:4]) != "RIFF" || string(wav[8:16]) != "WAVEfmt " || string(wav[36:40]) != "data" {
			t.Fatalf("%s: not a WAV file", k)
		}
		if n := binary.LittleEndian.Uint32(wav[40:44]); int(n) != len(wav)-44 || n < 2*toneSampleRate/20 {
			t.Errorf("%s: data length %d of %d", k, n, len(wav))
		}
		if prev, dup := seen[string(wav)]; dup {
			t.Errorf("%s sounds like %s", k, prev)
		}
		seen[string(wav)] = k
	}
	if Tone(state.SoundNone) != nil {
		t.Error("silence has a sound")
	}
	var b bytes.Buffer
	BellPlayer{W: &b}.Play(state.SoundWrongItem)
	if b.String() != "\a" {
		t.Errorf("bell wrote %q", b.String())
	}
}

func TestScreenshots(t *testing.T) {
	if testing.Short() {
		t.Skip("renders fifteen screens")
	}
	dir := t.TempDir()
	paths, err := Screenshots(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { test.NewApp() })
	if len(paths) != 15 {
		t.Fatalf("%d screenshots: %v", len(paths), paths)
	}
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		want := "1366x768"
		if strings.HasSuffix(p, "-hidpi.png") {
			want = "2732x1536"
		}
		if got := img.Bounds().Size(); got.String() != "("+strings.Replace(want, "x", ",", 1)+")" {
			t.Errorf("%s is %v, want %s", filepath.Base(p), got, want)
		}
	}
	if _, err := Screenshots(filepath.Join(dir, paths[0][len(dir)+1:], "x")); err == nil {
		t.Error("screenshots into a path under a file succeeded")
	}
	_ = errors.New
}

// TestLongLinesFitTheSmallestScreen lays the scenes out at 1366x768 and
// checks that the one-line texts that can grow long (the banner, the
// weight lines) stay inside the screen and left of the queue, at no less
// than two thirds of their size.
func TestLongLinesFitTheSmallestScreen(t *testing.T) {
	now := time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC)
	scenes := Scenes(now)
	crowded := state.NewModel("P1")
	crowded.Welcome(apitype.Welcome{Version: apitype.Version, Station: "P1", Seq: 1})
	crowded.SetConn(client.Connected, nil)
	crowded.Link = apitype.Link{Online: false, Staged: 12}
	crowded.Devices = []apitype.DeviceStatus{
		{Kind: "scale", State: apitype.DeviceOffline, Detail: "unplugged from /dev/ttyUSB0"},
		{Kind: "printer", State: apitype.DeviceError, Detail: "paper out"},
	}
	scenes = append(scenes, Scene{Name: "offline-and-two-devices", Model: crowded})
	heavy := state.NewModel("P1")
	heavy.Welcome(apitype.Welcome{Version: apitype.Version, Station: "P1", Seq: 1})
	heavy.SetConn(client.Connected, nil)
	heavy.View = apitype.StationView{Station: "P1", Phase: apitype.PhaseWeighing, ExpectedGrams: 1250, ToleranceGrams: 50}
	heavy.Reading = &apitype.Reading{Grams: 112390, Display: "112.390 kg", Stable: true}
	scenes = append(scenes, Scene{Name: "weighing-out-of-band", Model: heavy})
	for _, sc := range scenes {
		t.Run(sc.Name, func(t *testing.T) {
			a := test.NewTempApp(t)
			a.Settings().SetTheme(theme.New())
			st := NewStation(sc.Model, Options{Do: func(f func()) { f() }, Now: func() time.Time { return now }})
			w := test.NewTempWindow(t, st.Content())
			st.Attach(w)
			w.Resize(ScreenSize)
			d := a.Driver()
			queueLeft := d.AbsolutePositionForObject(st.queueTitle).X
			for _, c := range []struct {
				name  string
				text  *canvas.Text
				size  float32
				limit float32
			}{
				{"banner", st.bannerText, theme.SizeBanner, ScreenSize.Width},
				{"banner detail", st.bannerDetail, theme.SizeBanner * 0.85, ScreenSize.Width},
				{"expected", st.expected, theme.SizeLine, queueLeft},
				{"measured", st.measured, theme.SizeLine, queueLeft},
				{"verdict", st.verdict, theme.SizeLine, queueLeft},
				{"live state", st.liveState, 0, queueLeft},
				{"box", st.boxText, theme.SizeLine, queueLeft},
			} {
				if c.text.Text == "" {
					continue
				}
				width := fyne.MeasureText(c.text.Text, c.text.TextSize, c.text.TextStyle).Width
				if right := d.AbsolutePositionForObject(c.text).X + width; right > c.limit {
					t.Errorf("%s %q ends at x=%.0f, past %.0f", c.name, c.text.Text, right, c.limit)
				}
				if c.text.TextSize < c.size*2/3 {
					t.Errorf("%s shrank to %.1f, below two thirds of %.0f", c.name, c.text.TextSize, c.size)
				}
			}
		})
	}
}

func TestFitWidthShrinksOnlyWhatIsTooWide(t *testing.T) {
	test.NewTempApp(t)
	short, long := text(24, theme.Foreground, true), text(24, theme.Foreground, true)
	short.Text = "Online"
	long.Text = strings.Repeat("Agent unreachable ", 6)
	longBox := fitWidth(long)
	for _, c := range []struct {
		t      *canvas.Text
		box    *fyne.Container
		shrink bool
	}{{short, fitWidth(short), false}, {long, longBox, true}} {
		c.box.Resize(fyne.NewSize(600, c.box.MinSize().Height))
		if got := c.t.TextSize < 24; got != c.shrink {
			t.Errorf("%q at 600 px: size %.1f", c.t.Text, c.t.TextSize)
		}
		if c.box.MinSize().Width != 0 {
			t.Errorf("%q asks for %v: a long line must not widen the window", c.t.Text, c.box.MinSize())
		}
	}
	// Given room again, the text grows back to full size.
	longBox.Resize(fyne.NewSize(4000, longBox.MinSize().Height))
	if long.TextSize != 24 {
		t.Errorf("with room: size %.1f, want 24", long.TextSize)
	}
}
