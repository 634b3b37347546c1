#!/usr/bin/env bash
# Runs Kolejka's Docker and cgroup tests in a VM with a real cgroup v2 kernel (Debian
# bookworm's 6.1, a pure cgroup2 hierarchy, docker.io), once per Docker cgroup driver, and
# prints a summary. For hosts that run cgroup v1 (like the development machines) and for
# checking a change to the worker or the observer before it is merged. Offline: everything
# comes from Debian packages and the host's local images (scripts/prepare-docker.sh).
#
#   1. builds the VM image once (10 to 15 minutes) and caches it in KOLEJKA_VM_DIR
#      (scripts/vm/image.sh); it is rebuilt when its recipe changes (--rebuild forces it);
#   2. loads the host's test images into it (one provisioning boot of up to 20 minutes,
#      redone when they change);
#   3. builds the checkout under test on the host (pnpm run build; --no-build skips it),
#      copies it into a disk image and boots the VM once per driver (1 to 2 minutes);
#   4. in the VM (scripts/vm/guest/run.sh): starts dockerd with the driver, checks that it
#      starts a limited container, runs each check (a vitest run) and writes logs and JSON
#      reports to KOLEJKA_VM_DIR/runs/<time>/<driver>/;
#   5. prints each check's counts and failed tests, then a summary table.
# Exits 0 when every check of every driver passed, 1 otherwise.
#
# Usage: scripts/vm-check.sh [--repo DIR] [--driver cgroupfs|systemd|both] [--full]
#                            [--only 'VITEST ARGS']... [--no-build] [--rebuild]
#   --repo DIR      the checkout to test (default: the one this script is in); it needs
#                   `pnpm install` done; node_modules and dist/ go into the VM as they are
#   --driver D      Docker's cgroup driver in the VM (default: both, one boot each)
#   --full          also run the worker's integration tests and the Docker environment's
#                   (about 20 more minutes per driver; their timing assertions are meant
#                   for real hardware and some fail under emulation)
#   --only ARGS     run `vitest run ARGS` (split on blanks) instead of the default checks;
#                   repeat for several checks, e.g. --only '--project observer cgroups-v2'
#   --no-build      test dist/ as it is (the CLI tests run the built bin/)
#   --rebuild       build the VM image again even if it is current
# Environment: KOLEJKA_VM_DIR (default /var/tmp/kolejka-vm), KOLEJKA_VM_MEMORY (MiB, 4096),
#   KOLEJKA_VM_CPUS (2), KOLEJKA_VM_TIMEOUT (s per boot, 3600), KOLEJKA_DEBIAN_MIRROR
#   (default: the first Debian archive in apt's sources), KOLEJKA_TEST_TIME_SLACK (5: how
#   much looser the tests' timing bounds are under emulation).
# shellcheck source-path=SCRIPTDIR
set -euo pipefail

readonly STARTED_AT=$SECONDS
HERE=$(cd "$(dirname "$0")" && pwd)
readonly HERE
VM_DIR=${KOLEJKA_VM_DIR:-/var/tmp/kolejka-vm}
# Emulation is 5-10 times slower than the host: the tests' own timeouts (30 s, 60 s for
# hooks) would fail tests that are merely slow. Tests that set their own keep theirs.
readonly TEST_TIMEOUT_MS=180000 HOOK_TIMEOUT_MS=300000 CHECK_TIMEOUT_S=1800
# Timing assertions (a kill within 100 ms of a deadline) are scaled by this factor
# (test/support/time-slack.ts): measured under emulation, kills land 120 to 320 ms late.
readonly TIME_SLACK=${KOLEJKA_TEST_TIME_SLACK:-5}

. "$HERE/vm/lib.sh"
. "$HERE/vm/image.sh"
. "$HERE/vm/qemu.sh"
. "$HERE/vm/disks.sh"

# The checks: name TAB vitest arguments (run in the checkout's root). The default ones bear
# most on cgroup v2 (the README has their times); --full adds the slower ones.
readonly DEFAULT_CHECKS='examples	--project worker examples.int
observer	--project observer'
readonly FULL_CHECKS='worker	--project worker worker.int docker-client.int cli.int
docker-env	--project repo docker-environment'

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

