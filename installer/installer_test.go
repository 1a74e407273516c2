package installer

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/packline/packline/agent/config"
)

func hasLines(t *testing.T, name, text string, lines ...string) {
	t.Helper()
	have := map[string]bool{}
	for _, l := range strings.Split(text, "\n") {
		have[strings.TrimSpace(l)] = true
	}
	for _, l := range lines {
		if !have[l] {
			t.Errorf("%s lacks the line %q", name, l)
		}
	}
}

func TestSystemdUnit(t *testing.T) {
	u := SystemdUnit(LinuxAgentBin, LinuxConfig)
	hasLines(t, "unit", u,
		"ExecStart=/usr/bin/packline-agent run --config /etc/packline/agent.toml",
		"Restart=on-failure", "RestartSec=5", "RestartPreventExitStatus=3",
		"User=packline", "Group=packline", "SupplementaryGroups=dialout plugdev lp",
		"StateDirectory=packline", "StateDirectoryMode=0751", "ConfigurationDirectory=packline", "ConfigurationDirectoryMode=0751",
		"NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes",
		"ReadWritePaths=/var/lib/packline", "After=network-online.target", "Wants=network-online.target",
		"WantedBy=multi-user.target")
	// The start limits belong in [Unit]; in [Service] systemd ignores them
	// (kardianos/service #324).
	unitSection := u[:strings.Index(u, "[Service]")]
	hasLines(t, "[Unit]", unitSection, "StartLimitIntervalSec=60", "StartLimitBurst=10")
	if strings.Contains(u, "RestartSec=120") || strings.Contains(u, "StartLimitInterval=5") {
		t.Error("the unit carries kardianos's default restart settings")
	}
	tmpl := SystemdTemplate()
	hasLines(t, "template", tmpl, "ExecStart={{Path | cmdEscape}}{{range Arguments}} {{. | cmd}}{{end}}", "ConditionFileIsExecutable={{Path | cmdEscape}}")
	if strings.Contains(tmpl, "@") {
		t.Error("the template has unreplaced placeholders")
	}
}

func TestUdevRules(t *testing.T) {
	r := UdevRules()
	hasLines(t, "udev", r,
		`SUBSYSTEM=="tty", KERNEL=="ttyUSB[0-9]*", GROUP="dialout", MODE="0660"`,
		`SUBSYSTEM=="tty", KERNEL=="ttyACM[0-9]*", GROUP="dialout", MODE="0660"`,
		`SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*", GROUP="lp", MODE="0660"`)
	for _, want := range []string{"0922:8003", "0922:8004", "0922:8009", "1446:6a73", "2474:0550", "2474:3550", "0eb8:f000", "0b67:555e", "7b7c:0100", "0d8f:0200"} {
		v, p, _ := strings.Cut(want, ":")
		rule := `SUBSYSTEM=="hidraw", ATTRS{idVendor}=="` + v + `", ATTRS{idProduct}=="` + p + `", GROUP="packline", MODE="0660"`
		if !strings.Contains(r, rule) {
			t.Errorf("udev rules lack the scale %s", want)
		}
	}
	for i, l := range strings.Split(r, "\n") {
		if l != "" && !strings.HasPrefix(l, "#") && strings.Count(l, `"`)%2 != 0 {
			t.Errorf("line %d has unbalanced quotes: %s", i+1, l)
		}
	}
}

func TestDesktopEntries(t *testing.T) {
	hasLines(t, "desktop", DesktopEntry(), "[Desktop Entry]", "Type=Application", "Name=Packline Station", "Exec=/usr/bin/packline-station --fullscreen", "Icon=packline-station", "Terminal=false")
	hasLines(t, "autostart", AutostartEntry(), "[Desktop Entry]", "Exec=/usr/bin/packline-station --fullscreen", "X-GNOME-Autostart-enabled=true")
	// The launchers give no station id: the app finds it on the machine.
	for name, e := range map[string]string{"desktop": DesktopEntry(), "autostart": AutostartEntry()} {
		if strings.Contains(e, "--station") {
			t.Errorf("%s entry names a station; every computer would be the same station", name)
		}
	}
	if !strings.HasPrefix(Icon(), "<svg") {
		t.Error("the icon is not an SVG")
	}
	if path, err := exec.LookPath("desktop-file-validate"); err == nil {
		f := filepath.Join(t.TempDir(), "packline-station.desktop")
		os.WriteFile(f, []byte(DesktopEntry()), 0o644)
		if out, err := exec.Command(path, f).CombinedOutput(); err != nil {
			t.Errorf("desktop-file-validate: %v\n%s", err, out)
		}
	}
}

