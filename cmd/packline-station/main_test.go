package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/installer"
)

// fakeHost is a machine with the given environment, files and host name.
func fakeHost(env map[string]string, files map[string]string, hostname string) host {
	return host{
		getenv: func(k string) string { return env[k] },
		readFile: func(p string) ([]byte, error) {
			if b, ok := files[p]; ok {
				return []byte(b), nil
			}
			return nil, fmt.Errorf("open %s: %w", p, fs.ErrNotExist)
		},
		hostname: func() (string, error) {
			if hostname == "" {
				return "", errors.New("no host name")
			}
			return hostname, nil
		},
		file: "/etc/packline/station",
	}
}

func TestFlags(t *testing.T) {
	h := fakeHost(nil, nil, "pack-3.warehouse.example")
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"--station", "P1", "extra"}, "unexpected arguments"},
		{[]string{"--bogus"}, "flag provided but not defined"},
	} {
		_, err := parseFlags(tt.args, &bytes.Buffer{}, h)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.err)
		}
	}
	o, err := parseFlags([]string{"--station", "P1", "--fullscreen", "--token-file", "/x/ui-token"}, &bytes.Buffer{}, h)
	if err != nil || o.station != "P1" || o.stationFrom != "--station" || !o.fullscreen || o.tokenFile != "/x/ui-token" || o.agent != "ws://127.0.0.1:7420" {
		t.Errorf("parsed %+v %v", o, err)
	}
	if _, err := parseFlags([]string{"--screenshots", "out"}, &bytes.Buffer{}, fakeHost(nil, nil, "")); err != nil {
		t.Errorf("--screenshots without a station: %v", err)
	}
	// What the installed launchers run: no station id, full screen.
	o, err = parseFlags(strings.Fields(installer.StationLaunchArgs), &bytes.Buffer{}, h)
	if err != nil || o.station != "pack-3" || o.stationFrom != "the host name" || !o.fullscreen {
		t.Errorf("launcher arguments %q: parsed %+v %v", installer.StationLaunchArgs, o, err)
	}
	// Development runs windowed unless asked.
	if o, _ := parseFlags(nil, &bytes.Buffer{}, h); o.fullscreen {
		t.Error("a bare start opened full screen")
	}
	var help bytes.Buffer
	parseFlags([]string{"--help"}, &help, h)
	for _, want := range []string{"$PACKLINE_STATION", "/etc/packline/station", "host name"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help does not say the station id may come from %s:\n%s", want, help.String())
		}
	}
}

// TestDefaultStation: without --station the id comes from the environment,
// else the station file's first line, else the short host name; a station
// file that is there but unusable is an error that says what to do.
func TestDefaultStation(t *testing.T) {
	const file = "/etc/packline/station"
	for _, tt := range []struct {
		name     string
		env      map[string]string
		files    map[string]string
		hostname string
		id, from string
		err      string
	}{
		{"environment first", map[string]string{"PACKLINE_STATION": " P2 "}, map[string]string{file: "P7\n"}, "pack-3", "P2", "$PACKLINE_STATION", ""},
		{"then the station file", nil, map[string]string{file: "  P7\r\n# packing bench 7\n"}, "pack-3", "P7", file, ""},
		{"then the host name", nil, nil, "pack-3.warehouse.example", "pack-3", "the host name", ""},
		{"blank environment is unset", map[string]string{"PACKLINE_STATION": "  "}, nil, "pack-3", "pack-3", "the host name", ""},
		{"empty station file", nil, map[string]string{file: "\n\n"}, "pack-3", "", "", "station file /etc/packline/station is empty"},
		{"nothing at all", nil, nil, "", "", "", "pass --station, set PACKLINE_STATION or write it to /etc/packline/station"},
	} {
		id, from, err := defaultStation(fakeHost(tt.env, tt.files, tt.hostname))
		if id != tt.id || from != tt.from {
			t.Errorf("%s: station %q from %q, want %q from %q", tt.name, id, from, tt.id, tt.from)
		}
		if (err == nil) != (tt.err == "") || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("%s: err %v, want %q", tt.name, err, tt.err)
		}
	}
	unreadable := fakeHost(nil, nil, "pack-3")
	unreadable.readFile = func(string) ([]byte, error) { return nil, fs.ErrPermission }
	if id, _, err := defaultStation(unreadable); err == nil || id != "" || !strings.Contains(err.Error(), "--station") {
		t.Errorf("unreadable station file: %q, %v; want an error, not the host name", id, err)
	}
}

// TestDefaultPathsMatchTheAgent: the token and the station file are where
// the agent and its installer put them, on each system.
func TestDefaultPathsMatchTheAgent(t *testing.T) {
	for _, tt := range []struct{ goos, programData string }{{"linux", ""}, {"windows", `D:\Data`}, {"windows", ""}} {
		p := config.DefaultPaths(tt.goos, tt.programData)
		sep := "/"
		if tt.goos == "windows" {
			sep = `\`
		}
		if got, want := defaultTokenFile(tt.goos, tt.programData), p.DataDir+sep+"ui-token"; got != want {
			t.Errorf("%s: token file %s, the agent writes %s", tt.goos, got, want)
		}
		cfgDir := p.Config[:strings.LastIndex(p.Config, sep)]
		if got, want := stationFile(tt.goos, tt.programData), cfgDir+sep+"station"; got != want {
			t.Errorf("%s: station file %s, want it beside the agent's config: %s", tt.goos, got, want)
		}
	}
}

func TestUnknownStationMessage(t *testing.T) {
	msg := unknownStation(options{station: "pack-3", stationFrom: "the host name"})
	for _, want := range []string{`"pack-3"`, "the host name", "[[station]]", "--station", "PACKLINE_STATION"} {
		if !strings.Contains(msg, want) {
			t.Errorf("unknown-station message lacks %q: %s", want, msg)
		}
	}
}

func TestMissingTokenFileSaysWhatToDo(t *testing.T) {
	err := run([]string{"--station", "P1", "--token-file", filepath.Join(t.TempDir(), "none")}, &bytes.Buffer{}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "--token-file") {
		t.Errorf("got %v", err)
	}
}

func TestScreenshotsCommand(t *testing.T) {
	if testing.Short() {
		t.Skip("renders fifteen screens")
	}
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"--screenshots", dir}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out.String())
	if len(lines) != 15 {
		t.Fatalf("printed %q", out.String())
	}
	for _, p := range lines {
		if fi, err := os.Stat(p); err != nil || fi.Size() < 10000 {
			t.Errorf("%s: %v", p, err)
		}
	}
}