repo=$(cd "$HERE/.." && pwd)
drivers=(cgroupfs systemd)
only=()
build=true
rebuild=false
full=false
while [ "$#" -gt 0 ]; do
  case $1 in
    --repo) repo=$(cd "${2:?--repo needs a directory}" && pwd); shift ;;
    --driver)
      case ${2:-} in
        cgroupfs | systemd) drivers=("$2") ;;
        both) drivers=(cgroupfs systemd) ;;
        *) die "--driver takes cgroupfs, systemd or both" ;;
      esac
      shift ;;
    --only) only+=("${2:?--only needs vitest arguments}"); shift ;;
    --full) full=true ;;
    --no-build) build=false ;;
    --rebuild) rebuild=true ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

ensure_host_packages() {
  local missing=()
  command -v qemu-system-x86_64 >/dev/null 2>&1 || missing+=(qemu-system-x86)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
  command -v mkfs.ext4 >/dev/null 2>&1 || missing+=(e2fsprogs)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
}

checks_tsv() {
  if [ "${#only[@]}" -eq 0 ]; then
    printf '%s\n' "$DEFAULT_CHECKS"
    if [ "$full" = true ]; then printf '%s\n' "$FULL_CHECKS"; fi
    return
  fi
  local i
  for i in "${!only[@]}"; do printf 'only-%d\t%s\n' "$((i + 1))" "${only[$i]}"; done
}

# DRIVER OUT: prints what one boot found; returns non-zero when a check failed.
report_boot() {
  local driver=$1 out=$2 status=0 name rest json
  [ -s "$out/results.tsv" ] || { say "$driver: no results (see $out/guest.log)"; return 1; }
  while IFS=$'\t' read -r _ _ _ name rest; do
    json=$out/$name.json
    [ -f "$json" ] || continue
    node "$HERE/vm/report.js" failures "$json" | sed "s/^/    $driver $name: /"
  done <"$out/results.tsv"
  awk -F'\t' '$6 > 0 { bad = 1 } END { exit bad }' "$out/results.tsv" || status=1
  return "$status"
}

[ -x "$repo/node_modules/.bin/vitest" ] || die "$repo has no node_modules: run pnpm install there first"
mkdir -p "$VM_DIR"
ensure_host_packages
docker info >/dev/null 2>&1 || die "no Docker engine answers on the host: run scripts/prepare-docker.sh"

# One build or provisioning at a time; boots only read the image (shared lock).
exec 9>"$VM_DIR/lock"
flock -x 9
trap 'stop_guest; release_chroot_mounts' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
if [ "$rebuild" = true ]; then rm -f "$VM_DIR/base.recipe"; fi
ensure_base_image
ensure_provisioned_disk
flock -s 9

run_dir=$VM_DIR/runs/$(date +%Y%m%d-%H%M%S)-$$
mkdir -p "$run_dir"
# The disk images are big and only for this run; the logs stay.
trap 'stop_guest; release_chroot_mounts; rm -rf "$run_dir/tools" "$run_dir/tools.img" "$run_dir/repo.img"' EXIT
if [ "$build" = true ]; then
  say "building $repo on the host (pnpm run build; log: $run_dir/build.log)"
  (cd "$repo" && pnpm run build) >"$run_dir/build.log" 2>&1 \
    || { tail -n 20 "$run_dir/build.log" >&2; die "the build failed (see $run_dir/build.log)"; }
fi

say "copying $repo into a disk image"
stage_tools "$run_dir/tools"
stage_node "$run_dir/tools"
checks_tsv >"$run_dir/tools/checks.tsv"
ext4_image_of "$run_dir/tools" "$run_dir/tools.img" 64
ext4_image_of "$repo" "$run_dir/repo.img" 1024
rm -rf "$run_dir/tools"

failed=false
results=()
for driver in "${drivers[@]}"; do
  boot_started=$SECONDS
  say "booting the VM with Docker's $driver cgroup driver (results: $run_dir/$driver)"
  rc=0
  boot_guest check "$driver" "$run_dir/$driver" "$run_dir/tools.img" "$run_dir/repo.img" || rc=$?
  say "$driver: the VM ran $((SECONDS - boot_started)) s (guest status $rc)"
  [ "$rc" -eq 0 ] || failed=true
  report_boot "$driver" "$run_dir/$driver" || failed=true
  [ ! -s "$run_dir/$driver/results.tsv" ] || results+=("$run_dir/$driver/results.tsv")
done

echo
if [ "${#results[@]}" -gt 0 ]; then node "$HERE/vm/report.js" table "${results[@]}"; fi
echo
say "logs and vitest reports: $run_dir"
if [ "$failed" = true ]; then
  say "FAILED: a check failed or a VM did not finish"
  exit 1
fi
say "every check passed with ${drivers[*]}"
