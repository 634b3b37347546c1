#!/bin/sh
# Installed into the VM image as /usr/local/sbin/kolejka-vm-entry (kept tiny: the image is
# rebuilt when it changes). Mounts the disks the host attached and runs the tools disk's
# vm/run.sh, which does the actual work; the VM powers off whatever happens.
#   /dev/vdb  tools: node, scripts/vm/guest, checks, images  -> /kolejka/tools
#   /dev/vdc  the checkout under test (absent when provisioning) -> /kolejka/repo
#   9p tag kolejka-out: the host's output directory             -> /kolejka/out
mkdir -p /kolejka/repo /kolejka/tools /kolejka/out
modprobe -a 9pnet_virtio 9p
mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 kolejka-out /kolejka/out
mount /dev/vdb /kolejka/tools
if [ -b /dev/vdc ]; then mount /dev/vdc /kolejka/repo; fi
if [ -x /kolejka/tools/vm/run.sh ]; then
  /kolejka/tools/vm/run.sh >>/kolejka/out/guest.log 2>&1
  echo "$?" >/kolejka/out/guest.status
else
  echo "no /kolejka/tools/vm/run.sh" >>/kolejka/out/guest.log
  echo 127 >/kolejka/out/guest.status
fi
sync
systemctl --no-block poweroff
