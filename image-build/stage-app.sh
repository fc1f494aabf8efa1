#!/bin/bash
# Stages the sonobox service into a directory, ready to run as /opt/sonobox: shared by the
# image (build.sh, step 2) and the JetPack .deb (deb/build-deb.sh).
#
#   image-build/stage-app.sh <arch> <app-dir>
#
# Result: the TypeScript transpiled in place (appliance/src/*.js), production-only
# node_modules (npm ci --omit=dev), web-ui/dist, systemd/sonobox-launch. npm ci runs our
# postinstall, which builds appliance/native/x264-pipe for THIS host's arch and libx264:
# a caller building for another arch (or another root's libx264) removes and rebuilds it.
#
# SONOBOX_STAGE_DEPS=link (npm run bench, bench/shipped-app.ts): instead of `npm ci
# --omit=dev`, link the checkout's node_modules and copy its built x264-pipe, so staging
# costs seconds, not a download. Only for measuring on this machine: the tree then also
# resolves devDependencies, so the production-dependencies check below proves less.
set -euo pipefail
arch=${1:?usage: stage-app.sh <arch> <app-dir>}
app=${2:?usage: stage-app.sh <arch> <app-dir>}
repo=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$app"
app=$(cd "$app" && pwd)
# The working tree as git sees it (tracked plus new, never ignored files such as
# node_modules or build output): what the developer is looking at, and on CI exactly
# the commit. Deleted-but-tracked paths are skipped.
files() { git ls-files -z --cached --others --exclude-standard "$@" | \
  while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done; }
(cd "$repo" && files package.json package-lock.json appliance web-ui systemd/sonobox-launch | \
  grep -zv -e '\.test\.ts$' | xargs -0 cp --parents -t "$app")
if [ -f "$repo/web-ui/build.mjs" ]; then
  (cd "$repo" && npm run -s build:ui) && cp -r "$repo/web-ui/dist" "$app/web-ui/"
else
  echo "WARNING: web-ui/build.mjs missing: the staged app has no viewer page" >&2
fi
# Our TypeScript transpiled file by file into the same tree (appliance/src/x.ts ->
# appliance/src/x.js): imports already end in .js, and paths the code derives from
# import.meta.url (../../native/x264-pipe) stay true, which a single bundle would break.
(cd "$repo" && files 'appliance/src/*.ts' | grep -zv -e '\.test\.ts$' | \
  xargs -0 npx esbuild --platform=node --format=esm --target=node20.19 \
    --outbase=appliance/src --outdir="$app/appliance/src" --log-level=warning)
find "$app/appliance/src" -name '*.ts' -delete
if [ -n "${SONOBOX_ENTRY:-}" ]; then # the OS can be tried before the service exists
  "$repo/node_modules/.bin/esbuild" "$SONOBOX_ENTRY" --platform=node --format=esm --outfile="$app/appliance/src/main.js"
fi
[ -f "$app/appliance/src/main.js" ] || { echo "appliance/src/main.ts is missing: nothing to run" >&2; exit 1; }
if [ "${SONOBOX_STAGE_DEPS:-}" = link ]; then
  for helper in x264-pipe opus-pipe; do
    [ -x "$repo/appliance/native/$helper" ] || { echo "no $repo/appliance/native/$helper: run npm run build:native" >&2; exit 1; }
    cp "$repo/appliance/native/$helper" "$app/appliance/native/"
  done
  ln -s "$repo/node_modules" "$app/node_modules"
else
  # Production dependencies only. Native addons are built for the host's arch here; for a
  # foreign arch the caller rebuilds them on the target.
  (cd "$app" && npm ci --omit=dev --no-audit --no-fund --ignore-scripts=false)
fi
# node20.19 (trixie's nodejs, package.json engines): an older target makes esbuild drop
# import attributes (`with { type: 'json' }`), which Node then refuses at start-up.
# Every import the service can reach must resolve against production dependencies
# alone (a runtime import of a devDependency crash-loops the box): esbuild resolves the
# whole graph from main.js in the staged tree and fails on anything missing. Native
# addons (*.node) are loaded by path at run time and checked by the boot test instead.
"$repo/node_modules/.bin/esbuild" "$app/appliance/src/main.js" --bundle --platform=node \
  --format=esm --outfile=/dev/null --log-level=error --log-limit=0 '--external:*.node' || {
  echo "the service imports something the staged app lacks (above): a package the service" \
    "uses belongs in dependencies, not devDependencies (package.json)" >&2; exit 1; }
# And the transpiled modules must load in Node as they are (import attributes, ESM/CJS
# interop, native addons): import the whole graph short of main.js, which would start
# the box. Same-arch builds only; a foreign arch's addons are built on the target.
if [ "$arch" = "$(dpkg --print-architecture)" ]; then
  (cd "$app" && node --input-type=module -e "await import('./appliance/src/app.js')") || {
    echo "the transpiled service does not load in Node (above)" >&2; exit 1; }
fi
