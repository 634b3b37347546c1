#!/bin/sh
# Counts once a second; the 3 s time limit stops it partway.
i=0
while [ "$i" -lt 100 ]; do
  echo "$i"
  i=$((i + 1))
  sleep 1
done
