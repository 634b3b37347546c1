#!/bin/sh
# Floods stdout without end: the worker caps the output file (64 MiB by default, or
# kolejka-worker --output-limit), truncates it there and kills the task.
echo "flooding stdout"
exec yes "Kolejka caps the output of a task at the worker's output limit"
