# shellcheck shell=bash
# Booting the VM (sourced by scripts/vm-check.sh; uses lib.sh).
#
# Software emulation only (TCG, no -enable-kvm): /dev/kvm, where there is one on the
# development machines, boots only PVM-enabled guest kernels, and Debian's is not one.
# The guest gets the kernel and initramfs copied out of its image, a pure cgroup v2
# hierarchy (systemd.unified_cgroup_hierarchy=1), no network, its serial console in
# OUT/console.log and the host directory OUT as the 9p share it writes its results to.

VM_MEMORY_MIB=${KOLEJKA_VM_MEMORY:-4096}
VM_CPUS=${KOLEJKA_VM_CPUS:-2}
VM_TIMEOUT_S=${KOLEJKA_VM_TIMEOUT:-3600}
VM_QEMU_PID= # the running VM's `timeout` process, for stop_guest

# Stops the VM this script started, if one runs (the EXIT trap in vm-check.sh).
stop_guest() {
  if [ -n "$VM_QEMU_PID" ]; then kill "$VM_QEMU_PID" 2>/dev/null || true; fi
}

# MODE DRIVER OUT TOOLS_IMG [REPO_IMG]: boots, prints the guest's progress.log as it grows,
# waits for the guest to power off; returns the guest's status (run.sh's exit code), or
# 124 when it ran out of time and 125 when it stopped without writing a status.
boot_guest() {
  local mode=$1 driver=$2 out=$3 tools=$4 repo=${5:-} snapshot=on
  # Provisioning writes the loaded images into disk.img; checks never change it.
  [ "$mode" != provision ] || snapshot=off
  mkdir -p "$out"
  : >"$out/progress.log"
  rm -f "$out/guest.status"
  local drives=(
    -drive "file=$VM_DIR/disk.img,format=raw,if=virtio,snapshot=$snapshot"
    -drive "file=$tools,format=raw,if=virtio,snapshot=on"
  )
  [ -z "$repo" ] || drives+=(-drive "file=$repo,format=raw,if=virtio,snapshot=on")
  # apparmor=0: the image has no apparmor_parser, and Debian's dockerd then refuses every
  # container ("AppArmor enabled on system but the docker-default profile could not be
  # loaded"); AppArmor has nothing to do with cgroups.
  local append="root=/dev/vda rw console=ttyS0 panic=1 apparmor=0 systemd.unified_cgroup_hierarchy=1"
  append+=" systemd.show_status=auto kolejka.mode=$mode kolejka.driver=$driver"
  # nice: the development machines are shared; -no-reboot: a panic (panic=1) ends qemu.
  nice -n 10 timeout --kill-after=30 "$VM_TIMEOUT_S" qemu-system-x86_64 \
    -machine q35 -accel tcg,thread=multi -cpu max -smp "$VM_CPUS" -m "$VM_MEMORY_MIB" \
    -kernel "$VM_DIR/vmlinuz" -initrd "$VM_DIR/initrd.img" -append "$append" \
    "${drives[@]}" \
    -virtfs "local,path=$out,mount_tag=kolejka-out,security_model=none,id=out" \
    -device virtio-rng-pci -nic none -display none -monitor none \
    -serial "file:$out/console.log" -no-reboot \
    >"$out/qemu.log" 2>&1 &
  VM_QEMU_PID=$!
  tail -n +1 -F --pid="$VM_QEMU_PID" "$out/progress.log" 2>/dev/null | sed -u 's/^/    guest: /' &
  local tailer=$!
  local rc=0
  wait "$VM_QEMU_PID" || rc=$?
  VM_QEMU_PID=
  wait "$tailer" 2>/dev/null || true
  if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
    say "the VM did not finish within $VM_TIMEOUT_S s (KOLEJKA_VM_TIMEOUT); console: $out/console.log"
    return 124
  fi
  if [ "$rc" -ne 0 ]; then
    tail -n 5 "$out/qemu.log" >&2
    say "qemu exited with status $rc (see $out/qemu.log, $out/console.log)"
  fi
  [ -f "$out/guest.status" ] || { say "the guest wrote no status (see $out/console.log)"; return 125; }
  return "$(cat "$out/guest.status")"
}
