#!/bin/sh
# Shows the environment a Kolejka task runs in.
echo "Hello from Kolejka!"
echo "I am $(id -un)@$(hostname):$(pwd)"
echo "--- uname -a"
uname -a
echo "--- environment"
env | sort
echo "--- task directory"
ls -Al
