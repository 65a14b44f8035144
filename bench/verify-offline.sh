#!/bin/sh
# bench/verify-offline.sh [N] - offline address checks, mailmedic and the npm
# peers side by side on the same list, in one run.
#
#   N: addresses (default 1000000), made by the shared suite's
#      gen-addresses.py (fixed seed) into $BENCH_DIR (default /tmp/mm-bench-verify).
#
# Peers: node email-validator 2.0.4 and validator 13.15.35, installed with npm
# into $BENCH_DIR/node (npm registry; nothing is vendored), driven by the
# shared harness ../shared/testsuites/peer-harness/bench-syntax.js, which
# times each peer in process over the list held in memory (median of 5).
# mailmedic: bench/verifybench (same shape: in process, list in memory,
# median of 5): syntax + typo + classes per address, and the whole offline
# verifier; then the command line itself on the file (`verify --offline`,
# JSON Lines and CSV to /dev/null), median of 5 by hyperfine when present.
# Prints every figure and the ratios against the fastest peer.
set -eu
cd "$(dirname "$0")/.."
N=${1:-1000000}
B=${BENCH_DIR:-/tmp/mm-bench-verify}
SHARED=${SHARED:-../shared}
mkdir -p "$B"
H="$SHARED/testsuites/peer-harness"
[ -f "$H/gen-addresses.py" ] || { echo "bench: needs $H (the shared suites)" >&2; exit 1; }

# Always (re)build: bench programs are not built by default, and a stale
# one would time old code (it happened).
ninja -C build bench/verifybench src/cli/mailmedic >/dev/null
list="$B/synth-$N.tsv"
[ -f "$list" ] || python3 "$H/gen-addresses.py" -n "$N" >"$list"
cut -f1 "$list" >"$B/synth-$N.txt"

echo "== machine: $(nproc) cores, $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "== list: $N addresses ($list)"

if command -v node >/dev/null && command -v npm >/dev/null; then
    if [ ! -d "$B/node/node_modules/email-validator" ]; then
        (cd "$B" && mkdir -p node && cd node && npm init -y >/dev/null &&
         npm install --ignore-scripts --no-audit --no-fund email-validator@2.0.4 \
             validator@13.15.35 >/dev/null)
    fi
    echo "== peers (node $(node --version), in process, median of 5)"
    NODE_PATH="$B/node/node_modules" node "$H/bench-syntax.js" \
        --suite "$SHARED/testsuites/address/syntax.tsv" --list "$list" --runs 5 |
        tee "$B/peers.txt" | sed -n '/# throughput/,$p'
else
    echo "== peers: node/npm missing (apt-get install nodejs npm); skipped"
    : >"$B/peers.txt"
fi

echo "== mailmedic (in process, median of 5)"
./build/bench/verifybench "$list" 5 | tee "$B/mm.txt"

echo "== mailmedic command line on the file (verify --offline --no-progress)"
for fmt in json csv; do
    if command -v hyperfine >/dev/null; then
        hyperfine -N -i -w 1 -r 5 --export-json "$B/cli-$fmt.json" \
            "./build/src/cli/mailmedic verify --offline --no-progress -f $fmt --list $B/synth-$N.txt" \
            --output=null >/dev/null 2>&1 || true
        python3 - "$B/cli-$fmt.json" "$N" "$fmt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
n = int(sys.argv[2])
print(f"mailmedic CLI -f {sys.argv[3]}: {n / r['median']:.0f} addr/s (median {r['median']:.3f} s of 5)")
PY
    fi
done | tee "$B/cli.txt"

python3 - "$B/peers.txt" "$B/mm.txt" <<'PY'
import re, sys
peers = {}
name = None
for line in open(sys.argv[1]):
    if line.startswith("# throughput"):
        name = ""
        continue
    if name is None:
        continue
    m = re.match(r"\s+([\d,]+) addr/s", line)
    if m and name:
        peers[name] = int(m.group(1).replace(",", ""))
    elif line.strip() and not line.startswith(" "):
        name = line.strip()
mm = {}
for line in open(sys.argv[2]):
    m = re.match(r"mailmedic (\w+): (\d+) addr/s", line)
    if m:
        mm[m.group(1)] = int(m.group(2))
if not peers:
    sys.exit(0)
best = max(peers, key=peers.get)
print(f"== ratios against the fastest peer ({best}: {peers[best]:,} addr/s)")
for k, v in mm.items():
    print(f"mailmedic {k}: {v / peers[best]:.2f}x")
PY
