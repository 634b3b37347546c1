#!/bin/sh
gcc -O2 -o rambomb rambomb.c || exit 1
./rambomb
status=$?
echo "?> $status"
exit $status
