#!/usr/bin/env python3
"""Summarise bench/run.sh results (TSV: label input messages bytes elapsed
rss_kb output_count) as a Markdown table of medians, with the ratios the
issue sets targets for:
  mailmedic / Sisimai messages/s (same subset input)   target >= 50
  mailmedic --jobs 2 / --jobs 1 messages/s              target >= 1.7
  peak RSS of every mailmedic run                       target <= 64 MB
Usage: report.py RESULTS.tsv
"""
import statistics
import sys
from collections import defaultdict


def main():
    runs = defaultdict(list)
    meta = {}
    for line in open(sys.argv[1]):
        label, inp, msgs, size, elapsed, rss, count = line.rstrip("\n").split("\t")
        runs[label].append((float(elapsed), int(rss)))
        meta[label] = (inp, int(msgs), int(size), count)
    rate = {}
    print("| run | input | messages | MB | median s (n) | messages/s | MB/s | peak RSS MB | output lines |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for label in sorted(runs):
        inp, msgs, size, count = meta[label]
        times = [t for t, _ in runs[label]]
        med = statistics.median(times)
        rss = max(r for _, r in runs[label]) / 1024
        rate[label] = msgs / med
        print("| %s | %s | %d | %.0f | %.2f (%d) | %.0f | %.1f | %.1f | %s |"
              % (label, inp.rsplit("/", 1)[-1], msgs, size / 1e6, med, len(times), msgs / med,
                 size / 1e6 / med, rss, count))
    print()
    for kind in ("mbox", "dir"):
        sub, sis = "subset-mailmedic-j1-" + kind, "sisimai-" + kind
        j1, j2 = "mailmedic-j1-" + kind, "mailmedic-j2-" + kind
        if sub in rate and sis in rate:
            print("- %s: mailmedic/Sisimai = %.1fx (same %d-message input; target >= 50x)"
                  % (kind, rate[sub] / rate[sis], meta[sub][1]))
        if j1 in rate and j2 in rate:
            print("- %s: --jobs 2 / --jobs 1 = %.2fx (target >= 1.7x)" % (kind, rate[j2] / rate[j1]))
    worst = max(max(r for _, r in v) for k, v in runs.items() if "mailmedic" in k) / 1024
    print("- mailmedic peak RSS, worst run: %.1f MB (target <= 64 MB)" % worst)


if __name__ == "__main__":
    main()
