#!/bin/bash
# Builds the sonobox service as a Debian package for NVIDIA JetPack (Ubuntu 22.04 on a
# Jetson), or amd64 for tests:
#
#   image-build/deb/build-deb.sh --arch arm64|amd64 [--out DIR]
#
# Output: <out>/sonobox_<version>_<arch>.deb (default out: image-build/out/). Built with
# plain dpkg-deb --root-owner-group, no debhelper. Run it ON the target arch (on the Jetson
# itself for arm64, or in an arm64 chroot): the x264 helper links the target's libx264 and
# npm ci builds the native addons for the host it runs on. See image-build/README.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
arch='' out="$repo/image-build/out"
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) arch=${2:?--arch needs arm64 or amd64}; shift 2 ;;
    --out) out=${2:?--out needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$arch" in arm64|amd64) ;; *) echo "--arch arm64 or --arch amd64" >&2; exit 2 ;; esac
host=$(dpkg --print-architecture)
if [ "$arch" != "$host" ]; then
  echo "cannot build the $arch .deb on this $host machine: the x264 helper and the native" \
    "addons must be compiled for $arch against its libx264. Run image-build/deb/build-deb.sh" \
    "--arch $arch on the Jetson itself (git clone, npm ci, then this), or in a $arch chroot." >&2
  exit 2
fi
for tool in dpkg-deb npm node make pkg-config cc; do
  command -v "$tool" >/dev/null || { echo "missing $tool: apt-get install dpkg-dev make pkg-config gcc libx264-dev libopus-dev libasound2-dev, and Node >= 20.19" >&2; exit 1; }
done

version=$(node -p "require(process.argv[1]).version" "$repo/package.json")
mkdir -p "$out"
deb="$out/sonobox_${version}_${arch}.deb"
work=$(mktemp -d "${TMPDIR:-/var/tmp}/sonobox-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
pkg="$work/pkg"
mkdir -p "$pkg"

# /opt/sonobox: the same staging as the image.
"$repo/image-build/stage-app.sh" "$arch" "$pkg/opt/sonobox"
native="$pkg/opt/sonobox/appliance/native"
rm -rf "$native/build"
{ [ -x "$native/x264-pipe" ] && [ -x "$native/opus-pipe" ]; } || make -s -C "$native" CFLAGS=-O2
for helper in x264-pipe opus-pipe; do
  [ -x "$native/$helper" ] || { echo "the $helper helper did not build (appliance/native)" >&2; exit 1; }
done
install -D -m 0755 "$repo/systemd/sonobox-launch" "$pkg/opt/sonobox/systemd/sonobox-launch"

# The unit, minus the Pi's boot-partition mount (a drop-in cannot remove dependencies:
# systemd.unit(5)). Fails if those lines move, so a unit change is noticed here.
unit="$pkg/lib/systemd/system/sonobox.service"
mkdir -p "$(dirname "$unit")"
grep -qx 'Wants=boot-firmware.mount' "$repo/systemd/sonobox.service" && grep -qx 'After=boot-firmware.mount' "$repo/systemd/sonobox.service" || {
  echo "systemd/sonobox.service no longer has Wants=/After=boot-firmware.mount: update build-deb.sh" >&2; exit 1; }
sed '/^Wants=boot-firmware\.mount$/d; /^After=boot-firmware\.mount$/d' "$repo/systemd/sonobox.service" >"$unit"
install -D -m 0644 "$here/jetson.conf" "$pkg/lib/systemd/system/sonobox.service.d/jetson.conf"
install -D -m 0644 "$repo/systemd/sonobox.sysusers" "$pkg/usr/lib/sysusers.d/sonobox.conf"
install -D -m 0644 "$repo/udev/99-sonobox.rules" "$pkg/lib/udev/rules.d/99-sonobox.rules"
mkdir -p "$pkg/etc/sonobox"
{ echo "# On a JetPack system (the sonobox .deb) this file is /etc/sonobox/sonobox.toml; edit it"
  echo "# and run: systemctl restart sonobox. The notes below about the boot partition are the Pi's."
  cat "$repo/image-build/sonobox.toml"; } >"$pkg/etc/sonobox/sonobox.toml"

mkdir -p "$pkg/DEBIAN"
echo /etc/sonobox/sonobox.toml >"$pkg/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "$here/$s" "$pkg/DEBIAN/$s"; done
# Readable by the service's user; nothing writable but by root.
chmod -R u+rwX,go+rX,go-w "$pkg"
installed=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
cat >"$pkg/DEBIAN/control" <<CONTROL
Package: sonobox
Version: $version
Architecture: $arch
Maintainer: sonobox developers <sonobox@localhost>
Section: video
Priority: optional
Installed-Size: $installed
Depends: nodejs (>= 20.19) | nodejs-20, ffmpeg, libx264-164 | libx264-dev, libopus0, libasound2 | libasound2t64, systemd, udev
Description: private live ultrasound stream for a parent's phone
 Captures the scanner's HDMI through a USB dongle, encodes H.264 and serves it over
 WebRTC to one-time links shown on the cart display. Nothing is written to disk.
 Installs the service in /opt/sonobox, its systemd unit, user and udev rules.
CONTROL
dpkg-deb --build --root-owner-group -Zxz "$pkg" "$deb" >/dev/null
echo "built $deb ($(du -k --apparent-size "$deb" | cut -f1) KiB, ${installed} KiB installed)"
