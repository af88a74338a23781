#!/bin/bash
# SPDX-License-Identifier: MIT
# Fetch the source of the installed fio (Debian's own source package, same
# version) and configure it, so that the zonekit fio engine can be built
# against fio's headers.  fio's code is never part of zonekit: it is
# unpacked into a cache directory outside the source tree.
#
#   fio/get-fio-source.sh [CACHE_DIR]         fetch if needed; print the
#                                             configured source directory
#   fio/get-fio-source.sh --find [CACHE_DIR]  no network: print it if it is
#                                             there already, else exit 1
#
# CACHE_DIR: default $ZK_FIO_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/zonekit/fio.
# ZK_FIO_SOURCE=DIR: use this configured fio source tree instead (--find
# checks it has config-host.h).  --find fetches after all when
# ZK_FIO_FETCH=1 (so that 'ZK_FIO_FETCH=1 meson setup' gets the headers).
#
# The deb-src entries live in a PRIVATE apt configuration under
# CACHE_DIR/apt (its own sources.list, sources.list.d, lists and cache):
# the system's apt sources, lists and caches are left untouched.  Needs
# apt-get, dpkg-source (dpkg-dev) and access to deb.debian.org; no root.
# Idempotent: a configured tree of the right version is reused.
set -euo pipefail
log() { echo "get-fio-source: $*" >&2; }
die() { echo "get-fio-source: ERROR: $*" >&2; exit 1; }

FIND=
if [ "${1:-}" = --find ]; then FIND=1; shift; fi
CACHE=${1:-${ZK_FIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zonekit/fio}}

if [ -n "${ZK_FIO_SOURCE:-}" ]; then
	[ -f "$ZK_FIO_SOURCE/config-host.h" ] && [ -f "$ZK_FIO_SOURCE/ioengines.h" ] ||
		die "ZK_FIO_SOURCE=$ZK_FIO_SOURCE is not a configured fio source tree"
	cd "$ZK_FIO_SOURCE" && pwd
	exit 0
fi

# The engine must be built against the exact fio that will load it.
VER=${ZK_FIO_VERSION:-$(dpkg-query -W -f '${Version}' fio 2>/dev/null || true)}
[ -n "$VER" ] || die "fio is not installed (apt-get install fio), or set ZK_FIO_VERSION"
UPVER=${VER#*:}; UPVER=${UPVER%-*}
SRC=$CACHE/fio-$UPVER
if [ -f "$SRC/config-host.h" ] && [ -f "$SRC/FIO-VERSION-FILE" ] &&
   [ "$(cat "$SRC/.zonekit-debian-version" 2>/dev/null)" = "$VER" ]; then
	cd "$SRC" && pwd
	exit 0
fi
if [ -n "$FIND" ] && [ "${ZK_FIO_FETCH:-0}" != 1 ]; then
	log "no configured source of fio $VER in $CACHE (run fio/get-fio-source.sh)"
	exit 1
fi

command -v dpkg-source >/dev/null || die "dpkg-source missing: apt-get install dpkg-dev"
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
SRC=$CACHE/fio-$UPVER
APT=$CACHE/apt
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources.list.d"
CODENAME=$(. /etc/os-release && echo "${VERSION_CODENAME:-bookworm}")
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
cat > "$APT/sources.list" <<EOT
deb-src [signed-by=$KEYRING] http://deb.debian.org/debian $CODENAME main
deb-src [signed-by=$KEYRING] http://deb.debian.org/debian $CODENAME-updates main
deb-src [signed-by=$KEYRING] http://deb.debian.org/debian-security $CODENAME-security main
EOT
PRIV=(-o Dir::Etc::sourcelist="$APT/sources.list"
      -o Dir::Etc::sourceparts="$APT/sources.list.d"
      -o Dir::State::Lists="$APT/lists"
      -o Dir::Cache="$APT/cache"
      -o APT::Sandbox::User="$(id -un)")
log "apt-get update (private configuration in $APT)"
apt-get "${PRIV[@]}" -qq update >&2 || die "apt-get update failed"

DL=$CACHE/dl
rm -rf "$DL"; mkdir -p "$DL"
log "apt-get source --download-only fio=$VER"
(cd "$DL" && apt-get "${PRIV[@]}" -qq source --download-only "fio=$VER" >&2) ||
	die "could not download the source of fio $VER"
DSC=$(ls "$DL"/fio_*.dsc | head -n1)
rm -rf "$SRC"
log "dpkg-source -x $(basename "$DSC")"
# the archive's signature was checked by apt (Release file and hashes)
dpkg-source -q -x "$DSC" "$SRC" >&2 2> >(grep -v '^gpgv:' >&2) ||
	die "dpkg-source -x failed"

# config-host.h: fio's own configure (as debian/rules runs it, with the
# optional libraries it finds here).  The layouts the engine uses
# (thread_data, fio_file, io_u, ioengine_ops) do not depend on them: only
# io_u's last union does, and POSIX aio's aiocb is its largest member
# either way.
log "configuring fio $UPVER"
(cd "$SRC" && ./configure --disable-native >"$SRC/.zonekit-configure.log" 2>&1 &&
	sh FIO-VERSION-GEN >/dev/null 2>&1) ||
	die "fio's ./configure failed; see $SRC/.zonekit-configure.log"
[ -f "$SRC/config-host.h" ] && [ -f "$SRC/FIO-VERSION-FILE" ] ||
	die "no config-host.h or FIO-VERSION-FILE after configure"
echo "$VER" > "$SRC/.zonekit-debian-version"
echo "$SRC"
