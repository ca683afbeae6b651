# The README's two commands (`make demo`, `make test`) and the benchmark. Each installs what it
# needs first (libunwind-dev), so they work on a fresh Debian machine with Swift.
SWIFT ?= swift
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c

.PHONY: demo test lint bench bench-instructions bench-tsan dependencies

dependencies:
	@./scripts/ensure-libunwind.sh

## Build and run the demo: real violation reports, with backtraces, on stderr.
demo: dependencies
	$(SWIFT) build --product lockorder
	LOCKORDER_CHECK=report .build/debug/lockorder demo --async

## Build everything with zero warnings, then run the whole test suite (serially: the tests
## switch the process-wide checker on and off), twice: with checking off outside the tests'
## sessions, as a user's test suite starts, and with LOCKORDER_CHECK=1, so that every lock
## operation between sessions is checked too (the sessions then start and end on checked state).
test: dependencies
	@mkdir -p .build
	$(SWIFT) build --build-tests 2>&1 | tee .build/build-tests.log
	@./scripts/check-warnings.sh .build/build-tests.log
	$(SWIFT) test --skip-build --no-parallel
	LOCKORDER_CHECK=1 $(SWIFT) test --skip-build --no-parallel

## Check the formatting and lint rules of .swift-format (CI runs it before the tests).
lint:
	swift-format lint --strict -r Sources Benchmarks Tests Package.swift

## Measure the cost of checking (release build), as ratios to a raw pthread mutex in the same run.
bench: dependencies
	$(SWIFT) build -c release --product lockorder-bench
	$(SWIFT) build -c release --product LockOrderInterpose
	.build/release/lockorder-bench

## The ThreadSanitizer comparison: the nested workload of `make bench` on raw pthread mutexes,
## built with the toolchain's -sanitize=thread (its own scratch folder) and run with lock-order
## reports enabled. Compare its ns/op with the raw nested row of `make bench`.
bench-instructions: dependencies
	./scripts/bench-instructions.sh

bench-tsan: dependencies
	$(SWIFT) build -c release --sanitize=thread --product lockorder-bench --scratch-path .build-tsan
	TSAN_OPTIONS=ignore_noninstrumented_modules=0 .build-tsan/release/lockorder-bench --nested-raw-only
