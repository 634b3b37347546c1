#!/usr/bin/env bash
# Makes sure the Chromium that the dashboard's browser tests drive (playwright-core, see
# packages/dashboard/test/support/browser.ts) is installed: Debian's chromium package at
# /usr/bin/chromium. playwright-core does not bring a browser, and its own downloader needs
# hosts that the development machines do not reach; Debian's package comes through apt.
#   - silent and instant when the browser is there (it is run before every `pnpm test`);
#   - `apt-get install` first, `apt-get update` only when that fails (stale package lists),
#     so an offline machine with a usable apt cache never touches the network twice.
# Only the tests need it: `pnpm start` and the server never do.
# Environment: KOLEJKA_TEST_CHROMIUM, another browser executable to use (then nothing is
#              installed; the tests use that path too).
set -euo pipefail

readonly STARTED_AT=$SECONDS
readonly CHROMIUM=${KOLEJKA_TEST_CHROMIUM:-/usr/bin/chromium}

say() { printf '[prepare-chromium %3ds] %s\n' "$((SECONDS - STARTED_AT))" "$*"; }
die() { say "error: $*" >&2; exit 1; }

# shellcheck source=lib/host.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/host.sh"

case ${1:-} in
  '') ;;
  -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
  *) die "unknown argument: $1 (usage: $0)" ;;
esac

[ -x "$CHROMIUM" ] && exit 0
[ -z "${KOLEJKA_TEST_CHROMIUM:-}" ] || die "KOLEJKA_TEST_CHROMIUM=$CHROMIUM is not an executable"

readonly APT_LOG=${TMPDIR:-/tmp}/kolejka-prepare-chromium.log
install_chromium() {
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium \
    >"$APT_LOG" 2>&1
}

say "installing Debian's chromium (log: $APT_LOG)"
if ! install_chromium; then
  say "apt-get install failed; apt-get update, then once more"
  as_root apt-get update -qq >/dev/null
  install_chromium || { tail -n 20 "$APT_LOG" >&2; die "installing chromium failed (see $APT_LOG)"; }
fi
[ -x "$CHROMIUM" ] || die "the chromium package is installed but $CHROMIUM is missing"
say "done: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
