package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/agent/daemon"
	"github.com/packline/packline/agent/daemon/daemontest"
	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/order"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/scale/scalesim"
	"github.com/packline/packline/ui/client"
	"github.com/packline/packline/ui/screens"
	"github.com/packline/packline/ui/state"
	"github.com/packline/packline/ui/theme"
)

// agentConfig is a whole agent against the TikTok Shop simulator, with a
// simulated scale and printer at station st1.
func agentConfig(t testing.TB, sim *tiktoksim.Sim, scaleName string) *config.Config {
	return daemontest.Config(t, sim, daemontest.Station{ScaleName: scaleName})
}

// stationUI is the station app as main wires it, with a lock standing in
// for Fyne's UI goroutine.
type stationUI struct {
	t      *testing.T
	mu     sync.Mutex
	st     *screens.Station
	m      *state.Model
	win    fyne.Window
	sounds []state.SoundKind
	sends  sync.WaitGroup
}

func (u *stationUI) ui(f func()) { u.mu.Lock(); defer u.mu.Unlock(); f() }

func (u *stationUI) eventually(what string, cond func() bool) {
	u.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var ok bool
		u.ui(func() { ok = cond() })
		if ok {
			return
		}
		if time.Now().After(deadline) {
			var dump string
			u.ui(func() {
				m := u.m
				got, want := m.Progress()
				dump = fmt.Sprintf("banner %q\nphase %s, prompt %q, notice %q, units %d/%d, exception %q\nalert %+v\nreading %+v\nlabel %+v",
					m.BannerFor().Text, m.View.Phase, m.View.Prompt, m.Notice, got, want, m.View.Exception, m.Alert, m.Reading, m.View.Label)
			})
			u.t.Fatalf("gave up waiting for %s; the station shows:\n%s", what, dump)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// key sends a key to whatever has the keyboard.
func (u *stationUI) key(k fyne.KeyName) {
	u.ui(func() { u.win.Canvas().Focused().TypedKey(&fyne.KeyEvent{Name: k}) })
}

// scan types code into the focused field and presses Enter.
func (u *stationUI) scan(code string) {
	u.ui(func() {
		f := u.win.Canvas().Focused()
		if f != u.st.ScanEntry() {
			u.t.Fatalf("scanning %s: the scan field does not have the keyboard", code)
		}
		for _, r := range code {
			f.TypedRune(r)
		}
		f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	})
}

// TestStationPacksWithTheRealAgent runs the whole agent (store, engine,
// TikTok Shop simulator, simulated scale and printer, local API) and packs
// an order from the station app by typed scans and keys only.
func TestStationPacksWithTheRealAgent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the whole agent")
	}
	os.Setenv("LANG", "en_US.UTF-8")
	sim := tiktoksim.New(tiktoksim.Options{Seed: 11, Orders: 6})
	if _, err := sim.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	scaleName := "station-e2e-" + t.Name()
	cfg := agentConfig(t, sim, scaleName)
	ctx := context.Background()
	agent, err := daemon.Start(ctx, cfg, nil, daemon.Options{Version: "e2e", LabelCacheDir: filepath.Join(os.TempDir(), "packline-test-pdfium-cache")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := agent.Stop(); err != nil {
			t.Errorf("stopping the agent: %v", err)
		}
	})
	if _, err := agent.Intake.Pull(ctx); err != nil {
		t.Fatal(err)
	}

	a := test.NewTempApp(t)
	a.Settings().SetTheme(theme.New())
	u := &stationUI{t: t}
	var cl *client.Client
	cctx, cancel := context.WithCancel(ctx)
	var m *state.Model
	u.ui(func() {
		m = state.NewModel("st1")
		u.m = m
		u.st = screens.NewStation(m, screens.Options{
			Do: u.ui,
			Send: func(cmd apitype.Command) {
				u.sends.Add(1)
				go func() {
					defer u.sends.Done()
					res, err := cl.Do(cctx, cmd)
					u.st.Result(cmd, res, err)
				}()
			},
			Player: screens.PlayerFunc(func(k state.SoundKind) { u.sounds = append(u.sounds, k) }),
		})
		u.win = test.NewTempWindow(t, u.st.Content())
		u.st.Attach(u.win)
		u.win.Resize(screens.ScreenSize)
	})
	cl, err = client.New(client.Options{URL: "ws://" + agent.Addr, Token: agent.Token, Station: "st1",
		OnWelcome: u.st.Welcome, OnEvent: u.st.Event, OnState: u.st.Conn})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cl.Run(cctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done; u.sends.Wait() })

	// The packer takes the most urgent order on the queue.
	var id string
	u.eventually("the queue", func() bool {
		rows := state.QueueRows(m.Queue, "st1", time.Now())
		if len(rows) == 0 {
			return false
		}
		id = rows[0].OrderID
		return strings.HasPrefix(m.BannerFor().Text, "Online")
	})
	so, ok := sim.Order(id)
	if !ok {
		t.Fatalf("order %s not in the simulator", id)
	}
	u.scan(id)
	u.eventually("the order open", func() bool {
		return m.View.Order != nil && m.View.Order.ID == id && m.View.Phase == apitype.PhaseScanning
	})

	u.scan("NO-SUCH-CODE-42")
	u.eventually("the alert", func() bool { return m.Alert != nil && m.Alert.Kind == apitype.AlertWrongItem })
	var codes []string
	for _, li := range so.LineItems {
		if len(li.CombinedListingSKUs) > 0 {
			for _, c := range li.CombinedListingSKUs {
				for range c.SKUCount {
					codes = append(codes, c.SellerSKU)
				}
			}
			continue
		}
		codes = append(codes, li.SellerSKU)
	}
	for i, code := range codes {
		u.scan(code)
		if i == 0 {
			u.eventually("the alert dismissed by the next scan", func() bool { return m.Alert == nil })
		}
		u.eventually(fmt.Sprintf("unit %d counted", i+1), func() bool { got, _ := m.Progress(); return got == i+1 })
	}
	u.eventually("all units in", func() bool { return m.View.Phase == apitype.PhaseBoxing })
	u.scan("BOX-M")
	u.eventually("weighing", func() bool { return m.View.Phase == apitype.PhaseWeighing })

	// The box goes on the scale: its items' catalogue weights plus the
	// box tare, plus 12 g.
	weights := map[string]order.Mass{}
	for _, c := range sim.Catalog() {
		weights[c.SKUID] = c.Weight
	}
	expected := 150 * order.Gram
	for _, li := range so.LineItems {
		if len(li.CombinedListingSKUs) == 0 {
			expected += weights[li.SKUID]
		}
		for _, c := range li.CombinedListingSKUs {
			expected += weights[c.SKUID] * order.Mass(c.SKUCount)
		}
	}
	grams := expected.Grams() + 12
	if err := scalesim.Shared(scaleName).SetWeight(fmt.Sprintf("%.1f", grams), "g"); err != nil {
		t.Fatal(err)
	}
	u.eventually("the stable reading on screen", func() bool {
		return m.Reading != nil && m.Reading.Stable && m.Reading.Grams > grams-1 && m.Reading.Grams < grams+1 && m.WeightFor().LiveVerdict == "In band: F2 accepts the weight"
	})
	u.key(fyne.KeyF2)
	u.eventually("the label printed", func() bool {
		return m.View.Label != nil && m.View.Label.Printed && m.View.Phase == apitype.PhaseDone
	})
	if n := sim.Purchases(id); n != 1 {
		t.Errorf("labels bought for %s: %d, want 1", id, n)
	}
	u.ui(func() {
		if len(u.sounds) != 1 || u.sounds[0] != state.SoundWrongItem {
			t.Errorf("sounds %v, want one wrong-item sound", u.sounds)
		}
		if m.Notice != "" {
			t.Errorf("notice left on screen: %q", m.Notice)
		}
		if w := m.WeightFor(); w.Verdict != "IN TOLERANCE" {
			t.Errorf("weight verdict %q", w.Verdict)
		}
	})

	// An app set up with an id the agent does not have is told which ids
	// it has, and st1 stays open.
	refused := make(chan error, 8)
	other, err := client.New(client.Options{URL: "ws://" + agent.Addr, Token: agent.Token, Station: "st9",
		OnState: func(_ client.State, err error) {
			if err != nil {
				refused <- err
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	octx, ocancel := context.WithTimeout(ctx, 10*time.Second)
	defer ocancel()
	go other.Run(octx)
	select {
	case err := <-refused:
		var unknown *client.UnknownStationError
		if !errors.As(err, &unknown) || !strings.Contains(err.Error(), "st1") {
			t.Errorf("hello for st9: %v, want an unknown-station error naming st1", err)
		}
	case <-octx.Done():
		t.Error("the agent accepted or ignored a hello for a station it does not have")
	}
	if _, err := cl.Do(ctx, apitype.Command{Kind: apitype.CmdScan, Code: "BOX-M"}); err != nil {
		t.Errorf("st1 after the refused hello: %v", err)
	}
}
