#!/bin/bash
# Builds a flashable sonobox image in one command:
#
#   image-build/build.sh --arch arm64|amd64 --source debian|raspios [--out DIR] [--mirror URL]
#
# Output in --out (default image-build/out/): sonobox-<arch>-<source>.img.xz, its .bmap
# (bmaptool) and a SHA256SUMS file. The image has two partitions: a FAT boot partition
# (label SONOBOOT: kernel, initrd, cmdline.txt, sonobox.toml) and a read-only ext4 root
# (label sonoroot). Assembled without loop devices: mkfs.vfat + mcopy, mkfs.ext4 -d, sfdisk,
# dd, so it runs unprivileged-ish in containers and CI. See image-build/README.md.
#
# Steps, each timed on the progress display; full output goes to <out>/build.log:
#   1 bootstrap  mmdebstrap of Debian 13 trixie with the package lists in packages/,
#                cached as a tarball under .hw-cache/ keyed by the hash of this recipe
#   2 app        the service staged with production dependencies only + the x264 helper
#   3 customize  overlay files, unit, udev rules, user, one initramfs, firewall
#   4 image      FAT + ext4 partitions into one disk image
#   5 compress   .img.xz, .bmap, SHA256SUMS
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
arch='' source='' out="$here/out" mirror='' rpi_mirror='' xz=yes
usage() {
  sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
  echo "  --mirror URL      Debian mirror (default: the one this host's apt uses)"
  echo "  --rpi-mirror URL  Raspberry Pi OS archive, required with --source raspios"
  echo "  --no-xz           keep the raw .img only (the QEMU system test boots it)"
}
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=${2:?--arch needs arm64 or amd64}; shift 2 ;;
    --source) source=${2:?--source needs debian or raspios}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    --mirror) mirror=${2:?}; shift 2 ;;
    --rpi-mirror) rpi_mirror=${2:?}; shift 2 ;;
    --no-xz) xz=no; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done
case "$arch/$source" in
  amd64/debian) pkgfile=amd64.txt ;;
  arm64/debian) pkgfile=arm64-debian.txt ;;
  arm64/raspios)
    pkgfile=arm64-raspios.txt
    [ -n "$rpi_mirror" ] || { echo "--source raspios needs --rpi-mirror <the Raspberry Pi OS trixie archive URL>" >&2; exit 2; } ;;
  *) echo "supported: --arch amd64 --source debian (QEMU test variant), --arch arm64 --source debian|raspios" >&2; exit 2 ;;
