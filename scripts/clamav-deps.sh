#!/usr/bin/env bash
# The virus scanning tests run a real ClamAV daemon (tests/clamdaemon.py): Debian's clamav-daemon
# package's /usr/sbin/clamd, started by the tests themselves with a signature database they make
# (no freshclam download). Nothing is configured or started here; as root the package is
# installed when missing, otherwise we stop and print the command.
set -euo pipefail
command -v clamd >/dev/null || [ -x /usr/sbin/clamd ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo ">> installing clamav-daemon for the virus scanning tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    clamav-daemon clamav >/dev/null
  [ -x /usr/sbin/clamd ] || { echo "!! clamav-daemon was installed but /usr/sbin/clamd does not exist" >&2; exit 1; }
else
  echo "!! The tests scan uploads with a real ClamAV daemon and need Debian's clamav-daemon package. Run:" >&2
  echo "     sudo apt-get install -y clamav-daemon   then make test again." >&2
  exit 1
fi
