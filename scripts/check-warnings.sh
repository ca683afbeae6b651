#!/bin/sh
# Fails when a build log has compiler warnings in the project's own code (dependencies'
# warnings are theirs). Usage: check-warnings.sh BUILD_LOG
set -eu
log=$1
if grep -E "^/.*/(Sources|Tests|Benchmarks)/.*: warning:" "$log" | grep -v "/.build/" | sort -u | grep .; then
    echo "lockorder: the build has warnings (above); the project keeps zero" >&2
    exit 1
fi
