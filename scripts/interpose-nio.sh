#!/usr/bin/env bash
# swift-nio's own NIOConcurrencyHelpersTests, run twice: plainly, and with the pthread
# interposer preloaded and checking on (docs/interpose.md). Prints both wall times, their ratio
# and every lockorder report line. The tests are swift-nio's, taken from the checkout SwiftPM
# resolves (the local package mirror here); nothing of them is committed to this repository.
#
#   scripts/interpose-nio.sh     # WORK=/tmp/lockorder-nio by default; LIBRARY=path skips the build
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${WORK:-/tmp/lockorder-nio}

[ -n "${LIBRARY:-}" ] || swift build --package-path "$root" --product LockOrderInterpose
library=${LIBRARY:-"$root/.build/debug/libLockOrderInterpose.so"}

mkdir -p "$work/Tests/NIOConcurrencyHelpersTests"
cat > "$work/Package.swift" <<'PACKAGE'
// swift-tools-version: 5.10
import PackageDescription

let package = Package(
    name: "nio-under-lockorder",
    dependencies: [.package(url: "https://github.com/apple/swift-nio", from: "2.101.0")],
    targets: [
        .testTarget(
            name: "NIOConcurrencyHelpersTests",
            dependencies: [
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ])
    ]
)
PACKAGE
swift package --package-path "$work" resolve
cp "$work/.build/checkouts/swift-nio/Tests/NIOConcurrencyHelpersTests/"*.swift "$work/Tests/NIOConcurrencyHelpersTests/"
swift build --package-path "$work" --build-tests
tests="$work/.build/debug/nio-under-lockorderPackageTests.xctest"

seconds() { date +%s.%N; }
start=$(seconds)
"$tests" > "$work/plain.log" 2>&1
plain=$(echo "$(seconds) - $start" | bc)
start=$(seconds)
LD_PRELOAD="$library" LOCKORDER_CHECK=1 "$tests" > "$work/interposed.log" 2>&1
interposed=$(echo "$(seconds) - $start" | bc)

echo "plain:      $(grep -E 'Executed [0-9]+ tests' "$work/plain.log" | tail -1)"
echo "interposed: $(grep -E 'Executed [0-9]+ tests' "$work/interposed.log" | tail -1)"
printf 'wall time: plain %.2f s, interposed with checking on %.2f s, ratio %.2fx\n' \
    "$plain" "$interposed" "$(echo "$interposed / $plain" | bc -l)"
echo "lockorder lines:"
grep '^lockorder: ' "$work/interposed.log" || echo "(none)"
