#!/usr/bin/env bash
# `npm run stress`: the reliability suite at its large sizes (10 s writers, 100,000 run folders,
# more fuzz cases). See docs/reliability.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
export FLOWLENS_STRESS=1
files=(test/unit/reliability/*.test.ts)
exec bash scripts/unit.sh "${files[@]}"
