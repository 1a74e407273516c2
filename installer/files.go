// Package installer describes and builds Packline's installation: the files
// each operating system gets (Layout), the generated ones (the systemd unit,
// the udev rules, the desktop and autostart entries, the default config, the
// Debian maintainer scripts, the MSI source), and Install and Uninstall of
// that layout under a root directory, which the tests and the package builds
// use.
package installer

import (
	"fmt"
	"strings"
)

// Linux locations.
const (
	LinuxAgentBin   = "/usr/bin/packline-agent"
	LinuxStationBin = "/usr/bin/packline-station"
	LinuxUnit       = "/lib/systemd/system/packline-agent.service"
	LinuxUdevRules  = "/lib/udev/rules.d/60-packline.rules"
	LinuxDesktop    = "/usr/share/applications/packline-station.desktop"
	LinuxAutostart  = "/etc/xdg/autostart/packline-station.desktop"
	LinuxIcon       = "/usr/share/icons/hicolor/scalable/apps/packline-station.svg"
	LinuxConfigDir  = "/etc/packline"
	LinuxConfig     = "/etc/packline/agent.toml"
	LinuxDataDir    = "/var/lib/packline"
	// LinuxUIToken is the station token the agent's init creates; the
	// station app reads it.
	LinuxUIToken = LinuxDataDir + "/ui-token"
	// LinuxAdminToken guards backups through the running agent.
	LinuxAdminToken = LinuxDataDir + "/admin-token"
	// ServiceUser is the system account the agent runs as.
	ServiceUser = "packline"
	// ServiceGroup is the service account's own group. It may read the
	// config (the TikTok app secret) and the USB HID scales; no person is a
	// member.
	ServiceGroup = ServiceUser
	// StationGroup is the group of the people who run the station app: it
	// may read the station token and nothing else of the agent's.
	StationGroup = "packline-users"
)

// unit is the systemd unit; exec and args are substituted by SystemdUnit
// and SystemdTemplate.
const unit = `[Unit]
Description=Packline warehouse agent (TikTok Shop orders, scales, label printers)
Documentation=https://github.com/packline/packline
Wants=network-online.target
After=network-online.target
StartLimitIntervalSec=60
StartLimitBurst=10
ConditionFileIsExecutable=@EXEC@

[Service]
Type=simple
ExecStart=@EXEC@@ARGS@
User=packline
Group=packline
SupplementaryGroups=dialout plugdev lp
# Exit status 3 means an operator has to act (invalid config, a store that
# cannot be migrated): do not restart, the reason is in the journal.
Restart=on-failure
RestartSec=5
RestartPreventExitStatus=3
TimeoutStopSec=20
KillMode=mixed
UMask=0027
# 0751: the station app (group packline-users) opens the ui-token and
# the station file by name; the directories cannot be listed and every other
# file in them is closed to it.
StateDirectory=packline
StateDirectoryMode=0751
ConfigurationDirectory=packline
ConfigurationDirectoryMode=0751
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=yes
PrivateTmp=yes
ReadWritePaths=/var/lib/packline

[Install]
WantedBy=multi-user.target
`

// SystemdUnit returns the unit that starts exe with the run verb and the
// config file. The paths must be absolute and free of white space.
func SystemdUnit(exe, configPath string) string {
	return strings.NewReplacer("@EXEC@", exe, "@ARGS@", " run --config "+configPath).Replace(unit)
}

// SystemdTemplate returns the unit as a kardianos/service template
// (SystemdScript): the executable and its arguments are filled in at
// install time.
func SystemdTemplate() string {
	return strings.NewReplacer("@EXEC@", "{{Path | cmdEscape}}", "@ARGS@", "{{range Arguments}} {{. | cmd}}{{end}}").Replace(unit)
}

// ScaleID is a USB HID POS scale's vendor and product id.
type ScaleID struct {
	Vendor, Product, Name string
}

// KnownScales returns the USB HID scales the udev rules open to the agent.
func KnownScales() []ScaleID {
	return []ScaleID{
		{"0922", "8003", "Dymo M10"},
		{"0922", "8004", "Dymo M25"},
		{"0922", "8009", "Dymo S180/S250"},
		{"1446", "6a73", "Stamps.com"},
		{"2474", "0550", "Stamps.com"},
		{"2474", "3550", "Stamps.com"},
		{"0eb8", "f000", "Mettler Toledo PS60"},
		{"0b67", "555e", "Fairbanks SCB-R9000"},
		{"7b7c", "0100", "USPS Elane"},
		{"0d8f", "0200", "Pitney Bowes 397-B"},
	}
}

// UdevRules returns /lib/udev/rules.d/60-packline.rules.
func UdevRules() string {
	var b strings.Builder
	b.WriteString(`# Packline: device access for the packline-agent service.
# Installed by the packline package; local changes belong in /etc/udev/rules.d.

# Serial scales and printers (USB-serial adapters, CDC-ACM): group dialout.
SUBSYSTEM=="tty", KERNEL=="ttyUSB[0-9]*", GROUP="dialout", MODE="0660"
SUBSYSTEM=="tty", KERNEL=="ttyACM[0-9]*", GROUP="dialout", MODE="0660"

# USB HID POS scales (usage page 0x8D), read through /dev/hidraw*: group
# packline, the service account's own group (no person is a member; packers
# are in packline-users and reach the scales through the agent).
`)
	for _, s := range KnownScales() {
		fmt.Fprintf(&b, "SUBSYSTEM==\"hidraw\", ATTRS{idVendor}==\"%s\", ATTRS{idProduct}==\"%s\", GROUP=\"%s\", MODE=\"0660\"  # %s\n", s.Vendor, s.Product, ServiceGroup, s.Name)
	}
	b.WriteString(`
# USB label printers (usblp, /dev/usb/lp*): group lp.
SUBSYSTEM=="usbmisc", KERNEL=="lp[0-9]*", GROUP="lp", MODE="0660"
`)
	return b.String()
}

// StationLaunchArgs are the arguments the packaged launchers (the menu
// entry, the login autostart, the Start-menu shortcut) start the station app
// with: full screen, and no --station, so the app takes this computer's
// station id from PACKLINE_STATION, the station file or the host name.
const StationLaunchArgs = "--fullscreen"

// DesktopEntry returns the station app's menu entry.
func DesktopEntry() string {
	return `[Desktop Entry]
Type=Application
Version=1.0
Name=Packline Station
GenericName=Packing station
Comment=Scan, weigh and label TikTok Shop orders
Exec=` + LinuxStationBin + " " + StationLaunchArgs + `
Icon=packline-station
Terminal=false
Categories=Office;
Keywords=packing;shipping;label;scale;TikTok;
StartupWMClass=Packline Station
`
}

// AutostartEntry returns the XDG autostart entry that opens the station app
// when a packer logs in.
func AutostartEntry() string {
	return `[Desktop Entry]
Type=Application
Name=Packline Station
Comment=Opens the packing station at login
Exec=` + LinuxStationBin + " " + StationLaunchArgs + `
Icon=packline-station
Terminal=false
X-GNOME-Autostart-enabled=true
X-GNOME-Autostart-Delay=5
`
}

// Icon returns the station app's scalable icon.
func Icon() string {
	return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">
<rect x="4" y="4" width="56" height="56" rx="10" fill="#1f6feb"/>
<path d="M14 24 L32 14 L50 24 L50 44 L32 54 L14 44 Z" fill="#fff"/>
<path d="M14 24 L32 34 L50 24 M32 34 L32 54" stroke="#1f6feb" stroke-width="3" fill="none"/>
</svg>
`
}
