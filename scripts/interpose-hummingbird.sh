#!/usr/bin/env bash
# Hummingbird's own tests (a server framework on swift-nio: live servers on loopback, an HTTP
# client, TLS, HTTP/2), run plainly and under the pthread interposer with checking on
# (scripts/interpose-suite.sh; docs/interpose.md has the figures).
#
#   scripts/interpose-hummingbird.sh                     # HummingbirdTests
#   scripts/interpose-hummingbird.sh HummingbirdCoreTests
set -euo pipefail
[ $# -gt 0 ] || set -- HummingbirdTests
exec "$(dirname "$0")/interpose-suite.sh" https://github.com/hummingbird-project/hummingbird 2.28.1 "$@"
