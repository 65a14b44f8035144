#!/usr/bin/env python3
"""bench/ab.py ROUNDS INPUT BIN... - two or more mailmedic builds, alternated.

Runs `BIN diagnose -f json --jobs 1 INPUT` for each BIN in turn, ROUNDS
times, output to /dev/null, and prints per build the median and minimum
elapsed time and the median CPU time (user + system, from wait4()), so a
change can be told from the machine's drift: both builds see the same
noise.  Not a test and not the bench (bench/run.sh compares with Sisimai);
this is for one step against the step before it.
"""
import os
import statistics as st
import sys
import time


def run(binary, inp, devnull):
    t = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        os.execv(binary, [binary, "diagnose", "-f", "json", "--jobs", "1", inp])
    _, status, ru = os.wait4(pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        sys.exit(f"ab.py: {binary} failed on {inp}")
    return time.perf_counter() - t, ru.ru_utime, ru.ru_stime


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rounds, inp, bins = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    devnull = os.open(os.devnull, os.O_WRONLY)
    res = {b: [] for b in bins}
    for _ in range(rounds):
        for b in bins:
            res[b].append(run(b, inp, devnull))
    for b in bins:
        w = [r[0] for r in res[b]]
        c = [r[1] + r[2] for r in res[b]]
        u = [r[1] for r in res[b]]
        s = [r[2] for r in res[b]]
        print(f"{b}: elapsed median {st.median(w):.3f} s, min {min(w):.3f} s; "
              f"CPU median {st.median(c):.3f} s (user {st.median(u):.3f}, system {st.median(s):.3f})")


main()
