#!/bin/sh
# Writes 1 MiB blocks until the 16 MiB workspace (a tmpfs over the task and result dirs) is full.
echo "workspace: $(df -k . | tail -n 1)"
dd if=/dev/zero of=big.bin bs=1M count=1000 2>&1
echo "dd status: $?"
echo "big.bin holds $(wc -c < big.bin) bytes; the disk stayed free"
