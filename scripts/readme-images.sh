#!/usr/bin/env bash
# Copy the README's screenshots from the latest UI test run (test-results/screenshots, written by
# `npm test`'s e2e tier) into docs/images/, so the README always shows the current UI.
# Usage: scripts/readme-images.sh [SCREENSHOT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
src=${1:-test-results/screenshots}
mkdir -p docs/images
for name in views-failure-opened views-runs views-failures-by-class views-problems views-live-failure views-welcome \
            dashboard-all-dark dashboard-light dashboard-timeline dashboard-diff dashboard-failures \
            testing-peek telemetry-view otlp-runs; do
  [ -f "$src/$name.png" ] || { echo "missing $src/$name.png: run the e2e tier first (TIERS=e2e npm test)"; exit 1; }
  cp "$src/$name.png" "docs/images/$name.png"
done
echo "copied $(ls docs/images/*.png | wc -l) screenshots into docs/images/"
