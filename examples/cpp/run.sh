#!/bin/sh
# Compile once, then run: the usual shape of a judge task.
set -e
g++ -O2 -std=c++17 -o example example.cpp
mkdir -p out
./example > out/answer.txt
cat out/answer.txt
