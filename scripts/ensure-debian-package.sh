#!/usr/bin/env bash
# Makes sure a Debian package that the tests need is installed:
#   ensure-debian-package.sh PACKAGE PATH...
# Idempotent: does nothing when one of the PATHs is an executable (or a command on PATH).
# Otherwise installs PACKAGE with apt-get, non-interactively (needs root, or sudo without
# a password). Exits non-zero, saying why, when it cannot install it.
set -euo pipefail

package="${1:?usage: ensure-debian-package.sh PACKAGE PATH...}"
shift
[ "$#" -gt 0 ] || { echo "usage: ensure-debian-package.sh PACKAGE PATH..." >&2; exit 2; }
paths=("$@")

installed() {
  local path
  for path in "${paths[@]}"; do
    if [[ "$path" == */* ]]; then [ -x "$path" ] && return 0; else command -v "$path" >/dev/null 2>&1 && return 0; fi
  done
  return 1
}

if installed; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-debian-package: none of ${paths[*]} is installed and apt-get is missing; install $package by hand" >&2
  exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo -n)
  else
    echo "ensure-debian-package: $package is not installed; run 'apt-get install -y $package' as root" >&2
    exit 1
  fi
fi

echo "ensure-debian-package: installing the Debian package $package" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq </dev/null >&2
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "$package" </dev/null >&2
installed || {
  echo "ensure-debian-package: apt-get finished but none of ${paths[*]} is installed" >&2
  exit 1
}
