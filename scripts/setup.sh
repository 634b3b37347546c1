#!/usr/bin/env bash
# Installs everything Kolejka needs on a fresh machine, from the project's own scripts:
#   - pnpm (the version pinned in package.json "packageManager"), through npm;
#   - the workspace's dependencies (native addons such as better-sqlite3 compile from source);
#   - Docker and the local test images (scripts/prepare-docker.sh);
#   - a build of every package (the command-line tools run from dist/).
# Idempotent; a second run takes seconds. Used by the README's two commands and by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
say() { printf '[setup %3ds] %s\n' "$((SECONDS - started))" "$*"; }
install_log=${TMPDIR:-/tmp}/kolejka-pnpm-install.log

node_ok=$(node -e 'const [a,b]=process.versions.node.split(".").map(Number); console.log(a>20||(a===20&&b>=19))' 2>/dev/null || echo false)
if [ "$node_ok" != true ]; then
  echo "Kolejka needs Node.js 20.19 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

pnpm_version=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if [ "$(pnpm --version 2>/dev/null || true)" != "$pnpm_version" ]; then
  say "installing pnpm $pnpm_version"
  npm install --global --no-audit --no-fund "pnpm@$pnpm_version" >/dev/null
fi

say "installing dependencies (log: $install_log)"
frozen=()
if [ "${CI:-}" = true ]; then frozen=(--frozen-lockfile); fi
if ! pnpm install "${frozen[@]}" >"$install_log" 2>&1; then
  tail -n 40 "$install_log" >&2
  echo "pnpm install failed; the whole log is in $install_log" >&2
  exit 1
fi

./scripts/prepare-docker.sh

say "building packages"
pnpm run --silent build >/dev/null
say "ready"
