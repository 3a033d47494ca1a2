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

SUPPORTED='import sys; sys.exit(0 if (3,11) <= sys.version_info[:2] <= (3,13) else 1)'

pick_python() {  # $PYTHON if set (and then only it), else python3 if supported, else the newest
  if [ -n "${PYTHON:-}" ]; then
    "$PYTHON" -c "$SUPPORTED" 2>/dev/null && { echo "$PYTHON"; return 0; }
    echo "!! PYTHON=$PYTHON does not run or is not Python 3.11-3.13." >&2
    return 1
  fi
  for cand in python3 python3.13 python3.12 python3.11; do
    command -v "$cand" >/dev/null || continue
    if "$cand" -c "$SUPPORTED" 2>/dev/null; then
      echo "$cand"; return 0
    fi
  done
  return 1
}

PYTHON_BIN=$(pick_python) || {
  echo "!! Python 3.11, 3.12 or 3.13 is needed (Debian 12: python3.11, Debian 13: python3.13)." >&2
  echo "   On Debian: sudo apt-get install -y python3 python3-venv python3-dev" >&2
  echo "   or point PYTHON at one: make PYTHON=/path/to/python3.11 ..." >&2
  exit 1
}
PYVER=$("$PYTHON_BIN" -c 'import sys; print("%d.%d" % sys.version_info[:2])')

# A compiler and the Python headers: durable-rules is built from source (no wheels exist).
INCLUDE=$("$PYTHON_BIN" -c 'import sysconfig; print(sysconfig.get_paths()["include"])')
if ! command -v cc >/dev/null || [ ! -f "$INCLUDE/Python.h" ]; then
  need_system "a C compiler and the Python $PYVER headers" build-essential "python$PYVER-dev"
fi

if [ -x "$VENV/bin/python" ] && ! "$VENV/bin/python" -c "$SUPPORTED"; then
  echo ">> $VENV was made with an unsupported Python; recreating it"
  rm -rf "$VENV"
elif [ -x "$VENV/bin/python" ] && [ -n "${PYTHON:-}" ] \
     && [ "$("$VENV/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')" != "$PYVER" ]; then
  echo ">> $VENV was made with another Python than PYTHON=$PYTHON ($PYVER); recreating it"
  rm -rf "$VENV"
fi
if [ ! -x "$VENV/bin/python" ]; then
  if ! "$PYTHON_BIN" -m venv "$VENV" 2>/dev/null; then
    rm -rf "$VENV"
    need_system "the venv module" "python$PYVER-venv"
    "$PYTHON_BIN" -m venv "$VENV"
  fi
fi
# durable-rules 2.0.28 (sdist only) calls PyEval_CallObject, removed in CPython 3.13. On >= 3.13
# the sdist is patched (scripts/patches/, the upstream fix that was never released) and installed
# before the project, so pip then finds durable-rules==2.0.28 already satisfied. 3.11/3.12: untouched.
DR_VERSION=2.0.28
DR_SHA256=053b26f5e48d312d4fa27995243f954671be6eece477f150c059c364eb4d7d61   # PyPI's digest of the sdist
DR_PATCH=scripts/patches/durable-rules-$DR_VERSION-py313.patch

install_patched_durable_rules() {
  "$VENV/bin/python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 13) else 1)' || return 0
  if "$VENV/bin/python" -c "import importlib.metadata as m, durable.lang; \
assert m.version('durable-rules') == '$DR_VERSION'" 2>/dev/null; then
    return 0                                   # already built (an unpatched build would not import)
  fi
  grep -q "\"durable-rules==$DR_VERSION\"" pyproject.toml \
    || { echo "!! pyproject.toml no longer pins durable-rules==$DR_VERSION; update $0 and $DR_PATCH" >&2; exit 1; }
  command -v patch >/dev/null || need_system "the patch tool (durable-rules is patched for Python $PYVER)" patch
  DR_TMP=$(mktemp -d)
  trap 'rm -rf "$DR_TMP"' EXIT
  local tmp=$DR_TMP
  echo ">> Python $PYVER: building durable-rules $DR_VERSION with $DR_PATCH"
  { "$VENV/bin/python" -m pip download -q --no-binary :all: --no-deps -d "$tmp" "durable-rules==$DR_VERSION" 2>&1; } \
    | { grep -v -i "warning: location" || true; }
  local sdist="$tmp/durable_rules-$DR_VERSION.tar.gz"
  [ -f "$sdist" ] || { echo "!! pip download did not produce $sdist" >&2; exit 1; }
  echo "$DR_SHA256  $sdist" | sha256sum -c --quiet - \
    || { echo "!! $sdist does not have the pinned sha256 $DR_SHA256; not installing it" >&2; exit 1; }
  tar -xzf "$sdist" -C "$tmp"
  patch -p1 --forward --batch --quiet -d "$tmp/durable_rules-$DR_VERSION" < "$DR_PATCH"
  { "$VENV/bin/python" -m pip install -q "$tmp/durable_rules-$DR_VERSION" 2>&1; } \
    | { grep -v -i "warning: location" || true; }
  rm -rf "$tmp"; trap - EXIT
}
echo ">> installing Python packages into $VENV (first time takes a minute: durable-rules compiles)"
"$VENV/bin/python" -m pip install -q --upgrade pip 2>&1 | grep -v -i warning || true
install_patched_durable_rules
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
cp node_modules/chart.js/dist/chart.umd.min.js renderers/html/static/vendor/chart.umd.min.js
# the staff pages' YAML editor: CodeMirror 6 and our entry (renderers/html/editor/, committed) in one
# file, bundled by esbuild (a devDependency; a fraction of a second, so built every time)
node_modules/.bin/esbuild renderers/html/editor/yaml_editor.js --bundle --minify --format=iife --target=es2020 \
  --legal-comments=eof --log-level=warning --outfile=renderers/html/static/vendor/editor.js \
  || { echo "!! the YAML editor (renderers/html/editor/) did not build; see the messages above" >&2; exit 1; }
echo ">> ready ($("$VENV/bin/python" --version), htmx $(node -p 'require("./node_modules/htmx.org/package.json").version'))"
