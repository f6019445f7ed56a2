#!/usr/bin/env bash
# Installs everything and starts the site at http://127.0.0.1:4321/ (a fresh machine needs only this).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/setup-node.sh
npm ci --no-audit --no-fund
exec npm start
