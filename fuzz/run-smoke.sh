#!/bin/sh
# run-smoke.sh TARGET SECONDS - build the libFuzzer targets with clang,
# ASan and UBSan (in build-fuzz/ beside this folder's parent) and fuzz TARGET
# for SECONDS.  New inputs go to a scratch corpus in a fresh directory under
# ${TMPDIR:-/tmp} (mktemp -d), removed at exit, so that two runs at once (two
# checkouts, CI and a developer) do not share one; the seeds in
# fuzz/TARGET.in are only read.  On a finding the crash inputs and the log
# are kept in a directory of their own, build-fuzz/findings-TARGET-XXXXXX/,
# whose path is printed.
# Prints one line: target, time, runs, exec/s, coverage, and OK or FAILED
# (with the folder where the log and the crash inputs are kept); exits 0
# only on OK.
# Needs clang-14 and libclang-rt-14-dev (libclang_rt.fuzzer-x86_64.a).
# MM_WERROR=true builds with -Werror (.ci/run sets it).
set -eu
target=${1:?usage: run-smoke.sh TARGET SECONDS}
seconds=${2:?usage: run-smoke.sh TARGET SECONDS}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${MM_FUZZ_BUILD:-$src/build-fuzz}
# MM_WERROR=true (CI): clang's warnings are errors too, as gcc's are in scripts/test.
werror=${MM_WERROR:-false}
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false -Dwerror="$werror" >/dev/null
else
    meson configure "$build" -Dwerror="$werror" >/dev/null
fi
ninja -C "$build" "fuzz/$target" >/dev/null
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mailmedic-fuzz-$target.XXXXXX")
fuzzer=
# Interrupted: stop the fuzzer first, so that nothing writes to scratch
# while it is removed.
stop() {
    if [ -n "$fuzzer" ]; then
        kill "$fuzzer" 2>/dev/null || true
        wait "$fuzzer" 2>/dev/null || true
    fi
    exit "$1"
}
trap 'rm -rf "$scratch"' EXIT
trap 'stop 130' INT
trap 'stop 143' TERM
mkdir "$scratch/corpus" "$scratch/artifacts"
log=$scratch/log
status=OK
# In the background and waited for, so that a signal is handled at once.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$build/fuzz/$target" \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$scratch/artifacts/" \
    "$scratch/corpus" "$src/fuzz/$target.in" >"$log" 2>&1 &
fuzzer=$!
wait "$fuzzer" || status=FAILED
fuzzer=
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
kept=
if [ "$status" = FAILED ]; then
    # keep what a finding needs: the log and the inputs libFuzzer wrote
    kept=$(mktemp -d "$build/findings-$target-XXXXXX")
    cp "$log" "$kept/log"
    cp -R "$scratch/artifacts/." "$kept/"
    kept=" (log and crash inputs: $kept)"
fi
echo "$target: ${seconds}s, ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-cov: ?}, $status$kept"
[ "$status" = OK ]
