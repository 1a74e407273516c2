package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{nil, "--station is required"},
		{[]string{"--station", "P1", "extra"}, "unexpected arguments"},
		{[]string{"--bogus"}, "flag provided but not defined"},
	} {
		_, err := parseFlags(tt.args, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.err)
		}
	}
	o, err := parseFlags([]string{"--station", "P1", "--fullscreen", "--token-file", "/x/ui-token"}, &bytes.Buffer{})
	if err != nil || o.station != "P1" || !o.fullscreen || o.tokenFile != "/x/ui-token" || o.agent != "ws://127.0.0.1:7420" {
		t.Errorf("parsed %+v %v", o, err)
	}
	if _, err := parseFlags([]string{"--screenshots", "out"}, &bytes.Buffer{}); err != nil {
		t.Errorf("--screenshots without --station: %v", err)
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
		t.Skip("renders nine screens")
	}
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run([]string{"--screenshots", dir}, &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(out.String())
	if len(lines) != 9 {
		t.Fatalf("printed %q", out.String())
	}
	for _, p := range lines {
		if fi, err := os.Stat(p); err != nil || fi.Size() < 10000 {
			t.Errorf("%s: %v", p, err)
		}
	}
}
