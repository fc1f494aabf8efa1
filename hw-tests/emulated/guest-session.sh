#!/bin/bash
# Runs inside the emulated guest, chrooted into the host's / (read-only 9p + tmpfs overlay),
# as root, with the repository as the working directory. Called by guest-init.sh; exits
# with the status of the command run.sh was given.
#
# Inputs (written by run.sh into the results share, mounted at /run/hw-out):
#   session.env  shell assignments: HW_VIVID_OPTS, HW_VICODEC_OPTS, HW_VGA, --env values
#   cmd.sh       the command, already quoted
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
export HW_EMULATED=1          # tests may relax timing budgets under TCG; never skip because of it
export HW_OUT=/run/hw-out     # files written here come back to the host (run.sh --out DIR)
export NO_COLOR=1             # the console is a log, not a terminal (override with --env NO_COLOR=)
# shellcheck disable=SC1091
. /run/hw-out/session.env

say() { printf '[hw-guest] %s\n' "$*" >&2; }

# Module options go to modprobe.d so a test that unplugs with `rmmod vivid; modprobe vivid`
# gets the same devices back.
mkdir -p /etc/modprobe.d
{
  [ -z "$HW_VIVID_OPTS" ] || echo "options vivid $HW_VIVID_OPTS"
  [ -z "$HW_VICODEC_OPTS" ] || echo "options vicodec $HW_VICODEC_OPTS"
} > /etc/modprobe.d/sonobox-hw.conf

# snd-aloop: a real ALSA capture device for the heartbeat's tests (audio-aloop.hw.test.ts).
for m in vivid vicodec uinput snd-aloop; do
  modprobe "$m" || say "modprobe $m failed (tests that need it will skip and say so)"
done
if [ "${HW_VGA:-0}" = 1 ]; then
  # bochs drives QEMU's -device VGA and gives /dev/fb0 through DRM's fbdev emulation.
  modprobe bochs || say "modprobe bochs failed: no /dev/fb0"
fi
# No udevd runs in the guest; devtmpfs still creates /dev/video* and friends. Tests that
# need udev (rules, symlinks) start it themselves: /lib/systemd/systemd-udevd --daemon.

say "kernel $(uname -r); video nodes: $(cd /sys/class/video4linux 2>/dev/null && for d in *; do printf '%s=%s ' "$d" "$(cat "$d/name")"; done)"
# Through a pipe: the serial console is not a real terminal, and tools that see a TTY
# (vitest) redraw progress lines that turn into noise in a log.
bash /run/hw-out/cmd.sh 2>&1 | cat
code=${PIPESTATUS[0]}
say "command exited with $code"
exit "$code"
