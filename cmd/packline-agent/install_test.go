package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/packline/packline/agent/config"
	"github.com/packline/packline/store"
)

func agentCLI(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := runMain(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestInitWritesALoadableConfig: init writes a config config.Load accepts,
// the data directory (0750) and the token (0640), and says what to fill in.
func TestInitWritesALoadableConfig(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "etc", "agent.toml")
	data := filepath.Join(dir, "data")
	code, out, errOut := agentCLI("init", "--config", cfgPath, "--data-dir", data)
	if code != 0 {
		t.Fatalf("init: code %d\n%s%s", code, out, errOut)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatalf("the written config does not load: %v", err)
	}
	if cfg.Agent.DataDir != data {
		t.Errorf("data_dir = %q, want %q", cfg.Agent.DataDir, data)
	}
	for p, want := range map[string]os.FileMode{cfgPath: 0o640, data: 0o750, cfg.API.TokenFile: 0o640, cfg.API.AdminTokenFile: 0o600} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %o, want %o", p, fi.Mode().Perm(), want)
		}
	}
	tok, _ := os.ReadFile(cfg.API.TokenFile)
	if n := len(strings.TrimSpace(string(tok))); n != 43 { // 32 bytes, unpadded base64url
		t.Errorf("token has %d characters, want 43", n)
	}
	for _, want := range []string{"app_key", "app_secret", "warehouse_ids", "station-1 scale", "station-1 printer", "[[box]]"} {
		if !strings.Contains(out, want) {
			t.Errorf("init does not ask for %s:\n%s", want, out)
		}
	}
}

// TestInitNeverOverwritesWithoutForce: a second init keeps the site's
// config and token; --force replaces the config and keeps a copy.
func TestInitNeverOverwritesWithoutForce(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.toml")
	data := filepath.Join(dir, "data")
	if code, out, e := agentCLI("init", "--config", cfgPath, "--data-dir", data); code != 0 {
		t.Fatalf("init: %s%s", out, e)
	}
	site := fmt.Sprintf("[agent]\ndata_dir = %q\n[tiktok]\napp_key = \"site-key\"\n", data)
	os.WriteFile(cfgPath, []byte(site), 0o640)
	tok1, _ := os.ReadFile(filepath.Join(data, "ui-token"))

	code, out, e := agentCLI("init", "--config", cfgPath, "--data-dir", data)
	if code != 0 || !strings.Contains(out, "kept the existing config") || !strings.Contains(out, "--force") {
		t.Fatalf("second init: code %d\n%s%s", code, out, e)
	}
	if b, _ := os.ReadFile(cfgPath); string(b) != site {
		t.Fatal("init overwrote the config without --force")
	}
	if tok2, _ := os.ReadFile(filepath.Join(data, "ui-token")); !bytes.Equal(tok1, tok2) {
		t.Error("init replaced the station token")
	}

	code, out, e = agentCLI("init", "--config", cfgPath, "--data-dir", data, "--force")
	if code != 0 {
		t.Fatalf("init --force: %s%s", out, e)
	}
	if b, _ := os.ReadFile(cfgPath); string(b) == site {
		t.Error("init --force kept the old config")
	}
	baks, _ := filepath.Glob(cfgPath + ".*.bak")
	if len(baks) != 1 {
		t.Fatalf("backups of the old config: %v", baks)
	}
	if b, _ := os.ReadFile(baks[0]); string(b) != site {
		t.Error("the kept copy differs from the old config")
	}
}

func TestInitRefusesRelativePaths(t *testing.T) {
	if code, _, e := agentCLI("init", "--config", "agent.toml"); code != 1 || !strings.Contains(e, "relative") {
		t.Errorf("relative config: code %d, %q", code, e)
	}
	if code, _, e := agentCLI("init", "--config", filepath.Join(t.TempDir(), "a.toml"), "--data-dir", "data"); code != 1 || !strings.Contains(e, "relative") {
		t.Errorf("relative data dir: code %d, %q", code, e)
	}
}

