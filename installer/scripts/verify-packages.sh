#!/usr/bin/env bash
# verify-packages.sh checks the packages in dist/ without installing them
# on this machine:
#   .deb  unpacked into a throw-away root (dpkg -x): file list, modes and
#         owners (dpkg-deb -c) against the installer's layout, conffiles,
#         maintainer scripts (present, executable, sh -n), the systemd unit
#         (systemd-analyze verify) and the udev rules (udevadm verify when
#         available);
#   .msi  tables (msiinfo export): ServiceInstall, ServiceControl, File,
#         Shortcut, CustomAction, Registry, Upgrade;
#   .exe  the Windows agent under Wine: version, init and check.
# What it needs (msitools, Wine, mingw-w64 for Wine's missing DLL, file) is
# installed through deps.sh; PACKLINE_DEPS_EXTRA adds more.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH
PACKLINE_DEPS_EXTRA="msitools wine wine64 gcc-mingw-w64-x86-64 file ${PACKLINE_DEPS_EXTRA:-}" installer/scripts/deps.sh
dist=dist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fails=0
pass() { printf 'ok    %s\n' "$*"; }
fail() { printf 'FAIL  %s\n' "$*"; fails=$((fails + 1)); }
skip() { printf 'skip  %s\n' "$*"; }
step() { printf '\n== %s\n' "$*"; }

deb=$(ls "$dist"/packline_*_amd64.deb 2>/dev/null | head -n1 || true)
if [ -z "$deb" ]; then
	echo "no dist/packline_*_amd64.deb: run make packages first" >&2
	exit 1
fi

step "debian package $deb ($(du -h "$deb" | cut -f1), $(stat -c %s "$deb") bytes)"
dpkg-deb -I "$deb" | sed -n 's/^ \(Package\|Version\|Architecture\|Installed-Size\|Depends\):/  \1:/p'
dpkg-deb -c "$deb" >"$work/list"
has_station=true
grep -q ' ./usr/bin/packline-station$' "$work/list" || has_station=false
go run ./installer/pkgtool layout -goos linux -with-station=$has_station >"$work/want"
while read -r mode owner path; do
	line=$(grep -E " \.${path}/?\$" "$work/list" || true)
	if [ -z "$line" ]; then
		fail "$path is not in the package"
		continue
	fi
	got_mode=$(awk '{print $1}' <<<"$line")
	got_owner=$(awk '{print $2}' <<<"$line")
	if [ "$got_mode" != "$mode" ]; then
		fail "$path: mode $got_mode, want $mode"
	elif [ "$got_owner" != root/root ]; then
		fail "$path: owner $got_owner in the package, want root/root (postinst sets $owner)"
	else
		pass "$path $mode (installed as $owner)"
	fi
done <"$work/want"
if grep -q '\./var/lib/packline' "$work/list"; then fail "the package ships /var/lib/packline (postinst creates it)"; else pass "no data directory in the package (postinst creates /var/lib/packline 0751 packline:packline)"; fi

root="$work/root"
dpkg-deb -x "$deb" "$root"
dpkg-deb -e "$deb" "$work/DEBIAN"
for s in postinst prerm postrm; do
	if [ -x "$work/DEBIAN/$s" ] && sh -n "$work/DEBIAN/$s"; then pass "maintainer script $s (executable, sh -n)"; else fail "maintainer script $s"; fi
done
if diff <(printf '/etc/xdg/autostart/packline-station.desktop\n/etc/packline/agent.toml\n') "$work/DEBIAN/conffiles" >/dev/null; then
	pass "conffiles: $(tr '\n' ' ' <"$work/DEBIAN/conffiles")"
else
	fail "conffiles: $(cat "$work/DEBIAN/conffiles")"
fi
# The maintainer scripts as packaged, run in a throw-away root with
# stand-ins for the account and service commands (installer_test.go).
if PACKLINE_DEB_SCRIPTS="$work/DEBIAN" go test -count=1 -run '^(TestPostinstPermissions|TestPostrmPurge)$' ./installer >"$work/scripts" 2>&1; then
	pass "packaged postinst and postrm in a throw-away root: config 0640 root:packline, ui-token 0640 packline:packline-users, admin-token 0600 packline:packline, packers moved to packline-users, purge removes the data and packline-users"
else
	fail "packaged maintainer scripts: $(cat "$work/scripts")"
fi