// TestDefaultConfigLoads: the generated config is accepted as written, on
// both systems, and names its data directory.
func TestDefaultConfigLoads(t *testing.T) {
	for _, tc := range []struct{ goos, dataDir string }{
		{"linux", "/var/lib/packline"},
		{"linux", "/srv/packline data"},
		{"windows", `C:\ProgramData\Packline`},
		{"windows", `D:\Packline Data`},
	} {
		text := DefaultConfig(tc.goos, tc.dataDir)
		cfg, err := config.Parse([]byte(text))
		if err != nil {
			t.Errorf("%s %s: %v", tc.goos, tc.dataDir, err)
			continue
		}
		if cfg.Agent.DataDir != tc.dataDir {
			t.Errorf("%s: data_dir = %q, want %q", tc.goos, cfg.Agent.DataDir, tc.dataDir)
		}
		for _, section := range []string{"[agent]", "[log]", "[tiktok]", "[api]", "[store]", "[weight]", "[sync]", "[[station]]", "# [[box]]", "# [[barcode]]"} {
			if !strings.Contains(text, "\n"+section+"\n") {
				t.Errorf("%s: the default config lacks %s", tc.goos, section)
			}
		}
	}
}

func TestLayout(t *testing.T) {
	lin, err := Layout("linux")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]struct {
		mode       fs.FileMode
		owner, grp string
		kind       Kind
		conffile   bool
	}{
		LinuxAgentBin:   {0o755, "root", "root", Program, false},
		LinuxStationBin: {0o755, "root", "root", Program, false},
		LinuxUnit:       {0o644, "root", "root", Program, false},
		LinuxUdevRules:  {0o644, "root", "root", Program, false},
		LinuxDesktop:    {0o644, "root", "root", Program, false},
		LinuxAutostart:  {0o644, "root", "root", Program, true},
		LinuxConfig:     {0o640, "root", "packline", Config, true},
		LinuxConfigDir:  {0o751, "root", "packline", ConfigDir, false},
		LinuxDataDir:    {0o751, "packline", "packline", DataDir, false},
	}
	got := map[string]File{}
	for _, f := range lin {
		got[f.Path] = f
	}
	for p, w := range want {
		f, ok := got[p]
		if !ok {
			t.Errorf("linux layout lacks %s", p)
			continue
		}
		if f.Mode != w.mode || f.Owner != w.owner || f.Group != w.grp || f.Kind != w.kind || f.Conffile != w.conffile {
			t.Errorf("%s: mode %o %s:%s kind %d conffile %v; want %o %s:%s kind %d conffile %v", p, f.Mode, f.Owner, f.Group, f.Kind, f.Conffile, w.mode, w.owner, w.grp, w.kind, w.conffile)
		}
	}
	win, err := Layout("windows")
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for _, f := range win {
		paths[f.Path] = true
	}
	for _, p := range []string{WindowsAgentExe, WindowsStationExe, WindowsConfig, WindowsDataDir} {
		if !paths[p] {
			t.Errorf("windows layout lacks %s", p)
		}
	}
	if want := config.DefaultPaths("windows", "").Config; WindowsConfig != want {
		t.Errorf("windows config %s, the agent's default is %s", WindowsConfig, want)
	}
	if want := config.DefaultPaths("linux", ""); LinuxConfig != want.Config || LinuxDataDir != want.DataDir {
		t.Errorf("linux paths %s %s, the agent's defaults are %+v", LinuxConfig, LinuxDataDir, want)
	}
	if _, err := Layout("plan9"); err == nil {
		t.Error("Layout(plan9) succeeded")
	}
}