esac
[ "$(id -u)" = 0 ] || { echo "run as root (mmdebstrap root mode and chroot need it)" >&2; exit 1; }
for tool in mmdebstrap mkfs.vfat mcopy mkfs.ext4 sfdisk bmaptool xz sha256sum npm; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install mmdebstrap dosfstools mtools e2fsprogs fdisk bmap-tools xz-utils (see .ci/apt-packages.d/image.txt)" >&2; exit 1; }
done
# A foreign-arch root (arm64 on an amd64 machine) runs its programs through qemu-user:
# binfmt_misc must be mounted and the interpreter registered with the F flag (fix_binary,
# Debian's qemu-user-static default), so it works inside the chroot without being copied
# there. Containers often start without binfmt_misc mounted and nothing runs
# binfmt-support.service, so this does what that service would, once, and says what is
# missing when it cannot.
enable_foreign_arch() {
  local qarch
  case "$arch" in arm64) qarch=aarch64 ;; *) qarch=$arch ;; esac
  local fix="npm run setup -- --with pi-card (installs qemu-user-static binfmt-support arch-test)"
  for tool in "qemu-$qarch-static" update-binfmts arch-test; do
    command -v "$tool" >/dev/null || { echo "foreign arch $arch: missing $tool; run: $fix" >&2; exit 1; }
  done
  local bm=/proc/sys/fs/binfmt_misc
  if ! [ -e "$bm/status" ]; then
    mount -t binfmt_misc binfmt_misc "$bm" || {
      echo "foreign arch $arch: cannot mount binfmt_misc on $bm (a container without the privilege?); on the host: mount -t binfmt_misc binfmt_misc $bm && update-binfmts --enable qemu-$qarch" >&2
      exit 1
    }
  fi
  if ! [ -e "$bm/qemu-$qarch" ]; then
    update-binfmts --enable "qemu-$qarch" || { echo "foreign arch $arch: update-binfmts --enable qemu-$qarch failed; is qemu-user-static installed? run: $fix" >&2; exit 1; }
  fi
  grep -qx enabled "$bm/qemu-$qarch" || { echo "foreign arch $arch: $bm/qemu-$qarch is disabled; run: echo 1 > $bm/qemu-$qarch" >&2; exit 1; }
  grep -q '^flags:.*F' "$bm/qemu-$qarch" || { echo "foreign arch $arch: qemu-$qarch is registered without the F (fix binary) flag, so it cannot run inside the chroot; re-register it with Debian's qemu-user-static: update-binfmts --disable qemu-$qarch && update-binfmts --enable qemu-$qarch" >&2; exit 1; }
  arch-test "$arch" >/dev/null || { echo "foreign arch $arch: arch-test cannot run an $arch program even with qemu-$qarch registered; check $bm/qemu-$qarch" >&2; exit 1; }
  echo "foreign arch $arch: binfmt_misc qemu-$qarch enabled"
}
[ "$arch" != "$(dpkg --print-architecture)" ] && enable_foreign_arch
if [ -z "$mirror" ]; then # the host's own Debian mirror, so the recipe names no host
  mirror=$(sed -n 's/^URIs: *\(.*\/debian\)$/\1/p' /etc/apt/sources.list.d/*.sources 2>/dev/null | head -1)
fi

mkdir -p "$out" "$repo/.hw-cache"
log="$out/build.log"; : >"$log"
name="sonobox-$arch-$source"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/sonobox-image.XXXXXX")
root="$work/root"
cleanup() {
  for m in dev/pts dev proc sys; do mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m"; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- progress display: one line per step; on a terminal the newest log line ticks under it
step_no=0; step_total=5; t_build=$SECONDS
step() { # step <title> <function>: runs the function with output to the log, shows progress
  step_no=$((step_no + 1)); local title=$1 t0=$SECONDS
  printf '[%d/%d] %s\n' "$step_no" "$step_total" "$title"
  echo "=== $title" >>"$log"
  "$2" >>"$log" 2>&1 &
  local pid=$! next=30
  while kill -0 "$pid" 2>/dev/null; do
    if [ -t 1 ]; then
      printf '\r\033[K      %4ds  %s' $((SECONDS - t0)) "$(tail -n1 "$log" | cut -c1-90)"
    elif [ $((SECONDS - t0)) -ge "$next" ]; then # logs and CI: one line every 30 s
      printf '      %ds: %s\n' $((SECONDS - t0)) "$(tail -n1 "$log" | cut -c1-90)"
      next=$((next + 30))
    fi
    sleep 1
  done
  [ -t 1 ] && printf '\r\033[K'
  if ! wait "$pid"; then
    echo "      FAILED after $((SECONDS - t0))s; last lines of $log:" >&2
    tail -n 25 "$log" >&2
    exit 1
  fi
  printf '      done in %ds\n' $((SECONDS - t0))
}

packages() { # the package list for this arch/source, comments stripped, comma-separated
  cat "$here/packages/common.txt" "$here/packages/$pkgfile" | sed 's/#.*//; /^\s*$/d' | paste -sd, -
}

