#!/bin/bash
# SPDX-License-Identifier: MIT
# Build the zoned loop driver (zloop.ko, drivers/block/zloop.c, GPL-2.0 like the kernel)
# out of tree for a Debian kernel that leaves it out (Debian sid's 7.2:
# "# CONFIG_BLK_DEV_ZONED_LOOP is not set"). tests/vm/setup.sh runs it.
#   tests/vm/zloop/build.sh -c APTCONF KVER OUTDIR
#     APTCONF  an apt config file whose sources have the kernel's suite (setup.sh's
#              private sid configuration, .cache/sid/apt/apt.conf)
#     KVER     the kernel ABI, e.g. 7.2.13+deb14-amd64
#     OUTDIR   leaves OUTDIR/zloop.ko and, from the same source tree, OUTDIR/src/: zloop.c,
#              include/uapi/linux/blkzoned.h (read by the VM's probes), zoned_loop.rst
# Nothing is installed and nothing of the kernel's is committed: Debian's
# linux-source-X.Y of the kernel's exact version (~160 MB, only three files are kept),
# linux-headers-KVER, linux-headers-ABI-common and linux-kbuild-ABI are downloaded and
# unpacked under OUTDIR. The kbuild tools (modpost, objtool) are built against sid's glibc,
# newer than Debian 12's: they run under sid's libc6/libelf/zlib/libzstd, unpacked under
# OUTDIR too. The module is compiled with the host's gcc-12 (the kernel was built with a
# newer gcc): the two config symbols that only a newer gcc or pahole satisfy are turned
# off on the make command line. The module is unsigned (the kernel says "module
# verification failed ... tainting kernel" and loads it: CONFIG_MODULE_SIG_FORCE is off).
set -Eeuo pipefail
trap 'echo "zloop/build.sh: ERROR: command failed at line $LINENO (exit $?)" >&2' ERR
die() { echo "zloop/build.sh: ERROR: $*" >&2; exit 1; }
log() { echo "zloop/build.sh: $*" >&2; }
[ "${1:-}" = -c ] && [ $# = 4 ] || die "usage: $0 -c APTCONF KVER OUTDIR"
CONF=$2 KVER=$3 OUT=$4
ABI=${KVER%-amd64}            # 7.2.13+deb14
SERIES=$(echo "$KVER" | cut -d. -f1,2)
APT=(-c "$CONF" -o APT::Sandbox::User=root -o DPkg::Lock::Timeout=600)
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
DL=$OUT/dl HDR=$OUT/hdr SIDLIBS=$OUT/sidlibs B=$OUT/build
t0=$SECONDS

version_of() { apt-cache "${APT[@]}" show "$1" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -n 1; }
VER=$(version_of "linux-headers-$KVER")
[ -n "$VER" ] || die "no linux-headers-$KVER in the apt lists of $CONF"
SRCVER=$(version_of "linux-source-$SERIES")
[ "$SRCVER" = "$VER" ] ||
	die "linux-source-$SERIES is at version '${SRCVER:-none}', the kernel at $VER: no matching source"

# ---- downloads ----
mkdir -p "$DL"
want=("linux-headers-$KVER=$VER" "linux-headers-$ABI-common=$VER" "linux-kbuild-$ABI=$VER"
	libc6 libelf1t64 zlib1g libzstd1)
[ -f "$OUT/src/drivers/block/zloop.c" ] || want+=("linux-source-$SERIES=$VER")
missing=()
for p in "${want[@]}"; do
	ls "$DL/${p%%=*}"_*.deb > /dev/null 2>&1 || missing+=("$p")
done
# one apt-get for all: each run reads sid's whole package list again (~3 s)
[ ${#missing[@]} = 0 ] || (cd "$DL" && apt-get "${APT[@]}" -q download "${missing[@]}") >&2
log "downloaded $(du -cb "$DL"/*.deb | awk 'END {printf "%.1f MB", $1 / 1e6}') in $((SECONDS - t0)) s"

# ---- the sources: three files of the exact kernel tree ----
if [ ! -f "$OUT/src/drivers/block/zloop.c" ]; then
	rm -rf "$OUT/src.tmp"; mkdir -p "$OUT/src.tmp"
	dpkg-deb --fsys-tarfile "$DL/linux-source-${SERIES}_"*.deb |
		tar -xO --wildcards './usr/src/linux-source-*.tar.*' | xz -dc |
		tar -x -C "$OUT/src.tmp" --strip-components=1 --wildcards \
			'*/drivers/block/zloop.c' '*/include/uapi/linux/blkzoned.h' \
			'*/Documentation/admin-guide/blockdev/zoned_loop.rst'
	[ -f "$OUT/src.tmp/drivers/block/zloop.c" ] || die "no drivers/block/zloop.c in linux-source-$SERIES"
	rm -rf "$OUT/src"; mv "$OUT/src.tmp" "$OUT/src"
	log "sources extracted: $((SECONDS - t0)) s"
fi
rm -f "$DL/linux-source-${SERIES}_"*.deb # ~160 MB: only the three files are kept

# ---- a private kbuild tree ----
if [ ! -f "$HDR/ready" ]; then
	rm -rf "$HDR" "$SIDLIBS"; mkdir -p "$HDR" "$SIDLIBS"
	for p in "linux-headers-$KVER" "linux-headers-$ABI-common" "linux-kbuild-$ABI"; do
		dpkg-deb -x "$DL/${p}_"*.deb "$HDR"
	done
	for p in libc6 libelf1t64 zlib1g libzstd1; do dpkg-deb -x "$DL/${p}_"*.deb "$SIDLIBS"; done
	H=$HDR/usr/src/linux-headers-$KVER
	[ -f "$H/Makefile" ] || die "no $H/Makefile in linux-headers-$KVER"
	sed -i "s|/usr/src/linux-headers-|$HDR/usr/src/linux-headers-|g" "$H/Makefile"
	# the headers' symlinks to the kbuild tree are absolute: point them into HDR
	find "$HDR" -type l | while read -r l; do
		t=$(readlink "$l")
		case $t in /usr/*) ln -sfn "$HDR$t" "$l" ;; esac
	done
	# kbuild tools that need a glibc newer than the host's (2.36): run them with sid's
	L=$SIDLIBS/usr/lib/x86_64-linux-gnu
	find "$HDR/usr/lib/linux-kbuild-$ABI" -type f -perm -u+x | while read -r f; do
		[ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" = 7f454c46 ] || continue
		LC_ALL=C grep -qaE 'GLIBC_2\.(3[7-9]|[4-9][0-9])' "$f" || continue
		mv "$f" "$f.bin"
		printf '#!/bin/sh\n# built against a newer glibc than the host'"'"'s: run it with the unpacked one\nexec %s/ld-linux-x86-64.so.2 --library-path %s "$0.bin" "$@"\n' "$L" "$L" > "$f"
		chmod +x "$f"
		log "wrapped ${f#"$HDR"} (needs a newer glibc)"
	done
	touch "$HDR/ready"
fi

# ---- build ----
rm -rf "$B"; mkdir -p "$B"
cp "$OUT/src/drivers/block/zloop.c" "$B/"
echo 'obj-m := zloop.o' > "$B/Kbuild"
make -C "$HDR/usr/src/linux-headers-$KVER" M="$B" CC="${ZLOOP_CC:-gcc}" \
	CONFIG_CC_HAS_MIN_FUNCTION_ALIGNMENT= CONFIG_DEBUG_INFO_BTF_MODULES= modules > "$B/make.log" 2>&1 ||
	{ tail -n 30 "$B/make.log" >&2; die "make failed (log: $B/make.log)"; }
vm=$(modinfo -F vermagic "$B/zloop.ko")
case $vm in "$KVER "*) ;; *) die "zloop.ko has vermagic '$vm', not $KVER" ;; esac
cp "$B/zloop.ko" "$OUT/zloop.ko"
log "built $OUT/zloop.ko (vermagic $vm) in $((SECONDS - t0)) s"
