#!/usr/bin/env bash
# The store, API walk, submission, migration and concurrency tests also run on PostgreSQL: a
# throw-away cluster that the tests start themselves (tests/pgcluster.py) with the initdb and
# pg_ctl of Debian's postgresql package. Nothing is configured or started here; as root the
# package is installed when missing, otherwise we stop and print the command.
set -euo pipefail
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null && exit 0
[ -n "${GOVFLOW_TEST_POSTGRES:-}" ] && exit 0      # tests use that running server instead
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo ">> installing postgresql for the PostgreSQL runs of the tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null \
    || { echo "!! postgresql was installed but no /usr/lib/postgresql/*/bin/initdb exists" >&2; exit 1; }
else
  echo "!! The tests also run on PostgreSQL and need Debian's postgresql package. Run:" >&2
  echo "     sudo apt-get install -y postgresql   then make test again." >&2
  echo "   (or point GOVFLOW_TEST_POSTGRES at a server: postgresql+psycopg://user:pass@host/postgres," >&2
  echo "    a user that may CREATE DATABASE)" >&2
  exit 1
fi
