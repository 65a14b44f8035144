#!/bin/sh
# bench/run.sh [RUNS] - mailmedic against Sisimai, same run, same input.
#
# Builds (once) a corpus of N=100000 messages replicated from the shared
# bounce corpus, as ONE mbox file and as ONE directory, plus a 10000-message
# subset of both, under $MM_BENCH_DIR (default /tmp/mailmedic-bench; never
# in the repository).  Then RUNS times (default 3), interleaved so machine
# noise hits every contender alike:
#   mailmedic --jobs 1 and --jobs 2 on the full mbox and directory,
#   mailmedic --jobs 1 and Sisimai on the subset mbox and directory
#   (Sisimai is ~10x slower: the subset keeps a run short; figures are per
#   second, so the comparison is like for like on the same subset input).
# Each run is timed with /usr/bin/time (elapsed, CPU, peak RSS) and notes the
# load average before it (other people's builds share the machine: --jobs 2
# only shows its worth when the load is low); bench/report.py prints medians,
# messages/s, MB/s, RSS and the ratios as a Markdown table.
# Environment: MAILMEDIC (default build/src/cli/mailmedic), MM_BENCH_BASELINE
# (another mailmedic, e.g. an older build, also timed with --jobs 1),
# MM_BENCH_PEER_FULL=K (in the first K runs Sisimai also reads the FULL mbox
# and directory, about 70 s each: the ratio on the very same 100000 messages,
# which the subset figures only stand in for; default 0), MM_BENCH_N,
# MM_BENCH_SUBSET, MM_BENCH_DIR, MM_BENCH_SEEDS (directories of seed mail).
set -eu
runs=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
mm=${MAILMEDIC:-$src/build/src/cli/mailmedic}
n=${MM_BENCH_N:-100000}
subset=${MM_BENCH_SUBSET:-10000}
dir=${MM_BENCH_DIR:-/tmp/mailmedic-bench}
shared=$src/../shared/corpus/bounces
seeds=${MM_BENCH_SEEDS:-$shared/dev $shared/unlabelled-2008}
corpus=$dir/corpus
results=$dir/results.tsv
out=$dir/out

[ -x "$mm" ] || { echo "no mailmedic at $mm: build first (ninja -C build)" >&2; exit 1; }
perl -MSisimai -e 1 2>/dev/null || { echo "Sisimai missing: apt-get install libsisimai-perl" >&2; exit 1; }
# shellcheck disable=SC2086 # seeds is a list of directories
python3 "$here/mkcorpus.py" "$corpus" "$n" "$subset" $seeds
# Warm the page cache before each group of runs on an input: memory reclaim
# (this VM runs DAMON's kdamond) makes files left idle for a while cold
# again (a 85 s Sisimai run is long enough), and the run that read them
# from the disk paid for it: up to 0.5 s more for the 100,000 files, which
# skewed the first contender of every group.
warm() {
    for f in "$@"; do
        if [ -d "$f" ]; then find "$f" -type f -exec cat {} + >/dev/null
        else cat "$f" >/dev/null; fi
    done
}
mkdir -p "$out"
: >"$results"

# timed LABEL INPUT MESSAGES CMD... : append
# "label input messages bytes elapsed rss_kb count cpu_s load1"
timed() {
    label=$1 input=$2 msgs=$3
    shift 3
    load=$(cut -d' ' -f1 /proc/loadavg)
    "/usr/bin/time" -f "%e %M %U %S" -o "$dir/time" "$@" >"$out/$label.out" 2>"$out/$label.err" || true
    bytes=$(du -sb --apparent-size "$input" | cut -f1)
    set -- $(tail -1 "$dir/time")
    case $label in
    sisimai*) count=$(sed -n 's/.*results=//p' "$out/$label.out") ;;
    *) count=$(wc -l <"$out/$label.out") ;;
    esac
    cpu=$(echo "$3 $4" | awk '{print $1 + $2}')
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$input" "$msgs" "$bytes" "$1" "$2" \
        "$count" "$cpu" "$load" >>"$results"
}

i=1
while [ "$i" -le "$runs" ]; do
    echo "run $i of $runs" >&2
    for kind in mbox dir; do
        if [ $kind = mbox ]; then full=$corpus/all.mbox sub=$corpus/subset.mbox
        else full=$corpus/all sub=$corpus/subset; fi
        warm "$full" "$sub"
        # the baseline goes first in every other run: whatever the first
        # run after the warm-up pays, both builds pay it alike
        if [ -n "${MM_BENCH_BASELINE:-}" ] && [ $((i % 2)) -eq 0 ]; then
            timed "baseline-mailmedic-j1-$kind" "$full" "$n" "$MM_BENCH_BASELINE" diagnose -f json "$full"
        fi
        timed "mailmedic-j1-$kind" "$full" "$n" "$mm" diagnose -f json "$full"
        timed "mailmedic-j2-$kind" "$full" "$n" "$mm" diagnose --jobs 2 -f json "$full"
        if [ -n "${MM_BENCH_BASELINE:-}" ] && [ $((i % 2)) -eq 1 ]; then
            timed "baseline-mailmedic-j1-$kind" "$full" "$n" "$MM_BENCH_BASELINE" diagnose -f json "$full"
        fi
        timed "subset-mailmedic-j1-$kind" "$sub" "$subset" "$mm" diagnose -f json "$sub"
        timed "sisimai-$kind" "$sub" "$subset" perl "$here/sisimai.pl" "$sub"
        if [ "$i" -le "${MM_BENCH_PEER_FULL:-0}" ]; then
            timed "sisimai-full-$kind" "$full" "$n" perl "$here/sisimai.pl" "$full"
        fi
    done
    i=$((i + 1))
done
python3 "$here/report.py" "$results"
