#!/bin/bash
# SPDX-License-Identifier: MIT
# Prepare the zonekit VM test bed: host packages, guest kernels, base initramfs.
#   tests/vm/setup.sh [KVER...]     KVER: 6.1 | 6.12 | 7.2 | a full ABI like 6.1.0-56-amd64
#                                   (default: 6.1 6.12 7.2)
# Idempotent: a kernel already unpacked and its initramfs are kept; only what is
# missing (or a newer kernel ABI) is fetched. Kernels are never installed: the .debs
# are unpacked privately into the cache (ZKVM_CACHE, default tests/vm/.cache).
# 6.1 and 6.12 come from Debian 12 (bookworm, bookworm-security), 7.2 from Debian sid
# through a private apt configuration under the cache (the system's sources are never
# touched). Debian's 7.2 has no zloop module: zloop/build.sh builds it out of tree
# from Debian's linux-source-7.2 (fetched here, never committed).
# Needs root (apt-get). The guest's /init is not in the base initramfs: run.sh
# appends it on every boot, so editing tests/vm/init needs no re-run of this script.
set -Eeuo pipefail
trap 'echo "setup: ERROR: command failed at line $LINENO (exit $?)" >&2' ERR
D=$(cd "$(dirname "$0")" && pwd)
CACHE=${ZKVM_CACHE:-$D/.cache}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
KVERS=${*:-6.1 6.12 7.2}
# every kernel: null_blk, NVMe (ZNS), the 9p share, configfs, loop, SCSI disks and
# scsi_debug (a ZBC host-managed disk); where the kernel has them: ublk (Debian's 6.1
# has none) and zloop (6.15 on; built out of tree by zloop/build.sh for Debian's 7.2).
MODS="null_blk nvme virtio_pci virtio_blk 9p 9pnet_virtio configfs loop scsi_mod sd_mod scsi_debug"
OPT_MODS="ublk_drv zloop btrfs f2fs" # zloop: 7.2 (zloop/); btrfs, f2fs: serve/
log() { echo "setup: $*" >&2; }
die() { echo "setup: ERROR: $*" >&2; exit 1; }

# Other people run apt on this machine too: wait for the dpkg lock instead of failing,
# and retry 'apt-get update', whose lists lock is not covered by DPkg::Lock::Timeout.
APT_WAIT=(-o DPkg::Lock::Timeout=600)
apt_update() {
	local i
	for i in 1 2 3 4 5 6; do
		apt-get "${APT_WAIT[@]}" "$@" update -qq && return 0
		log "apt-get update failed (lock held by someone else?), retry $i in 20s"; sleep 20
	done
	die "apt-get update keeps failing"
}

