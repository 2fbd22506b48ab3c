#!/bin/sh
# Lighthouse on the PWA (median of 3, mobile defaults); results in bench/results/lighthouse.{json,md}.
set -e
cd "$(dirname "$0")/.."
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
exec .venv/bin/python bench/lighthouse.py "$@"
