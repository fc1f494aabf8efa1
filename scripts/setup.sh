#!/usr/bin/env bash
# Installs everything the box and its tests need on a fresh Debian 12 machine:
# the Debian packages listed in .ci/apt-packages.d/*.txt (one per line) and the npm
# dependencies from package-lock.json. Safe to run again; apt is skipped when every
# package is already installed.
#
#   --with NAME   also the optional list .ci/apt-packages.d/optional/NAME.txt, for work CI
#                 does not do (pi-card: building and booting the arm64 Raspberry Pi card)
set -euo pipefail
cd "$(dirname "$0")/.."

lists=(.ci/apt-packages.d/*.txt)
while (($#)); do
  case $1 in
    --with)
      extra=.ci/apt-packages.d/optional/${2:?--with needs a name: $(ls .ci/apt-packages.d/optional | sed 's/\.txt$//' | paste -sd' ')}.txt
      [[ -f $extra ]] || { echo "setup: no package list $extra (have: $(ls .ci/apt-packages.d/optional | sed 's/\.txt$//' | paste -sd' '))" >&2; exit 2; }
      lists+=("$extra"); shift 2 ;;
    *) echo "setup: unknown option $1 (usage: npm run setup [-- --with NAME])" >&2; exit 2 ;;
  esac
done
mapfile -t pkgs < <(cat "${lists[@]}" | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    echo "setup: these need root; run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci runs our own postinstall (builds appliance/native) and only the dependency
# install scripts allowed in package.json "allowScripts".
if [[ ! -d node_modules ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund
fi
