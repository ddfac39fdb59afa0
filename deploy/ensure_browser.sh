#!/usr/bin/env bash
# The dashboard browser test needs Debian's chromium, chromium-driver and a Japanese font (without one the page
# renders kanji as empty boxes in the screenshot). Installed when missing, as root.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
fc-list :lang=ja 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "the browser test needs: ${missing[*]} (install them, or run make test as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
