#!/bin/sh
# dnsbench.sh - the DNS speed target of issue 3: mail-domain checks of 100,000
# addresses over 20,000 distinct domains against a local DNS server.
#
#   bench/dnsbench.sh [BUILD_DIR] [LOOKUPS] [DOMAINS]    (defaults: build 100000 20000)
#
# Generates a zone "bench." (bench/dnsbench_zone.py: MX domains with their own
# or shared provider hosts, A-only, null MX, no-mail and NXDOMAIN domains),
# starts Unbound on it on 127.0.0.1 (tests/dns/server.py, via tests/dns/run.py),
# and runs bench/dnsbench.c, built here against BUILD_DIR's libmailmedic.so,
# over the look-up list.  Prints seconds, look-ups/s, queries/s and peak RSS.
set -eu
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$src/build}" && pwd)
lookups=${2:-100000}
domains=${3:-20000}
work=$(mktemp -d "${TMPDIR:-/tmp}/mm-dnsbench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

ninja -C "$build" src/lib/libmailmedic.so.0.1.0 >/dev/null
cc -O2 -std=c11 -D_GNU_SOURCE -I"$src/include" "$src/bench/dnsbench.c" \
    -L"$build/src/lib" -lmailmedic -Wl,-rpath,"$build/src/lib" -o "$work/dnsbench"

mkdir "$work/zones"
python3 "$src/bench/dnsbench_zone.py" "$work/zones/bench.zone" "$work/lookups.txt" \
    "$domains" "$lookups"
echo "zone: $domains domains; look-ups: $lookups"
python3 "$src/tests/dns/run.py" "$work/zones" "$work/dnsbench" --server @SERVER@ \
    ${DNSBENCH_ARGS:-} "$work/lookups.txt"