if "$root/usr/bin/packline-agent" version >"$work/v" 2>&1; then pass "agent runs: $(cat "$work/v")"; else fail "agent does not run: $(cat "$work/v")"; fi
if file "$root/usr/bin/packline-agent" | grep -q 'statically linked'; then pass "agent is statically linked (CGO_ENABLED=0)"; else fail "agent is not static: $(file "$root/usr/bin/packline-agent")"; fi
"$root/usr/bin/packline-agent" init --config "$work/etc/agent.toml" --data-dir "$work/data" >/dev/null || true
# The fresh config names no devices yet, so check must fail on exactly those.
"$root/usr/bin/packline-agent" check --config "$work/etc/agent.toml" >"$work/check" 2>&1 || true
if grep -q 'ok    config' "$work/check" && [ "$(grep -c '^FAIL' "$work/check")" = 2 ] && grep -q 'has no scale' "$work/check"; then
	pass "the packaged agent's init writes a config its check accepts, and check asks for the station's devices"
else
	fail "init/check: $(cat "$work/check")"
fi
if diff -q "$root/etc/packline/agent.toml" <(go run ./installer/pkgtool config -goos linux -out /dev/stdout) >/dev/null; then pass "packaged /etc/packline/agent.toml is the generated default"; else fail "packaged config differs from the generated default"; fi

if command -v systemd-analyze >/dev/null; then
	# Verify the unit against the unpacked binary: ExecStart must exist.
	mkdir -p "$work/unit"
	sed "s|/usr/bin/packline-agent|$root/usr/bin/packline-agent|g" "$root/lib/systemd/system/packline-agent.service" >"$work/unit/packline-agent.service"
	if out=$(systemd-analyze verify "$work/unit/packline-agent.service" 2>&1 | grep -v -e 'Failed to .*bus' -e 'Cannot add dependency job' -e '^$' -e 'No such file or directory' || true) && [ -z "$out" ]; then
		pass "systemd-analyze verify packline-agent.service"
	else
		fail "systemd-analyze verify: $out"
	fi
else
	skip "systemd-analyze is not installed"
fi
if command -v udevadm >/dev/null && udevadm verify --help >/dev/null 2>&1; then
	udevadm verify "$root/lib/udev/rules.d/60-packline.rules" && pass "udevadm verify 60-packline.rules" || fail "udevadm verify"
else
	n=$(grep -c 'SUBSYSTEM=="hidraw"' "$root/lib/udev/rules.d/60-packline.rules")
	[ "$n" = 10 ] && pass "udev rules: tty, usbmisc and $n HID scale rules (udevadm verify needs systemd >= 254)" || fail "udev rules: $n hidraw rules"
fi
if command -v desktop-file-validate >/dev/null; then
	desktop-file-validate "$root/usr/share/applications/packline-station.desktop" && pass "desktop-file-validate" || fail "desktop entry"
fi

msi="$dist/packline.msi"
step "windows installer $msi ($(du -h "$msi" | cut -f1), $(stat -c %s "$msi") bytes)"
if ! command -v msiinfo >/dev/null; then
	skip "msiinfo is not installed (apt-get install msitools)"
else
	msiinfo export "$msi" ServiceInstall >"$work/svc"
	grep -q 'packline-agent	Packline agent	16	2	1' "$work/svc" && pass "ServiceInstall: packline-agent, own process, automatic start, LocalSystem" || fail "ServiceInstall: $(cat "$work/svc")"
	grep -qF 'run --config "[CommonAppDataFolder]Packline\agent.toml"' "$work/svc" && pass 'ServiceInstall arguments: run --config "[CommonAppDataFolder]Packline\agent.toml"' || fail "service arguments"
	msiinfo export "$msi" ServiceControl | grep -q 'AgentServiceStop	packline-agent	162' && pass "ServiceControl: stop on install and uninstall, remove on uninstall" || fail "ServiceControl"
	msiinfo export "$msi" File >"$work/files"
	grep -q 'packline-agent.exe' "$work/files" && pass "File: packline-agent.exe" || fail "File: no agent"
	if grep -q 'packline-station.exe' "$work/files"; then
		pass "File: packline-station.exe"
		msiinfo export "$msi" Shortcut | grep -q 'Packline Station' && pass "Shortcut: Start menu > Packline > Packline Station" || fail "Shortcut"
	else
		skip "the MSI holds no station app (built without mingw-w64)"
	fi
	msiinfo export "$msi" CustomAction >"$work/ca"
	init_type=$(awk -F'\t' '$1 == "InitConfig" { print $2 }' "$work/ca")
	if grep -qF 'init --config "[CommonAppDataFolder]Packline\agent.toml"' "$work/ca" && [ -n "$init_type" ] && [ $((init_type & 64)) = 0 ]; then
		pass "CustomAction: packline-agent init (writes the config only when absent; a failure fails the install, type $init_type)"
	else
		fail "CustomAction init (type ${init_type:-none}): $(grep InitConfig "$work/ca")"
	fi
	if grep -qF 'rmdir /s /q "[CommonAppDataFolder]Packline"' "$work/ca" &&
		msiinfo export "$msi" InstallExecuteSequence | grep -qF 'PurgeData	REMOVE~="ALL" AND PURGE="1" AND NOT UPGRADINGPRODUCTCODE' &&
		msiinfo export "$msi" Property | grep -q '^PURGE	0'; then
		pass "PURGE: msiexec /x packline.msi PURGE=1 removes %ProgramData%\Packline; by default it is kept"
	else
		fail "PURGE custom action"
	fi
	msiinfo export "$msi" Registry | grep -q 'EventLog\\Application\\packline-agent' && pass "Registry: event log source packline-agent" || fail "event log source"
	msiinfo export "$msi" Upgrade | grep -q 'WIX_UPGRADE_DETECTED' && pass "Upgrade: MajorUpgrade by UpgradeCode" || fail "MajorUpgrade"
	msiinfo export "$msi" Property | grep -q '^ProductVersion' && pass "ProductVersion $(msiinfo export "$msi" Property | sed -n 's/^ProductVersion\t//p')" || fail "ProductVersion"