# --- 1: bootstrap (cached) -------------------------------------------------------------
# The cache key covers everything that shapes the tarball: this function's text, the
# package lists and the arch/source. Change any of them and the bootstrap runs again.
bootstrap_key() {
  { declare -f bootstrap; echo "$arch $source $mirror $rpi_mirror"; packages; cat "$here"/hooks/*; } | sha256sum | cut -c1-16
}
bootstrap() {
  local sources=()
  [ -n "$mirror" ] && sources+=("deb $mirror trixie main non-free-firmware" "deb $mirror trixie-updates main non-free-firmware")
  if [ "$source" = raspios ]; then
    # The Raspberry Pi archive's key comes from its keyring package; trusted=yes only for
    # the bootstrap's first fetch of that keyring, documented in the README.
    sources+=("deb [trusted=yes] $rpi_mirror trixie main")
  fi
  # update-initramfs is diverted to a no-op while packages install (the kernel and
  # initramfs-tools would each build an initrd: minutes under qemu-user) and restored in
  # step 3, which builds exactly one. Docs, man pages and locales are never installed.
  mmdebstrap --variant=apt --format=tar --arch="$arch" --components=main,non-free-firmware \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --essential-hook='chroot "$1" dpkg-divert --local --rename --add /usr/sbin/update-initramfs && ln -s /bin/true "$1/usr/sbin/update-initramfs"' \
    --essential-hook="$here/hooks/no-gpu-drivers.sh \"\$1\"" \
    --include="$(packages)" \
    trixie "$tarball.partial" "${sources[@]}"
  mv "$tarball.partial" "$tarball"
  # Older bootstraps of this arch/source are stale now: keep the cache to one per variant.
  find "$repo/.hw-cache" -maxdepth 1 -name "rootfs-$arch-$source-*.tar" ! -path "$tarball" -delete
}
tarball="$repo/.hw-cache/rootfs-$arch-$source-$(bootstrap_key).tar"
if [ -f "$tarball" ]; then
  step_total=4
  echo "bootstrap: cached $(basename "$tarball")"
else
  step "bootstrap Debian 13 trixie $arch ($source) with mmdebstrap" bootstrap
fi

# --- 2: the app, production dependencies only ------------------------------------------
app="$work/app"
stage_app() { # shared with the JetPack .deb (deb/build-deb.sh): image-build/stage-app.sh
  "$here/stage-app.sh" "$arch" "$app"
  # The native helpers are compiled in step 3, inside the target root (its arch, its libraries).
  rm -rf "$app/appliance/native/build" "$app/appliance/native/x264-pipe" "$app/appliance/native/opus-pipe"
}
step "stage the app (npm ci --omit=dev, bundle, web UI)" stage_app

# --- 3: customize the root -------------------------------------------------------------
customize() {
  mkdir -p "$root"
  tar -C "$root" -xf "$tarball"
  cp -a "$here/rootfs/." "$root/"
  mkdir -p "$root/opt/sonobox"
  cp -a "$app/." "$root/opt/sonobox/"
  install -D -m 0644 "$repo/systemd/sonobox.service" "$root/etc/systemd/system/sonobox.service"
  install -D -m 0644 "$repo/systemd/sonobox.sysusers" "$root/usr/lib/sysusers.d/sonobox.conf"
  install -D -m 0755 "$repo/systemd/sonobox-launch" "$root/opt/sonobox/systemd/sonobox-launch"
  install -D -m 0644 "$repo/udev/99-sonobox.rules" "$root/etc/udev/rules.d/99-sonobox.rules"
  for m in dev dev/pts proc sys; do mount --bind "/$m" "$root/$m"; done
  # The native helpers (x264-pipe, opus-pipe), compiled in the target (right arch, right
  # libx264/libopus/alsa-lib), with the build tools removed again afterwards. Foreign-arch
  # native addons are rebuilt likewise.
  local build_pkgs="gcc libc6-dev make pkg-config libx264-dev libopus-dev libasound2-dev"
  [ "$arch" != "$(dpkg --print-architecture)" ] && build_pkgs="$build_pkgs g++ python3 npm libv4l-dev"
  chroot "$root" sh -ec "
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends $build_pkgs
    make -C /opt/sonobox/appliance/native CFLAGS=-O2
    if command -v npm >/dev/null; then cd /opt/sonobox && npm rebuild; fi
    apt-mark auto $build_pkgs >/dev/null
    apt-get purge -y -q --autoremove $build_pkgs
    apt-get clean; rm -rf /var/lib/apt/lists/*
  "
  chroot "$root" systemd-sysusers
  chroot "$root" systemctl enable sonobox.service nftables.service systemd-networkd.service systemd-timesyncd.service
  # No login prompts: every account is locked, and tty1 is the cart display's framebuffer.
  chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_reap.service \
    getty@.service serial-getty@.service getty-static.service
  ln -sf /dev/null "$root/etc/systemd/system/dpkg-db-backup.timer"
  # hostapd and dnsmasq run only as the service's children, per session, with files in its
  # RAM-only runtime directory: never as system services with a config file on the card.
  # (dnsmasq-base ships no unit; masking covers a later full dnsmasq install too.)
  chroot "$root" systemctl mask hostapd.service hostapd@.service dnsmasq.service dnsmasq@.service
  # Restore update-initramfs and build the one initrd (MODULES=list, COMPRESS=zstd).
  rm -f "$root/usr/sbin/update-initramfs"
  chroot "$root" dpkg-divert --local --rename --remove /usr/sbin/update-initramfs
  cat "$here/boards/$arch-initramfs-modules.txt" >>"$root/etc/initramfs-tools/modules"
  chroot "$root" update-initramfs -c -k all
  # Every boot storage path of the boards this image is for, resolved against this kernel
  # and initrd: a driver missing from the list above fails here, not at a board's first boot.
  local k
  for k in $(ls "$root/lib/modules"); do
    "$here/check-boot-storage.sh" "$root" "$k" "$here/boards/$arch-boot-storage.txt"
  done
  if [ -d "$root/usr/lib/raspi-firmware" ] || [ -e "$root/etc/kernel/postinst.d/z50-raspi-firmware" ]; then
    # raspi-firmware writes "root=... rw" into cmdline.txt; our ro + volatile options are
    # in /etc/default/raspi-extra-cmdline (appended last), and its hook only acts when
    # run as a configure step, so re-run it that way now that the initrd exists.
    local kver; kver=$(ls "$root/lib/modules" | sort -V | tail -1)
    chroot "$root" env DPKG_MAINTSCRIPT_PACKAGE=raspi-firmware /etc/kernel/postinst.d/z50-raspi-firmware "$kver"
  fi
  for m in sys proc dev/pts dev; do umount -l "$root/$m"; done
  # Boot partition contents. Pi: raspi-firmware filled /boot/firmware. amd64: the same
  # convention by hand (kernel, initrd, cmdline.txt), read by QEMU's direct kernel boot.
  mkdir -p "$root/boot/firmware"
  if [ "$arch" = amd64 ]; then
    cp "$root"/boot/vmlinuz-* "$root/boot/firmware/vmlinuz"
    cp "$root"/boot/initrd.img-* "$root/boot/firmware/initrd.img"
    cp "$here/boards/amd64-cmdline.txt" "$root/boot/firmware/cmdline.txt"
  fi
  cp "$here/sonobox.toml" "$root/boot/firmware/sonobox.toml"
  # Nothing machine-specific baked in: a transient machine-id at each boot (ro root).
  : >"$root/etc/machine-id"; rm -f "$root/var/lib/dbus/machine-id"
  rm -rf "$root/var/cache/apt/"* "$root/var/log/"*
}
step "customize the root (app, unit, udev rules, user, initramfs, firewall)" customize

# --- 4: partitions and the disk image --------------------------------------------------
img="$work/$name.img"
assemble() {
  local boot_mb=256 root_mb
  # Root size: what the files need plus 25 % (ext4 metadata, the odd field fix), in MiB.
  root_mb=$(( $(du -sm --exclude=./boot/firmware "$root" | cut -f1) * 5 / 4 + 64 ))
  truncate -s "${boot_mb}M" "$work/boot.vfat"
  mkfs.vfat -F 32 -n SONOBOOT "$work/boot.vfat"
  MTOOLS_SKIP_CHECK=1 mcopy -s -i "$work/boot.vfat" "$root"/boot/firmware/* ::/
  mv "$root/boot/firmware" "$work/firmware.contents" && mkdir "$root/boot/firmware"
  # The mount point on the read-only root holds one marker file, hidden while the FAT
  # partition is mounted over it: its presence tells the service "the boot partition is
  # not mounted" apart from "sonobox.toml was deleted" (image-build/README.md).
  printf '%s\n' "The SONOBOOT partition is not mounted here: sonobox.toml cannot be read." \
    >"$root/boot/firmware/sonobox-boot-partition-not-mounted"
  # Fixed timestamps and no reserved blocks; journal kept (a pulled plug mid-update).
  mkfs.ext4 -q -L sonoroot -m 0 -E root_owner=0:0 -d "$root" "$work/root.ext4" "${root_mb}M"
  local total_mb=$((1 + boot_mb + root_mb + 1))
  truncate -s "${total_mb}M" "$img"
  printf 'label: dos\nstart=1MiB, size=%dMiB, type=c, bootable\nstart=%dMiB, type=83\n' \
    "$boot_mb" $((1 + boot_mb)) | sfdisk -q "$img"
  dd if="$work/boot.vfat" of="$img" bs=1M seek=1 conv=notrunc status=none
  dd if="$work/root.ext4" of="$img" bs=1M seek=$((1 + boot_mb)) conv=notrunc status=none
  echo "root: ${root_mb} MiB, image: ${total_mb} MiB"
}
step "assemble FAT boot + ext4 root (no loop devices)" assemble

compress() {
  rm -f "$out/$name".img*
  bmaptool create -o "$out/$name.img.bmap" "$img"
  cp --sparse=always "$img" "$out/$name.img"
  if [ "$xz" = yes ]; then
    xz -T0 -6 -k -f "$out/$name.img"
    (cd "$out" && sha256sum "$name.img.xz" "$name.img.bmap" >"$name.SHA256SUMS")
  else
    (cd "$out" && sha256sum "$name.img" "$name.img.bmap" >"$name.SHA256SUMS")
  fi
}
step "compress (.img.xz, .bmap, SHA-256)" compress

installed=$(du -sm --apparent-size "$out/$name.img" | cut -f1)
if [ "$xz" = yes ]; then
  compressed=$(du -sm --apparent-size "$out/$name.img.xz" | cut -f1)
  echo "built $out/$name.img.xz (${compressed} MiB compressed, ${installed} MiB installed) in $((SECONDS - t_build))s"
else
  echo "built $out/$name.img (${installed} MiB, not compressed) in $((SECONDS - t_build))s"
fi
[ "$xz" = yes ] && echo "flash: bmaptool copy $out/$name.img.xz /dev/sdX   (or Raspberry Pi Imager: custom image)"
exit 0
