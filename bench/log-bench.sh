#!/bin/sh
# bench/log-bench.sh [RUNS] - the bounce log's speed targets (issue 5), on
# SQLite and on PostgreSQL, in one run:
#   1. `log ingest` of 100,000 distinct bounces end to end (one mbox built by
#      bench/mklogcorpus.py from the shared corpus: every copy is another
#      bounce, so idempotency does not collapse them), --jobs 1 and 2, each
#      time into a fresh database                    target >= 10,000 bounces/s
#   2. `log check` of 100,000 addresses (about half listed) against a
#      1,000,000-address suppression list            target <= 1 s
#   3. `log stats` over 1,000,000 events              target <= 1 s
# RUNS (default 3) of each, interleaved over the backends; prints medians.
# The data for 2 and 3 is made once per backend by bench/logfill (built with
# `ninja -C build bench/logfill`).  PostgreSQL: a private server on loopback
# started by tests/pg/pgserver.py with fsync ON (--durable), stopped at the
# end; the script re-runs itself under it.
# Environment: MAILMEDIC, LOGFILL (the binaries), MM_BENCH_DIR (scratch,
# default /tmp/mailmedic-logbench), MM_BENCH_N (default 100000),
# MM_BENCH_SEEDS (directories of seed bounces), MM_BENCH_BACKENDS
# (default "sqlite pg").
set -eu
runs=${1:-3}
here=$(cd "$(dirname "$0")" && pwd)
src=$(dirname "$here")
mm=${MAILMEDIC:-$src/build/src/cli/mailmedic}
fill=${LOGFILL:-$src/build/bench/logfill}
dir=${MM_BENCH_DIR:-/tmp/mailmedic-logbench}
n=${MM_BENCH_N:-100000}
backends=${MM_BENCH_BACKENDS:-sqlite pg}
shared=$src/../shared/corpus/bounces
seeds=${MM_BENCH_SEEDS:-$shared/dev $shared/unlabelled-2008}
psql=/usr/lib/postgresql/15/bin/psql

# bench programs are not built by default: (re)build them so none is stale
[ -n "${LOGFILL:-}" ] || ninja -C "$src/build" bench/logfill src/cli/mailmedic >/dev/null || exit 1
[ -x "$mm" ] || { echo "no mailmedic at $mm: ninja -C build" >&2; exit 1; }
[ -x "$fill" ] || { echo "no logfill at $fill: ninja -C build bench/logfill" >&2; exit 1; }
case " $backends " in
*" pg "*)
    if [ -z "${MM_PG_URI:-}" ]; then
        exec python3 "$src/tests/pg/pgserver.py" run --durable -- "$0" "$@"
    fi ;;
esac

mkdir -p "$dir"
results=$dir/results.tsv
: >"$results"
# shellcheck disable=SC2086 # seeds is a list of directories
python3 "$here/mklogcorpus.py" "$dir/all.mbox" "$n" $seeds
mbox=$dir/all.mbox

# fresh BACKEND NAME: print the --db value of an empty database
fresh() {
    if [ "$1" = sqlite ]; then
        rm -f "$dir/$2.sqlite" "$dir/$2.sqlite-wal" "$dir/$2.sqlite-shm"
        echo "$dir/$2.sqlite"
    else
        "$psql" -X -q -h "$MM_PG_SOCKET" -p "$MM_PG_PORT" -U postgres -d postgres \
            -c "DROP DATABASE IF EXISTS $2" -c "CREATE DATABASE $2" >/dev/null
        echo "${MM_PG_URI%/*}/$2"
    fi
}

# timed LABEL BACKEND COUNT CMD... : append "label backend count seconds load"
timed() {
    label=$1 be=$2 count=$3
    shift 3
    load=$(cut -d' ' -f1 /proc/loadavg)
    /usr/bin/time -f "%e" -o "$dir/time" "$@" >"$dir/$label-$be.out" 2>"$dir/$label-$be.err" ||
        [ $? -eq 1 ] || { echo "$label on $be failed:" >&2; tail -5 "$dir/$label-$be.err" >&2; exit 1; }
    printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$be" "$count" "$(tail -1 "$dir/time")" "$load" >>"$results"
}

"$fill" - addresses 1000000 100000 >"$dir/check.txt"
for be in $backends; do
    echo "filling the $be check and stats databases (1,000,000 rows each)" >&2
    db=$(fresh "$be" checkdb)
    "$fill" "$db" suppress 1000000
    db=$(fresh "$be" statsdb)
    "$fill" "$db" events 1000000
done

i=1
while [ "$i" -le "$runs" ]; do
    echo "run $i of $runs" >&2
    for be in $backends; do
        for j in 1 2; do
            db=$(fresh "$be" ingestdb)
            timed "ingest-j$j" "$be" "$n" "$mm" log --db "$db" ingest --jobs "$j" --format json "$mbox"
        done
        [ "$be" = sqlite ] && db=$dir/checkdb.sqlite || db=${MM_PG_URI%/*}/checkdb
        timed check "$be" 100000 "$mm" log --db "$db" check --quiet --list "$dir/check.txt"
        [ "$be" = sqlite ] && db=$dir/statsdb.sqlite || db=${MM_PG_URI%/*}/statsdb
        timed stats "$be" 1000000 "$mm" log --db "$db" stats
    done
    i=$((i + 1))
done
python3 - "$results" "$dir" <<'PY'
import collections, json, statistics, sys
rows = collections.defaultdict(list)
loads = []
for line in open(sys.argv[1]):
    label, be, count, secs, load = line.split("\t")
    rows[(label, be)].append(float(secs))
    loads.append(float(load))
print("| step | backend | items | runs (s) | median s | items/s |")
print("|---|---|---:|---|---:|---:|")
for (label, be), t in sorted(rows.items()):
    med = statistics.median(t)
    count = int(open(sys.argv[1]).read().split(label + "\t" + be + "\t")[1].split("\t")[0])
    print("| %s | %s | %d | %s | %.2f | %.0f |" % (label, be, count,
          " ".join("%.2f" % x for x in t), med, count / med if med else 0))
print("\nload average before the runs: median %.2f, max %.2f" %
      (statistics.median(loads), max(loads)))
for be in ("sqlite", "pg"):
    try:
        out = open("%s/ingest-j1-%s.out" % (sys.argv[2], be)).read().strip().splitlines()[-1]
        c = json.loads(out)
        print("%s ingest counters: %d messages, %d bounces, %d complaints, %d not bounces, "
              "%d events stored" % (be, c["messages"], c["bounces"], c["complaints"],
                                    c["not_bounces"], c["events_added"]))
    except (OSError, IndexError, ValueError):
        pass
PY
