#!/usr/bin/env bash
# Installs everything and runs every check: lint, types, unit tests, end-to-end tests in Chromium, size budget.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-node.sh
npm ci --no-audit --no-fund
npm test
