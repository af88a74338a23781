#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Install the Debian packages zonekit builds, tests and benchmarks with.
# Idempotent and quick when everything is there already.
set -euo pipefail

packages=(meson ninja-build pkg-config gcc clang libclang-rt-14-dev libc6-dev liburing-dev
          python3 jq valgrind cppcheck clang-tidy man-db)
# the zone map tests render pages in headless Chromium
packages+=(chromium fonts-dejavu-core)
# the VM test bed (tests/vm) and the fio comparison
packages+=(qemu-system-x86 busybox-static cpio kmod xz-utils zstd util-linux fio)
# the fio engine's headers come from Debian's fio source package (dpkg-source)
packages+=(dpkg-dev debian-archive-keyring)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	SUDO=
	[ "$(id -u)" -eq 0 ] || SUDO=sudo
	echo "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# apt may be busy (unattended upgrades on a fresh machine): wait for it
	for i in $(seq 1 60); do
		$SUDO apt-get update -qq && break
		sleep 5
	done
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# fio's headers for the fio engine: the source of the installed fio, from
# Debian, unpacked in ~/.cache (private apt configuration; see fio/README).
# Without them the engine is not built and the tests say so.
cd "$(dirname "$0")/.."
fio/get-fio-source.sh --find >/dev/null 2>&1 || fio/get-fio-source.sh >/dev/null ||
	echo "deps: could not fetch fio's source: the fio engine will not be built" >&2