fi

step "windows agent under wine"
wine=$(command -v wine64 || command -v wine || true)
exe="$dist/packline-agent.exe"
if [ -z "$wine" ]; then
	skip "wine is not installed (apt-get install wine)"
elif [ ! -f "$exe" ]; then
	fail "$exe is missing"
else
	export WINEPREFIX="$work/wine" WINEDEBUG=-all
	"$wine" wineboot -i >/dev/null 2>&1 || true
	sys32="$WINEPREFIX/drive_c/windows/system32"
	if [ ! -f "$sys32/bcryptprimitives.dll" ]; then
		# Go >= 1.24 needs ProcessPrng from bcryptprimitives.dll, which
		# Windows 10+ has and Wine < 9 lacks: give this Wine a stand-in
		# built on RtlGenRandom.
		if command -v x86_64-w64-mingw32-gcc >/dev/null; then
			cat >"$work/bcp.c" <<'C'
#include <windows.h>
#include <ntsecapi.h>
BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
	while (len > 0) {
		ULONG n = len > 0x10000000 ? 0x10000000 : (ULONG)len;
		if (!RtlGenRandom(data, n)) return FALSE;
		data += n;
		len -= n;
	}
	return TRUE;
}
C
			printf 'LIBRARY bcryptprimitives.dll\nEXPORTS\nProcessPrng\n' >"$work/bcp.def"
			x86_64-w64-mingw32-gcc -O2 -shared -o "$sys32/bcryptprimitives.dll" "$work/bcp.c" "$work/bcp.def" -ladvapi32
			skip "$("$wine" --version) lacks bcryptprimitives.dll (Go needs ProcessPrng): using a stand-in built with mingw-w64"
		else
			skip "$("$wine" --version) lacks bcryptprimitives.dll and mingw-w64 is missing to build a stand-in; the agent cannot start under this Wine"
		fi
	fi
	if out=$("$wine" "$exe" version 2>/dev/null | tr -d '\r') && grep -q 'windows/amd64' <<<"$out"; then pass "wine: $out"; else fail "wine version: $out"; fi
	if "$wine" "$exe" init --config 'C:\packline\agent.toml' --data-dir 'C:\packline\data' >"$work/winit" 2>&1; then
		pass "wine: init wrote C:\\packline\\agent.toml, the data folder and the token"
	else
		fail "wine init: $(tr -d '\r' <"$work/winit")"
	fi
	cat >"$WINEPREFIX/drive_c/packline/agent.toml" <<'TOML'
[agent]
data_dir = 'C:\packline\data'
[log]
file = "-"
[[station]]
id = "S1"
scale = "sim://scale"
printer = 'sim://printer?dir=C:\packline\labels'
TOML
	if "$wine" "$exe" check --config 'C:\packline\agent.toml' --devices >"$work/wcheck" 2>&1; then
		pass "wine: check --devices passes on a test config (scale read and printer status over the simulators)"
		sed 's/^/        /' "$work/wcheck" | tr -d '\r'
	else
		fail "wine check: $(tr -d '\r' <"$work/wcheck")"
	fi
	rc=0
	"$wine" "$exe" check --config 'C:\packline\missing.toml' >"$work/wmiss" 2>&1 || rc=$?
	if [ "$rc" = 1 ] && grep -q 'packline-agent init --config' "$work/wmiss"; then
		pass "wine: check exits 1 on a missing config and names init"
	else
		fail "wine: check on a missing config: exit $rc: $(tr -d '\r' <"$work/wmiss")"
	fi
	"$wine" wineserver -k >/dev/null 2>&1 || true
fi

echo
if [ "$fails" -gt 0 ]; then
	echo "verify-packages: $fails check(s) failed"
	exit 1
fi
echo "verify-packages: all checks passed"
