#!/bin/bash
# Runs inside the VM, started by the image's kolejka-vm-entry from the tools disk, so it can
# change without rebuilding the image. The kernel command line says what to do:
#   kolejka.mode=provision  load $TOOLS/images.tar into the guest's Docker, once per image set
#   kolejka.mode=check kolejka.driver=cgroupfs|systemd
#                           start dockerd with that cgroup driver and run every line of
#                           $TOOLS/checks.tsv (name TAB vitest arguments) in the checkout
# Everything it writes goes to the host's output directory: progress.log (what the host
# prints while it waits), results.tsv (one line per check), <check>.log and <check>.json (vitest's
# output and JSON report), system.txt (kernel, cgroups, Docker), after.txt (what was left).
set -uo pipefail
readonly TOOLS=/kolejka/tools REPO=/kolejka/repo OUT=/kolejka/out
export PATH=$TOOLS/node/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root
# shellcheck source=/dev/null
. "$TOOLS/settings.env"

progress() { printf '%s\n' "$*" >>"$OUT/progress.log"; }
boot_arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^kolejka\\.$1=//p"; }

start_docker() { # DRIVER
  mkdir -p /etc/docker
  printf '{ "exec-opts": ["native.cgroupdriver=%s"] }\n' "$1" >/etc/docker/daemon.json
  systemctl start docker.service || { journalctl -u docker --no-pager | tail -n 30 >&2; return 1; }
  local waited=0
  until docker info >/dev/null 2>&1; do
    sleep 1
    waited=$((waited + 1))
    [ "$waited" -lt 180 ] || { progress "dockerd did not answer within 180 s"; return 1; }
  done
}

provision() {
  start_docker cgroupfs || return 1
  progress "loading the test images (docker load)"
  docker load -i "$TOOLS/images.tar" || return 1
  docker images --format '{{.Repository}}:{{.Tag}} {{.ID}}' | while read -r line; do progress "  $line"; done
  systemctl stop docker.service docker.socket containerd.service
  sync
}

describe_system() { # DRIVER: facts for the summary and system.txt; fails on a v1 host
  local fs
  fs=$(stat -fc %T /sys/fs/cgroup)
  kernel=$(uname -r)
  cgroup=$([ "$fs" = cgroup2fs ] && echo v2 || echo "v1 ($fs)")
  {
    echo "kernel: $(uname -a)"
    echo "cmdline: $(cat /proc/cmdline)"
    echo "/sys/fs/cgroup: $fs"
    echo "cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null)"
    echo "cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null)"
    echo "memory: $(grep MemTotal /proc/meminfo); swap: $(grep SwapTotal /proc/meminfo)"
    echo "cpus: $(nproc)"
    docker info 2>&1
  } >"$OUT/system.txt"
  progress "kernel $kernel, cgroup $cgroup ($(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null))"
  [ "$fs" = cgroup2fs ] || { progress "not a pure cgroup v2 hierarchy"; return 1; }
  local docker_driver docker_version
  docker_driver=$(docker info --format '{{.CgroupDriver}}')
  docker_version=$(docker info --format '{{.CgroupVersion}}')
  progress "dockerd $(docker version --format '{{.Server.Version}}'): cgroup driver $docker_driver, cgroup version $docker_version"
  [ "$docker_driver" = "$1" ] || { progress "dockerd runs the $docker_driver driver, not $1"; return 1; }
}

run_check() { # NAME ARGS...
  local name=$1 started=$SECONDS rc counts
  shift
  progress "check $name: vitest run $*"
  # The images are loaded already and there is no network: the tests' global setup
  # (scripts/prepare-docker.sh) would try to install packages.
  (cd "$REPO" && KOLEJKA_SKIP_PREPARE_DOCKER=1 KOLEJKA_TEST_TIME_SLACK="$TIME_SLACK" timeout --kill-after=30 "$CHECK_TIMEOUT_S" \
    node_modules/.bin/vitest run "$@" \
      --testTimeout="$TEST_TIMEOUT_MS" --hookTimeout="$HOOK_TIMEOUT_MS" \
      --reporter=default --reporter=json --outputFile.json="$OUT/$name.json") \
    >"$OUT/$name.log" 2>&1 </dev/null
  rc=$?
  counts=$(node "$TOOLS/vm/report.js" counts "$OUT/$name.json" 2>/dev/null) || counts='0 0 0'
  read -r passed failed skipped <<<"$counts"
  # vitest failing without a failed test (no file ran, a crash, the timeout) is a failure too.
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$driver" "$kernel" "$cgroup" "$name" \
    "$passed" "$failed" "$skipped" "$((SECONDS - started))" "$rc" >>"$OUT/results.tsv"
  progress "check $name: $passed passed, $failed failed, $skipped skipped in $((SECONDS - started)) s (vitest exit $rc)"
}

# Docker itself must start a limited container before any check means something: when it
# cannot, every check would fail for a reason that is the VM's, not Kolejka's.
smoke_container() {
  local output
  if output=$(docker run --rm --memory 64m --pids-limit 32 --cpus 1 --network none \
      kolejka-test/busybox:latest sh -c 'cat /proc/self/cgroup' 2>&1); then
    progress "docker run works: the container's cgroup is $(echo "$output" | tail -n 1)"
    return 0
  fi
  progress "docker run fails: $output"
  return 1
}

leftovers() {
  {
    echo "# containers"; docker ps -a 2>&1
    echo "# cgroups named kolejka* or docker*"
    find /sys/fs/cgroup -maxdepth 3 -type d \( -name 'kolejka*' -o -name 'docker*' \) 2>&1
    echo "# systemd scopes and slices"; systemctl list-units --all --no-pager --type=scope,slice 2>&1
    echo "# dockerd journal"; journalctl -u docker --no-pager 2>&1 | tail -n 200
  } >"$OUT/after.txt"
}

check() {
  driver=$(boot_arg driver)
  kernel=$(uname -r)
  cgroup=unknown
  start_docker "$driver" || return 1
  describe_system "$driver" || return 1
  smoke_container || { leftovers; return 1; }
  local name args
  while IFS=$'\t' read -r name args; do
    [ -n "$name" ] || continue
    # The arguments are split on blanks, as the host's --only documents.
    # shellcheck disable=SC2086
    run_check "$name" $args
  done <"$TOOLS/checks.tsv"
  leftovers
}

progress "guest is up after $(cut -d' ' -f1 /proc/uptime) s ($(boot_arg mode))"
case $(boot_arg mode) in
  provision) provision ;;
  check) check ;;
  *) progress "unknown kolejka.mode in: $(cat /proc/cmdline)"; exit 2 ;;
esac
