#!/usr/bin/env bash
# Installs what is missing and starts the site at http://127.0.0.1:4321/ (a fresh machine needs only this).
# Stop the server with Ctrl+C.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-node.sh
if node scripts/install-state.ts check; then
  npm ci --no-audit --no-fund
  node scripts/install-state.ts stamp
fi
exec npm start
