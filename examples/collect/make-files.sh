#!/bin/sh
# Makes files for the collect rules: nested outputs, a hidden file, and symlinks — one that
# stays inside the task directory and three that must never be followed (to /etc/shadow,
# absolutely and through ../.., and a directory loop).
set -e
mkdir -p out/sub out/.cache logs
echo "answer 42" > out/answer.txt
echo "nested" > out/sub/nested.txt
echo "hidden" > out/.hidden.txt
echo "cached" > out/.cache/cached.txt
echo "log line" > logs/run.log
ln -s answer.txt out/link-inside.txt
ln -s /etc/shadow out/shadow-absolute.txt
ln -s ../../../../../etc/shadow out/shadow-relative.txt
ln -s . out/loop
echo "files made"
