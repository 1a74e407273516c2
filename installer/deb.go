package installer

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Deb describes the Debian package.
type Deb struct {
	Version string
	Arch    string
	// InstalledKB is the unpacked size in KiB.
	InstalledKB int64
}

// Control returns DEBIAN/control.
func (d Deb) Control() string {
	return fmt.Sprintf(`Package: packline
Version: %s
Architecture: %s
Maintainer: Packline <support@packline.dev>
Section: misc
Priority: optional
Installed-Size: %d
Depends: adduser, passwd, util-linux, libc6, libgl1, libx11-6, libxcursor1, libxrandr2, libxinerama1, libxi6, libxxf86vm1
Recommends: systemd, udev
Homepage: https://github.com/packline/packline
Description: packing-station agent and app for TikTok Shop warehouses
 Packline pulls the TikTok Shop orders of a warehouse into a local store,
 guides packers through scan, weigh and label at each station, buys the
 TikTok shipping label with the measured weight and prints it on the
 station's thermal printer. Packing goes on while the internet is down.
 .
 The package installs the packline-agent service (systemd, user packline),
 udev rules for serial and USB HID scales and USB label printers, and the
 Packline Station desktop app for the members of the group packline-users.
`, debVersion(d.Version), d.Arch, d.InstalledKB)
}

// debVersion turns a git describe string into a Debian version: digits
// first, no leading "v", no characters dpkg refuses.
func debVersion(v string) string {
	v = strings.TrimPrefix(v, "v")
	if v == "" || v[0] < '0' || v[0] > '9' {
		v = "0.0~" + v
	}
	return strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '.', r == '+', r == '~':
			return r
		}
		return '+'
	}, v)
}

// Conffiles returns DEBIAN/conffiles.
func Conffiles() string {
	files, _ := Layout("linux")
	var b strings.Builder
	for _, f := range files {
		if f.Conffile {
			b.WriteString(f.Path + "\n")
		}
	}
	return b.String()
}

// Postinst returns DEBIAN/postinst: the service account and its own group
// packline (the config with the TikTok app secret, the HID scales), the
// group packline-users of the people who run the station app (the station
// token only), ownership, the data directory and tokens, udev, and the
// service (enabled and started on a fresh install, restarted on upgrade
// when it was running, and watched for up to 10 s so that a failure is
// explained). Paths are under $DPKG_ROOT, which dpkg sets to the root of
// a chrootless install (dpkg --root --force-script-chrootless) and leaves
// empty otherwise; the agent's init writes where the config's data_dir
// says, so such an install points data_dir into the root before configure.
func Postinst() string {
	return `#!/bin/sh
set -e

` + agentSettles + `
if [ "$1" = configure ]; then
	root=${DPKG_ROOT:-}
	for g in packline packline-users; do
		if ! getent group "$g" >/dev/null; then
			addgroup --system "$g"
		fi
	done
	if ! getent passwd packline >/dev/null; then
		adduser --system --ingroup packline --home /var/lib/packline --no-create-home \
			--shell /usr/sbin/nologin --gecos "Packline agent" packline
	fi
	for g in dialout plugdev lp; do
		if getent group "$g" >/dev/null; then
			adduser packline "$g" >/dev/null
		fi
	done
	# Packers were once told to join packline, which reads the TikTok app
	# secret: they move to packline-users, which reads the station token only.
	for u in $(getent group packline | cut -d: -f4 | tr ',' ' '); do
		[ "$u" = packline ] && continue
		if getent passwd "$u" >/dev/null; then
			adduser "$u" packline-users >/dev/null
		fi
		gpasswd -d "$u" packline >/dev/null || true
		echo "packline: moved $u from group packline to packline-users (the station token only; effective at the next login)" >&2
	done

	install -d -m 0751 -o root -g packline "$root/etc/packline"
	install -d -m 0751 -o packline -g packline "$root/var/lib/packline"
	if [ ! -e "$root/etc/packline/agent.toml" ]; then
		"$root/usr/bin/packline-agent" init --config "$root/etc/packline/agent.toml" --data-dir /var/lib/packline >/dev/null
	fi
	chown root:packline "$root/etc/packline/agent.toml"
	chmod 0640 "$root/etc/packline/agent.toml"
	# The data directory and the tokens, as the service account.
	runuser -u packline -- "$root/usr/bin/packline-agent" init --config "$root/etc/packline/agent.toml" >/dev/null || \
		echo "packline: could not prepare the data directory; run: sudo -u packline packline-agent init" >&2
	# The station token for the station app; the admin token for the
	# service account (and root) only.
	if [ -e "$root/var/lib/packline/ui-token" ]; then
		chown packline:packline-users "$root/var/lib/packline/ui-token"
		chmod 0640 "$root/var/lib/packline/ui-token"
	fi
	if [ -e "$root/var/lib/packline/admin-token" ]; then
		chown packline:packline "$root/var/lib/packline/admin-token"
		chmod 0600 "$root/var/lib/packline/admin-token"
	fi

	if command -v udevadm >/dev/null && [ -d "$root/run/udev" ]; then
		udevadm control --reload-rules || true
		udevadm trigger --subsystem-match=tty --subsystem-match=hidraw --subsystem-match=usbmisc || true
	fi

	if [ -d "$root/run/systemd/system" ]; then
		systemctl daemon-reload
		if [ -z "$2" ]; then
			systemctl enable packline-agent.service
			if systemctl start packline-agent.service; then
				agent_settles fresh || true
			else
				echo "packline: the agent did not start; see: journalctl -u packline-agent" >&2
			fi
		else
			was_running=no
			systemctl is-active --quiet packline-agent.service && was_running=yes
			systemctl try-restart packline-agent.service || true
			if [ "$was_running" = yes ]; then
				agent_settles upgrade || true
			fi
		fi
	else
		systemctl enable packline-agent.service >/dev/null 2>&1 || true
	fi

	if [ -z "$2" ]; then
		cat <<'MSG'
Packline is installed. Next:
  1. Edit /etc/packline/agent.toml: the TikTok Shop app key and secret, the
     authorisation code, the warehouse id, each station's scale and printer
     URIs (packline-agent devices lists attached devices), and the boxes.
  2. Check it:            sudo packline-agent check --config /etc/packline/agent.toml --devices
  3. Restart the agent:   sudo systemctl restart packline-agent
  4. Let each packer's login open the station:  sudo adduser <packer> packline-users
     (packline-users reads the station token only; never add people to the
     group packline, which reads the TikTok app secret)
MSG
	fi
fi
exit 0
`
}

