#!/bin/bash
# The compile-time half of the async rules (docs/locks.md, "Async code"): lock(), unlock() and
# tryLock() of every lock type are unavailable from async code (SE-0340's noasync), so a snippet
# that calls them from an async function must get the warning, and a snippet that uses withLock
# or the FromAsync escapes must compile silently. The snippets are type-checked against the
# built modules with swiftc, outside the package build (whose zero-warning gate stays intact).
#
# Usage: scripts/check-noasync.sh [BIN_DIR]   (default: `swift build --show-bin-path`)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
bin="${1:-$(cd "$root" && swift build --show-bin-path)}"
swiftc="${SWIFTC:-$(command -v swiftc)}"
work="$(mktemp -d /tmp/lockorder-noasync-XXXXXX)"
trap 'rm -rf "$work"' EXIT

typecheck() {
    "$swiftc" -typecheck -swift-version "$2" -I "$bin/Modules" -I "$bin" \
        -Xcc -fmodule-map-file="$bin/CLockOrderSupport.build/module.modulemap" \
        -Xcc -I"$root/Sources/CLockOrderSupport/include" \
        -Xcc -fmodule-map-file="$root/Sources/CLibunwind/module.modulemap" \
        "$1" 2>&1
}

cat >"$work/unsafe.swift" <<'SWIFT'
import LockCore

func mutexAcrossAwait(_ lock: CheckedMutex) async {
    lock.lock()
    await Task.yield()
    lock.unlock()
    _ = lock.tryLock()
}

func everyType(
    _ reentrant: CheckedReentrantMutex, _ spin: CheckedSpinLock, _ reentrantSpin: CheckedReentrantSpinLock,
    _ readWrite: CheckedReadWriteLock
) async {
    reentrant.lock()
    reentrant.unlock()
    spin.lock()
    spin.unlock()
    reentrantSpin.lock()
    reentrantSpin.unlock()
    readWrite.lockRead()
    readWrite.unlockRead()
    readWrite.lockWrite()
    readWrite.unlockWrite()
}

func generic<Lock: CheckedLock>(_ lock: Lock) async {
    lock.lock(fileID: #fileID, line: #line)
    lock.unlock(fileID: #fileID, line: #line)
}
SWIFT

cat >"$work/safe.swift" <<'SWIFT'
import LockCore

func scoped(_ lock: CheckedMutex, _ readWrite: CheckedReadWriteLock) async {
    lock.withLock {}
    readWrite.withReadLock {}
    readWrite.withWriteLock {}
    await Task.yield()
}

func knowingly(_ lock: CheckedMutex, _ readWrite: CheckedReadWriteLock) async {
    lock.lockFromAsync()
    lock.unlockFromAsync()
    if lock.tryLockFromAsync() { lock.unlockFromAsync() }
    readWrite.lockWriteFromAsync()
    readWrite.unlockWriteFromAsync()
}

func synchronous(_ lock: CheckedMutex) {
    lock.lock()
    lock.unlock()
}
SWIFT

# Swift 5 mode makes the calls warnings; Swift 6 mode makes direct calls from async functions
# errors. Either way each of the 15 calls gets the diagnostic that points to withLock.
failed=0
for mode in 5 6; do
    unsafe_output="$(typecheck "$work/unsafe.swift" "$mode" || true)"
    pattern="^/.*unsafe\.swift:[0-9]+:[0-9]+: (warning|error): instance method '[A-Za-z]+' is unavailable from asynchronous contexts; use with"
    count="$(grep -cE "$pattern" <<<"$unsafe_output" || true)"
    if [ "$count" -ne 15 ]; then
        echo "FAIL: Swift $mode mode: expected 15 noasync diagnostics in the unsafe snippet, got $count:"
        echo "$unsafe_output"
        failed=1
    else
        echo "ok: Swift $mode mode: 15 noasync diagnostics for lock/unlock/tryLock in async code, for example:"
        grep -m1 -E "$pattern" <<<"$unsafe_output" | sed 's|^.*unsafe\.swift|unsafe.swift|'
    fi
    safe_output="$(typecheck "$work/safe.swift" "$mode" || true)"
    if [ -n "$safe_output" ]; then
        echo "FAIL: Swift $mode mode: the safe snippet (withLock, the FromAsync escapes, synchronous code) is not silent:"
        echo "$safe_output"
        failed=1
    else
        echo "ok: Swift $mode mode: withLock, the FromAsync escapes and synchronous code compile silently"
    fi
done
exit "$failed"
