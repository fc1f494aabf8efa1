#!/bin/bash
# npm run bench:hw [-- bench args]: bench/hw-bench.ts on this board's V4L2 devices when it
# has a capture node and an M2M encoder (a Pi 4 / Jetson with the dongle: run as root),
# otherwise inside the QEMU/TCG guest of hw-tests/emulated/run.sh against vivid + vicodec.
# Force one or the other with HW_BENCH=board or HW_BENCH=emulated.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
mode="${HW_BENCH:-}"
if [ -z "$mode" ]; then
  mode=emulated
  # A board: a device-tree model and at least one memory-to-memory codec node.
  if [ -r /proc/device-tree/model ] && grep -qsE 'codec|nvenc|enc' /sys/class/video4linux/*/name; then mode=board; fi
fi
if [ "$mode" = board ]; then
  exec node node_modules/tsx/dist/cli.mjs bench/hw-bench.ts "$@"
fi
exec bash hw-tests/emulated/run.sh --timeout 420 -- node node_modules/tsx/dist/cli.mjs bench/hw-bench.ts "$@"
