#!/bin/sh
# auth-peers.sh: SPF and DKIM speed of mailmedic next to its peers (issue 4).
#
# Runs, on the same input and in one run, mailmedic and the peers driven as
# ../shared/testsuites/peer-harness/README.md ("Speed runs") says, then prints
# a table with ratios (mailmedic / peer). Each figure is a median of 5 rounds:
# the peer harnesses do 5 rounds themselves; mailmedic is run 5 times here.
#
# usage: bench/auth-peers.sh [BUILD_DIR]     (from the top of the worktree)
# Installs what is missing (apt-get for the 'bench' packages of
# deps/debian-packages.txt, npm for mailauth into a scratch dir) and builds
# the C peer harnesses into a scratch dir; peer code is never committed.
set -u
BUILD=${1:-build}
TOP=$(pwd)
SHARED=$TOP/../shared/testsuites
PH=$SHARED/peer-harness
SCRATCH=${AUTHBENCH_SCRATCH:-/tmp/mailmedic-authbench}
PY=/usr/bin/python3
mkdir -p "$SCRATCH"
RES=$SCRATCH/results.txt
: > "$RES"

note() { printf '%s\n' "$*" >&2; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)]; else print "" }'; }
record() { printf '%s|%s|%s\n' "$1" "$2" "$3" >> "$RES"; }   # test|tool|rate or "n/a: why"

# --- install what is missing -----------------------------------------------
PKGS="python3-spf python3-dkim python3-yaml python3-nacl python3-cryptography libspf2-dev libopendkim-dev"
missing=""
for p in $PKGS; do
    dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"
done
if [ -n "$missing" ]; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
    note "installing:$missing"
    $SUDO apt-get install -y $missing >"$SCRATCH/apt.log" 2>&1 || note "apt-get failed (see $SCRATCH/apt.log)"
fi
HAVE_NODE=0
if command -v npm >/dev/null 2>&1 && command -v node >/dev/null 2>&1; then
    if [ ! -d "$SCRATCH/npm/node_modules/mailauth" ]; then
        mkdir -p "$SCRATCH/npm"
        (cd "$SCRATCH/npm" && npm install --no-audit --no-fund mailauth >"$SCRATCH/npm.log" 2>&1) ||
            note "npm install mailauth failed (see $SCRATCH/npm.log)"
    fi
    [ -d "$SCRATCH/npm/node_modules/mailauth" ] && HAVE_NODE=1
else
    note "npm not found: mailauth skipped"
fi
export NODE_PATH="$SCRATCH/npm/node_modules"

# --- build ------------------------------------------------------------------
ninja -C "$BUILD" -j2 tests/spf/spf-suite bench/dkimbench >/dev/null || { note "mailmedic build failed"; exit 1; }
cc -O2 -o "$SCRATCH/libspf2_flat" "$PH/libspf2_flat.c" -lspf2 2>"$SCRATCH/libspf2.cc.log" ||
    note "cannot build libspf2_flat (see $SCRATCH/libspf2.cc.log)"
cc -O2 -I/usr/include/opendkim -o "$SCRATCH/opendkim_verify" "$PH/opendkim_verify.c" -lopendkim \
    2>"$SCRATCH/opendkim.cc.log" || note "cannot build opendkim_verify (see $SCRATCH/opendkim.cc.log)"

# peer: run a harness, keep its "median: X" figure (or why it has none)
peer() { # test tool cmd...
    t=$1; tool=$2; shift 2
    out=$("$@" 2>&1)
    r=$(printf '%s\n' "$out" | sed -n 's/.*median: \([0-9.]*\).*/\1/p' | tail -1)
    if [ -n "$r" ]; then record "$t" "$tool" "$r"
    else record "$t" "$tool" "n/a: $(printf '%s' "$out" | tail -1 | cut -c1-60)"; fi
}

# --- SPF ----------------------------------------------------------------------
FLAT=$SHARED/spf/rfc7208-tests.flat
"$BUILD/tests/spf/spf-suite" "$FLAT" --bench 1 >/dev/null   # warm-up
for r in 1 2 3 4 5; do
    "$BUILD/tests/spf/spf-suite" "$FLAT" --bench 1 | sed -n 's/.*: \([0-9.]*\) evaluations\/s/\1/p'
done | median > "$SCRATCH/mm.spf"
record spf mailmedic "$(cat "$SCRATCH/mm.spf")"
if $PY -c 'import spf' 2>/dev/null; then
    peer spf pyspf sh -c "cd '$PH' && $PY pyspf_flat.py ../spf/rfc7208-tests.flat --bench 200"
else record spf pyspf "n/a: python3-spf not installed"; fi
if [ $HAVE_NODE = 1 ]; then
    peer spf mailauth sh -c "cd '$PH' && node mailauth_spf.js ../spf/rfc7208-tests.flat --bench 200"
else record spf mailauth "n/a: npm/mailauth not available"; fi
if [ -x "$SCRATCH/libspf2_flat" ]; then
    peer spf libspf2 sh -c "cd '$PH' && '$SCRATCH/libspf2_flat' ../spf/rfc7208-tests.flat --bench 2000"
else record spf libspf2 "n/a: harness did not build"; fi

# --- DKIM ---------------------------------------------------------------------
GEN=$SHARED/dkim/generated
MSG=msgs/bench-4k-rsa2048.eml
"$BUILD/bench/dkimbench" "$GEN/$MSG" "$GEN/dns.tsv" 0.5 >/dev/null   # warm-up
for r in 1 2 3 4 5; do
    "$BUILD/bench/dkimbench" "$GEN/$MSG" "$GEN/dns.tsv" 2 | sed -n 's/.* = \([0-9.]*\)\/s wall.*/\1/p'
done | median > "$SCRATCH/mm.dkim"
record dkim mailmedic "$(cat "$SCRATCH/mm.dkim")"
if $PY -c 'import dkim' 2>/dev/null; then
    peer dkim dkimpy sh -c "cd '$GEN' && $PY ../../peer-harness/dkimpy_verify.py --bench $MSG dns.tsv 3000"
else record dkim dkimpy "n/a: python3-dkim not installed"; fi
if [ $HAVE_NODE = 1 ]; then
    peer dkim mailauth sh -c "cd '$GEN' && node ../../peer-harness/mailauth_dkim.js --bench $MSG dns.tsv 3000"
else record dkim mailauth "n/a: npm/mailauth not available"; fi
if [ -x "$SCRATCH/opendkim_verify" ]; then
    peer dkim libopendkim sh -c "cd '$GEN' && '$SCRATCH/opendkim_verify' --bench $MSG dns.tsv 10000"
else record dkim libopendkim "n/a: harness did not build"; fi

# --- table ----------------------------------------------------------------------
echo "machine: $(uname -srm), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load after run: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -F'|' '
    $2 == "mailmedic" { mm[$1] = $3 }
    { t[NR] = $1; tool[NR] = $2; v[NR] = $3 }
    END {
        printf "%-5s %-12s %14s %10s\n", "test", "tool", "per second", "mm/peer"
        for (i = 1; i <= NR; i++) {
            if (v[i] ~ /^n\/a/) { printf "%-5s %-12s %s\n", t[i], tool[i], v[i]; continue }
            ratio = (tool[i] == "mailmedic") ? "1.00" : sprintf("%.2f", mm[t[i]] / v[i])
            printf "%-5s %-12s %14.0f %9sx\n", t[i], tool[i], v[i], ratio
        }
    }' "$RES"
