# shellcheck shell=bash
# The VM image, built once and cached (sourced by scripts/vm-check.sh; uses lib.sh).
#
#   $VM_DIR/base.img      ext4 root file system: Debian bookworm, systemd, docker.io, the
#                         kernel; made by debootstrap + apt in a chroot, then mkfs.ext4 -d
#   $VM_DIR/vmlinuz, initrd.img   the guest's kernel and initramfs, copied out of it
#   $VM_DIR/base.recipe   the recipe label it was built with
#   $VM_DIR/disk.img      base.img plus the test images loaded into the guest's Docker
#   $VM_DIR/disk.images   which images (their ids) disk.img holds
#
# The recipe label is a hash of the files that define the image (this file and the two
# installed into it), so any change to them rebuilds it; the packages come from whatever the
# Debian archive serves at build time. Checks boot disk.img with snapshot=on, so it never
# changes after provisioning.

readonly VM_PACKAGES=(
  systemd systemd-sysv udev kmod dbus       # init, device nodes, modules (9p, overlay, nf_tables)
  linux-image-amd64 initramfs-tools zstd    # Debian's kernel (6.1 for bookworm) and its initramfs
  docker.io                                 # dockerd, containerd, runc, iptables
  iproute2 procps util-linux e2fsprogs      # what the tests and their diagnostics call
  libstdc++6                                # the host's node binary needs it
)

vm_recipe() {
  local here
  here=$(dirname "${BASH_SOURCE[0]}")
  cat "$here/image.sh" "$here/guest/entry.sh" "$here/guest/kolejka-vm-check.service" \
    | sha256sum | cut -c1-16
}

base_is_current() {
  [ -f "$VM_DIR/base.img" ] && [ -f "$VM_DIR/vmlinuz" ] && [ -f "$VM_DIR/initrd.img" ] \
    && [ "$(cat "$VM_DIR/base.recipe" 2>/dev/null)" = "$(vm_recipe)" ]
}

