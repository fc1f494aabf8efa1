#!/bin/sh
# mmdebstrap essential hook: installs an empty package that stands in for Mesa's Gallium
# GPU drivers before ffmpeg is installed. Usage: no-gpu-drivers.sh <chroot>
#
# Why: Debian's ffmpeg reaches mesa-libgallium through package dependencies only
# (libsdl2 -> libgbm1, libglx-mesa0), and it pulls LLVM and Z3 behind it: ~195 MiB of
# drivers nothing on the box loads (no library ffmpeg links loads them; GBM and GLX open
# drivers with dlopen only when a program renders on a GPU, which decoding MJPEG to
# YUV never does). The stand-in Provides exactly the archive's version, so libgbm1's
# "mesa-libgallium (= <version>)" dependency is met; Conflicts keeps the real one out.
set -eu
root=$1
v=$(chroot "$root" apt-cache show --no-all-versions mesa-libgallium | sed -n 's/^Version: //p')
[ -n "$v" ] || { echo "no-gpu-drivers: mesa-libgallium not in the archive; nothing to stand in for"; exit 0; }
d=$(mktemp -d "$root/tmp/no-gpu.XXXXXX")
mkdir "$d/DEBIAN"
cat >"$d/DEBIAN/control" <<CTL
Package: sonobox-no-gpu-drivers
Version: 1
Architecture: all
Maintainer: sonobox <https://github.com/sonobox>
Provides: mesa-libgallium (= $v)
Conflicts: mesa-libgallium
Description: stand-in for Mesa's GPU drivers, which nothing on a sonobox loads
 See image-build/hooks/no-gpu-drivers.sh in the sonobox sources.
CTL
chroot "$root" dpkg-deb --root-owner-group -b "/tmp/$(basename "$d")" /tmp/no-gpu-drivers.deb >/dev/null
chroot "$root" dpkg -i /tmp/no-gpu-drivers.deb
rm -rf "$d" "$root/tmp/no-gpu-drivers.deb"
echo "no-gpu-drivers: stands in for mesa-libgallium $v"
