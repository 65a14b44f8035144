#!/bin/sh
# run-smoke.sh TARGET SECONDS - build the libFuzzer targets with clang,
# ASan and UBSan (in build-fuzz/ beside this folder's parent) and fuzz TARGET
# for SECONDS.  New inputs go to a scratch corpus, the seeds in
# fuzz/TARGET.in are only read; crash inputs are written to build-fuzz/.
# Prints one line: target, time, runs, exec/s, coverage, and OK or FAILED.
# Needs clang-14 and libclang-rt-14-dev (libclang_rt.fuzzer-x86_64.a).
set -eu
target=${1:?usage: run-smoke.sh TARGET SECONDS}
seconds=${2:?usage: run-smoke.sh TARGET SECONDS}
src=$(cd "$(dirname "$0")/.." && pwd)
build=${MM_FUZZ_BUILD:-$src/build-fuzz}
scratch=${TMPDIR:-/tmp}/mailmedic-fuzz/$target
if [ ! -f "$build/build.ninja" ]; then
    CC=clang meson setup "$build" "$src" -Dfuzz=true -Db_sanitize=address,undefined \
        -Db_lundef=false >/dev/null
fi
ninja -C "$build" "fuzz/$target" >/dev/null
mkdir -p "$scratch"
log=$scratch/log
status=OK
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} "$build/fuzz/$target" \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=1024 \
    -print_final_stats=1 -artifact_prefix="$build/$target-" \
    "$scratch" "$src/fuzz/$target.in" >"$log" 2>&1 || status=FAILED
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
echo "$target: ${seconds}s, ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-cov: ?}, $status (log: $log)"
[ "$status" = OK ]