# Unmounts what build_base mounted inside the rootfs, also after a failure (trap in vm-check.sh).
chroot_mounts=()
release_chroot_mounts() {
  local i
  for ((i = ${#chroot_mounts[@]} - 1; i >= 0; i--)); do
    as_root umount "${chroot_mounts[$i]}" 2>/dev/null || as_root umount -l "${chroot_mounts[$i]}" 2>/dev/null || true
  done
  chroot_mounts=()
}

in_chroot() { as_root chroot "$rootfs" /usr/bin/env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }

build_base() {
  local here rootfs=$VM_DIR/rootfs log=$VM_DIR/build.log started=$SECONDS
  here=$(dirname "${BASH_SOURCE[0]}")
  say "building the VM image in $VM_DIR (once; about 10 minutes; log: $log)"
  as_root rm -rf "$rootfs" "$VM_DIR/base.img" "$VM_DIR/disk.img" "$VM_DIR/disk.images" "$VM_DIR/base.recipe"
  : >"$log"
  say "debootstrap bookworm (minbase) from $(debian_mirror)"
  as_root debootstrap --variant=minbase bookworm "$rootfs" "$(debian_mirror)" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "debootstrap failed (see $log)"; }

  as_root mount -t proc proc "$rootfs/proc" && chroot_mounts+=("$rootfs/proc")
  as_root mount --bind /dev "$rootfs/dev" && chroot_mounts+=("$rootfs/dev")
  as_root cp /etc/resolv.conf "$rootfs/etc/resolv.conf"
  # No service may start inside the chroot (docker.io's postinst would try).
  printf '#!/bin/sh\nexit 101\n' | as_root tee "$rootfs/usr/sbin/policy-rc.d" >/dev/null
  as_root chmod +x "$rootfs/usr/sbin/policy-rc.d"
  # The initramfs cannot detect the VM's hardware from a chroot: take the usual modules.
  as_root mkdir -p "$rootfs/etc/initramfs-tools/conf.d"
  printf 'MODULES=most\n' | as_root tee "$rootfs/etc/initramfs-tools/conf.d/kolejka-vm" >/dev/null
  say "apt-get install in the image: ${VM_PACKAGES[*]}"
  in_chroot apt-get update -qq >>"$log" 2>&1 || { tail -n 20 "$log" >&2; die "apt-get update in the image failed (see $log)"; }
  in_chroot apt-get install -y -qq --no-install-recommends "${VM_PACKAGES[@]}" >>"$log" 2>&1 \
    || { tail -n 20 "$log" >&2; die "apt-get install in the image failed (see $log)"; }
  release_chroot_mounts

  say "configuring the image"
  as_root rm -f "$rootfs/usr/sbin/policy-rc.d"
  as_root truncate -s 0 "$rootfs/etc/resolv.conf"
  echo kolejka-vm | as_root tee "$rootfs/etc/hostname" >/dev/null
  printf '127.0.0.1 localhost\n127.0.1.1 kolejka-vm\n::1 localhost\n' | as_root tee "$rootfs/etc/hosts" >/dev/null
  printf '/dev/vda / ext4 rw,noatime 0 1\n' | as_root tee "$rootfs/etc/fstab" >/dev/null
  # A root shell on the serial console without a password, for debugging a boot by hand
  # (the VM has no network).
  in_chroot passwd -d root >>"$log" 2>&1
  as_root install -m 0755 "$here/guest/entry.sh" "$rootfs/usr/local/sbin/kolejka-vm-entry"
  as_root install -m 0644 "$here/guest/kolejka-vm-check.service" "$rootfs/etc/systemd/system/"
  in_chroot systemctl enable kolejka-vm-check.service >>"$log" 2>&1
  # dockerd is started by the check with the cgroup driver it asks for, not at boot.
  in_chroot systemctl disable docker.service docker.socket >>"$log" 2>&1
  # Nothing periodic may wake up during a check.
  in_chroot systemctl mask apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer \
    e2scrub_reap.service fstrim.timer systemd-tmpfiles-clean.timer >>"$log" 2>&1 || true
  as_root mkdir -p "$rootfs/etc/systemd/journald.conf.d"
  printf '[Journal]\nStorage=volatile\n' | as_root tee "$rootfs/etc/systemd/journald.conf.d/kolejka-vm.conf" >/dev/null
  # shellcheck disable=SC2016 # expanded by that shell
  as_root sh -c 'rm -rf "$1"/var/cache/apt/archives/*.deb "$1"/var/lib/apt/lists/* "$1"/tmp/* "$1"/var/tmp/*' sh "$rootfs"

  local kernel initrd
  kernel=$(find "$rootfs/boot" -name 'vmlinuz-*' | sort -V | tail -n 1)
  initrd=$(find "$rootfs/boot" -name 'initrd.img-*' | sort -V | tail -n 1)
  if [ ! -f "$kernel" ] || [ ! -f "$initrd" ]; then die "no kernel or initramfs in $rootfs/boot (see $log)"; fi
  as_root cp "$kernel" "$VM_DIR/vmlinuz"
  as_root cp "$initrd" "$VM_DIR/initrd.img"
  as_root chmod 0644 "$VM_DIR/vmlinuz" "$VM_DIR/initrd.img"

  say "making base.img (mkfs.ext4 -d)"
  # 6 GiB of room: the test images (~0.6 GiB) and the containers the checks start.
  ext4_image_of "$rootfs" "$VM_DIR/base.img" 6144
  as_root rm -rf "$rootfs"
  vm_recipe >"$VM_DIR/base.recipe"
  say "VM image built in $((SECONDS - started)) s (kernel $(basename "$kernel" | sed 's/^vmlinuz-//'))"
}

ensure_base_image() {
  if base_is_current; then
    say "VM image is current ($VM_DIR/base.img, recipe $(cat "$VM_DIR/base.recipe"))"
  else
    build_base
  fi
}
