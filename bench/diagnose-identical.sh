#!/bin/sh
# bench/diagnose-identical.sh OLD NEW [MBOX...] - do two builds of mailmedic
# diagnose alike?  Speed work must not change one output byte: this runs both
# binaries over the same inputs and compares stdout, stderr and exit status.
#
# Inputs: ../shared/corpus/bounces/{dev,not-bounces,unlabelled-2008} (when
# present), tests/fixtures, the bench corpus of bench/run.sh (subset.mbox and
# all.mbox under $MM_BENCH_DIR/corpus, when built), and any MBOX given (e.g.
# mutated copies of the corpus).  Formats and modes: JSON --all on each, plus
# --jobs 2, CSV, Chinese text and --max-size 100/3000/70000 on the dev corpus
# (or the fixtures), and subset.mbox from a pipe.  Prints the differing outputs; exit 0 when
# every output is identical.
set -u
[ $# -ge 2 ] || { echo "usage: $0 OLD NEW [MBOX...]" >&2; exit 2; }
old=$1 new=$2
shift 2
src=$(cd "$(dirname "$0")/.." && pwd)
shared=$src/../shared/corpus/bounces
corpus=${MM_BENCH_DIR:-/tmp/mailmedic-bench}/corpus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

inputs="$src/tests/fixtures"
small=$src/tests/fixtures
for d in dev not-bounces unlabelled-2008; do
    [ -d "$shared/$d" ] && inputs="$inputs $shared/$d"
done
[ -d "$shared/dev" ] && small=$shared/dev
for m in "$corpus/subset.mbox" "$corpus/all.mbox" "$@"; do
    [ -f "$m" ] && inputs="$inputs $m"
done

# run TAG ARGS...: both binaries, outputs under $work/{old,new}/TAG.*
run() {
    tag=$1
    shift
    for side in old new; do
        eval bin=\$$side
        mkdir -p "$work/$side"
        "$bin" diagnose "$@" >"$work/$side/$tag.out" 2>"$work/$side/$tag.err"
        echo "exit $?" >>"$work/$side/$tag.err"
    done
}

i=0
for in in $inputs; do
    i=$((i + 1))
    run "json-$i" -f json --all "$in"
done
run jobs2 -f json --all --jobs 2 "$small"
run csv -f csv --all "$small"
run zh -f text --lang zh --all "$small"
for m in 100 3000 70000; do
    run "max$m" -f json --all --max-size "$m" "$small"
done
if [ -f "$corpus/subset.mbox" ]; then
    for side in old new; do
        eval bin=\$$side
        "$bin" diagnose -f json --all - <"$corpus/subset.mbox" >"$work/$side/pipe.out" \
            2>"$work/$side/pipe.err"
    done
fi

if diff -r "$work/old" "$work/new" >"$work/diff"; then
    echo "identical: $(ls "$work/new" | wc -l) outputs over: $inputs"
    exit 0
fi
head -50 "$work/diff"
echo "DIFFERENT (see above)" >&2
exit 1
