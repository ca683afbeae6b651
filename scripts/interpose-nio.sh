#!/usr/bin/env bash
# swift-nio's own tests, run plainly and under the pthread interposer with checking on
# (scripts/interpose-suite.sh; docs/interpose.md has the figures).
#
#   scripts/interpose-nio.sh                   # NIOConcurrencyHelpersTests
#   scripts/interpose-nio.sh NIOPosixTests     # or any of swift-nio's test targets
set -euo pipefail
[ $# -gt 0 ] || set -- NIOConcurrencyHelpersTests
exec "$(dirname "$0")/interpose-suite.sh" https://github.com/apple/swift-nio 2.101.3 "$@"