// agentSettles is the postinst shell function that waits for the agent
// after (re)starting it and explains a failure.
const agentSettles = `# agent_settles waits up to 10 s for packline-agent to be running for good
# or to have failed, and says why it is not running. Exit status 3 means
# the agent needs an operator (an invalid config, a store that cannot be
# migrated) and systemd does not restart it.
agent_settles() {
	unit=packline-agent.service
	restarts=$(systemctl show -p NRestarts --value "$unit" 2>/dev/null || true)
	i=0
	while [ "$i" -lt 10 ]; do
		sleep 1
		i=$((i + 1))
		if systemctl is-failed --quiet "$unit"; then
			break
		fi
		state=$(systemctl show -p ActiveState --value "$unit" 2>/dev/null || true)
		now=$(systemctl show -p NRestarts --value "$unit" 2>/dev/null || true)
		if [ "$i" -ge 3 ] && [ "$state" = active ] && [ "$now" = "$restarts" ]; then
			return 0
		fi
	done
	status=$(systemctl show -p ExecMainStatus --value "$unit" 2>/dev/null || true)
	state=$(systemctl show -p ActiveState --value "$unit" 2>/dev/null || true)
	if [ "$status" = 3 ]; then
		if [ "$1" = fresh ]; then
			echo "packline: packline-agent waits for its configuration and stays stopped until it is restarted (exit status 3)." >&2
		else
			echo "packline: packline-agent stopped for good after the upgrade (exit status 3): its configuration is invalid or its store cannot be migrated. It will not restart by itself." >&2
			echo "packline: a copy of the store taken before any schema migration is in /var/lib/packline/backups" >&2
		fi
		echo "packline: the reason is in: journalctl -u packline-agent -n 50" >&2
		echo "packline: check the config: sudo packline-agent check --config /etc/packline/agent.toml" >&2
		echo "packline: when it is fixed: sudo systemctl restart packline-agent" >&2
	else
		echo "packline: packline-agent is not running (state ${state:-unknown}, exit status ${status:-unknown}); systemd retries it." >&2
		echo "packline: the reason is in: journalctl -u packline-agent -n 50" >&2
	fi
	return 1
}
`

// Prerm returns DEBIAN/prerm: the service stops before removal; on upgrade
// it keeps running until postinst restarts it on the new binary.
func Prerm() string {
	return `#!/bin/sh
set -e
case "$1" in
remove|deconfigure)
	if [ -d /run/systemd/system ]; then
		systemctl stop packline-agent.service || true
	fi
	systemctl disable packline-agent.service >/dev/null 2>&1 || true
	;;
esac
exit 0
`
}

// Postrm returns DEBIAN/postrm: purge removes the config, the data (store,
// backups, labels, logs, tokens) and the group packline-users; remove keeps
// them. The service account stays, as Debian keeps system accounts.
func Postrm() string {
	return `#!/bin/sh
set -e
root=${DPKG_ROOT:-}
case "$1" in
purge)
	rm -rf "$root/var/lib/packline" "$root/etc/packline"
	if getent group packline-users >/dev/null; then
		if command -v delgroup >/dev/null; then
			delgroup --quiet --system packline-users || true
		else
			groupdel packline-users || true
		fi
	fi
	;;
esac
case "$1" in
remove|purge)
	if [ -d "$root/run/systemd/system" ]; then
		systemctl daemon-reload || true
	fi
	if command -v udevadm >/dev/null && [ -d "$root/run/udev" ]; then
		udevadm control --reload-rules || true
	fi
	;;
esac
exit 0
`
}

// BuildDebTree writes the package tree for dpkg-deb --build: the Linux
// layout (without the data directory, which postinst creates) and DEBIAN/.
func BuildDebTree(root, agent, station, version string) error {
	in := Installer{GOOS: "linux", Agent: agent, Station: station, PackageTree: true}
	if err := in.Install(root); err != nil {
		return err
	}
	var size int64
	err := filepath.WalkDir(root, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if fi, err := d.Info(); err == nil && !d.IsDir() {
			size += fi.Size()
		}
		return nil
	})
	if err != nil {
		return err
	}
	meta := filepath.Join(root, "DEBIAN")
	if err := os.MkdirAll(meta, 0o755); err != nil {
		return err
	}
	for name, f := range map[string]struct {
		body string
		mode fs.FileMode
	}{
		"control":   {Deb{Version: version, Arch: "amd64", InstalledKB: (size + 1023) / 1024}.Control(), 0o644},
		"conffiles": {Conffiles(), 0o644},
		"postinst":  {Postinst(), 0o755},
		"prerm":     {Prerm(), 0o755},
		"postrm":    {Postrm(), 0o755},
	} {
		if err := writeFile(filepath.Join(meta, name), strings.NewReader(f.body), f.mode); err != nil {
			return fmt.Errorf("writing DEBIAN/%s: %w", name, err)
		}
	}
	return nil
}
