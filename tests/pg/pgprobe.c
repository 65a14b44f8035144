/*
 * pgprobe.c - one store operation per run, for errors.py, which sets the
 * scene (server down, session terminated, newer schema, wrong password)
 * around it.  Prints what happened as key=value lines:
 *
 *   pgprobe open URI              status, error
 *   pgprobe add URI FIRST N       add events FIRST..FIRST+N-1 in one call: status, added, error
 *   pgprobe count URI             events=..., addresses=...
 *   pgprobe again URI FIRST N     add, wait for a line on stdin (errors.py restarts the
 *                                 server meanwhile), add the next N on the same store
 *   pgprobe utf8 URI              a diagnostic with bytes that are not UTF-8 is stored
 *                                 with U+FFFD in their place (exit 1 if not)
 *   pgprobe reads URI             on a store holding events: a statistics scan stopped
 *                                 after one row leaves the connection usable, and a
 *                                 check inside an event walk's callback works
 *                                 (exit 1 if not)
 *
 * The exit status is 0 when the operation ran (whatever its status), so the
 * caller judges the printed status.
 */
#include <mailmedic/store.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void print_status(const char *what, mm_status_t st, mm_store *s, const char *why)
{
    printf("%s.status=%d\n%s.strerror=%s\n%s.error=%s\n", what, (int)st, what, mm_strerror(st),
           what, s ? mm_store_error(s) : why);
    fflush(stdout);
}

static mm_store *open_store(const char *uri)
{
    char why[1024] = "";
    mm_store *s = NULL;
    mm_store_options o;
    mm_store_options_default(&o);
    o.connect_timeout_s = 5;
    if (getenv("PGPROBE_BUSY_MS")) /* errors.py: the writers' lock held elsewhere */
        o.busy_timeout_ms = atoi(getenv("PGPROBE_BUSY_MS"));
    mm_status_t st = mm_store_open(uri, &o, &s, why, sizeof why);
    print_status("open", st, NULL, why);
    return s;
}

static int add_batch(mm_store *s, long first, long n)
{
    mm_event *ev = calloc((size_t)n, sizeof *ev);
    char(*keys)[32] = calloc((size_t)n, sizeof *keys);
    char(*addrs)[64] = calloc((size_t)n, sizeof *addrs);
    /* PGPROBE_DIAG_BYTES: fat rows, so a few thousand events fill the
     * table past the size where the statistics scan runs in two halves. */
    size_t fat = getenv("PGPROBE_DIAG_BYTES") ? (size_t)atol(getenv("PGPROBE_DIAG_BYTES")) : 0;
    char *diag = malloc(fat + 16);
    if (!ev || !keys || !addrs || !diag)
        return 1;
    unsigned x = 12345; /* letters that do not compress: the rows stay fat */
    for (size_t i = 0; i < fat; i++) {
        x = x * 1103515245u + 12345u;
        diag[i] = (char)('a' + (x >> 16) % 26);
    }
    memcpy(diag + fat, "no such user", 13);
    for (long i = 0; i < n; i++) {
        snprintf(keys[i], sizeof keys[i], "probe-%ld", first + i);
        snprintf(addrs[i], sizeof addrs[i], "user%ld@Example.COM", first + i);
        ev[i] = (mm_event){.key = keys[i],
                           .time = 1700000000 + first + i,
                           .address = addrs[i],
                           .action = "failed",
                           .status = "5.1.1",
                           .reply_code = 550,
                           .reason = MM_REASON_USERUNKNOWN,
                           .category = MM_CATEGORY_INVALID_ADDRESS,
                           .severity = MM_SEVERITY_HIGH,
                           .hard = true,
                           .retry_after = MM_RETRY_NEVER,
                           .provider = "",
                           .diagnostic = diag,
                           .remote_mta = "",
                           .mta = "postfix",
                           .subject = "",
                           .message_id = "",
                           .origin = "pgprobe"};
    }
    size_t added = 0;
    mm_status_t st = mm_store_add_events(s, ev, (size_t)n, "pgprobe", keys[n - 1], &added);
    print_status("add", st, s, "");
    printf("add.added=%zu\n", added);
    fflush(stdout);
    free(ev);
    free(keys);
    free(addrs);
    free(diag);
    return 0;
}

static int count_event(void *arg, const mm_event *e)
{
    (void)e;
    ++*(long *)arg;
    return 0;
}

static int count_address(void *arg, const mm_address_info *a)
{
    (void)a;
    ++*(long *)arg;
    return 0;
}

static int count(mm_store *s)
{
    long events = 0, addresses = 0;
    mm_status_t st = mm_store_each_event(s, NULL, count_event, &events);
    if (st == MM_OK)
        st = mm_store_each_address(s, NULL, count_address, &addresses);
    print_status("count", st, s, "");
    char *cursor = NULL;
    if (st == MM_OK)
        st = mm_store_get_cursor(s, "pgprobe", &cursor);
    printf("events=%ld\naddresses=%ld\ncursor=%s\n", events, addresses, cursor ? cursor : "");
    free(cursor);
    return 0;
}

