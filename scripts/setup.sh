#!/usr/bin/env bash
# Installs everything the box and its tests need on a fresh Debian 12 machine:
# the Debian packages listed in .ci/apt-packages.d/*.txt (one per line) and the npm
# dependencies from package-lock.json. Safe to run again; apt is skipped when every
# package is already installed.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t pkgs < <(cat .ci/apt-packages.d/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
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
