// Command packline-station is the packer's app: it shows what the local
// Packline agent streams for one station and sends the packer's scans and
// keys back. It holds no authoritative state.
//
//	packline-station [--agent ws://127.0.0.1:7420] [--token-file PATH] [--station ID] [--fullscreen]
//	packline-station --screenshots DIR
//
// Without --station the app speaks for this computer's station: the id in
// $PACKLINE_STATION, else the first line of the station file
// (/etc/packline/station, %ProgramData%\Packline\station), else the host
// name up to its first dot. The packaged launchers pass only --fullscreen.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
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

// dataDir is the agent's default data directory on goos, where its
// installer writes the ui token; programData is %ProgramData% on Windows
// (empty means C:\ProgramData). It matches the agent's own defaults.
func dataDir(goos, programData string) string {
	if goos == "windows" {
		if programData == "" {
			programData = `C:\ProgramData`
		}
		return programData + `\Packline`
	}
	return "/var/lib/packline"
}

// defaultTokenFile is the ui token the agent's installer writes.
func defaultTokenFile(goos, programData string) string {
	if goos == "windows" {
		return dataDir(goos, programData) + `\ui-token`
	}
	return dataDir(goos, programData) + "/ui-token"
}

// stationFile names this computer's station for every user: one line with
// the station id, beside the agent's config.
func stationFile(goos, programData string) string {
	if goos == "windows" {
		return dataDir(goos, programData) + `\station`
	}
	return "/etc/packline/station"
}

// stationEnv is the environment variable that names this computer's station.
const stationEnv = "PACKLINE_STATION"

// host is what defaultStation reads from the machine.
type host struct {
	getenv   func(string) string
	readFile func(string) ([]byte, error)
	hostname func() (string, error)
	// file is the station file.
	file string
}

func thisHost() host {
	return host{getenv: os.Getenv, readFile: os.ReadFile, hostname: os.Hostname, file: stationFile(runtime.GOOS, os.Getenv("ProgramData"))}
}

// defaultStation returns this computer's station id when --station is not
// given, and where it came from: $PACKLINE_STATION, else the first line of
// the station file, else the host name up to its first dot. A station file
// that exists but cannot be read or is empty is an error, not a reason to
// fall back silently.
func defaultStation(h host) (id, from string, err error) {
	if v := strings.TrimSpace(h.getenv(stationEnv)); v != "" {
		return v, "$" + stationEnv, nil
	}
	b, err := h.readFile(h.file)
	switch {
	case err == nil:
		line, _, _ := strings.Cut(string(b), "\n")
		if id := strings.TrimSpace(line); id != "" {
			return id, h.file, nil
		}
		return "", "", fmt.Errorf("station file %s is empty: write this computer's station id on its first line, or pass --station", h.file)
	case !errors.Is(err, os.ErrNotExist):
		return "", "", fmt.Errorf("reading the station file: %w (pass --station, or set %s)", err, stationEnv)
	}
	name, err := h.hostname()
	if err != nil {
		return "", "", fmt.Errorf("no station id: pass --station, set %s or write it to %s (the host name is unknown: %w)", stationEnv, h.file, err)
	}
	name, _, _ = strings.Cut(strings.TrimSpace(name), ".")
	if name == "" {
		return "", "", fmt.Errorf("no station id: pass --station, set %s or write it to %s", stationEnv, h.file)
	}
	return name, "the host name", nil
}

type options struct {
	agent, tokenFile, station, screenshots string
	// stationFrom says where the station id came from.
	stationFrom string
	fullscreen  bool
}

func parseFlags(args []string, stderr io.Writer, h host) (options, error) {
	var o options
	fs := flag.NewFlagSet("packline-station", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.agent, "agent", "ws://127.0.0.1:7420", "the agent's local API")
	fs.StringVar(&o.tokenFile, "token-file", defaultTokenFile(runtime.GOOS, os.Getenv("ProgramData")), "file holding the agent's ui token")
	fs.StringVar(&o.station, "station", "", fmt.Sprintf("this station's id, as configured in the agent (default: $%s, else the first line of %s, else the host name up to its first dot)", stationEnv, h.file))
	fs.BoolVar(&o.fullscreen, "fullscreen", false, "open full screen (kiosk); the installed launchers pass it")
	fs.StringVar(&o.screenshots, "screenshots", "", "render the pack screen's states as PNG files into this directory and exit (needs no display)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q: see --help", fs.Args())
	}
	if o.screenshots != "" {
		return o, nil
	}
	o.stationFrom = "--station"
	if o.station == "" {
		id, from, err := defaultStation(h)
		if err != nil {
			return o, err
		}
		o.station, o.stationFrom = id, from
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr, thisHost())
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
	log.Info("packline-station", "version", version, "station", o.station, "station_from", o.stationFrom, "agent", o.agent)

	app.SetMetadata(fyne.AppMetadata{ID: appID, Name: "Packline Station", Version: version, Migrations: map[string]bool{"fyneDo": true}})
	a := app.NewWithID(appID)
	a.Settings().SetTheme(theme.New())
	w := a.NewWindow("Packline · station " + o.station)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	var (
		st          *screens.Station
		cl          *client.Client
		warnUnknown sync.Once
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
		OnWelcome: st.Welcome, OnEvent: st.Event,
		OnState: func(s client.State, err error) {
			if unknown := (*client.UnknownStationError)(nil); errors.As(err, &unknown) {
				warnUnknown.Do(func() { log.Error(unknownStation(o)) })
			}
			st.Conn(s, err)
		},
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

// unknownStation explains an id the agent does not know, and how this app
// chose it.
func unknownStation(o options) string {
	return fmt.Sprintf("the agent has no station %q (the id came from %s): add a [[station]] with this id to the agent's config, or start the app with --station ID, set %s or write the id to %s",
		o.station, o.stationFrom, stationEnv, stationFile(runtime.GOOS, os.Getenv("ProgramData")))
}
