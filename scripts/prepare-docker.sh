#!/usr/bin/env bash
# Prepares the Docker environment that Kolejka's tests and examples use, offline:
#   1. installs Debian's docker.io when dockerd is missing,
#   2. starts dockerd when no engine answers (a running engine is left alone),
#   3. builds the local images below, each only when it is missing or its recipe changed.
# There is no image registry on the development machines, so every image is built from
# Debian packages: busybox from busybox-static, Debian with debootstrap, gcc on top of it.
#
# Images (documented in the README):
#   kolejka-test/busybox:latest   busybox with every applet linked (tiny, starts fast)
#   kolejka-test/debian:bookworm  Debian bookworm, debootstrap --variant=minbase
#   kolejka-test/gcc:bookworm     the Debian image plus gcc, g++, make, python3 and curl
#                                 (python3/curl act as in-container observer clients)
#
# Idempotent: a second run only checks and takes a few seconds.
# Environment: KOLEJKA_DOCKERD_LOG (default /var/log/kolejka-dockerd.log),
#              KOLEJKA_IMAGE_WORKDIR (default /var/tmp/kolejka-images),
#              KOLEJKA_DEBIAN_MIRROR (default: the first deb.debian.org-style URI apt uses).
set -euo pipefail

# Bump an image's recipe version when its recipe changes: images with an older label are rebuilt.
readonly BUSYBOX_RECIPE=1
readonly DEBIAN_RECIPE=1
readonly GCC_RECIPE=2
readonly BUSYBOX_IMAGE=kolejka-test/busybox:latest
readonly DEBIAN_IMAGE=kolejka-test/debian:bookworm
readonly GCC_IMAGE=kolejka-test/gcc:bookworm
readonly DOCKERD_LOG=${KOLEJKA_DOCKERD_LOG:-/var/log/kolejka-dockerd.log}
readonly WORKDIR=${KOLEJKA_IMAGE_WORKDIR:-/var/tmp/kolejka-images}
readonly STARTED_AT=$SECONDS

say() { printf '[prepare-docker %3ds] %s\n' "$((SECONDS - STARTED_AT))" "$*"; }
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

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  # The image needs the static build: the dynamic busybox would lack its libraries.
  dpkg-query -W -f '${Status}' busybox-static 2>/dev/null | grep -q 'install ok installed' || missing+=(busybox-static)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  [ -f /usr/share/keyrings/debian-archive-keyring.gpg ] || missing+=(debian-archive-keyring)
  if [ "${#missing[@]}" -gt 0 ]; then apt_install "${missing[@]}"; fi
}

engine_answers() { docker info >/dev/null 2>&1; }

ensure_engine() {
  if engine_answers; then
    say "docker engine is running"
    return
  fi
  say "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  # setsid: the engine must outlive this script; it is shared by every later run.
  as_root setsid dockerd >>"$DOCKERD_LOG" 2>&1 < /dev/null &
  local waited=0
  until engine_answers; do
    sleep 0.5
    waited=$((waited + 1))
    if [ "$waited" -ge 120 ]; then
      tail -n 30 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not answer within 60 s (see $DOCKERD_LOG)"
    fi
  done
  say "docker engine is up"
}

image_is_current() { # IMAGE RECIPE
  local label
  label=$(docker image inspect --format '{{ index .Config.Labels "org.kolejka.recipe" }}' "$1" 2>/dev/null) || return 1
  [ "$label" = "$2" ]
}

import_rootfs() { # DIR IMAGE RECIPE CMD [TAR OPTIONS...]
  say "importing $2"
  as_root tar --numeric-owner "${@:5}" -C "$1" -c . | docker import \
    --change "LABEL org.kolejka.recipe=$3" \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change "CMD [\"$4\"]" \
    - "$2" >/dev/null
}

build_busybox() {
  local root=$WORKDIR/busybox
  as_root rm -rf "$root"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,proc,sys,dev,var/tmp}
  chmod 1777 "$root/tmp" "$root/var/tmp"
  cp /bin/busybox "$root/bin/busybox"
  local applet
  for applet in $(/bin/busybox --list-full); do
    [ -e "$root/$applet" ] || ln -s /bin/busybox "$root/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' > "$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$root/etc/group"
  # Built without root privileges where sudo is needed: every file belongs to root inside.
  import_rootfs "$root" "$BUSYBOX_IMAGE" "$BUSYBOX_RECIPE" /bin/sh --owner=0 --group=0
  as_root rm -rf "$root"
}

debian_mirror() {
  if [ -n "${KOLEJKA_DEBIAN_MIRROR:-}" ]; then echo "$KOLEJKA_DEBIAN_MIRROR"; return; fi
  local uri
  uri=$(grep -rhoE '^(URIs:|deb) +https?://[^ ]+/debian/?' /etc/apt/sources.list /etc/apt/sources.list.d/ 2>/dev/null \
        | head -n 1 | awk '{print $2}') || true
  echo "${uri:-http://deb.debian.org/debian}"
}

debian_rootfs() { # DIR: a minbase bookworm tree
  local root=$1
  as_root rm -rf "$root"
  mkdir -p "$root"
  say "debootstrap bookworm from $(debian_mirror)"
  as_root debootstrap --variant=minbase bookworm "$root" "$(debian_mirror)" >"$WORKDIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$WORKDIR/debootstrap.log" >&2; die "debootstrap failed (see $WORKDIR/debootstrap.log)"; }
}

clean_rootfs() { # DIR: drop caches that only make the image bigger
  as_root sh -c 'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/tmp/* "$1"/var/tmp/*' sh "$1"
}

build_debian() {
  local root=$WORKDIR/debian
  debian_rootfs "$root"
  clean_rootfs "$root"
  import_rootfs "$root" "$DEBIAN_IMAGE" "$DEBIAN_RECIPE" /bin/bash
  as_root rm -rf "$root"
}

build_gcc() {
  local root=$WORKDIR/gcc
  debian_rootfs "$root"
  as_root cp /etc/resolv.conf "$root/etc/resolv.conf"
  # apt inside the chroot needs /proc and the host's name resolution.
  as_root mount -t proc proc "$root/proc"
  mounted_proc=$root/proc
  say "installing gcc, g++, make, python3 and curl into the image"
  as_root chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  as_root chroot "$root" /usr/bin/env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends gcc g++ make libc6-dev python3 curl >"$WORKDIR/gcc-apt.log" 2>&1 \
    || { tail -n 20 "$WORKDIR/gcc-apt.log" >&2; die "installing compilers failed (see $WORKDIR/gcc-apt.log)"; }
  as_root umount "$root/proc"
  mounted_proc=
  as_root truncate -s 0 "$root/etc/resolv.conf"
  clean_rootfs "$root"
  import_rootfs "$root" "$GCC_IMAGE" "$GCC_RECIPE" /bin/bash
  as_root rm -rf "$root"
}

ensure_image() { # IMAGE RECIPE BUILDER
  if image_is_current "$1" "$2"; then
    say "image $1 is present"
  else
    mkdir -p "$WORKDIR"
    "$3"
    say "image $1 built"
  fi
}

# A failed build must not leave /proc mounted inside the work directory.
mounted_proc=
trap '[ -z "$mounted_proc" ] || as_root umount "$mounted_proc" 2>/dev/null || true' EXIT

ensure_packages
ensure_engine
ensure_image "$BUSYBOX_IMAGE" "$BUSYBOX_RECIPE" build_busybox
ensure_image "$DEBIAN_IMAGE" "$DEBIAN_RECIPE" build_debian
ensure_image "$GCC_IMAGE" "$GCC_RECIPE" build_gcc
say "done"
