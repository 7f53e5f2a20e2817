#!/usr/bin/env bash
# Makes sure `nats-server` is installed, for the transport tests and the NATS benchmark.
# Idempotent: does nothing when it is already there. Otherwise installs the Debian
# package `nats-server` with apt-get, non-interactively (needs root, or sudo without a
# password). Exits non-zero, saying why, when it cannot install it.
set -euo pipefail

# On PATH, or where Debian puts it (/usr/sbin is not on every user's PATH; the tests
# look there too: test/support/nats-server.ts).
installed() {
  command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || [ -x /usr/local/sbin/nats-server ]
}

if installed; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-nats-server: nats-server is not on PATH and apt-get is missing; install nats-server (https://nats.io) by hand" >&2
  exit 1
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo_cmd=(sudo -n)
  else
    echo "ensure-nats-server: nats-server is not on PATH; run 'apt-get install -y nats-server' as root" >&2
    exit 1
  fi
fi

echo "ensure-nats-server: installing the Debian package nats-server" >&2
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq </dev/null >&2
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nats-server </dev/null >&2
# The package also ships a systemd unit (a server on port 4222 where systemd runs); the
# tests and the benchmark start their own servers on free ports and do not use it.
installed || {
  echo "ensure-nats-server: apt-get finished but nats-server is still not installed" >&2
  exit 1
}
