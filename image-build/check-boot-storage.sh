#!/bin/bash
# Checks that every boot storage path of a board can reach its root file system with the
# kernel and initramfs built into a target root:
#
#   image-build/check-boot-storage.sh ROOT KVER TABLE
#
# TABLE (boards/<arch>-boot-storage.txt) lists, per path, the devices the hardware presents
# as modaliases. Each is resolved the way the kernel resolves it: modprobe inside ROOT
# (--show-depends: the driver and every module it needs, or "builtin"); a device whose
# driver is built in (no alias index entry) is written MODALIAS=CONFIG_SYMBOL and passes
# when the kernel's config has that symbol =y. A path passes when
# every module so named is in the initramfs (lsinitramfs) and every device-tree node it
# names is in the board's device tree. Run by build.sh after the initramfs is built (so a
# missing driver fails the build, not a boot) and usable by hand on any built root. Needs
# ROOT's /proc, /sys and /dev mounted when ROOT is a foreign arch (qemu-user).
set -euo pipefail
root=${1:?usage: check-boot-storage.sh ROOT KVER TABLE} kver=${2:?KVER} table=${3:?TABLE}
initrd=$(ls "$root"/boot/initrd.img-"$kver")
in_initrd=$(chroot "$root" lsinitramfs "/boot/$(basename "$initrd")" | sed -n 's|.*/\([^/]*\)\.ko\(\.[a-z]*\)\{0,1\}$|\1|p' | tr - _ | sort -u)
dtbdir=$root/usr/lib/linux-image-$kver
failed=0

while read -r first rest; do
  [[ -z $first || $first == \#* ]] && continue
  expect=supported
  if [[ $first == unsupported ]]; then expect=unsupported; read -r first rest <<<"$rest"; fi
  read -r dtb devices <<<"$rest"
  problems=() missing=()
  for dev in $devices; do
    if [[ $dev == of:* && $dtb != - ]]; then
      # A device-tree device: its compatible must be in the board's tree (a NUL-terminated
      # string in the blob), or the table describes hardware this board does not have.
      compat=${dev%%=*}; compat=${compat##*C}
      [[ -f $dtbdir/$dtb ]] || { problems+=("no device tree $dtb in the kernel package"); continue; }
      grep -qaF "$compat" "$dtbdir/$dtb" || problems+=("$dtb has no node compatible with $compat")
    fi
    if ! deps=$(chroot "$root" modprobe -S "$kver" --show-depends "${dev%%=*}" 2>/dev/null) || [[ -z $deps ]]; then
      # Built-in drivers leave no alias in the module index for their device tables: the
      # table names the Kconfig symbol that builds one in, and the kernel's config decides.
      config=''; [[ $dev == *=* ]] && config=${dev#*=}
      if [[ -z $config ]] || ! grep -qx "$config=y" "$root/boot/config-$kver"; then
        problems+=("no driver in $kver for ${dev%%=*}${config:+ ($config is not =y)}")
      fi
      continue
    fi
    while read -r how what _; do
      [[ $how == builtin ]] && continue
      mod=$(basename "$what" | sed 's/\.ko\(\.[a-z]*\)\{0,1\}$//' | tr - _)
      grep -qx "$mod" <<<"$in_initrd" || [[ " ${missing[*]} " == *" $mod "* ]] || missing+=("$mod")
    done <<<"$deps"
  done
  ((${#missing[@]})) && problems+=("not in the initramfs: ${missing[*]} (add to boards/*-initramfs-modules.txt)")
  if [[ $expect == supported ]]; then
    if ((${#problems[@]})); then
      failed=1
      echo "boot storage $first: FAILS: $(printf '%s; ' "${problems[@]}")" >&2
    else
      echo "boot storage $first: ok"
    fi
  elif ((${#problems[@]})); then
    echo "boot storage $first: not bootable with $kver, as documented (${problems[0]})"
  else
    failed=1
    echo "boot storage $first: listed as unsupported but every driver is there now: move it to the supported paths and the README" >&2
  fi
done <"$table"
exit $failed
