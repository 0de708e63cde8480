#!/usr/bin/env bash
# Installs what the project needs on a machine that has Node 20 and npm.
#   scripts/setup.sh          pnpm + node modules (enough for `pnpm start`)
#   scripts/setup.sh --test   also Chromium, redis-server and PostgreSQL from apt (for `pnpm test`)
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=10.34.8

if [ "${1:-}" = "--test" ]; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" = 0 ] || sudo="sudo"
    echo "setup: installing ${missing[*]} from apt"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION"
  npm install -g --silent "pnpm@$PNPM_VERSION"
fi

# better-sqlite3 builds from source; use the system's Node headers when they are there.
if [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi
pnpm install --frozen-lockfile=${CI:-false} --reporter=append-only
