#!/usr/bin/env bash
# npm test: every test this machine can run, in one command (what CI runs).
#   1. type-check and build the viewer page;
#   2. vitest: unit + end-to-end (real Chromium, x264, werift on loopback, systemd-analyze,
#      udevadm, the QEMU boot of the appliance image);
#   3. hw-tests inside a QEMU/TCG guest with real V4L2 (vivid, vicodec), framebuffer,
#      uinput and mac80211_hwsim devices (hw-tests/emulated/run.sh).
# Ends with one line "tests: N passed, N failed, N skipped" over all of them, and lists
# every skipped test with its reason: a skip is never a pass.
set -uo pipefail
cd "$(dirname "$0")/.."
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0

npm run -s typecheck || exit 1
npm run -s build:ui || exit 1

# npm test includes the appliance image boot (test/system); the plain `vitest run` loop
# leaves it out unless asked, and SONOBOX_SKIP_SYSTEM_TEST=1 leaves it out here.
[[ ${SONOBOX_SKIP_SYSTEM_TEST:-0} == 1 ]] || export SONOBOX_SYSTEM_TEST=1
npx vitest run --reporter=default --reporter=json --outputFile.json="$results/host.json" || status=1

if [[ ${SONOBOX_SKIP_HW_EMULATED:-0} == 1 ]]; then
  echo "hw-tests in QEMU: SKIPPED (SONOBOX_SKIP_HW_EMULATED=1)"
else
  mkdir -p "$results/hw"
  bash hw-tests/emulated/run.sh --vga --timeout 900 --out "$results/hw" -- \
    node node_modules/vitest/vitest.mjs run --config hw-tests/vitest.hw.config.ts \
      --reporter=verbose --reporter=json --outputFile.json=/run/hw-out/hw.json || status=1
  [[ -f $results/hw/hw.json ]] && cp "$results/hw/hw.json" "$results/guest.json"
fi

node scripts/summarise-tests.mjs "$results"/*.json || status=1
exit $status
