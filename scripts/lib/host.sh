# shellcheck shell=bash
# Host helpers shared by scripts/prepare-docker.sh and scripts/vm-check.sh. Sourced, not
# run; the caller defines `say` and `die` (each with its own prefix) and `set -euo pipefail`.

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=false
apt_install() {
  if [ "$apt_updated" = false ]; then
    say "apt-get update"
    as_root apt-get update -qq >/dev/null
    apt_updated=true
  fi
  say "apt-get install $*"
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# KOLEJKA_DEBIAN_MIRROR, else the first Debian archive in apt's sources. No built-in
# default: the archive to use is the one this machine's apt is set up for.
debian_mirror() {
  if [ -n "${KOLEJKA_DEBIAN_MIRROR:-}" ]; then echo "$KOLEJKA_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | head -n 1 | awk '{print $2}') || true
  [ -n "$uri" ] || die "no Debian archive found in apt's sources (/etc/apt/sources.list*); set KOLEJKA_DEBIAN_MIRROR"
  echo "$uri"
}
