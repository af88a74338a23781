#!/bin/bash
# SPDX-License-Identifier: MIT
# Prepare the zonekit VM test bed: host packages, guest kernels, base initramfs.
#   tests/vm/setup.sh [KVER...]     KVER: 6.1 | 6.12 | a full ABI like 6.1.0-56-amd64
#                                   (default: 6.1 6.12)
# Idempotent: a kernel already unpacked and its initramfs are kept; only what is
# missing (or a newer kernel ABI) is fetched. Kernels are never installed: the .deb
# is unpacked privately into the cache (ZKVM_CACHE, default tests/vm/.cache).
# Needs root (apt-get). The guest's /init is not in the base initramfs: run.sh
# appends it on every boot, so editing tests/vm/init needs no re-run of this script.
set -Eeuo pipefail
trap 'echo "setup: ERROR: command failed at line $LINENO (exit $?)" >&2' ERR
D=$(cd "$(dirname "$0")" && pwd)
CACHE=${ZKVM_CACHE:-$D/.cache}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)
KVERS=${*:-6.1 6.12}
MODS="null_blk nvme virtio_pci virtio_blk 9p 9pnet_virtio configfs"
OPT_MODS="ublk_drv btrfs f2fs" # zonekit serve's tests (serve/), where the kernel has them
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
PKGS="qemu-system-x86 busybox-static cpio kmod xz-utils zstd util-linux gcc libc6-dev"
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

# pattern for each series; prints the newest ABI found with the given apt options
pattern() {
	case $1 in
	6.1) echo '^linux-image-6\.1\.0-[0-9]+-amd64$' ;;
	6.12) echo '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' ;;
	esac
}
newest() { # SERIES [apt options...]
	local pat; pat=$(pattern "$1"); shift
	apt-cache "$@" search --names-only "$pat" | cut -d' ' -f1 | sed 's/^linux-image-//' | sort -V | tail -n 1
}

# --- one kernel: download, unpack, base initramfs ------------------------------
setup_kernel() {
	local want=$1 abi aptopt=() K
	if [ -n "$(pattern "$want")" ]; then
		abi=$(newest "$want")
		if [ -z "$abi" ] || [ -n "${ZKVM_PRIVATE_APT:-}" ]; then
			private_apt; aptopt=("${PRIV[@]}"); abi=$(newest "$want" "${aptopt[@]}")
		fi
		if [ -z "$abi" ]; then
			# offline and nothing listed: fall back to what we have, loudly
			[ -e "$CACHE/$want" ] || die "no linux-image package found for $want"
			abi=$(basename "$(readlink "$CACHE/$want")")
			log "WARNING: no package list names a $want kernel; using cached $abi"
		fi
	else
		abi=$want
	fi
	K=$CACHE/$abi
	if [ ! -f "$K/unpacked" ]; then
		log "downloading linux-image-$abi"
		rm -rf "$K"; mkdir -p "$K/dl"
		apt-cache "${aptopt[@]}" show "linux-image-$abi" >/dev/null 2>&1 ||
			{ private_apt; aptopt=("${PRIV[@]}"); }
		(cd "$K/dl" && apt-get "${aptopt[@]}" -o APT::Sandbox::User=root -q download "linux-image-$abi")
		dpkg-deb -f "$K"/dl/*.deb Version > "$K/version"
		dpkg-deb -x "$K"/dl/*.deb "$K/root"
		rm -rf "$K/dl"
		ln -sf "root/boot/vmlinuz-$abi" "$K/vmlinuz"
		touch "$K/unpacked"
	fi
	[ -f "$K/vmlinux" ] || extract_vmlinux "$K/vmlinuz" "$K/vmlinux"
	# the base initramfs depends on this script, the kernel and host binaries only
	if [ ! -f "$K/initramfs.cpio.gz" ] || [ "$0" -nt "$K/initramfs.cpio.gz" ]; then
		build_initramfs "$abi" "$K"
	fi
	[ "$want" = "$abi" ] || ln -sfn "$abi" "$CACHE/$want"
	log "kernel $want: $abi (package version $(cat "$K/version"))"
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
	for m in $MODS $OPT_MODS; do
		case " $OPT_MODS " in
		*" $m "*) modprobe -d "$K/root" -S "$abi" --show-depends "$m" 2>/dev/null ||
			log "module $m not in $abi: left out" ;;
		*) modprobe -d "$K/root" -S "$abi" --show-depends "$m" ||
			die "module $m not found in $abi" ;;
		esac
	done | awk '$1=="insmod"{print $2}' | sort -u | while read -r f; do
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
	depmod -b "$S" "$abi"
	(cd "$S" && find . | LC_ALL=C sort | cpio -o -H newc --quiet | gzip -1) > "$K/initramfs.cpio.gz.tmp"
	mv "$K/initramfs.cpio.gz.tmp" "$K/initramfs.cpio.gz"
	log "built $K/initramfs.cpio.gz ($(du -h "$K/initramfs.cpio.gz" | cut -f1)):" \
		"$(find "$S/lib/modules" -name '*.ko' | wc -l) modules"
	rm -rf "$S"
}

for k in $KVERS; do setup_kernel "$k"; done
log "done"
