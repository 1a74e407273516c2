// Command packline-station is the packer's app: it shows what the local
// Packline agent streams for one station and sends the packer's scans and
// keys back. It holds no authoritative state.
//
//	packline-station --agent ws://127.0.0.1:7420 --token-file PATH --station ID [--fullscreen]
//	packline-station --screenshots DIR
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"github.com/packline/packline/agent/localapi/apitype"
	"github.com/packline/packline/ui/client"
	"github.com/packline/packline/ui/screens"
	"github.com/packline/packline/ui/state"
	"github.com/packline/packline/ui/theme"
)

// version is set at link time.
var version = "dev"

// appID is the station app's Fyne application id.
const appID = "com.packline.station"

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "packline-station:", err)
		os.Exit(1)
	}
}

// defaultTokenFile is where the agent's installer writes the ui token.
func defaultTokenFile() string {
	if runtime.GOOS == "windows" {
		base := os.Getenv("ProgramData")
		if base == "" {
			base = `C:\ProgramData`
		}
		return filepath.Join(base, "Packline", "ui-token")
	}
	return "/var/lib/packline/ui-token"
}

type options struct {
	agent, tokenFile, station, screenshots string
	fullscreen                             bool
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("packline-station", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.agent, "agent", "ws://127.0.0.1:7420", "the agent's local API")
	fs.StringVar(&o.tokenFile, "token-file", defaultTokenFile(), "file holding the agent's ui token")
	fs.StringVar(&o.station, "station", "", "this station's id, as configured in the agent (required)")
	fs.BoolVar(&o.fullscreen, "fullscreen", false, "open full screen (kiosk)")
	fs.StringVar(&o.screenshots, "screenshots", "", "render the pack screen's states as PNG files into this directory and exit (needs no display)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q: see --help", fs.Args())
	}
	if o.screenshots == "" && o.station == "" {
		return o, errors.New("--station is required: give the station id configured in the agent")
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.screenshots != "" {
		paths, err := screens.Screenshots(o.screenshots)
		for _, p := range paths {
			fmt.Fprintln(stdout, p)
		}
		return err
	}
	raw, err := os.ReadFile(o.tokenFile)
	if err != nil {
		return fmt.Errorf("reading the agent's ui token: %w (pass --token-file, or start the agent once to create it)", err)
	}
	token := strings.TrimSpace(string(raw))
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	app.SetMetadata(fyne.AppMetadata{ID: appID, Name: "Packline Station", Version: version, Migrations: map[string]bool{"fyneDo": true}})
	a := app.NewWithID(appID)
	a.Settings().SetTheme(theme.New())
	w := a.NewWindow("Packline · station " + o.station)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		st *screens.Station
		cl *client.Client
	)
	m := state.NewModel(o.station)
	st = screens.NewStation(m, screens.Options{
		Send: func(cmd apitype.Command) {
			go func() {
				res, err := cl.Do(ctx, cmd)
				st.Result(cmd, res, err)
			}()
		},
		Player: newPlayer(log),
	})
	cl, err = client.New(client.Options{
		URL: o.agent, Token: token, Station: o.station, Name: "packline-station " + version, Logger: log,
		OnWelcome: st.Welcome, OnEvent: st.Event, OnState: st.Conn,
	})
	if err != nil {
		return err
	}
	st.Attach(w)
	w.Resize(screens.ScreenSize)
	if o.fullscreen {
		w.SetFullScreen(true)
		w.SetCloseIntercept(func() { st.ConfirmClose(a.Quit) })
	}
	go cl.Run(ctx)
	go func() {
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				st.Tick()
			}
		}
	}()
	w.ShowAndRun()
	return nil
}
