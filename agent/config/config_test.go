package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const sample = `
[agent]
data_dir = "/var/lib/packline"
time_zone = "America/Chicago"
holidays = ["2026-11-26"]

[tiktok]
app_key = "29a39d"
app_secret = "e59af819cc"
warehouse_ids = ["7000714532876273420"]
poll_interval = "15s"

[[box]]
code = "BOX-S"
length = "8"
width = "6"
height = "4"
tare_grams = 120

[[station]]
id = "st1"
scale = "nci+serial:///dev/ttyUSB0?baud=9600&parity=E&data=7"
printer = "zpl+tcp://10.0.0.9:9100"
`

func TestParseAppliesDefaults(t *testing.T) {
	c, err := Parse([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Store.Path, "/var/lib/packline/packline.db"; got != want {
		t.Errorf("store path = %q, want %q", got, want)
	}
	if got, want := c.API.AdminTokenFile, "/var/lib/packline/admin-token"; got != want {
		t.Errorf("admin token file = %q, want %q", got, want)
	}
	if c.TikTok.PollInterval.Seconds() != 15 {
		t.Errorf("poll interval = %v", c.TikTok.PollInterval)
	}
	if c.API.Listen != "127.0.0.1:7420" || c.TikTok.WeightUnit != "POUND" || c.Stations[0].DPI != 203 {
		t.Errorf("defaults not applied: %+v %+v %+v", c.API, c.TikTok, c.Stations[0])
	}
	b, err := c.Boxes[0].Order()
	if err != nil || b.Unit != "INCH" || b.Tare.Grams() != 120 {
		t.Errorf("box = %+v, %v", b, err)
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	bad := `
[agent]
data_dir = "var/lib/packline"
time_zone = "Mars/Olympus"
[tiktok]
weight_unit = "STONE"
[[station]]
id = "st1"
scale = "/dev/ttyUSB0"
dpi = 150
[[box]]
code = "B"
length = "-1"
width = "2"
height = "3"
`
	_, err := Parse([]byte(bad))
	if err == nil {
		t.Fatal("Parse accepted a bad config")
	}
	for _, want := range []string{"relative", "Mars/Olympus", "STONE", "protocol+transport", "dpi 150", "box \"B\""} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

func TestParseRejectsUnknownKeys(t *testing.T) {
	_, err := Parse([]byte("[tiktok]\napp_kee = \"x\"\n"))
	if err == nil || !strings.Contains(err.Error(), "tiktok.app_kee") {
		t.Fatalf("got %v, want unknown-key error", err)
	}
}

func TestDefaultPaths(t *testing.T) {
	if p := DefaultPaths("linux", ""); p.Config != "/etc/packline/agent.toml" || p.DataDir != "/var/lib/packline" {
		t.Errorf("linux: %+v", p)
	}
	p := DefaultPaths("windows", `D:\ProgramData`)
	if p.Config != `D:\ProgramData\Packline\agent.toml` || p.DataDir != `D:\ProgramData\Packline` {
		t.Errorf("windows: %+v", p)
	}
	var c Config
	c.ApplyDefaults(DefaultPaths("windows", ""))
	if c.Store.Path != `C:\ProgramData\Packline\packline.db` {
		t.Errorf("windows store path = %q", c.Store.Path)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("windows defaults do not validate: %v", err)
	}
}

func TestLoadRefusesRelativePathAndReadsSecretFile(t *testing.T) {
	if _, err := Load("agent.toml"); err == nil || !strings.Contains(err.Error(), "relative") {
		t.Errorf("Load(relative) = %v", err)
	}
	dir := t.TempDir()
	secretFile := filepath.Join(dir, "secret")
	os.WriteFile(secretFile, []byte("s3cret\n"), 0o600)
	cfgFile := filepath.Join(dir, "agent.toml")
	os.WriteFile(cfgFile, []byte("[agent]\ndata_dir = \""+filepath.ToSlash(dir)+"\"\n[tiktok]\napp_secret_file = \""+filepath.ToSlash(secretFile)+"\"\n"), 0o600)
	c, err := Load(cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.AppSecretValue()
	if err != nil || s != "s3cret" {
		t.Errorf("AppSecretValue() = %q, %v", s, err)
	}
}

func TestLANHosts(t *testing.T) {
	for _, tc := range []struct {
		api  string
		want string // substring of the error; empty means valid
	}{
		{"allow_lan = true\nlan_hosts = [\"pack-agent.lan\", \"PACK-01\"]", ""},
		{"lan_hosts = [\"pack-agent.lan\"]", "allow_lan is false"},
		{"allow_lan = true\nlan_hosts = [\"pack-agent.lan:7420\"]", "without a port"},
		{"allow_lan = true\nlan_hosts = [\"\"]", "is not a host name"},
	} {
		c, err := Parse([]byte(sample + "\n[api]\n" + tc.api + "\n"))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%q: %v", tc.api, err)
		case tc.want == "" && len(c.API.LANHosts) != 2:
			t.Errorf("%q: lan hosts %q", tc.api, c.API.LANHosts)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%q: error %v, want one containing %q", tc.api, err, tc.want)
		}
	}
}
