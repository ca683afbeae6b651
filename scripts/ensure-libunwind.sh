#!/bin/sh
# Installs libunwind-dev (the headers and link library the checker's backtraces need) when it
# is missing: through apt-get when running as root, otherwise with one line saying what to do.
set -eu
if dpkg -s libunwind-dev >/dev/null 2>&1; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
    echo "lockorder: installing libunwind-dev" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q libunwind-dev
else
    echo "lockorder: libunwind-dev is missing: run 'sudo apt-get install -y libunwind-dev' and try again" >&2
    exit 1
fi
