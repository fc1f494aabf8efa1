#!/bin/sh
# /init of the emulated hw-test guest (busybox sh, PID 1). Copied into the initramfs by
# prepare.sh. Contract with run.sh:
#   kernel command line  sonobox.repo=<repo dir>  sonobox.cache=<cache dir>  sonobox.abi=<abi>
#   9p tag "hostroot"    the host's / (mounted read-only, with a tmpfs overlay on top)
#   9p tag "hwout"       run.sh's run directory (read-write): holds cmd.sh and session.env
#                        in, and receives "status" (the command's exit code) out
# The command runs chrooted in the overlay, as root, via hw-tests/emulated/guest-session.sh.
# Whatever happens, the guest powers off so QEMU exits.
export PATH=/bin
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
  echo "[hw-guest] $*" >&2
  echo 125 > /out/status 2>/dev/null
  sync
  poweroff -f
}

for w in $(cat /proc/cmdline); do
  case "$w" in
    sonobox.repo=*) repo="${w#*=}" ;;
    sonobox.cache=*) cache="${w#*=}" ;;
    sonobox.abi=*) abi="${w#*=}" ;;
  esac
done

while read -r m; do insmod "/lib/modules/$m" || fail "insmod $m failed"; done < /lib/modules/load-order

# msize 512 KiB: fewer round trips when node reads node_modules. cache=loose on the
# read-only root is safe because nothing on the host changes during a run and is much
# faster; the results share keeps the default (no cache) so writes land at once.
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288,cache=loose,ro hostroot /host \
  || fail "cannot mount the host's / over 9p (tag hostroot)"
mount -t 9p -o trans=virtio,version=9p2000.L,msize=524288 hwout /out \
  || fail "cannot mount the results share over 9p (tag hwout)"
mount -t tmpfs -o size=1g,mode=755 tmpfs /ovl
mkdir -p /ovl/upper /ovl/work
mount -t overlay overlay -o lowerdir=/host,upperdir=/ovl/upper,workdir=/ovl/work /newroot \
  || fail "cannot mount the overlay root"

r=/newroot
# The guest gets fresh tmpfs /tmp and /run, which would hide a checkout (or its cache) that
# lives there on the host, as CI's clones may: hold those paths and bind them back after.
held=""
for p in "$repo" "$cache"; do
  case "$p" in
    /tmp/*|/run/*)
      h="/held$(echo "$p" | tr / _)"
      mkdir -p "$h" && mount --bind "$r$p" "$h" && held="$held $p=$h" ;;
  esac
done
for d in proc sys dev tmp run; do mkdir -p "$r/$d"; done
mount -t proc proc "$r/proc"
mount -t sysfs sysfs "$r/sys"
mount -t devtmpfs devtmpfs "$r/dev"
mkdir -p "$r/dev/pts" "$r/dev/shm"
mount -t devpts devpts "$r/dev/pts"
mount -t tmpfs tmpfs "$r/dev/shm"
mount -t tmpfs tmpfs "$r/tmp"
mount -t tmpfs tmpfs "$r/run"
for pair in $held; do
  mkdir -p "$r${pair%%=*}" && mount --bind "${pair#*=}" "$r${pair%%=*}" || fail "cannot bind ${pair%%=*} back over the guest's tmpfs"
done
mkdir -p "$r/run/hw-out" "$r/lib/modules/$abi"
mount --bind /out "$r/run/hw-out"
# The guest kernel's modules (plus the out-of-tree vicodec) replace whatever the host has.
mount --bind "$r$cache/image/lib/modules/$abi" "$r/lib/modules/$abi" || fail "no modules for $abi in $cache"

chroot "$r" /bin/sh -c "cd '$repo' && exec /bin/bash '$repo/hw-tests/emulated/guest-session.sh'"
code=$?
echo "$code" > /out/status
sync
umount /newroot/run/hw-out 2>/dev/null
umount /out 2>/dev/null
poweroff -f