func writeBin(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func readFile(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func mode(t *testing.T, p string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// TestInstallUpgradeUninstall: an upgrade replaces the program and keeps
// the site's config and data; uninstall keeps them; purge removes them.
func TestInstallUpgradeUninstall(t *testing.T) {
	bins, root := t.TempDir(), t.TempDir()
	in := Installer{GOOS: "linux", Agent: writeBin(t, bins, "agent1", "agent v1"), Station: writeBin(t, bins, "station1", "station v1")}
	if err := in.Install(root); err != nil {
		t.Fatal(err)
	}
	files, _ := Layout("linux")
	for _, f := range files {
		if got := mode(t, HostPath(root, f.Path)); got != f.Mode {
			t.Errorf("%s: mode %o, want %o", f.Path, got, f.Mode)
		}
	}
	if got := readFile(t, HostPath(root, LinuxUnit)); got != SystemdUnit(LinuxAgentBin, LinuxConfig) {
		t.Error("the installed unit differs from the generated one")
	}
	cfgPath := HostPath(root, LinuxConfig)
	site := readFile(t, cfgPath) + "\n# site edit\n"
	os.WriteFile(cfgPath, []byte(site), 0o640)
	data := HostPath(root, LinuxDataDir+"/packline.db")
	os.WriteFile(data, []byte("orders"), 0o600)

	in.Agent, in.Station = writeBin(t, bins, "agent2", "agent v2"), writeBin(t, bins, "station2", "station v2")
	if err := in.Install(root); err != nil {
		t.Fatalf("upgrade: %v", err)
	}
	if got := readFile(t, HostPath(root, LinuxAgentBin)); got != "agent v2" {
		t.Errorf("agent after upgrade = %q", got)
	}
	if got := readFile(t, cfgPath); got != site {
		t.Error("the upgrade changed the site's config")
	}
	if got := readFile(t, data); got != "orders" {
		t.Error("the upgrade changed the data")
	}
	leftovers, _ := filepath.Glob(HostPath(root, "/usr/bin/.*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}

	if err := in.Uninstall(root, false); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		_, err := os.Stat(HostPath(root, f.Path))
		if f.Kind == Program && err == nil {
			t.Errorf("uninstall left %s", f.Path)
		}
		if f.Kind != Program && err != nil {
			t.Errorf("uninstall removed %s: %v", f.Path, err)
		}
	}
	if got := readFile(t, data); got != "orders" {
		t.Error("uninstall lost the data")
	}
	if err := in.Install(root); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, cfgPath); got != site {
		t.Error("a reinstall replaced the kept config")
	}
	if err := in.Uninstall(root, true); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := os.Stat(HostPath(root, f.Path)); err == nil {
			t.Errorf("purge left %s", f.Path)
		}
	}
	if err := in.Uninstall(root, true); err != nil {
		t.Errorf("a second purge: %v", err)
	}
}

func TestInstallWindowsTree(t *testing.T) {
	bins, root := t.TempDir(), t.TempDir()
	in := Installer{GOOS: "windows", Agent: writeBin(t, bins, "a.exe", "agent")}
	if err := in.Install(root); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, filepath.Join(root, "Program Files", "Packline", "packline-agent.exe")); got != "agent" {
		t.Errorf("agent = %q", got)
	}
	if _, err := os.Stat(filepath.Join(root, "Program Files", "Packline", "packline-station.exe")); err == nil {
		t.Error("the station was installed without a binary")
	}
	cfg := readFile(t, filepath.Join(root, "ProgramData", "Packline", "agent.toml"))
	if !strings.Contains(cfg, `data_dir = 'C:\ProgramData\Packline'`) {
		t.Error("the windows config does not name C:\\ProgramData\\Packline")
	}
	if err := (Installer{GOOS: "windows"}).Install(t.TempDir()); err == nil {
		t.Error("Install without an agent binary succeeded")
	}
}

func TestBuildDebTree(t *testing.T) {
	bins, root := t.TempDir(), t.TempDir()
	if err := BuildDebTree(root, writeBin(t, bins, "a", "agent"), writeBin(t, bins, "s", "station"), "v1.2.0-3-gabc"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(HostPath(root, LinuxDataDir)); err == nil {
		t.Error("the package tree holds the data directory; postinst creates it")
	}
	ctl := readFile(t, filepath.Join(root, "DEBIAN", "control"))
	hasLines(t, "control", ctl, "Package: packline", "Version: 1.2.0+3+gabc", "Architecture: amd64")
	if got := readFile(t, filepath.Join(root, "DEBIAN", "conffiles")); got != LinuxAutostart+"\n"+LinuxConfig+"\n" {
		t.Errorf("conffiles = %q", got)
	}
	for _, s := range []string{"postinst", "prerm", "postrm"} {
		p := filepath.Join(root, "DEBIAN", s)
		if mode(t, p) != 0o755 || !strings.HasPrefix(readFile(t, p), "#!/bin/sh\nset -e\n") {
			t.Errorf("%s is not an executable sh script", s)
		}
		if sh, err := exec.LookPath("sh"); err == nil {
			if out, err := exec.Command(sh, "-n", p).CombinedOutput(); err != nil {
				t.Errorf("%s: sh -n: %v\n%s", s, err, out)
			}
		}
	}
	post := readFile(t, filepath.Join(root, "DEBIAN", "postinst"))
	for _, want := range []string{"adduser --system --ingroup packline", `for g in dialout plugdev lp`, "systemctl enable packline-agent.service", "systemctl try-restart packline-agent.service", `packline-agent" init --config "$root/etc/packline/agent.toml"`} {
		if !strings.Contains(post, want) {
			t.Errorf("postinst lacks %q", want)
		}
	}
	if rm := readFile(t, filepath.Join(root, "DEBIAN", "postrm")); !strings.Contains(rm, "purge)\n\trm -rf \"$root/var/lib/packline\" \"$root/etc/packline\"") || strings.Count(rm, "rm -rf") != 1 {
		t.Error("postrm must remove the data on purge only")
	}
}

func TestVersions(t *testing.T) {
	for in, want := range map[string]string{"v1.4.2": "1.4.2", "1.4.2-3-gabc": "1.4.2+3+gabc", "abc123-dirty": "0.0~abc123+dirty", "": "0.0~"} {
		if got := debVersion(in); got != want {
			t.Errorf("debVersion(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"v1.4.2": "1.4.2", "v1.4.2-3-gabc": "1.4.2", "abc123": "0.0.42"} {
		if got := MSIVersion(in, 42); got != want {
			t.Errorf("MSIVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestWxs(t *testing.T) {
	if _, err := (MSI{Version: "dev", AgentExe: "a.exe"}).Wxs(); err == nil {
		t.Error("a non-numeric MSI version was accepted")
	}
	src, err := MSI{Version: "1.2.3", AgentExe: "packline-agent.exe", StationExe: "packline-station.exe"}.Wxs()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`Name="packline-agent" DisplayName="Packline agent"`, `Start="auto"`,
		`Arguments="run --config &quot;[CommonAppDataFolder]Packline\agent.toml&quot;"`,
		`<MajorUpgrade`, `UpgradeCode="` + MSIUpgradeCode + `"`, `<Shortcut Id="StationShortcut"`, `Arguments="--fullscreen"`,
		`ExeCommand="init --config &quot;[CommonAppDataFolder]Packline\agent.toml&quot;"`,
		`EventLog\Application\packline-agent`,
		`<Property Id="PURGE" Value="0"/>`,
		`ExeCommand="/d /c rmdir /s /q &quot;[CommonAppDataFolder]Packline&quot;"`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("wxs lacks %s", want)
		}
	}
	// A failed init fails the installation; init itself keeps an existing
	// config, so upgrades pass.
	if !regexp.MustCompile(`<CustomAction Id="InitConfig" [^>]*Return="check"`).MatchString(src) {
		t.Error("the InitConfig action does not check init's exit status")
	}
	// The data goes only on an uninstall asked to purge, never on upgrade,
	// and after the service has stopped.
	purge := regexp.MustCompile(`<Custom Action="PurgeData" Sequence="(\d+)">([^<]*)</Custom>`).FindStringSubmatch(src)
	if purge == nil || purge[2] != `REMOVE~="ALL" AND PURGE="1" AND NOT UPGRADINGPRODUCTCODE` {
		t.Errorf("purge action: %q", purge)
	} else if n, _ := strconv.Atoi(purge[1]); n <= 2000 || n >= 6600 {
		t.Errorf("purge runs at %d, not between DeleteServices (2000) and InstallFinalize (6600)", n)
	}
	agentOnly, _ := MSI{Version: "1.2.3", AgentExe: "packline-agent.exe"}.Wxs()
	if strings.Contains(agentOnly, "Shortcut") || strings.Contains(agentOnly, "packline-station") {
		t.Error("an agent-only MSI mentions the station")
	}
	wixl, err := exec.LookPath("wixl")
	if err != nil {
		t.Skip("wixl is not installed")
	}
	dir := t.TempDir()
	writeBin(t, dir, "packline-agent.exe", "MZ")
	writeBin(t, dir, "packline-station.exe", "MZ")
	os.WriteFile(filepath.Join(dir, "p.wxs"), []byte(src), 0o644)
	cmd := exec.Command(wixl, "-a", "x64", "-o", "p.msi", "p.wxs")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("wixl: %v\n%s", err, out)
	}
}

// TestPostinstWaitsForTheAgent runs postinst's agent_settles against a fake
// systemctl: a running agent passes after a few seconds, one that exits with
// status 3 is explained as needing an operator, and one that keeps
// restarting is reported as such.
func TestPostinstWaitsForTheAgent(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	bin := t.TempDir()
	// sleep counts the seconds waited; systemctl answers from that count.
	writeBin(t, bin, "sleep", "#!/bin/sh\nn=$(cat \"$FAKE_DIR/ticks\" 2>/dev/null || echo 0)\necho $((n + 1)) >\"$FAKE_DIR/ticks\"\n")
	writeBin(t, bin, "systemctl", `#!/bin/sh
n=$(cat "$FAKE_DIR/ticks" 2>/dev/null || echo 0)
case "$1" in
is-failed) [ "$n" -ge "${FAIL_AT:-999}" ]; exit $? ;;
show)
	case "$3" in
	NRestarts) echo $((n * ${RESTART_STEP:-0})) ;;
	ActiveState) if [ "$n" -ge "${FAIL_AT:-999}" ]; then echo failed; else echo "${ACTIVE:-active}"; fi ;;
	ExecMainStatus) echo "${STATUS:-0}" ;;
	esac ;;
esac
exit 0
`)
	for _, tc := range []struct {
		name  string
		mode  string
		env   []string
		ok    bool
		ticks string
		want  []string
	}{
		{"running", "upgrade", nil, true, "3", nil},
		{"permanent after upgrade", "upgrade", []string{"FAIL_AT=2", "STATUS=3"}, false, "2",
			[]string{"exit status 3", "will not restart by itself", "/var/lib/packline/backups", "packline-agent check --config /etc/packline/agent.toml", "journalctl -u packline-agent", "systemctl restart packline-agent"}},
		{"unconfigured fresh install", "fresh", []string{"FAIL_AT=1", "STATUS=3"}, false, "1",
			[]string{"waits for its configuration", "exit status 3", "packline-agent check --config /etc/packline/agent.toml"}},
		{"restarting", "upgrade", []string{"RESTART_STEP=1", "STATUS=1"}, false, "10",
			[]string{"not running", "exit status 1", "systemd retries it", "journalctl -u packline-agent"}},
		{"slow start", "upgrade", []string{"ACTIVE=activating", "STATUS=0"}, false, "10", []string{"state activating"}},
	} {
		dir := t.TempDir()
		cmd := exec.Command(sh, "-c", agentSettles+"\nagent_settles "+tc.mode)
		cmd.Env = append([]string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "FAKE_DIR=" + dir}, tc.env...)
		out, err := cmd.CombinedOutput()
		if (err == nil) != tc.ok {
			t.Errorf("%s: agent_settles err = %v, want ok %v\n%s", tc.name, err, tc.ok, out)
		}
		if got := strings.TrimSpace(readFile(t, filepath.Join(dir, "ticks"))); got != tc.ticks {
			t.Errorf("%s: waited %s s, want %s", tc.name, got, tc.ticks)
		}
		for _, w := range tc.want {
			if !strings.Contains(string(out), w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, out)
			}
		}
		if tc.ok && len(out) != 0 {
			t.Errorf("%s: a running agent printed %q", tc.name, out)
		}
		if !strings.Contains(tc.name, "after upgrade") && strings.Contains(string(out), "backups") {
			t.Errorf("%s: mentions the pre-migration backup: %s", tc.name, out)
		}
	}
}

// fakeRoot is a throw-away root for the maintainer scripts: the stand-in
// commands of testdata/fakeroot first on PATH, an account database holding
// the groups Debian has, and a stand-in agent whose init writes the config
// when absent and creates the tokens.
type fakeRoot struct {
	t    *testing.T
	dir  string
	path string
}

func newFakeRoot(t *testing.T) *fakeRoot {
	t.Helper()
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	stubs, err := filepath.Abs(filepath.Join("testdata", "fakeroot", "bin"))
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeRoot{t: t, dir: t.TempDir(), path: stubs + string(os.PathListSeparator) + os.Getenv("PATH")}
	os.MkdirAll(filepath.Join(r.dir, "etc"), 0o755)
	os.WriteFile(filepath.Join(r.dir, "etc", "group"), []byte("root:x:0:\ndialout:x:20:\nlp:x:7:\nplugdev:x:46:\n"), 0o644)
	os.WriteFile(filepath.Join(r.dir, "etc", "passwd"), []byte("root:x:0:root\n"), 0o644)
	os.MkdirAll(filepath.Join(r.dir, "usr", "bin"), 0o755)
	writeBin(t, filepath.Join(r.dir, "usr", "bin"), "packline-agent", `#!/bin/sh
echo "packline-agent $*" >>"$DPKG_ROOT/.calls"
[ "$1" = init ] || exit 0
cfg=$3
if [ ! -e "$cfg" ]; then echo "data_dir = '$DPKG_ROOT/var/lib/packline'" >"$cfg"; chmod 0640 "$cfg"; fi
d=$DPKG_ROOT/var/lib/packline
mkdir -p "$d"
[ -e "$d/ui-token" ] || { echo station >"$d/ui-token"; chmod 0640 "$d/ui-token"; }
[ -e "$d/admin-token" ] || { echo admin >"$d/admin-token"; chmod 0600 "$d/admin-token"; }
`)
	return r
}

// script returns the maintainer script name: the generated one, or the one
// in $PACKLINE_DEB_SCRIPTS, where verify-packages.sh extracts a built
// package's.
func script(t *testing.T, name, generated string) string {
	t.Helper()
	if dir := os.Getenv("PACKLINE_DEB_SCRIPTS"); dir != "" {
		return readFile(t, filepath.Join(dir, name))
	}
	return generated
}

// run runs a maintainer script with its arguments and fails the test on a
// non-zero exit.
func (r *fakeRoot) run(script string, args ...string) string {
	r.t.Helper()
	p := filepath.Join(r.t.TempDir(), "script")
	writeBin(r.t, filepath.Dir(p), "script", script)
	cmd := exec.Command(p, args...)
	cmd.Env = []string{"PATH=" + r.path, "DPKG_ROOT=" + r.dir, "LC_ALL=C"}
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.t.Fatalf("%v: %v\n%s", args, err, out)
	}
	return string(out)
}

// owner is the owner the scripts last gave the layout path p.
func (r *fakeRoot) owner(p string) string {
	var got string
	for _, l := range strings.Split(readFile(r.t, filepath.Join(r.dir, ".owners")), "\n") {
		if path, o, ok := strings.Cut(l, " "); ok && path == r.dir+p {
			got = o
		}
	}
	if got == "" {
		return "root:root"
	}
	return got
}

// group returns the members of the fake root's group g, and whether it
// exists.
func (r *fakeRoot) group(g string) (string, bool) {
	for _, l := range strings.Split(readFile(r.t, filepath.Join(r.dir, "etc", "group")), "\n") {
		if f := strings.Split(l, ":"); len(f) == 4 && f[0] == g {
			return f[3], true
		}
	}
	return "", false
}

// TestPostinstPermissions runs postinst in a throw-away root: the config,
// with the TikTok app secret, is for root and the service account only; the
// station app's group packline-users may open the station token and nothing
// else; the admin token is the service account's; no person is told to
// join the group packline, and one who had joined it moves to
// packline-users on upgrade.
func TestPostinstPermissions(t *testing.T) {
	postinst := script(t, "postinst", Postinst())
	r := newFakeRoot(t)
	os.MkdirAll(filepath.Join(r.dir, "etc", "packline"), 0o755)
	os.WriteFile(filepath.Join(r.dir, "etc", "packline", "agent.toml"), []byte(DefaultConfig("linux", "")), 0o644)
	out := r.run(postinst, "configure", "")

	for _, tc := range []struct {
		path, owner string
		mode        fs.FileMode
	}{
		{LinuxConfigDir, "root:packline", 0o751},
		{LinuxConfig, "root:packline", 0o640},
		{LinuxDataDir, "packline:packline", 0o751},
		{LinuxUIToken, "packline:packline-users", 0o640},
		{LinuxAdminToken, "packline:packline", 0o600},
	} {
		if got := r.owner(tc.path); got != tc.owner {
			t.Errorf("%s: owner %s, want %s", tc.path, got, tc.owner)
		}
		if got := mode(t, filepath.Join(r.dir, tc.path)); got != tc.mode {
			t.Errorf("%s: mode %o, want %o", tc.path, got, tc.mode)
		}
	}
	for g, want := range map[string]string{"packline": "", "packline-users": "", "dialout": "packline", "plugdev": "packline", "lp": "packline"} {
		if m, ok := r.group(g); !ok || m != want {
			t.Errorf("group %s: exists %v, members %q; want members %q", g, ok, m, want)
		}
	}
	if p := readFile(t, filepath.Join(r.dir, "etc", "passwd")); !strings.Contains(p, "\npackline:x:") || !strings.HasSuffix(strings.TrimSpace(p), ":packline") {
		t.Errorf("no service account packline in the group packline:\n%s", p)
	}
	calls := readFile(t, filepath.Join(r.dir, ".calls"))
	if !strings.Contains(calls, "runuser -u packline -- "+r.dir+"/usr/bin/packline-agent init --config "+r.dir+"/etc/packline/agent.toml") {
		t.Errorf("the tokens are not made as the service account:\n%s", calls)
	}
	if !strings.Contains(out, "sudo adduser <packer> packline-users") || strings.Contains(out, "adduser <packer> packline\n") {
		t.Errorf("postinst does not tell to add packers to packline-users:\n%s", out)
	}

	// An earlier version told packers to join packline.
	var g []string
	for _, l := range strings.Split(strings.TrimSpace(readFile(t, filepath.Join(r.dir, "etc", "group"))), "\n") {
		if strings.HasPrefix(l, "packline:") {
			l += "alice,bob"
		}
		g = append(g, l)
	}
	g = append(g, "alice:x:2000:")
	os.WriteFile(filepath.Join(r.dir, "etc", "group"), []byte(strings.Join(g, "\n")+"\n"), 0o644)
	os.WriteFile(filepath.Join(r.dir, "etc", "passwd"), []byte(readFile(t, filepath.Join(r.dir, "etc", "passwd"))+"alice:x:2000:alice\n"), 0o644)
	if m, _ := r.group("packline"); m != "alice,bob" {
		t.Fatalf("setting up the old members: packline has %q", m)
	}
	out = r.run(postinst, "configure", "1.0.0")
	if m, _ := r.group("packline"); m != "" {
		t.Errorf("after the upgrade the group packline still has %q", m)
	}
	if m, _ := r.group("packline-users"); m != "alice" {
		t.Errorf("after the upgrade packline-users has %q, want alice", m)
	}
	if !strings.Contains(out, "moved alice from group packline to packline-users") {
		t.Errorf("the upgrade does not say who moved:\n%s", out)
	}
	if strings.Contains(out, "Packline is installed") {
		t.Error("the upgrade prints the first-install steps")
	}

	// A token the agent made again (group packline) is given back to the
	// station app at the next configure.
	os.Remove(filepath.Join(r.dir, LinuxUIToken))
	r.run(postinst, "configure", "1.0.0")
	if got := r.owner(LinuxUIToken); got != "packline:packline-users" {
		t.Errorf("a new ui-token is owned by %s", got)
	}
}

// TestPostrmPurge: remove keeps the config, the data and the groups; purge
// removes the config, the data and the group packline-users.
func TestPostrmPurge(t *testing.T) {
	postinst, postrm := script(t, "postinst", Postinst()), script(t, "postrm", Postrm())
	r := newFakeRoot(t)
	r.run(postinst, "configure", "")
	r.run(postrm, "remove")
	for _, p := range []string{LinuxConfig, LinuxUIToken} {
		if _, err := os.Stat(filepath.Join(r.dir, p)); err != nil {
			t.Errorf("remove lost %s: %v", p, err)
		}
	}
	if _, ok := r.group(StationGroup); !ok {
		t.Error("remove deleted the group packline-users")
	}
	r.run(postrm, "purge")
	for _, p := range []string{LinuxConfigDir, LinuxDataDir} {
		if _, err := os.Stat(filepath.Join(r.dir, p)); err == nil {
			t.Errorf("purge left %s", p)
		}
	}
	if _, ok := r.group(StationGroup); ok {
		t.Error("purge left the group packline-users")
	}
	if _, ok := r.group(ServiceGroup); !ok {
		t.Error("purge removed the service account's group")
	}
	r.run(postrm, "purge")
}
