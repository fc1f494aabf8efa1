#!/bin/bash
# Prepares everything the emulated hw-test guest needs, idempotently, and prints the
# cache directory on stdout (all progress goes to stderr).
#
#   bash hw-tests/emulated/prepare.sh
#
# What it makes, under <repo>/.hw-cache/<kernel ABI>/ (gitignored, keyed by kernel):
#   image/boot/vmlinuz-<abi>      Debian's stock kernel (from linux-image-<abi>.deb, not installed)
#   image/lib/modules/<abi>/      its modules + updates/{vicodec,v4l2-mem2mem}.ko + depmod output
#   initramfs.cpio.gz             busybox + the few modules needed to mount the host over 9p
#   ready                         stamp written last; its presence means the cache is complete
#
# The kernel version is read from the linux-image-amd64 dependency, never pinned: the
# security archive replaces old ABIs, so a pinned one would stop downloading.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
log() { printf '[hw-prepare] %s\n' "$*" >&2; }

apt_install() {
  # flock serialises with other engineers' apt runs on shared machines; harmless elsewhere.
  if command -v flock >/dev/null; then
    flock /tmp/apt.lock apt-get install -y --no-install-recommends "$@" >&2
  else
    apt-get install -y --no-install-recommends "$@" >&2
  fi
}

# 1. Host tools. Each command maps to the Debian package that provides it.
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
# The initramfs needs a static busybox (Debian's "busybox" package is dynamic; ldd fails on static).
{ [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; } || need+=(busybox-static)
command -v gcc >/dev/null || need+=(gcc)
command -v make >/dev/null || need+=(make)
command -v cpio >/dev/null || need+=(cpio)
command -v xz >/dev/null || need+=(xz-utils)
command -v depmod >/dev/null || need+=(kmod)
command -v v4l2-ctl >/dev/null || need+=(v4l-utils)
[ -e /usr/include/libv4l2.h ] || need+=(libv4l-dev)
if [ ${#need[@]} -gt 0 ]; then
  log "installing from apt: ${need[*]}"
  apt_install "${need[@]}"
fi

# 2. Which kernel: linux-image-amd64 depends on exactly one linux-image-<abi>.
abi="$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: linux-image-\([0-9].*\)$/\1/p' | head -n1)"
if [ -z "$abi" ]; then
  log "cannot tell the current kernel: 'apt-cache depends linux-image-amd64' names no linux-image-<abi>; run apt-get update"
  exit 1
fi
kver="$(apt-cache show "linux-image-$abi" | sed -n 's/^Version: //p' | head -n1)" # e.g. 6.1.192-2
series="$(echo "$abi" | cut -d. -f1,2)"                                            # e.g. 6.1
cache="$repo/.hw-cache/$abi"
# 5. Initramfs: static busybox, the modules needed to reach the host's / over 9p, /init.
build_initramfs() {
  ird="$cache/initramfs"
  rm -rf "$ird"
  mkdir -p "$ird"/{bin,dev,proc,sys,host,out,newroot,ovl,lib/modules}
  cp /bin/busybox "$ird/bin/busybox"
  ln -s busybox "$ird/bin/sh"
  # Resolve dependencies with modprobe against the extracted tree, then copy in load order.
  : > "$ird/lib/modules/load-order"
  for m in virtio_pci 9pnet_virtio 9p overlay; do
    modprobe -d "$cache/image" -S "$abi" --show-depends "$m" | while read -r kind path _; do
      [ "$kind" = insmod ] || continue
      base="$(basename "$path")"
      grep -qx "$base" "$ird/lib/modules/load-order" && continue
      [ -e "$path" ] || path="$cache/image$path"
      cp "$path" "$ird/lib/modules/$base"
      echo "$base" >> "$ird/lib/modules/load-order"
    done
  done
  cp "$here/guest-init.sh" "$ird/init"
  chmod +x "$ird/init"
  (cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) > "$cache/initramfs.cpio.gz"
}

if [ -e "$cache/ready" ]; then
  # The initramfs is cheap (<1 s): rebuild it whenever its /init changed.
  [ "$cache/initramfs.cpio.gz" -nt "$here/guest-init.sh" ] || build_initramfs
  echo "$cache"
  exit 0
fi
log "kernel $abi ($kver); building the cache in $cache"
mkdir -p "$cache/debs"

# Headers of exactly that ABI, for the out-of-tree modules.
[ -d "/usr/src/linux-headers-$abi" ] || apt_install "linux-headers-$abi"

# 3. Kernel image and source: downloaded, extracted, never installed on the host.
(
  cd "$cache/debs"
  ls linux-image-"$abi"_*.deb >/dev/null 2>&1 || apt-get download "linux-image-$abi" >&2 2>/dev/null
  ls linux-source-"$series"_*.deb >/dev/null 2>&1 || apt-get download "linux-source-$series" >&2 2>/dev/null
)
rm -rf "$cache/image" "$cache/src" "$cache/build"
dpkg-deb -x "$cache/debs"/linux-image-"$abi"_*.deb "$cache/image"
mods="$cache/image/lib/modules/$abi"

# 4. vicodec and v4l2-mem2mem are not built in Debian's amd64 kernel; build them out of
#    tree from linux-source of the same version (extracting only the files needed).
mkdir -p "$cache/src" "$cache/build"
dpkg-deb --fsys-tarfile "$cache/debs"/linux-source-"$series"_*.deb \
  | tar -xO "./usr/src/linux-source-$series.tar.xz" | xz -dc -T2 \
  | tar -x -C "$cache/src" --wildcards \
      "linux-source-$series/drivers/media/test-drivers/vicodec/*" \
      "linux-source-$series/drivers/media/v4l2-core/v4l2-mem2mem.c"
cp "$cache/src/linux-source-$series/drivers/media/test-drivers/vicodec/"*.[ch] "$cache/build/"
cp "$cache/src/linux-source-$series/drivers/media/v4l2-core/v4l2-mem2mem.c" "$cache/build/"
cat > "$cache/build/Kbuild" <<'EOF'
obj-m := v4l2-mem2mem.o vicodec.o
vicodec-objs := vicodec-core.o codec-fwht.o codec-v4l2-fwht.o
EOF
log "building vicodec and v4l2-mem2mem against linux-headers-$abi"
make -s -C "/usr/src/linux-headers-$abi" M="$cache/build" -j"$(nproc)" modules >&2
mkdir -p "$mods/updates"
cp "$cache/build/vicodec.ko" "$cache/build/v4l2-mem2mem.ko" "$mods/updates/"
depmod -b "$cache/image" "$abi"

build_initramfs
echo "$abi" > "$cache/ready"
log "cache ready ($(du -sh "$cache/initramfs.cpio.gz" | cut -f1) initramfs)"
echo "$cache"
