#!/usr/bin/env bash
# make bench-instructions: instructions per operation (one lock + unlock, or three of each for
# the x3 rows) of every variant of the benchmark's interleaved table, counted by callgrind.
# Exact and repeatable where timings move by 2x between launches: judge a fast-path change by
# these. Each variant runs twice, with N1 and N2 operations; (total(N2) - total(N1)) / (N2 - N1)
# is one operation's count, setup and warm-up cancelling out.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        apt-get install -y valgrind >/dev/null || { apt-get update >/dev/null && apt-get install -y valgrind >/dev/null; }
    else
        echo "bench-instructions: valgrind is needed (Debian: apt-get install valgrind)" >&2
        exit 1
    fi
fi

swift build -c release --product lockorder-bench >/dev/null
swift build -c release --product LockOrderInterpose >/dev/null
binary=.build/release/lockorder-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 cannot read the DWARF 5 debug information the toolchain writes; the counts need
# none of it.
objcopy --strip-debug "$binary" "$work/lockorder-bench"
objcopy --strip-debug .build/release/libLockOrderInterpose.so "$work/libLockOrderInterpose.so"

n1=100000
n2=300000
count() {  # variant, operations [, environment assignments for the program] -> total instructions
    local variant=$1 operations=$2
    shift 2
    # The program's environment (the interposer rows' LD_PRELOAD) is given to valgrind, which
    # passes it on to the program it runs; it does not follow children (--trace-children=no).
    env "$@" valgrind --tool=callgrind --trace-children=no --callgrind-out-file="$work/out" \
        "$work/lockorder-bench" --instructions "$variant" --operations "$operations" \
        >/dev/null 2>"$work/valgrind.log"
    awk '/^(summary|totals):/ { print $2; exit }' "$work/out"
}
row() {  # label, variant [, environment assignments]
    local label=$1 variant=$2
    shift 2
    local first second
    first=$(count "$variant" "$n1" "$@")
    second=$(count "$variant" "$n2" "$@")
    echo "| $label | $(awk -v a="$first" -v b="$second" -v n=$((n2 - n1)) 'BEGIN { printf "%.1f", (b - a) / n }') |"
}

echo "instructions per operation (callgrind, $n2 - $n1 operations; $(valgrind --version))"
echo
echo "| variant | instructions per operation |"
echo "|---|---:|"
"$work/lockorder-bench" --instructions list | while IFS= read -r variant; do
    row "$variant" "$variant"
done
# The interposer (section 10): the raw pthread rows with the library preloaded, checking off
# and on.
for variant in "raw pthread_mutex_t" "raw pthread_mutex_t x3"; do
    row "$variant, interposed, checking off" "$variant" LD_PRELOAD="$work/libLockOrderInterpose.so"
    row "$variant, interposed, checking on" "$variant" \
        LD_PRELOAD="$work/libLockOrderInterpose.so" LOCKORDER_CHECK=1
done
