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
# With --with-node-images also local stand-ins for the official Node images that
# packages/server/Dockerfile builds from (N = the major version of the host's node):
#   kolejka-test/node:N-bookworm       the gcc image plus the host's node, npm, corepack and
#                                      headers (node:N-bookworm: compilers, python3, node)
#   kolejka-test/node:N-bookworm-slim  the Debian image plus the host's node (node:N-bookworm-slim)
# Both trust the host's CA bundle (NODE_EXTRA_CA_CERTS), so node reaches the npm registry
# also behind a TLS-inspecting proxy. The full one sets npm_config_nodedir to its headers
# (node-gyp would download them from nodejs.org, which need not be reachable here) and
# COREPACK_INTEGRITY_KEYS=0 (registry mirrors and proxies, like the one here, drop the
# signatures corepack checks pnpm against, and corepack then refuses to install it).
#
# Idempotent: a second run only checks and takes a few seconds.
# Usage: prepare-docker.sh [--with-node-images]
# Environment: KOLEJKA_DOCKERD_LOG (default /var/log/kolejka-dockerd.log),
#              KOLEJKA_IMAGE_WORKDIR (default /var/tmp/kolejka-images),
#              KOLEJKA_DEBIAN_MIRROR (default: the first Debian archive URI in apt's sources).
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
# Bump when the stand-ins' recipe changes; the host's node version is part of their label too.
readonly NODE_RECIPE=2

say() { printf '[prepare-docker %3ds] %s\n' "$((SECONDS - STARTED_AT))" "$*"; }
die() { say "error: $*" >&2; exit 1; }

# shellcheck source=lib/host.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/host.sh"

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

host_node_prefix() { # the installation the host's node belongs to (bin/, lib/, include/)
  local node
  node=$(command -v node) || die "--with-node-images needs node on PATH"
  dirname "$(dirname "$(readlink -f "$node")")"
}

host_ca_bundle() {
  local bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}
  [ -f "$bundle" ] || die "no CA bundle at $bundle (install ca-certificates or set SSL_CERT_FILE)"
  echo "$bundle"
}

# IMAGE BASE RECIPE full|slim: copies the host's node into BASE (no builder: create, cp, commit).
build_node_image() {
  local image=$1 base=$2 recipe=$3 kind=$4 prefix root container
  prefix=$(host_node_prefix)
  root=$WORKDIR/node-$kind
  rm -rf "$root"
  mkdir -p "$root/usr/local/bin" "$root/etc/ssl/certs"
  cp "$prefix/bin/node" "$root/usr/local/bin/node"
  cp "$(host_ca_bundle)" "$root/etc/ssl/certs/ca-certificates.crt"
  local env_full=()
  if [ "$kind" = full ]; then
    [ -f "$prefix/include/node/node.h" ] || die "no Node headers in $prefix/include/node (node-gyp needs them offline)"
    [ -d "$prefix/lib/node_modules/corepack" ] || die "no corepack in $prefix/lib/node_modules (the Dockerfile runs corepack enable)"
    mkdir -p "$root/usr/local/lib/node_modules" "$root/usr/local/include"
    cp -a "$prefix/lib/node_modules/npm" "$prefix/lib/node_modules/corepack" "$root/usr/local/lib/node_modules/"
    cp -a "$prefix/include/node" "$root/usr/local/include/node"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
    ln -s ../lib/node_modules/corepack/dist/corepack.js "$root/usr/local/bin/corepack"
    env_full=(--change 'ENV npm_config_nodedir=/usr/local' --change 'ENV COREPACK_INTEGRITY_KEYS=0')
  fi
  say "creating $image from $base and the host's node $(node --version)"
  container=$(docker create "$base")
  created_container=$container
  tar --numeric-owner --owner=0 --group=0 -C "$root" -c . | docker cp - "$container:/" >/dev/null
  docker commit \
    --change "LABEL org.kolejka.recipe=$recipe" \
    --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
    "${env_full[@]}" \
    --change 'CMD ["node"]' \
    "$container" "$image" >/dev/null
  docker rm "$container" >/dev/null
  created_container=
  rm -rf "$root"
}

build_node_full() { build_node_image "$NODE_FULL_IMAGE" "$GCC_IMAGE" "$node_recipe" full; }
build_node_slim() { build_node_image "$NODE_SLIM_IMAGE" "$DEBIAN_IMAGE" "$node_recipe" slim; }

ensure_image() { # IMAGE RECIPE BUILDER
  if image_is_current "$1" "$2"; then
    say "image $1 is present"
  else
    mkdir -p "$WORKDIR"
    "$3"
    say "image $1 built"
  fi
}

with_node_images=false
for arg in "$@"; do
  case $arg in
    --with-node-images) with_node_images=true ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $arg (usage: $0 [--with-node-images])" ;;
  esac
done

# A failed build must not leave /proc mounted inside the work directory, nor a container.
mounted_proc=
created_container=
cleanup() {
  [ -z "$mounted_proc" ] || as_root umount "$mounted_proc" 2>/dev/null || true
  [ -z "$created_container" ] || docker rm -f "$created_container" >/dev/null 2>&1 || true
}
trap cleanup EXIT

ensure_packages
ensure_engine
ensure_image "$BUSYBOX_IMAGE" "$BUSYBOX_RECIPE" build_busybox
ensure_image "$DEBIAN_IMAGE" "$DEBIAN_RECIPE" build_debian
ensure_image "$GCC_IMAGE" "$GCC_RECIPE" build_gcc
if [ "$with_node_images" = true ]; then
  node_version=$(node --version 2>/dev/null) || die "--with-node-images needs node on PATH"
  node_major=${node_version#v}
  node_major=${node_major%%.*}
  readonly NODE_FULL_IMAGE=kolejka-test/node:$node_major-bookworm
  readonly NODE_SLIM_IMAGE=kolejka-test/node:$node_major-bookworm-slim
  node_recipe=$NODE_RECIPE-$node_version
  ensure_image "$NODE_FULL_IMAGE" "$node_recipe" build_node_full
  ensure_image "$NODE_SLIM_IMAGE" "$node_recipe" build_node_slim
fi
say "done"
