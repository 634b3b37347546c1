# shellcheck shell=bash
# Helpers shared by scripts/vm-check.sh and the scripts/vm/*.sh it sources (host side).
# Sourced, not run. Expects `set -euo pipefail` and STARTED_AT from the caller.

say() { printf '[vm-check %4ds] %s\n' "$((SECONDS - STARTED_AT))" "$*"; }
die() { say "error: $*" >&2; exit 1; }

# shellcheck source=../lib/host.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/host.sh"

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
