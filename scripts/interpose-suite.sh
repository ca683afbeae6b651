#!/usr/bin/env bash
# Runs a real package's own test targets twice: plainly, and with lockorder's pthread
# interposer preloaded and checking on (docs/interpose.md). Prints each run's result, wall and
# CPU time, their ratios, and every lockorder line; keeps the logs and the interposed run's
# JSON reports and learned graphs in WORK. The package is cloned from its GitHub address (the local package
# mirror here) at a tag into WORK; its manifest gets, appended, a line that keeps only the
# named test targets (and drops its executables), so that only they are built. Nothing of the
# package is committed to this repository.
#
#   scripts/interpose-suite.sh URL TAG TEST_TARGET...
#
# Environment: WORK (default /tmp/lockorder-suite-NAME-TARGETS), LIBRARY (a built
# libLockOrderInterpose.so; skips building it), TIMEOUT (seconds per run, default 3600),
# SUPPRESSIONS (a LOCKORDER_SUPPRESSIONS file for the interposed run), XCTEST_ARGS (a filter
# for the XCTest run, e.g. NIOPosixTests.EventLoopTest), SKIP_SWIFT_TESTING=1.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 URL TAG TEST_TARGET..." >&2; exit 2; }
url=$1 tag=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)
name=$(basename "$url" .git)
work=${WORK:-/tmp/lockorder-suite-$name-$(echo "$*" | tr " " "-")}
timeout=${TIMEOUT:-3600}

[ -n "${LIBRARY:-}" ] || swift build --package-path "$root" --product LockOrderInterpose
library=${LIBRARY:-"$root/.build/debug/libLockOrderInterpose.so"}
[ -f "$library" ] || { echo "$0: no interposer library at $library" >&2; exit 1; }

mkdir -p "$work"
checkout="$work/$name"
if [ ! -d "$checkout/.git" ]; then
    git -c advice.detachedHead=false clone --quiet --branch "$tag" "$url" "$checkout"
    kept=$(printf '"%s", ' "$@")
    cat >> "$checkout/Package.swift" <<MANIFEST

// Appended by lockorder's scripts/interpose-suite.sh: only the test targets it runs.
package.targets.removeAll { (\$0.type == .test && ![${kept%, }].contains(\$0.name)) || \$0.type == .executable }
package.products.removeAll { \$0 is Product.Executable }
MANIFEST
fi
swift build --package-path "$checkout" --build-tests
bundle=$(find "$checkout/.build/debug/" -maxdepth 1 -name '*PackageTests.xctest' | head -1)
[ -n "$bundle" ] || { echo "$0: no test bundle in $checkout/.build/debug" >&2; exit 1; }

# One run: XCTest, then Swift Testing, from the bundle itself (as `swift test` runs it, without
# SwiftPM's own process under the interposer). Appends "wall user+sys" seconds to $2.
run() {
    local label=$1 times=$2
    shift 2
    local log="$work/$label.log"
    : > "$log"
    local TIMEFORMAT='%R %U %S'
    {
        time {
            (cd "$checkout" && env "$@" LOCKORDER_GRAPH_FILE="$work/$label-xctest-graph.json" \
                timeout -s KILL "$timeout" "$bundle" ${XCTEST_ARGS:-}) >> "$log" 2>&1 || true
            if [ -z "${SKIP_SWIFT_TESTING:-}" ]; then
                (cd "$checkout" && env "$@" LOCKORDER_GRAPH_FILE="$work/$label-swift-testing-graph.json" \
                    timeout -s KILL "$timeout" "$bundle" --testing-library swift-testing) >> "$log" 2>&1 || true
            fi
        }
    } 2> "$times"
}

run plain "$work/plain.times" LOCKORDER_CHECK=0
rm -f "$work/reports.jsonl" "$work"/*-graph.json
interposed_env=(LD_PRELOAD="$library" LOCKORDER_CHECK=1 LOCKORDER_REPORT_FILE="$work/reports.jsonl")
[ -z "${SUPPRESSIONS:-}" ] || interposed_env+=(LOCKORDER_SUPPRESSIONS="$SUPPRESSIONS")
run interposed "$work/interposed.times" "${interposed_env[@]}"

summary() {
    local log=$1
    local xctest swift_testing
    xctest=$(grep -E 'Executed [0-9]+ tests?, with' "$log" | tail -1 | sed 's/^ *//' || true)
    swift_testing=$(grep -E 'Test run with [0-9]+ tests?' "$log" | tail -1 | sed 's/^.*Test run/Test run/' || true)
    echo "XCTest: ${xctest:-(none)}; Swift Testing: ${swift_testing:-(none)}"
}
read -r plain_wall plain_user plain_sys < <(tail -1 "$work/plain.times")
read -r inter_wall inter_user inter_sys < <(tail -1 "$work/interposed.times")
plain_cpu=$(echo "$plain_user + $plain_sys" | bc)
inter_cpu=$(echo "$inter_user + $inter_sys" | bc)
echo "package:    $url $tag, test targets: $*"
echo "plain:      $(summary "$work/plain.log")"
echo "interposed: $(summary "$work/interposed.log")"
printf 'wall time:  plain %.1f s, interposed %.1f s, ratio %.2fx\n' "$plain_wall" "$inter_wall" \
    "$(echo "$inter_wall / $plain_wall" | bc -l)"
printf 'CPU time:   plain %.1f s, interposed %.1f s, ratio %.2fx\n' "$plain_cpu" "$inter_cpu" \
    "$(echo "$inter_cpu / $plain_cpu" | bc -l)"
echo "failures (plain / interposed): $(grep -cE 'error: .*failed|✘ Test .* failed' "$work/plain.log" || true) / $(grep -cE 'error: .*failed|✘ Test .* failed' "$work/interposed.log" || true)"
for graph in "$work"/interposed-*-graph.json; do
    [ -f "$graph" ] || continue
    echo "learned graph $(basename "$graph"): $(python3 -c 'import json, sys; graph = json.load(open(sys.argv[1]))
print(len(graph["classes"]), "lock classes,", len(graph["edges"]), "order edges")' "$graph")"
done
echo "lockorder lines:"
grep -a '^lockorder: ' "$work/interposed.log" || echo "(none)"