static int check_diag(void *arg, const mm_event *e)
{
    if (strcmp(e->key, "probe-utf8") == 0)
        *(const char **)arg = strdup(e->diagnostic);
    return 0;
}

static int utf8(mm_store *s)
{
    mm_event e = {.key = "probe-utf8",
                  .time = 1700000000,
                  .address = "utf8@example.com",
                  .action = "failed",
                  .status = "",
                  .reason = MM_REASON_USERUNKNOWN,
                  .category = MM_CATEGORY_INVALID_ADDRESS,
                  .hard = true,
                  .provider = "",
                  .diagnostic = "bad \xff\xfe bytes, \xe9t\xe9, good \xe7\x94\xa8\xe6\x88\xb7",
                  .remote_mta = "",
                  .mta = "",
                  .subject = "\xc3",
                  .message_id = "",
                  .origin = ""};
    size_t added = 0;
    mm_status_t st = mm_store_add_events(s, &e, 1, NULL, NULL, &added);
    print_status("add", st, s, "");
    const char *got = NULL;
    if (st == MM_OK)
        st = mm_store_each_event(s, NULL, check_diag, &got);
    const char *want = "bad \xef\xbf\xbd\xef\xbf\xbd bytes, \xef\xbf\xbdt\xef\xbf\xbd, good "
                       "\xe7\x94\xa8\xe6\x88\xb7";
    int ok = st == MM_OK && got && strcmp(got, want) == 0;
    printf("utf8.diagnostic=%s\nutf8.ok=%d\n", got ? got : "(none)", ok);
    free((void *)got);
    return ok ? 0 : 1;
}

static int stop_at_one(void *arg, const mm_stat_row *r)
{
    (void)r;
    return ++*(long *)arg >= 1;
}

static int count_stat(void *arg, const mm_stat_row *r)
{
    long *c = arg;
    c[0]++;
    c[1] += (long)(r->time - 1700000000);
    return 0;
}

static int sum_event(void *arg, const mm_event *e)
{
    long *c = arg;
    c[0]++;
    c[1] += (long)(e->time - 1700000000);
    return 0;
}

typedef struct nested {
    mm_store *s;
    long events, known;
    mm_status_t st;
} nested;

static int known_cb(void *arg, const mm_address_info *a)
{
    ((nested *)arg)->known += a->known;
    return 0;
}

static int check_inside(void *arg, const mm_event *e)
{
    nested *n = arg;
    n->events++;
    if (n->st == MM_OK)
        n->st = mm_store_check(n->s, &e->address, 1, known_cb, n);
    return 0;
}

static int reads(mm_store *s)
{
    long one = 0, all[2] = {0, 0}, again[2] = {0, 0}, ev[2] = {0, 0};
    mm_status_t st = mm_store_each_stat_row(s, 0, 0, stop_at_one, &one);
    print_status("stop", st, s, "");
    mm_status_t st2 = mm_store_each_stat_row(s, 0, 0, count_stat, all);
    print_status("all", st2, s, "");
    mm_status_t st3 = mm_store_each_stat_row(s, 0, 0, count_stat, again);
    if (st3 == MM_OK)
        st3 = mm_store_each_event(s, NULL, sum_event, ev);
    nested n = {s, 0, 0, MM_OK};
    mm_status_t st4 = mm_store_each_event(s, NULL, check_inside, &n);
    print_status("nested", st4 == MM_OK ? n.st : st4, s, "");
    printf("stop.rows=%ld\nall.rows=%ld\nagain.rows=%ld\nevents=%ld\nnested.events=%ld\n"
           "nested.known=%ld\n",
           one, all[0], again[0], ev[0], n.events, n.known);
    /* Same rows as the event walk: same count, same sum of times (no row
     * lost or read twice between the two halves of a big scan). */
    return st == MM_OK && st2 == MM_OK && st3 == MM_OK && st4 == MM_OK && n.st == MM_OK &&
                   one == 1 && all[0] > 1 && again[0] == all[0] && again[1] == all[1] &&
                   all[0] == ev[0] && all[1] == ev[1] && n.known == n.events
               ? 0
               : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: pgprobe open|add|count|again|utf8 URI [FIRST N]\n");
        return 2;
    }
    const char *cmd = argv[1];
    long first = argc > 3 ? atol(argv[3]) : 0, n = argc > 4 ? atol(argv[4]) : 100;
    mm_store *s = open_store(argv[2]);
    int rc = 0;
    if (!s)
        return 0;
    if (strcmp(cmd, "add") == 0 || strcmp(cmd, "again") == 0)
        rc = add_batch(s, first, n);
    if (strcmp(cmd, "again") == 0) {
        char line[16];
        printf("waiting\n");
        fflush(stdout);
        if (fgets(line, sizeof line, stdin))
            rc = add_batch(s, first + n, n);
    }
    if (strcmp(cmd, "count") == 0)
        rc = count(s);
    if (strcmp(cmd, "utf8") == 0)
        rc = utf8(s);
    if (strcmp(cmd, "reads") == 0)
        rc = reads(s);
    mm_store_close(s);
    return rc;
}
