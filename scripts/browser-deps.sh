#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (Playwright's own browser download needs the
# internet) and need a CJK font, or every Chinese character renders as a box in screenshots.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)   # not -q: pipefail + SIGPIPE
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo ">> installing ${missing[*]} for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "!! The browser tests need ${missing[*]}. Run:  sudo apt-get install -y ${missing[*]}   then make test again." >&2
  echo "   (A desktop browser needs nothing extra to use the app.)" >&2
  exit 1
fi
