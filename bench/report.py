#!/usr/bin/env python3
"""Summarise bench/run.sh results (TSV: label input messages bytes elapsed
rss_kb output_count cpu_s load1) as a Markdown table of medians, with the
ratios the issue sets targets for (on elapsed time; the CPU-time ratio for
mailmedic/Sisimai is printed too, as it does not depend on other load):
  mailmedic / Sisimai messages/s                       target >= 50
    three ways: mailmedic on the full input against Sisimai on the subset
    (throughput against throughput: mailmedic's ~10 ms start-up weighs on
    a 0.2 s subset run, Sisimai's on neither); both on the same subset; and,
    when run with MM_BENCH_PEER_FULL, both on the very same full input
  mailmedic --jobs 2 / --jobs 1 messages/s              target >= 1.7
    (also per run, with how many CPUs the --jobs 2 run got: CPU s / elapsed s;
    about 1.0 means other work held the second CPU and the ratio says nothing)
  peak RSS of every mailmedic run                       target <= 64 MB
Usage: report.py RESULTS.tsv
"""
import statistics
import sys
from collections import defaultdict


def main():
    runs = defaultdict(list)
    meta = {}
    loads = []
    for line in open(sys.argv[1]):
        label, inp, msgs, size, elapsed, rss, count, cpu, load = line.rstrip("\n").split("\t")
        runs[label].append((float(elapsed), int(rss), float(cpu)))
        meta[label] = (inp, int(msgs), int(size), count)
        loads.append(float(load))
    rate, cpu_rate = {}, {}
    print("| run | input | messages | MB | median s (n) | messages/s | MB/s | median CPU s "
          "| peak RSS MB | output lines |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label in sorted(runs):
        inp, msgs, size, count = meta[label]
        med = statistics.median(t for t, _, _ in runs[label])
        cpu = statistics.median(c for _, _, c in runs[label])
        rss = max(r for _, r, _ in runs[label]) / 1024
        rate[label] = msgs / med
        cpu_rate[label] = msgs / cpu if cpu else 0
        print("| %s | %s | %d | %.0f | %.2f (%d) | %.0f | %.1f | %.2f | %.1f | %s |"
              % (label, inp.rsplit("/", 1)[-1], msgs, size / 1e6, med, len(runs[label]),
                 msgs / med, size / 1e6 / med, cpu, rss, count))
    print()
    print("- load average before the runs: median %.2f, max %.2f (2 CPUs)"
          % (statistics.median(loads), max(loads)))
    for kind in ("mbox", "dir"):
        sub, sis = "subset-mailmedic-j1-" + kind, "sisimai-" + kind
        j1, j2 = "mailmedic-j1-" + kind, "mailmedic-j2-" + kind
        full = "sisimai-full-" + kind
        if j1 in rate and full in rate:
            print("- %s: mailmedic/Sisimai = %.1fx elapsed, %.1fx CPU time "
                  "(both on the same %d-message input; target >= 50x)"
                  % (kind, rate[j1] / rate[full], cpu_rate[j1] / cpu_rate[full], meta[j1][1]))
        if j1 in rate and sis in rate:
            print("- %s: mailmedic/Sisimai = %.1fx elapsed, %.1fx CPU time "
                  "(mailmedic on %d messages, Sisimai on the %d-message subset)"
                  % (kind, rate[j1] / rate[sis], cpu_rate[j1] / cpu_rate[sis], meta[j1][1],
                     meta[sis][1]))
        if sub in rate and sis in rate:
            print("- %s: mailmedic/Sisimai = %.1fx elapsed, %.1fx CPU time "
                  "(both on the same %d-message subset)"
                  % (kind, rate[sub] / rate[sis], cpu_rate[sub] / cpu_rate[sis], meta[sub][1]))
        if j1 in rate and j2 in rate:
            # Pair each run's two timings: they ran back to back, under the same load.
            pairs = [(a[0] / b[0], b[2] / b[0]) for a, b in zip(runs[j1], runs[j2])]
            print("- %s: --jobs 2 / --jobs 1 = %.2fx from medians; per run %s "
                  "(target >= 1.7x)" % (kind, rate[j2] / rate[j1], ", ".join(
                      "%.2fx with %.2f CPUs busy" % p for p in pairs)))
    worst = max(max(r for _, r, _ in v) for k, v in runs.items() if "mailmedic" in k) / 1024
    print("- mailmedic peak RSS, worst run: %.1f MB (target <= 64 MB)" % worst)


if __name__ == "__main__":
    main()
