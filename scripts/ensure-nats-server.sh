#!/usr/bin/env bash
# Makes sure `nats-server` is installed, for the transport tests and the NATS benchmark:
# on PATH, or where Debian puts it (/usr/sbin is not on every user's PATH; the tests look
# there too: test/support/nats-server.ts). Installs the Debian package when it is missing.
# The package also ships a systemd unit (a server on port 4222 where systemd runs); the
# tests and the benchmark start their own servers on free ports and do not use it.
exec bash "$(dirname "$0")/ensure-debian-package.sh" nats-server nats-server /usr/sbin/nats-server /usr/local/sbin/nats-server
