#!/usr/bin/env bash
# deps.sh installs what building and testing Packline needs on Debian or
# Ubuntu: the C libraries Fyne links against, the tools the tests drive, and
# a Go toolchain when none (or one older than 1.22) is installed.
set -euo pipefail

want_pkgs=(build-essential pkg-config libgl1-mesa-dev xorg-dev git ca-certificates curl)
if [ "${PACKLINE_DEPS_EXTRA:-}" != "" ]; then
	read -r -a extra <<<"$PACKLINE_DEPS_EXTRA"
	want_pkgs+=("${extra[@]}")
fi

missing=()
for p in "${want_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

go_ok() {
	command -v go >/dev/null 2>&1 || return 1
	local v
	v=$(go env GOVERSION 2>/dev/null | sed 's/^go//')
	[ "$(printf '%s\n1.22\n' "$v" | sort -V | head -n1)" = "1.22" ]
}
if ! go_ok && [ -x /usr/local/go/bin/go ]; then export PATH=/usr/local/go/bin:$PATH; fi
if ! go_ok; then
	echo "deps: installing Go into /usr/local/go"
	arch=$(dpkg --print-architecture)
	ver=$(curl -fsSL 'https://go.dev/VERSION?m=text' | head -n1)
	curl -fsSL "https://go.dev/dl/${ver}.linux-${arch}.tar.gz" | $sudo tar -C /usr/local -xz
	echo "deps: add /usr/local/go/bin to PATH"
fi