// goodConfig writes a config with simulated devices and an initialised
// data directory.
func goodConfig(t *testing.T) (cfgPath, data string) {
	dir := t.TempDir()
	data = filepath.Join(dir, "data")
	cfgPath = filepath.Join(dir, "agent.toml")
	if code, out, e := agentCLI("init", "--config", cfgPath, "--data-dir", data); code != 0 {
		t.Fatalf("init: %s%s", out, e)
	}
	body := fmt.Sprintf(`[agent]
data_dir = %q
[log]
file = "-"
[[station]]
id = "S1"
scale = "sim://scale"
printer = "sim://printer?dir=%s"
[[box]]
code = "M"
length = "12"
width = "9"
height = "4"
tare_grams = 120
`, data, filepath.Join(dir, "labels"))
	if err := os.WriteFile(cfgPath, []byte(body), 0o640); err != nil {
		t.Fatal(err)
	}
	return cfgPath, data
}

func TestCheckGoodConfig(t *testing.T) {
	cfgPath, _ := goodConfig(t)
	code, out, e := agentCLI("check", "--config", cfgPath)
	if code != 0 {
		t.Fatalf("check: code %d\n%s%s", code, out, e)
	}
	for _, want := range []string{"ok    config", "ok    data directory", "does not exist yet", "ok    station S1 scale sim://scale", "all checks passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	code, out, e = agentCLI("check", "--config", cfgPath, "--devices")
	if code != 0 {
		t.Fatalf("check --devices: code %d\n%s%s", code, out, e)
	}
	if !strings.Contains(out, "scale sim://scale answers") || !strings.Contains(out, "is ready") {
		t.Errorf("check --devices did not talk to the devices:\n%s", out)
	}
}

// TestCheckBadConfig: every problem of the config is listed at once, with
// a non-zero exit.
func TestCheckBadConfig(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "agent.toml")
	os.WriteFile(p, []byte("[agent]\ndata_dir = \"rel/data\"\ntime_zone = \"Mars/Base\"\n[[station]]\nid = \"S1\"\ndpi = 150\n"), 0o640)
	code, out, e := agentCLI("check", "--config", p)
	if code != 1 {
		t.Fatalf("check: code %d, want 1\n%s%s", code, out, e)
	}
	for _, want := range []string{"FAIL  config", "agent.data_dir", "agent.time_zone", "dpi 150"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = agentCLI("check", "--config", filepath.Join(dir, "none.toml"))
	if code != 1 || !strings.Contains(out, "packline-agent init --config") {
		t.Errorf("missing config: code %d\n%s", code, out)
	}
}

func TestCheckFindsMissingPieces(t *testing.T) {
	cfgPath, data := goodConfig(t)
	os.Remove(filepath.Join(data, "ui-token"))
	b, _ := os.ReadFile(cfgPath)
	os.WriteFile(cfgPath, []byte(strings.Replace(string(b), `scale = "sim://scale"`, `scale = ""`, 1)), 0o640)
	code, out, e := agentCLI("check", "--config", cfgPath, "--devices")
	if code != 1 || !strings.Contains(e, "2 check(s) failed") {
		t.Fatalf("check: code %d\n%s%s", code, out, e)
	}
	for _, want := range []string{"FAIL  station token", "FAIL  station S1 has no scale"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}
	os.RemoveAll(data)
	if _, out, _ := agentCLI("check", "--config", cfgPath); !strings.Contains(out, "FAIL  data directory") {
		t.Errorf("a missing data directory was not reported:\n%s", out)
	}
}

// TestCheckStore: a store held by the running agent is "service running",
// not a failure; a free store is opened read-only and described.
func TestCheckStore(t *testing.T) {
	cfgPath, data := goodConfig(t)
	dbPath := filepath.Join(data, "packline.db")
	db, err := store.Open(dbPath, store.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	code, out, e := agentCLI("check", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "service running") {
		t.Errorf("locked store: code %d\n%s%s", code, out, e)
	}
	db.Close()
	code, out, e = agentCLI("check", "--config", cfgPath)
	if code != 0 || !strings.Contains(out, "schema v") || !strings.Contains(out, "agent not running") {
		t.Errorf("free store: code %d\n%s%s", code, out, e)
	}
	os.WriteFile(dbPath, []byte("not a database, not at all, but long enough to look like one"), 0o600)
	if code, out, _ := agentCLI("check", "--config", cfgPath); code != 1 || !strings.Contains(out, "FAIL  store") {
		t.Errorf("damaged store: code %d\n%s", code, out)
	}
}

func TestServiceInstallRefusesBadConfig(t *testing.T) {
	p := filepath.Join(t.TempDir(), "agent.toml")
	code, _, e := agentCLI("service", "install", "--config", p)
	if code != 1 || !strings.Contains(e, "packline-agent init --config "+p) {
		t.Errorf("missing config: code %d, %q", code, e)
	}
	os.WriteFile(p, []byte("[agent]\ntime_zone = \"Nowhere\"\n"), 0o640)
	code, _, e = agentCLI("service", "install", "--config", p)
	if code != 1 || !strings.Contains(e, "time_zone") || !strings.Contains(e, "packline-agent init") {
		t.Errorf("invalid config: code %d, %q", code, e)
	}
	if code, _, e := agentCLI("service", "install", "--config", "agent.toml"); code != 1 || !strings.Contains(e, "relative") {
		t.Errorf("relative config: code %d, %q", code, e)
	}
}

func TestLinuxInstallProblems(t *testing.T) {
	cfg := &config.Config{Path: "/etc/packline/agent.toml"}
	cfg.ApplyDefaults(config.DefaultPaths("linux", ""))
	noUnit := func(string) bool { return false }
	userOK := func(string) error { return nil }
	if p := linuxInstallProblems("/usr/bin/packline-agent", cfg, userOK, noUnit); len(p) != 0 {
		t.Errorf("a standard install has problems: %q", p)
	}
	p := linuxInstallProblems("/home/ann/packline-agent", cfg, func(string) error { return errors.New("unknown user") }, noUnit)
	if len(p) != 2 || !strings.Contains(p[0], "/usr/local/bin") || !strings.Contains(p[1], "adduser --system") {
		t.Errorf("problems = %q", p)
	}
	cfg2 := &config.Config{Path: "/etc/packline/agent.toml", Agent: config.Agent{DataDir: "/srv/packline"}}
	cfg2.ApplyDefaults(config.DefaultPaths("linux", ""))
	if p := linuxInstallProblems("/usr/bin/packline-agent", cfg2, userOK, noUnit); len(p) != 4 || !strings.Contains(p[0], "only directory the service may write") {
		t.Errorf("data outside /var/lib/packline: %q", p)
	}
	if p := linuxInstallProblems("/usr/bin/packline-agent", cfg, userOK, func(string) bool { return true }); len(p) != 1 || !strings.Contains(p[0], "systemctl enable --now") {
		t.Errorf("package-installed unit: %q", p)
	}
}

func TestInitWarnsOnAnOpenDataDirectory(t *testing.T) {
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{{0o750, false}, {0o751, false}, {0o755, true}, {0o777, true}} {
		dir := t.TempDir()
		data := filepath.Join(dir, "data")
		if err := os.Mkdir(data, tc.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(data, tc.mode); err != nil {
			t.Fatal(err)
		}
		code, out, e := agentCLI("init", "--config", filepath.Join(dir, "agent.toml"), "--data-dir", data)
		if code != 0 {
			t.Fatalf("mode %o: init: code %d: %s", tc.mode, code, e)
		}
		if got := strings.Contains(out, "can be read or written by every user"); got != tc.warn {
			t.Errorf("mode %o: warned %v, want %v:\n%s", tc.mode, got, tc.warn, out)
		}
	}
}
