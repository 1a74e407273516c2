package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/packline/packline/agent/daemon"
	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/agent/tiktok/tiktoksim"
	"github.com/packline/packline/drivers/scale/scalesim"
	"github.com/packline/packline/ui/client"
	"github.com/packline/packline/ui/screens"
	"github.com/packline/packline/ui/state"
	"github.com/packline/packline/ui/theme"
)

// BenchmarkScanToScreen measures, against the whole agent, the time from
// the scanner's Enter in the station app to the packer seeing the result
// on the station screen (here: a wrong-item alert, which the engine answers
// without the network), and from a weight put on the simulated scale to
// that weight on screen; the latter includes the scale protocol's polling
// and the simulator's settling, so it measures the scale more than the
// station path; and, for every reading meanwhile, from the agent decoding
// the scale's frame to that reading on screen (the websocket path the
// budget names). It reports p50 and p99 in ms for each.
func BenchmarkScanToScreen(b *testing.B) {
	os.Setenv("LANG", "en_US.UTF-8")
	sim := tiktoksim.New(tiktoksim.Options{Seed: 11, Orders: 2})
	if _, err := sim.Start("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	scaleName := "bench-" + b.Name()
	cfg := agentConfig(b, sim, scaleName)
	ctx := context.Background()
	agent, err := daemon.Start(ctx, cfg, nil, daemon.Options{Version: "bench", LabelCacheDir: filepath.Join(os.TempDir(), "packline-test-pdfium-cache")})
	if err != nil {
		b.Fatal(err)
	}
	defer agent.Stop()

	test.NewApp().Settings().SetTheme(theme.New())
	var (
		mu       sync.Mutex
		st       *screens.Station
		cl       *client.Client
		alerts   = make(chan struct{}, 1)
		readings = make(chan float64, 64)
		// shown collects, for each reading while weighing, the time from
		// the agent's decoding of the scale's frame to the screen showing it.
		shown     []float64
		measuring bool
	)
	do := func(f func()) { mu.Lock(); defer mu.Unlock(); f() }
	m := state.NewModel("st1")
	var win fyne.Window
	do(func() {
		st = screens.NewStation(m, screens.Options{
			Do: do,
			Send: func(cmd apitype.Command) {
				go func() { res, err := cl.Do(ctx, cmd); st.Result(cmd, res, err) }()
			},
			Player: screens.PlayerFunc(func(state.SoundKind) {
				select {
				case alerts <- struct{}{}:
				default:
				}
			}),
		})
		win = test.NewWindow(st.Content())
		st.Attach(win)
		win.Resize(screens.ScreenSize)
	})
	cctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cl, err = client.New(client.Options{URL: "ws://" + agent.Addr, Token: agent.Token, Station: "st1",
		OnWelcome: st.Welcome, OnState: st.Conn,
		OnEvent: func(msg apitype.Message) {
			st.Event(msg)
			if msg.Event == apitype.EvReading {
				var g float64
				do(func() {
					g = m.Reading.Grams
					if measuring {
						shown = append(shown, float64(time.Since(m.Reading.At).Microseconds())/1000)
					}
				})
				select {
				case readings <- g:
				default:
				}
			}
		}})
	if err != nil {
		b.Fatal(err)
	}
	go cl.Run(cctx)
	if _, err := agent.Intake.Pull(ctx); err != nil {
		b.Fatal(err)
	}
	_, queue, _, _ := agent.Engine.Snapshot("st1")
	if len(queue) == 0 {
		b.Fatal("empty queue")
	}
	// Open an order, so that a wrong scan raises an alert.
	for cl.State() != client.Connected {
		time.Sleep(time.Millisecond)
	}
	if res, err := cl.Do(ctx, apitype.Command{Kind: apitype.CmdScan, Code: queue[0].OrderID}); err != nil || !res.OK {
		b.Fatalf("opening %s: %+v %v", queue[0].OrderID, res, err)
	}

	const samples = 300
	var scan, weigh []float64
	for b.Loop() {
		scan, weigh = scan[:0], weigh[:0]
		for i := range samples {
			start := time.Now()
			do(func() {
				f := win.Canvas().Focused()
				for _, r := range fmt.Sprintf("NOT-A-CODE-%d", i) {
					f.TypedRune(r)
				}
				f.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
			})
			<-alerts
			scan = append(scan, float64(time.Since(start).Microseconds())/1000)
		}
		sc := scalesim.Shared(scaleName)
		do(func() { measuring = true })
		for i := range samples / 10 {
			g := 500.0 + float64(i%50)*10
			start := time.Now()
			if err := sc.SetWeight(fmt.Sprintf("%.1f", g), "g"); err != nil {
				b.Fatal(err)
			}
			for got := <-readings; got < g-0.5 || got > g+0.5; got = <-readings {
			}
			weigh = append(weigh, float64(time.Since(start).Microseconds())/1000)
		}
	}
	do(func() { measuring = false })
	slices.Sort(scan)
	slices.Sort(weigh)
	slices.Sort(shown)
	if len(shown) == 0 {
		b.Fatal("no scale reading reached the screen")
	}
	b.ReportMetric(shown[len(shown)/2], "reading-to-screen-p50-ms")
	b.ReportMetric(shown[len(shown)*99/100], "reading-to-screen-p99-ms")
	b.ReportMetric(scan[len(scan)/2], "scan-p50-ms")
	b.ReportMetric(scan[len(scan)*99/100], "scan-p99-ms")
	b.ReportMetric(weigh[len(weigh)/2], "scale-to-screen-p50-ms")
	b.ReportMetric(weigh[len(weigh)*99/100], "scale-to-screen-p99-ms")
	b.ReportMetric(0, "ns/op")
}