# --- host packages -----------------------------------------------------------
# apt-cache needs package lists; a fresh machine may have none.
ls /var/lib/apt/lists/*_Packages* >/dev/null 2>&1 || apt_update
PKGS="qemu-system-x86 busybox-static cpio kmod xz-utils zstd util-linux gcc libc6-dev make"
missing=
for p in $PKGS; do
	dpkg-query -W -f '${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || missing="$missing $p"
done
if [ -n "$missing" ]; then
	log "installing:" $missing
	inst() { DEBIAN_FRONTEND=noninteractive apt-get "${APT_WAIT[@]}" install -y -q --no-install-recommends $missing; }
	inst || { apt_update; inst; } # stale lists name versions the mirror no longer has
fi

# --- where to find kernels ---------------------------------------------------
# Debian 12 serves 6.1 (linux-image-6.1.0-N-amd64) from bookworm and bookworm-security,
# and 6.12 (linux-image-6.12.N+deb12-amd64, source linux-6.12) from bookworm-security.
# If the system's sources lack a series, use a private apt configuration under the
# cache (its own sources.list and lists dir), so the system's apt setup is untouched.
PRIV=(-o Dir::Etc::sourcelist="$CACHE/apt/sources.list"
	-o Dir::Etc::sourceparts="$CACHE/apt/sources.list.d"
	-o Dir::State::Lists="$CACHE/apt/lists" -o Dir::Cache="$CACHE/apt/cache")
priv_apt_ready=
private_apt() {
	[ -n "$priv_apt_ready" ] && return 0
	mkdir -p "$CACHE/apt/lists/partial" "$CACHE/apt/cache/archives/partial" "$CACHE/apt/sources.list.d"
	cat > "$CACHE/apt/sources.list" <<-EOF
	deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian bookworm main
	deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian-security bookworm-security main
	EOF
	log "using a private apt configuration in $CACHE/apt"
	apt_update "${PRIV[@]}"
	priv_apt_ready=1
}

# Debian sid serves the kernels after Debian 12's (7.2: linux-image-7.2.N+debNN-amd64).
# Its package lists live in their own private apt configuration under the cache, an apt
# config file that zloop/build.sh reads too; they are fetched again once they are older
# than ZKVM_SID_MAX_AGE hours (default 24): sid moves on, old kernel ABIs go away.
SIDDIR=$CACHE/sid/apt
SIDCONF=$SIDDIR/apt.conf
sid_apt_ready=
sid_apt() {
	[ -n "$sid_apt_ready" ] && return 0
	local mirror
	mkdir -p "$SIDDIR/lists/partial" "$SIDDIR/cache/archives/partial" "$SIDDIR/sources.list.d"
	# the mirror the system already uses for Debian (CI reaches Debian's mirrors only)
	mirror=$(awk '/^URIs:/ && $2 ~ /\/debian\/?$/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$mirror" ] || mirror=$(awk '$1 == "deb" {
		for (i = 2; i <= NF; i++) if ($i ~ /:\/\/.*\/debian\/?$/) { print $i; exit } }' /etc/apt/sources.list 2>/dev/null || true)
	mirror=${mirror:-http://deb.debian.org/debian}
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror sid main" > "$SIDDIR/sources.list.new"
	cat > "$SIDCONF" <<-EOC
	Dir::Etc::sourcelist "$SIDDIR/sources.list";
	Dir::Etc::sourceparts "$SIDDIR/sources.list.d";
	Dir::State::Lists "$SIDDIR/lists";
	Dir::Cache "$SIDDIR/cache";
	Acquire::Languages "none";
	APT::Get::List-Cleanup "false";
	APT::Sandbox::User "root";
	EOC
	local lists=("$SIDDIR"/lists/*_sid_main_binary-amd64_Packages*)
	if ! cmp -s "$SIDDIR/sources.list.new" "$SIDDIR/sources.list" || [ ! -f "${lists[0]}" ] ||
		[ -n "$(find "${lists[0]}" -mmin +$((${ZKVM_SID_MAX_AGE:-24} * 60)))" ]; then
		mv "$SIDDIR/sources.list.new" "$SIDDIR/sources.list"
		log "fetching Debian sid's package lists (private apt configuration $SIDCONF)"
		if ! apt-get -c "$SIDCONF" "${APT_WAIT[@]}" update -qq; then
			log "WARNING: cannot fetch sid's package lists; going on with the lists in the cache, if any"
		fi
	fi
	rm -f "$SIDDIR/sources.list.new"
	sid_apt_ready=1
}

# pattern for each series; prints the newest ABI found with the given apt options
pattern() {
	case $1 in
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' ;;
	7.2) echo '^linux-image-7\.2\.[0-9]+\+deb[0-9]+-amd64$' ;;
	esac
}
from_sid() { # SERIES or ABI: is it one of sid's kernels (not in Debian 12)?
	case $1 in 6.1 | 6.1.* | 6.12 | 6.12.* | [1-5].*) return 1 ;; esac
}
newest() { # SERIES [apt options...]
	local pat; pat=$(pattern "$1"); shift
	apt-cache "$@" search --names-only "$pat" | cut -d' ' -f1 | sed 's/^linux-image-//' | sort -V | tail -n 1
}

# --- one kernel: download, unpack, base initramfs ------------------------------
setup_kernel() {
	local want=$1 abi aptopt=() K
	if from_sid "$want"; then
		sid_apt; aptopt=(-c "$SIDCONF")
	fi
	if [ -n "$(pattern "$want")" ]; then
		abi=$(newest "$want" "${aptopt[@]}")
		if ! from_sid "$want" && { [ -z "$abi" ] || [ -n "${ZKVM_PRIVATE_APT:-}" ]; }; then
			private_apt; aptopt=("${PRIV[@]}"); abi=$(newest "$want" "${aptopt[@]}")
		fi
		if [ -z "$abi" ]; then
			# offline, or the suite has moved on to another series: fall back to
			# what we have, loudly
			[ -e "$CACHE/$want" ] || die "no linux-image package found for $want" \
				"(and none in the cache): give a full ABI, or a series the apt lists have"
			abi=$(basename "$(readlink "$CACHE/$want")")
			log "WARNING: no package list names a $want kernel any more; using the cached $abi"
		fi
	else
		abi=$want
	fi
	K=$CACHE/$abi
	[ -f "$K/unpacked" ] || download_kernel "$abi" "$K" "${aptopt[@]}"
	[ -f "$K/vmlinux" ] || extract_vmlinux "$K/vmlinuz" "$K/vmlinux"
	if needs_zloop_build "$abi" "$K" && [ ! -f "$K/zloop/zloop.ko" ]; then
		log "kernel $abi has no zloop module: building it out of tree (zloop/build.sh)"
		sid_apt
		"$D/zloop/build.sh" -c "$SIDCONF" "$abi" "$K/zloop" ||
			die "zloop/build.sh failed for $abi"
	fi
	# the base initramfs depends on this script, the kernel, zloop.ko and host binaries only
	if [ ! -f "$K/initramfs.cpio.gz" ] || [ "$0" -nt "$K/initramfs.cpio.gz" ] ||
		[ "$K/zloop/zloop.ko" -nt "$K/initramfs.cpio.gz" ]; then
		build_initramfs "$abi" "$K"
	fi
	[ "$want" = "$abi" ] || ln -sfn "$abi" "$CACHE/$want"
	log "kernel $want: $abi (package version $(cat "$K/version"))"
}

# Debian 12's kernels are one linux-image package (/boot, /lib/modules); sid's are a
# meta package depending on linux-base-, linux-binary- and linux-modules-ABI, all under
# /usr/lib/modules/ABI (vmlinuz and config too).
download_kernel() { # ABI DIR [apt options...]
	local abi=$1 K=$2 pkgs deps
	shift 2
	rm -rf "$K"; mkdir -p "$K/dl"
	pkgs=("linux-image-$abi")
	if ! apt-cache "$@" show "linux-image-$abi" >/dev/null 2>&1 && ! from_sid "$abi"; then
		private_apt; set -- "${PRIV[@]}"
	fi
	# (not "apt-cache | grep -q": with pipefail, apt-cache killed by SIGPIPE fails it)
	deps=$(apt-cache "$@" show "linux-image-$abi" | sed -n 's/^Depends: //p')
	if [[ $deps == *"linux-binary-$abi"* ]]; then
		pkgs+=("linux-base-$abi" "linux-binary-$abi" "linux-modules-$abi")
	fi
	log "downloading ${pkgs[*]}"
	(cd "$K/dl" && apt-get "$@" -o APT::Sandbox::User=root -q download "${pkgs[@]}")
	log "downloaded $(du -cb "$K"/dl/*.deb | awk 'END {printf "%.1f MB", $1 / 1e6}')"
	dpkg-deb -f "$K/dl/linux-image-${abi}_"*.deb Version > "$K/version"
	for f in "$K"/dl/*.deb; do dpkg-deb -x "$f" "$K/root"; done
	rm -rf "$K/dl"
	if [ -f "$K/root/boot/vmlinuz-$abi" ]; then
		ln -sf "root/boot/vmlinuz-$abi" "$K/vmlinuz"
	else
		# host kmod (modprobe -d, depmod -b) looks in BASE/lib/modules only
		[ -e "$K/root/lib" ] || ln -s usr/lib "$K/root/lib"
		ln -sf "root/usr/lib/modules/$abi/vmlinuz" "$K/vmlinuz"
	fi
	[ -f "$K/vmlinuz" ] || die "no vmlinuz in the packages of $abi"
	touch "$K/unpacked"
}

kconfig() { # DIR ABI: the kernel's config file
	local f
	for f in "$1/root/boot/config-$2" "$1/root/usr/lib/modules/$2/config"; do
		[ -f "$f" ] && { echo "$f"; return; }
	done
}

# zloop (drivers/block/zloop.c) exists from Linux 6.15 on; Debian's 7.2 leaves it out
# (# CONFIG_BLK_DEV_ZONED_LOOP is not set). Build it where the kernel is new enough
# and does not have it.
needs_zloop_build() { # ABI DIR
	local cfg
	from_sid "$1" || return 1
	cfg=$(kconfig "$2" "$1")
	[ -n "$cfg" ] && grep -q '^CONFIG_BLK_DEV_ZONED=y' "$cfg" &&
		! grep -q '^CONFIG_BLK_DEV_ZONED_LOOP=[ym]' "$cfg"
}

# QEMU boots an uncompressed ELF vmlinux directly (PVH entry; Debian's kernels have
# CONFIG_PVH), which saves decompressing the bzImage in the emulated CPU: several
# seconds per boot under TCG. run.sh falls back to the bzImage if this fails.
extract_vmlinux() { # BZIMAGE OUT
	local off magic
	off=$({ LC_ALL=C grep -obUaP '\xfd7zXZ\x00|\x28\xb5\x2f\xfd' "$1" || true; } | awk -F: 'NR == 1 {print $1}')
	magic=$(od -An -tx1 -j "${off:-0}" -N 4 "$1" | tr -d ' \n')
	case $magic in
	fd377a58) tail -c +$((off + 1)) "$1" | xz -dcq --single-stream > "$2.tmp" || true ;;
	28b52ffd) tail -c +$((off + 1)) "$1" | zstd -dcq > "$2.tmp" 2>/dev/null || true ;; # fails at the trailing bytes
	esac
	if [ "$(od -An -tx1 -N 4 "$2.tmp" 2>/dev/null | tr -d ' \n')" = 7f454c46 ]; then
		mv "$2.tmp" "$2"
	else
		rm -f "$2.tmp"; log "WARNING: no vmlinux found in $1: booting the bzImage (slower)"
	fi
}

build_initramfs() {
	local abi=$1 K=$2 S f rel bb
	S=$K/stage; rm -rf "$S"
	mkdir -p "$S"/{bin,sbin,dev,proc,sys,mnt,tmp,lib/modules/"$abi"}
	bb=$(command -v busybox)
	! ldd "$bb" >/dev/null 2>&1 || die "$bb is not static (need busybox-static)"
	cp "$bb" "$S/bin/busybox"
	# blkzone is dynamic: bring its shared libraries and loader along
	cp /usr/sbin/blkzone "$S/sbin/"
	for f in $(ldd /usr/sbin/blkzone | grep -o '/[^ ]*'); do
		mkdir -p "$S$(dirname "$f")"; cp -L "$f" "$S$f"
	done
	# Modules: modprobe needs modules.dep, which the package leaves to its postinst.
	[ -f "$K/root/lib/modules/$abi/modules.dep" ] || depmod -b "$K/root" "$abi"
	{
		for m in $MODS; do
			modprobe -d "$K/root" -S "$abi" --show-depends "$m" ||
				die "module $m not found in $abi"
		done
		for m in $OPT_MODS; do
			modprobe -d "$K/root" -S "$abi" --show-depends "$m" 2>/dev/null ||
				[ -f "$K/$m/$m.ko" ] || log "$abi has no module $m"
		done
	} | awk '$1=="insmod"{print $2}' | sort -u | while read -r f; do
		# decompress on the host: busybox modprobe may not read .ko.xz/.ko.zst
		rel=${f#"$K/root"}; rel=${rel%.xz}; rel=${rel%.zst}
		mkdir -p "$S$(dirname "$rel")"
		case $f in
		*.xz) xz -dc "$f" > "$S$rel" ;;
		*.zst) zstd -qdc "$f" > "$S$rel" ;;
		*) cp "$f" "$S$rel" ;;
		esac
	done
	cp "$K/root/lib/modules/$abi"/modules.{order,builtin,builtin.modinfo} "$S/lib/modules/$abi/"
	if [ -f "$K/zloop/zloop.ko" ]; then # built out of tree by zloop/build.sh
		mkdir -p "$S/lib/modules/$abi/extra"
		cp "$K/zloop/zloop.ko" "$S/lib/modules/$abi/extra/"
	fi
	depmod -b "$S" "$abi"
	(cd "$S" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$K/initramfs.cpio.gz.tmp"
	mv "$K/initramfs.cpio.gz.tmp" "$K/initramfs.cpio.gz"
	log "built $K/initramfs.cpio.gz ($(du -h "$K/initramfs.cpio.gz" | cut -f1)):" \
		"$(find "$S/lib/modules" -name '*.ko' | wc -l) modules"
	rm -rf "$S"
}

for k in $KVERS; do setup_kernel "$k"; done
log "done"
