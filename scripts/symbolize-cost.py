#!/usr/bin/env python3
# What default source locations cost (docs/report-format.md, "What source locations cost"):
# LOCKORDER_SYMBOLIZE=0 against unset, in interleaved rounds (each round runs both, alternating
# which goes first), for one report (lockorder-fixture: one order cycle) and for the run of
# `make demo`. Prints the medians and the median of the per-round differences with its spread.
# Build first: swift build --product lockorder && swift build --product lockorder-fixture
import os
import statistics
import subprocess
import sys
import time

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 16
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMMANDS = {
    "one report (lockorder-fixture 'A>B' 'B>A')": [ROOT + "/.build/debug/lockorder-fixture", "A>B", "B>A"],
    "make demo's run (lockorder demo --async)": [ROOT + "/.build/debug/lockorder", "demo", "--async"],
}


def run(command, symbolize):
    """Wall time in ms of one run, and whether its stderr had a source location."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKORDER_")}
    env["LOCKORDER_CHECK"] = "report"
    if symbolize is not None:
        env["LOCKORDER_SYMBOLIZE"] = symbolize
    start = time.perf_counter()
    done = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return (time.perf_counter() - start) * 1000, b" at /" in done.stderr


print("load average before:", " ".join(open("/proc/loadavg").read().split()[:3]))
for name, command in COMMANDS.items():
    run(command, "0")
    run(command, None)
    offs, defaults, differences = [], [], []
    for round in range(ROUNDS):
        times = {}
        for variant in (["0", None] if round % 2 == 0 else [None, "0"]):
            ms, located = run(command, variant)
            if located != (variant is None):
                sys.exit(f"{name}: LOCKORDER_SYMBOLIZE={variant}: locations {'' if located else 'not '}printed")
            times[variant] = ms
        offs.append(times["0"])
        defaults.append(times[None])
        differences.append(times[None] - times["0"])
    q1, _, q3 = statistics.quantiles(differences, n=4)
    print(
        f"{name}: {ROUNDS} rounds; =0 median {statistics.median(offs):.1f} ms, unset median "
        f"{statistics.median(defaults):.1f} ms; difference median {statistics.median(differences):+.1f} ms "
        f"(quartiles {q1:+.1f} to {q3:+.1f}, range {min(differences):+.1f} to {max(differences):+.1f})")
print("load average after:", " ".join(open("/proc/loadavg").read().split()[:3]))
