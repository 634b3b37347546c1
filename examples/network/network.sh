#!/bin/sh
# Lists the network interfaces the task sees: with "network": false only the loopback.
interfaces=$(ls /sys/class/net | tr '\n' ' ')
echo "network interfaces: $interfaces"
if [ "$interfaces" = "lo " ]; then echo "only loopback: yes"; else echo "only loopback: no"; fi
