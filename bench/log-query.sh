#!/bin/sh
# bench/log-query.sh BUILD_DIR [STORE_DIR_OR_URI] - the query side of the
# bounce log, end to end through the program:
#   `log check` of 100,000 addresses (half of them suppressed) against a
#   1,000,000-address suppression list, and
#   `log stats` over 1,000,000 events (200,000 addresses, 30 days).
# Seeds the stores once with tests/log/log_seed (slow: minutes), then times
# three runs of each and prints the best wall-clock time.
# STORE: a directory for two SQLite files (default /tmp/mm-log-bench), or a
# postgresql:// URI (both data sets then share that database).
set -eu
B=${1:?usage: log-query.sh BUILD_DIR [DIR|URI]}
W=${2:-/tmp/mm-log-bench}
MM=$B/src/cli/mailmedic
SEED=$B/tests/log/log_seed
case $W in
postgres*://*) SUPP=$W; EV=$W ;;
*) mkdir -p "$W"; SUPP=$W/suppressed.sqlite; EV=$W/events.sqlite ;;
esac
LIST=$(mktemp)
trap 'rm -f "$LIST"' EXIT INT TERM

if [ ! -e "$W/.seeded" ]; then
    echo "seeding 1,000,000 suppressed addresses and 1,000,000 events ..."
    "$SEED" "$SUPP" bulk-suppress 1000000
    "$SEED" "$EV" bulk-events 1000000 200000 2592000
    case $W in postgres*) ;; *) touch "$W/.seeded" ;; esac
fi
python3 -c '
for i in range(100000):
    print("user%d@d%d.example" % (i * 7, (i * 7) % 1000) if i % 2 else "other%d@x%d.com" % (i, i % 50))
' > "$LIST"

best() { # best of three wall-clock times of "$@"
    b=
    for _ in 1 2 3; do
        s=$(date +%s.%N)
        "$@" > /dev/null || true
        e=$(date +%s.%N)
        t=$(echo "$e - $s" | bc)
        if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then b=$t; fi
    done
    echo "$b"
}
echo "log check, 100,000 addresses vs 1,000,000 suppressed: $(best "$MM" log --db "$SUPP" check -q --list "$LIST") s"
echo "log stats, 1,000,000 events:                          $(best "$MM" log --db "$EV" stats -f json) s"
