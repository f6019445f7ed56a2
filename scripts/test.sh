#!/usr/bin/env bash
# Installs what is missing and runs every check: lint, types, unit tests, end-to-end tests in Chromium, size budget.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-node.sh
if node scripts/install-state.ts check; then
  npm ci --no-audit --no-fund
  node scripts/install-state.ts stamp
fi
npm test
