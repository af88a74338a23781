#!/bin/bash
# SPDX-License-Identifier: MIT
# Build a static fio for the test VM from Debian sid's fio source package (the
# newest fio Debian has: 3.41 when this was written; bookworm has 3.33), so that
# the guest runs fio and fio's own zoned test suite (t/zbd/test-zbd-support)
# without bringing fio's many shared libraries along.  fio's code is never
# part of zonekit: it is unpacked and built in a cache directory.
#   tests/vm/serve/build-fio.sh [CACHE_DIR]   prints the built source tree
# CACHE_DIR: default $ZK_FIO_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/zonekit/fio.
# The deb-src entry for sid lives in a private apt configuration under
# CACHE_DIR/apt-sid: the system's apt setup is untouched.  Idempotent.
set -euo pipefail
log() { echo "build-fio: $*" >&2; }
die() { echo "build-fio: ERROR: $*" >&2; exit 1; }
CACHE=${1:-${ZK_FIO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/zonekit/fio}}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
APT=$CACHE/apt-sid
mkdir -p "$APT/lists/partial" "$APT/cache/archives/partial" "$APT/sources.list.d"
echo "deb-src [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian sid main" \
	> "$APT/sources.list"
PRIV=(-o Dir::Etc::sourcelist="$APT/sources.list" -o Dir::Etc::sourceparts="$APT/sources.list.d"
	-o Dir::State::Lists="$APT/lists" -o Dir::Cache="$APT/cache" -o APT::Sandbox::User="$(id -un)")
ver() { apt-cache "${PRIV[@]}" showsrc fio 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1; }
VER=$(ver || true)
if [ -z "$VER" ] || [ -n "${ZK_FIO_UPDATE:-}" ]; then
	log "apt-get update (private configuration in $APT)"
	apt-get "${PRIV[@]}" -qq update >&2 || die "apt-get update failed"
	VER=$(ver || true)
fi
[ -n "$VER" ] || die "no fio source package in sid"
UPVER=${VER#*:}; UPVER=${UPVER%-*}
SRC=$CACHE/fio-sid-$UPVER
if [ -x "$SRC/fio" ] && [ "$(cat "$SRC/.zonekit-static" 2>/dev/null)" = "$VER" ]; then
	echo "$SRC"; exit 0
fi
# fio's upstream tarball, as the source package has it (checked against the
# package's hash; Debian's few patches are left out: the mirror may lack the
# .dsc of sid's package, and the tests need none of them)
DL=$CACHE/dl-sid
ORIG=fio_$UPVER.orig.tar.gz
SUM=$(apt-cache "${PRIV[@]}" showsrc fio | awk -v f="$ORIG" -v v="$VER" '
	/^Version:/ {ours = $2 == v} /^Files:/ {on = ours; next} /^[^ ]/ {on = 0}
	on && $3 == f {print $1; exit}')
[ -n "$SUM" ] || die "no $ORIG in the source package $VER"
mkdir -p "$DL"
if [ "$(md5sum < "$DL/$ORIG" 2>/dev/null | cut -d' ' -f1)" != "$SUM" ]; then
	log "downloading $ORIG (sid's fio $VER)"
	(cd "$DL" && apt-get "${PRIV[@]}" -qq source --download-only "fio=$VER" >&2 || true)
fi
[ "$(md5sum < "$DL/$ORIG" 2>/dev/null | cut -d' ' -f1)" = "$SUM" ] ||
	die "could not download $ORIG with the package's checksum"
rm -rf "$SRC"; mkdir -p "$SRC"
tar -xzf "$DL/$ORIG" -C "$SRC" --strip-components=1 || die "cannot unpack $ORIG"
# fio's zoned test suite runs its jobs with libaio: its static library
if ! dpkg-query -W -f '${db:Status-Abbrev}' libaio-dev 2>/dev/null | grep -q '^ii'; then
	log "installing libaio-dev"
	DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
		--no-install-recommends libaio-dev >&2 || die "apt-get install libaio-dev failed"
fi
# static, and only what the tests use: psync, libaio, io_uring (fio's own, no
# liburing needed) and the zoned block device mode
log "building a static fio $UPVER (a few minutes)"
(cd "$SRC" && ./configure --build-static --disable-native \
	--disable-gfapi --disable-rdma --disable-numa --disable-libnfs --disable-xnvme \
	--disable-libblkio --disable-dfs --disable-pmem --disable-http --disable-libzbc \
	--disable-tcmalloc > .zonekit-configure.log 2>&1) ||
	die "fio's configure failed: $SRC/.zonekit-configure.log"
nice make -C "$SRC" -j"$(nproc)" fio > "$SRC/.zonekit-make.log" 2>&1 ||
	die "building fio failed: $SRC/.zonekit-make.log"
ldd "$SRC/fio" > /dev/null 2>&1 && die "$SRC/fio is not static"
grep -q 'Linux AIO support *yes' "$SRC/.zonekit-configure.log" || die "fio was built without libaio"
echo "$VER" > "$SRC/.zonekit-static"
log "built $SRC/fio ($("$SRC/fio" --version))"
echo "$SRC"
