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
binary=.build/release/lockorder-bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 cannot read the DWARF 5 debug information the toolchain writes; the counts need
# none of it.
objcopy --strip-debug "$binary" "$work/lockorder-bench"

n1=100000
n2=300000
count() {  # variant, operations -> total instructions
    valgrind --tool=callgrind --callgrind-out-file="$work/out" "$work/lockorder-bench" \
        --instructions "$1" --operations "$2" >/dev/null 2>"$work/valgrind.log"
    awk '/^(summary|totals):/ { print $2; exit }' "$work/out"
}

echo "instructions per operation (callgrind, $n2 - $n1 operations; $(valgrind --version))"
echo
echo "| variant | instructions per operation |"
echo "|---|---:|"
"$work/lockorder-bench" --instructions list | while IFS= read -r variant; do
    first=$(count "$variant" "$n1")
    second=$(count "$variant" "$n2")
    per=$(awk -v a="$first" -v b="$second" -v n=$((n2 - n1)) 'BEGIN { printf "%.1f", (b - a) / n }')
    echo "| $variant | $per |"
done
