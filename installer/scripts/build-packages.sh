#!/usr/bin/env bash
# build-packages.sh builds Packline's packages into dist/:
#   dist/packline_<version>_amd64.deb   agent + station for Debian/Ubuntu (systemd, udev)
#   dist/packline.msi                   agent service + station for Windows (x64)
# The .deb tree and the MSI source come from the Go code in installer/.
# What the build needs beyond deps.sh (dpkg-dev, wixl and msitools,
# mingw-w64 for the Windows station app) is installed through deps.sh.
#
# Environment:
#   PACKLINE_SKIP_STATION_WIN=1  build the MSI without the station app (and
#                                without installing mingw-w64)
#   PACKLINE_DEPS_EXTRA          more Debian packages for deps.sh
#   VERSION                      version (default: git describe)
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH

need=(dpkg-dev wixl msitools)
if [ "${PACKLINE_SKIP_STATION_WIN:-}" != 1 ]; then need+=(gcc-mingw-w64-x86-64); fi
PACKLINE_DEPS_EXTRA="${need[*]} ${PACKLINE_DEPS_EXTRA:-}" installer/scripts/deps.sh

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
BUILD=$(git rev-list --count HEAD 2>/dev/null || echo 0)
LDFLAGS="-s -w -X main.version=${VERSION}"
dist=dist
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$dist"

step() { printf '\n== %s\n' "$*"; }

step "linux/amd64 agent (CGO_ENABLED=0)"
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "$LDFLAGS" -o "$work/linux/packline-agent" ./cmd/packline-agent

step "linux/amd64 station (cgo)"
CGO_ENABLED=1 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags "$LDFLAGS" -o "$work/linux/packline-station" ./cmd/packline-station

step "debian package"
tree="$work/deb"
go run ./installer/pkgtool deb-tree -root "$tree" -agent "$work/linux/packline-agent" -station "$work/linux/packline-station" -version "$VERSION"
debver=$(sed -n 's/^Version: //p' "$tree/DEBIAN/control")
deb="$dist/packline_${debver}_amd64.deb"
rm -f "$dist"/packline_*_amd64.deb
dpkg-deb --build --root-owner-group -Zxz "$tree" "$deb" >/dev/null
echo "built $deb ($(du -h "$deb" | cut -f1))"

step "windows/amd64 agent (CGO_ENABLED=0)"
msi="$work/msi"
mkdir -p "$msi"
CGO_ENABLED=0 GOOS=windows GOARCH=amd64 go build -trimpath -ldflags "$LDFLAGS" -o "$msi/packline-agent.exe" ./cmd/packline-agent

station_flag=()
if [ "${PACKLINE_SKIP_STATION_WIN:-}" = 1 ]; then
	echo "skipping the Windows station app (PACKLINE_SKIP_STATION_WIN=1): the MSI holds the agent only"
elif ! command -v x86_64-w64-mingw32-gcc >/dev/null; then
	echo "build-packages: x86_64-w64-mingw32-gcc is missing, so the MSI would lack the station app." >&2
	echo "build-packages: install it (apt-get install gcc-mingw-w64-x86-64), or build an agent-only MSI with PACKLINE_SKIP_STATION_WIN=1" >&2
	exit 1
else
	step "windows/amd64 station (cgo, mingw-w64; the first build takes ~5 min)"
	CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
		go build -trimpath -ldflags "$LDFLAGS -H=windowsgui" -o "$msi/packline-station.exe" ./cmd/packline-station
	station_flag=(-station packline-station.exe)
fi

step "windows installer (wixl)"
if ! command -v wixl >/dev/null; then
	echo "build-packages: wixl is missing: apt-get install wixl" >&2
	exit 1
fi
go run ./installer/pkgtool wxs -out "$msi/packline.wxs" -agent packline-agent.exe "${station_flag[@]}" -version "$VERSION" -build "$BUILD"
(cd "$msi" && wixl -a x64 -o packline.msi packline.wxs 2> >(grep -v -e '^$' -e 'GLib-GObject-WARNING' >&2))
cp "$msi/packline.msi" "$dist/packline.msi"
cp "$msi/packline-agent.exe" "$dist/packline-agent.exe"
echo "built $dist/packline.msi ($(du -h "$dist/packline.msi" | cut -f1))"

step "done"
ls -l "$dist"
