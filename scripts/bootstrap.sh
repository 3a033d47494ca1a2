#!/usr/bin/env bash
# Set up the virtual environment with everything the server and the tests need.
# System packages (compiler, Python headers, venv) are installed when running as root;
# otherwise we stop and print the exact command to run.
set -euo pipefail
VENV=${1:-.venv}

need_system() {  # $1: what is missing, $2...: Debian packages
  local what=$1; shift
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo ">> installing $what: $*"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    echo "!! $what is missing. Run:  sudo apt-get install -y $*   and then run make again." >&2
    exit 1
  fi
}

pick_python() {
  for cand in ${PYTHON:-} python3.12 python3.11 python3; do
    [ -n "$cand" ] || continue
    command -v "$cand" >/dev/null || continue
    if "$cand" -c 'import sys; sys.exit(0 if (3,11) <= sys.version_info[:2] < (3,13) else 1)' 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  return 1
}

PYTHON_BIN=$(pick_python) || {
  echo "!! Python 3.11 or 3.12 is needed (durable-rules, the rules engine, does not import on 3.13)." >&2
  echo "   On Debian: sudo apt-get install -y python3.11 python3.11-venv python3.11-dev" >&2
  echo "   or point PYTHON at one: make PYTHON=/path/to/python3.11 ..." >&2
  exit 1
}
PYVER=$("$PYTHON_BIN" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# A compiler and the Python headers: durable-rules is built from source (no wheels exist).
INCLUDE=$("$PYTHON_BIN" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
if ! command -v cc >/dev/null || [ ! -f "$INCLUDE/Python.h" ]; then
  need_system "a C compiler and the Python $PYVER headers" build-essential "python$PYVER-dev"
fi

if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c 'import sys; sys.exit(0 if (3,11) <= sys.version_info[:2] < (3,13) else 1)'; then
  echo ">> $VENV was made with an unsupported Python; recreating it"
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON_BIN" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    need_system "the venv module" "python$PYVER-venv"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
fi
echo ">> installing Python packages into $VENV (first time takes a minute: durable-rules compiles)"
"$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v -i warning || true
"$VENV/bin/python" -m pip install -q -e '.[test]' 2>&1 | grep -v -i "warning: location" || true
"$VENV/bin/python" -c 'import durable.lang, flask, sqlalchemy, PIL, jsonschema' \
  || { echo "!! the Python packages did not install; see the messages above" >&2; exit 1; }
# Front-end assets from the npm registry at the versions pinned in package-lock.json,
# copied next to the app's own static files (served by the app, never from a CDN).
if ! command -v npm >/dev/null; then
  need_system "Node.js and npm (for the pinned front-end assets)" nodejs npm
fi
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo ">> installing front-end assets (npm ci)"
  npm ci --no-audit --no-fund --silent
fi
mkdir -p renderers/html/static/vendor
cp node_modules/htmx.org/dist/htmx.min.js renderers/html/static/vendor/htmx.min.js
cp node_modules/mermaid/dist/mermaid.min.js renderers/html/static/vendor/mermaid.min.js
echo ">> ready ($("$VENV/bin/python" --version), htmx $(node -p 'require("./node_modules/htmx.org/package.json").version'))"
