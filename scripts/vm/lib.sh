# shellcheck shell=bash
# Helpers shared by scripts/vm-check.sh and the scripts/vm/*.sh it sources (host side).
# Sourced, not run. Expects `set -euo pipefail` and STARTED_AT from the caller.

say() { printf '[vm-check %4ds] %s\n' "$((SECONDS - STARTED_AT))" "$*"; }
die() { say "error: $*" >&2; exit 1; }

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

# The same rule as scripts/prepare-docker.sh (which runs on source and cannot be sourced):
# KOLEJKA_DEBIAN_MIRROR, else the first Debian archive in apt's sources; no built-in host.
debian_mirror() {
  if [ -n "${KOLEJKA_DEBIAN_MIRROR:-}" ]; then echo "$KOLEJKA_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | head -n 1 | awk '{print $2}') || true
  [ -n "$uri" ] || die "no Debian archive found in apt's sources (/etc/apt/sources.list*); set KOLEJKA_DEBIAN_MIRROR"
  echo "$uri"
}

# DIR IMAGE EXTRA_MIB: an ext4 image holding DIR's tree (times, owners, hard links kept),
# EXTRA_MIB larger than the tree. mkfs.ext4 -d needs no loop mount, so no privileges.
ext4_image_of() {
  local dir=$1 image=$2 extra_mib=$3 used_mib
  used_mib=$(du -sm --apparent-size "$dir" | cut -f1)
  rm -f "$image"
  truncate -s "$((used_mib * 12 / 10 + extra_mib))M" "$image"
  mkfs.ext4 -q -F -E root_owner=0:0 -d "$dir" "$image" \
    || die "mkfs.ext4 -d $dir failed"
}
