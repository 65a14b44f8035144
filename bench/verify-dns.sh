#!/bin/sh
# bench/verify-dns.sh [ADDRESSES] [DOMAINS] - the DNS target of issue 3 through
# the command line: `mailmedic verify` of ADDRESSES addresses (default 100,000)
# over DOMAINS distinct domains (default 20,000) against a local Unbound.
#
# The zone comes from bench/dnsbench_zone.py (55% own MX, 20% shared provider
# MX, 10% A only, 3% null MX, 2% no mail, 10% NXDOMAIN), moved under "com."
# so that the names pass the address checker's TLD test; each look-up becomes
# an address with its own local part.  Unbound is started by
# tests/dns/server.py on 127.0.0.1 (nothing leaves the machine).  Prints the
# wall time, addresses/s and peak RSS of each run (5 runs; the median last).
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
n=${1:-100000}
domains=${2:-20000}
work=$(mktemp -d "${TMPDIR:-/tmp}/mm-verify-dns.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
ninja -C "$src/build" src/cli/mailmedic >/dev/null
mkdir "$work/zones"
python3 "$src/bench/dnsbench_zone.py" "$work/bench.zone" "$work/lookups.txt" "$domains" "$n"
sed -e 's/bench\./com./g' \
    "$work/bench.zone" >"$work/zones/com.zone"
awk '{ sub(/\.bench$/, ".com"); printf "user%d@%s\n", NR, $0 }' "$work/lookups.txt" >"$work/list.txt"
python3 - "$src" "$work" "$n" <<'PY'
import os, resource, statistics, subprocess, sys, time
src, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, os.path.join(src, "tests", "dns"))
from server import DnsServer
mm = os.path.join(src, "build", "src", "cli", "mailmedic")
times = []
with DnsServer(os.path.join(work, "zones")) as port:
    for i in range(5):
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/env", "python3", "-c",
                            "import resource,subprocess,sys;"
                            "r=subprocess.run(sys.argv[1:],stdout=subprocess.DEVNULL,stderr=subprocess.PIPE);"
                            "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode);"
                            "sys.stderr.write(r.stderr.decode()[-300:])",
                            mm, "verify", "--no-progress", "--dns", f"127.0.0.1:{port}",
                            "-f", "csv", "--list", os.path.join(work, "list.txt")],
                           capture_output=True, text=True)
        dt = time.monotonic() - t0
        rss_kb, rc = p.stdout.split()
        times.append(dt)
        print(f"run {i + 1}: {dt:.2f} s, {n / dt:,.0f} addresses/s, peak RSS {int(rss_kb) / 1024:.1f} MiB"
              f" (exit {rc}; {p.stderr.strip().splitlines()[-1] if p.stderr.strip() else ''})")
med = statistics.median(times)
print(f"median: {med:.2f} s for {n} addresses ({n / med:,.0f}/s)")
PY
