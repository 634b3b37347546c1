# shellcheck shell=bash
# The disks a boot gets besides the image (sourced by scripts/vm-check.sh; uses lib.sh,
# qemu.sh). Each is an ext4 image made with mkfs.ext4 -d from a directory, attached with
# snapshot=on: the guest may write to it, nothing reaches the file.
#   tools disk  node (the host's binary and npm), scripts/vm/guest/run.sh, report.js, the
#               settings, the list of checks, and when provisioning the test images
#   repo disk   the checkout under test as it is on the host (node_modules, dist/ included)

readonly TEST_IMAGES=(kolejka-test/busybox:latest kolejka-test/debian:bookworm kolejka-test/gcc:bookworm)

# DIR: node for the guest, from the host's installation (same arch and Debian glibc).
stage_node() {
  local dir=$1 node prefix
  node=$(readlink -f "$(command -v node)") || die "node is not on PATH"
  prefix=$(dirname "$(dirname "$node")")
  mkdir -p "$dir/node/bin"
  cp "$node" "$dir/node/bin/node"
  # npx: the worker's CLI test rebuilds dist/ with `npx tsc` when it is older than src/.
  if [ -d "$prefix/lib/node_modules/npm" ]; then
    mkdir -p "$dir/node/lib/node_modules"
    cp -a "$prefix/lib/node_modules/npm" "$dir/node/lib/node_modules/"
    ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/node/bin/npm"
    ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/node/bin/npx"
  fi
}

# DIR: what every boot needs on the tools disk.
stage_tools() {
  local dir=$1 here
  here=$(dirname "${BASH_SOURCE[0]}")
  rm -rf "$dir"
  mkdir -p "$dir/vm"
  install -m 0755 "$here/guest/run.sh" "$dir/vm/run.sh"
  install -m 0644 "$here/report.js" "$dir/vm/report.js"
  cat >"$dir/settings.env" <<SETTINGS
TEST_TIMEOUT_MS=$TEST_TIMEOUT_MS
HOOK_TIMEOUT_MS=$HOOK_TIMEOUT_MS
CHECK_TIMEOUT_S=$CHECK_TIMEOUT_S
TIME_SLACK=$TIME_SLACK
SETTINGS
  : >"$dir/checks.tsv"
}

test_image_ids() {
  local image
  for image in "${TEST_IMAGES[@]}"; do
    docker image inspect --format "$image {{.Id}}" "$image" 2>/dev/null \
      || die "no image $image on the host: run scripts/prepare-docker.sh"
  done
}

# disk.img is base.img with the host's test images loaded into the guest's Docker: a
# provisioning boot, redone when base.img or an image changes.
ensure_provisioned_disk() {
  local ids started=$SECONDS stage=$VM_DIR/provision out=$VM_DIR/provision-out
  ids=$(printf '%s\n' "$(cat "$VM_DIR/base.recipe")" "$(test_image_ids)")
  if [ -f "$VM_DIR/disk.img" ] && [ "$(cat "$VM_DIR/disk.images" 2>/dev/null)" = "$ids" ]; then
    say "VM disk holds the current test images"
    return
  fi
  say "provisioning: loading ${TEST_IMAGES[*]} into the VM's Docker (one boot, a few minutes)"
  rm -f "$VM_DIR/disk.images"
  cp --sparse=always "$VM_DIR/base.img" "$VM_DIR/disk.img"
  stage_tools "$stage"
  docker save -o "$stage/images.tar" "${TEST_IMAGES[@]}"
  ext4_image_of "$stage" "$VM_DIR/provision-tools.img" 64
  rm -rf "$stage" "$out"
  local rc=0
  boot_guest provision none "$out" "$VM_DIR/provision-tools.img" || rc=$?
  rm -f "$VM_DIR/provision-tools.img"
  [ "$rc" -eq 0 ] || die "provisioning failed (status $rc; see $out/guest.log and $out/console.log)"
  printf '%s\n' "$ids" >"$VM_DIR/disk.images"
  say "provisioned in $((SECONDS - started)) s"
}
