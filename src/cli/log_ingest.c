/*
 * log_ingest.c - `mailmedic log ingest`: bounces from files, directories,
 * mbox, Maildir, stdin (log_ingest.c) and IMAP (log_ingest_imap.c), and MTA
 * delivery logs (log_ingest_mta.c), into the store.
 *
 * Messages flow like in `diagnose --jobs`: the main thread reads a batch of
 * messages, N worker threads diagnose them (mm_ingest_prepare) while the main
 * thread reads the next batch, and the main thread hands the prepared items
 * to the ingest in input order, so one thread writes the store and the
 * store's batches hold a prefix of the input.  The first store error stops
 * everything (exit 3): the batch in flight is rolled back, and the next run
 * repeats it harmlessly (idempotency keys).
 */
#include <errno.h>
#include <getopt.h>
#include <mailmedic/mailmedic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"
#include "log_ingest.h"
#include "../lib/util/buf.h"

/* A read batch holds about one store batch (1,000 events by default), so
 * while the main thread waits for the store to commit one, the workers
 * have the next one to diagnose. */
#define BATCH_MAX 1024
#define BATCH_BYTES (16u << 20)
#define MAX_JOBS 64

typedef struct slot {
    char *origin;
    char *bytes;
    size_t len;
    bool failed; /* the source could not be read: err says why */
    char err[256];
    mm_ingest_item *item;
} slot;

typedef struct batch {
    slot *s;
    size_t n, next, left;
} batch;

typedef struct pool {
    const mm_ctx *ctx;
    pthread_mutex_t lock;
    pthread_cond_t work, done;
    batch *cur;
    bool quit;
} pool;

static void prepare_slot(const mm_ctx *ctx, slot *s)
{
    if (s->failed)
        return;
    if (mm_ingest_prepare(ctx, s->bytes, s->len, s->origin, &s->item) != MM_OK)
        fatalx("out of memory");
}

static void *worker(void *arg)
{
    pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->quit && (!p->cur || p->cur->next >= p->cur->n))
            pthread_cond_wait(&p->work, &p->lock);
        if (p->quit)
            break;
        batch *b = p->cur;
        slot *s = &b->s[b->next++];
        pthread_mutex_unlock(&p->lock);
        prepare_slot(p->ctx, s);
        pthread_mutex_lock(&p->lock);
        if (--b->left == 0) {
            p->cur = NULL;
            pthread_cond_broadcast(&p->done);
        }
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static void submit(pool *p, batch *b)
{
    pthread_mutex_lock(&p->lock);
    b->next = 0;
    b->left = b->n;
    p->cur = b->n ? b : NULL;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->lock);
}

static void wait_batch(pool *p, batch *b)
{
    pthread_mutex_lock(&p->lock);
    while (b->left)
        pthread_cond_wait(&p->done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

static void clear_slot(slot *s)
{
    free(s->origin);
    free(s->bytes);
    mm_ingest_item_free(s->item);
    memset(s, 0, sizeof *s);
}

/* Read the next message into s; false at the end of the input. */
static bool read_slot(ingest_run *r, mm_input *in, slot *s)
{
    mm_input_msg msg;
    char why[256] = "";
    mm_status_t st = mm_input_next(in, &msg, why, sizeof why);
    if (st == MM_ENOTFOUND)
        return false;
    const char *src = msg.source ? msg.source : "-";
    mm_buf o = MM_BUF_INIT;
    if (strcmp(src, "-") == 0)
        mm_buf_printf(&o, "stdin#%zu", msg.index + 1);
    else
        mm_buf_printf(&o, "file:%s#%zu", src, msg.index + 1);
    s->origin = mm_buf_detach(&o);
    if (st != MM_OK) {
        s->failed = true;
        snprintf(s->err, sizeof s->err, "%s", why[0] ? why : mm_strerror(st));
        return true;
    }
    s->bytes = malloc(msg.len ? msg.len : 1);
    if (!s->bytes)
        fatalx("out of memory");
    memcpy(s->bytes, msg.bytes, msg.len);
    s->len = msg.len;
    if (msg.truncated)
        log_warnx(_("%s: message larger than the limit; only its beginning was read"), s->origin);
    r->read++;
    return true;
}

static void read_batch(ingest_run *r, mm_input *in, batch *b, bool *end)
{
    size_t bytes = 0;
    b->n = 0;
    while (!*end && b->n < BATCH_MAX && bytes < BATCH_BYTES) {
        if (!read_slot(r, in, &b->s[b->n])) {
            *end = true;
            break;
        }
        bytes += b->s[b->n++].len;
    }
    ingest_progress(r);
}

/* Hand a prepared batch to the ingest in order; false on a store error. */
static bool store_batch(ingest_run *r, batch *b)
{
    bool ok = !r->dberr;
    for (size_t i = 0; i < b->n; i++) {
        slot *s = &b->s[i];
        if (ok && s->failed) {
            log_warnx("%s: %s", s->origin, s->err);
            r->unreadable++;
        } else if (ok && s->item) {
            const char *err = mm_ingest_item_error(s->item);
            if (err)
                log_warnx("%s: %s", s->origin, err);
            mm_status_t st = mm_ingest_add(r->ing, s->item);
            s->item = NULL;
            if (st != MM_OK)
                ok = ingest_store_failed(r, st);
        }
        clear_slot(s);
    }
    b->n = 0;
    return ok;
}

static void run_serial(ingest_run *r, mm_input *in, batch *b)
{
    bool end = false;
    do {
        read_batch(r, in, b, &end);
        for (size_t i = 0; i < b->n; i++)
            prepare_slot(r->ctx, &b->s[i]);
        if (!store_batch(r, b))
            return;
    } while (!end);
}

static void run_parallel(ingest_run *r, mm_input *in, batch *cur, batch *nxt)
{
    pool p = {
        r->ctx, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL,
        false};
    pthread_t th[MAX_JOBS];
    int started = 0;
    for (int t = 0; t < r->jobs && t < MAX_JOBS; t++)
        if (pthread_create(&th[t], NULL, worker, &p) == 0)
            started++;
    if (!started) {
        run_serial(r, in, cur);
        return;
    }
    bool end = false;
    read_batch(r, in, cur, &end);
    submit(&p, cur);
    while (cur->n) {
        read_batch(r, in, nxt, &end);
        wait_batch(&p, cur);
        submit(&p, nxt);
        if (!store_batch(r, cur)) {
            wait_batch(&p, nxt);
            store_batch(r, nxt); /* only frees: the run has failed */
            break;
        }
        batch *t = cur;
        cur = nxt;
        nxt = t;
    }
    pthread_mutex_lock(&p.lock);
    p.quit = true;
    pthread_cond_broadcast(&p.work);
    pthread_mutex_unlock(&p.lock);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
}

void ingest_paths(ingest_run *r, char **paths, size_t n)
{
    mm_input *in;
    if (mm_input_open((const char *const *)paths, n, mm_ctx_limits(r->ctx)->max_message_bytes,
                      &in) != MM_OK)
        fatalx("out of memory");
    batch b[2] = {{calloc(BATCH_MAX, sizeof(slot)), 0, 0, 0},
                  {calloc(BATCH_MAX, sizeof(slot)), 0, 0, 0}};
    if (!b[0].s || !b[1].s)
        fatalx("out of memory");
    if (r->jobs <= 1)
        run_serial(r, in, &b[0]);
    else
        run_parallel(r, in, &b[0], &b[1]);
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < BATCH_MAX; i++)
            clear_slot(&b[k].s[i]);
        free(b[k].s);
    }
    mm_input_destroy(in);
}

/* ---- shared by the readers ---------------------------------------------- */

void ingest_progress(ingest_run *r)
{
    if (r->progress)
        fprintf(stderr, "\r%s %zu", _("messages read:"), r->read + r->lines);
}

bool ingest_store_failed(ingest_run *r, mm_status_t st)
{
    if (!r->dberr) {
        const char *e = mm_store_error(r->store);
        if (r->progress)
            fputc('\n', stderr);
        log_warnx(_("database error: %s"), e && e[0] ? e : mm_strerror(st));
        log_warnx(_("nothing of the unfinished batch was stored; run the same command again "
                    "to pick up where this run stopped"));
    }
    r->dberr = true;
    return false;
}

static void summary(const ingest_run *r, bool json)
{
    mm_ingest_counters c;
    mm_ingest_get_counters(r->ing, &c);
    if (r->progress)
        fputc('\n', stderr);
    if (c.messages || !r->lines)
        fprintf(stderr,
                _("%zu messages: %zu bounces, %zu complaints, %zu not bounces, "
                  "%zu unreadable\n"),
                c.messages, c.bounces, c.complaints, c.not_bounces, c.errors);
    if (c.messages || c.events || !r->lines)
        fprintf(stderr, _("%zu events: %zu new, %zu already stored\n"), c.events, c.events_added,
                c.duplicates);
    if (r->lines)
        fprintf(stderr,
                _("%zu log lines: %zu deliveries (%zu new, %zu already stored), "
                  "%zu unreadable\n"),
                r->lines, c.deliveries, c.deliveries_added, c.delivery_duplicates, r->bad_lines);
    if (!json)
        return;
    printf("{\"messages\":%zu,\"bounces\":%zu,\"complaints\":%zu,\"not_bounces\":%zu,"
           "\"errors\":%zu,\"events\":%zu,\"events_added\":%zu,\"duplicates\":%zu,"
           "\"lines\":%zu,\"deliveries\":%zu,\"deliveries_added\":%zu,"
           "\"delivery_duplicates\":%zu,\"bad_lines\":%zu,\"unreadable_inputs\":%zu,"
           "\"status\":\"%s\"}\n",
           c.messages, c.bounces, c.complaints, c.not_bounces, c.errors, c.events, c.events_added,
           c.duplicates, r->lines, c.deliveries, c.deliveries_added, c.delivery_duplicates,
           r->bad_lines, r->unreadable,
           r->dberr                                    ? "database_error"
           : r->unreadable || r->bad_lines || c.errors ? "partial"
                                                       : "ok");
    if (fflush(stdout) != 0)
        cli_stdout_note(errno); /* stdio keeps no errno for main's report */
}

static void usage(FILE *fp)
{
    fprintf(fp,
            _("Usage: %s log ingest [OPTION]... [FILE|DIR|MBOX|-]...\n"
              "Diagnose bounces and store one event per failed recipient in the bounce\n"
              "log.  The same bounce ingested twice is stored once.  With no input\n"
              "option and no FILE, read standard input (e.g. piped in by the MTA).\n\n"
              "  -f, --format=FMT       text (default: summary on stderr) or json\n"
              "                         (also one JSON object with the counters on stdout)\n"
              "  -j, --jobs=N           diagnose in N threads (default 1)\n"
              "      --batch=N          events per transaction (default 1000)\n"
              "      --max-size=BYTES   read at most BYTES of each message (default 8 MiB)\n"
              "      --imap=URL         fetch new messages from a mailbox, e.g.\n"
              "                         imaps://imap.exmail.qq.com/INBOX\n"
              "      --imap-user=USER   the IMAP user name\n"
              "      --imap-credentials=FILE  a file with the user on its first line and\n"
              "                         the password on its second (mode 0600); else the\n"
              "                         password comes from $MAILMEDIC_IMAP_PASSWORD\n"
              "      --imap-cafile=FILE trust this CA certificate for the IMAP server\n"
              "      --move-to=FOLDER   move ingested bounces to FOLDER once stored\n"
              "      --imap-allow-plaintext  let imap:// go without STARTTLS, only to a\n"
              "                         server on this machine (127.0.0.1, ::1, localhost)\n"
              "      --mta-log=FILE     a Postfix or Exim delivery log (repeatable; - is\n"
              "                         standard input); re-reading resumes where it stopped\n"
              "      --mta-format=FMT   auto (default), postfix or exim\n"
              "      --mta-tz=ZONE      the zone of log times written without one: local\n"
              "                         (default: this machine's), UTC, or +HHMM/-HHMM\n"
              "  -l, --lang=LANG        zh or en (default: from the locale)\n"
              "  -h, --help             show this help and exit\n\n"
              "Exit status: 0 all inputs read, 1 some inputs could not be read (the rest\n"
              "were stored), 2 usage error, 3 database error (run again to\n"
              "pick up where it stopped).  An IMAP server that cannot be reached or drops\n"
              "the connection gives 1: what was read is stored.\n"),
            progname);
    cli_stdout_usage(fp);
}

/* The command line of `log ingest`. */
typedef struct ingest_opts {
    int jobs;
    bool json, help;
    imap_opts imap;
    const char **mta; /* --mta-log files */
    size_t nmta;
    const char *mta_format;
    mta_zone mta_tz;
    mm_ingest_options ingest;
    mm_limits limits;
} ingest_opts;

static const struct option longopts[] = {{"format", required_argument, NULL, 'f'},
                                         {"jobs", required_argument, NULL, 'j'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"max-size", required_argument, NULL, 'M'},
                                         {"imap", required_argument, NULL, 'I'},
                                         {"imap-user", required_argument, NULL, 'U'},
                                         {"imap-credentials", required_argument, NULL, 'P'},
                                         {"imap-cafile", required_argument, NULL, 'A'},
                                         {"move-to", required_argument, NULL, 'm'},
                                         {"imap-allow-plaintext", no_argument, NULL, 'T'},
                                         {"mta-log", required_argument, NULL, 'L'},
                                         {"mta-format", required_argument, NULL, 'F'},
                                         {"mta-tz", required_argument, NULL, 'Z'},
                                         {"lang", required_argument, NULL, 'l'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};

/* One option with a value to check; false (after a message) when it is bad. */
static bool checked_option(ingest_opts *o, int c, const char *arg)
{
    switch (c) {
    case 'f':
        o->json = strcmp(arg, "json") == 0;
        if (o->json || strcmp(arg, "text") == 0)
            return true;
        log_warnx(_("unknown format '%s' (text or json)"), arg);
        return false;
    case 'j':
        o->jobs = atoi(arg);
        if (o->jobs >= 1 && o->jobs <= MAX_JOBS)
            return true;
        log_warnx(_("--jobs takes a number from 1 to 64"));
        return false;
    case 'b':
        o->ingest.batch_size = strtoul(arg, NULL, 10);
        if (o->ingest.batch_size)
            return true;
        log_warnx(_("--batch takes a positive number"));
        return false;
    case 'F':
        o->mta_format = arg;
        if (strcmp(arg, "auto") == 0 || strcmp(arg, "postfix") == 0 || strcmp(arg, "exim") == 0)
            return true;
        log_warnx(_("unknown MTA log format '%s' (auto, postfix or exim)"), arg);
        return false;
    case 'Z':
        if (mta_zone_parse(arg, &o->mta_tz))
            return true;
        log_warnx(_("unknown time zone '%s' (local, UTC, +HHMM or -HHMM)"), arg);
        return false;
    }
    return false;
}

/* Read the options; EXIT_OK, or EXIT_USAGE after a message. */
static int parse_options(ingest_opts *o, int argc, char **argv)
{
    int c, rc = EXIT_OK;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:j:l:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
        case 'j':
        case 'b':
        case 'F':
        case 'Z':
            if (!checked_option(o, c, optarg))
                rc = EXIT_USAGE;
            break;
        case 'M':
            o->limits.max_message_bytes = strtoull(optarg, NULL, 10);
            break;
        case 'I':
            o->imap.url = optarg;
            break;
        case 'U':
            o->imap.user = optarg;
            break;
        case 'P':
            o->imap.credentials = optarg;
            break;
        case 'A':
            o->imap.cafile = optarg;
            break;
        case 'm':
            o->imap.move_to = optarg;
            break;
        case 'T':
            o->imap.plaintext_ok = true;
            break;
        case 'L':
            o->mta[o->nmta++] = optarg;
            break;
        case 'l':
            i18n_setup(optarg);
            break;
        case 'h':
            o->help = true;
            break;
        default:
            rc = EXIT_USAGE;
            break;
        }
    }
    if (rc == EXIT_OK && o->imap.move_to && !o->imap.url) {
        log_warnx(_("--move-to needs --imap"));
        rc = EXIT_USAGE;
    }
    return rc;
}

/* Read every input the options name, then write what is left. */
static int run(ingest_run *r, ingest_opts *o, int argc, char **argv)
{
    int rc = EXIT_OK;
    bool messages = optind < argc || (!o->imap.url && !o->nmta);
    char *dash[] = {"-"};
    if (messages)
        ingest_paths(r, optind < argc ? argv + optind : dash,
                     optind < argc ? (size_t)(argc - optind) : 1);
    for (size_t i = 0; i < o->nmta && !r->dberr; i++)
        ingest_mta_log(r, o->mta[i], o->mta_format, &o->mta_tz);
    if (o->imap.url && !r->dberr)
        rc = ingest_imap(r, &o->imap);
    mm_status_t st = r->dberr ? MM_OK : mm_ingest_flush(r->ing);
    if (st != MM_OK)
        ingest_store_failed(r, st);
    if (o->imap.url)
        ingest_imap_finish(r); /* moves only what was committed */
    summary(r, o->json);
    mm_ingest_counters cnt;
    mm_ingest_get_counters(r->ing, &cnt);
    if (r->dberr)
        return EXIT_INTERNAL;
    if (rc == EXIT_OK && (r->unreadable || r->bad_lines || cnt.errors))
        return EXIT_SOMEFAIL;
    return rc;
}

int log_ingest_main(struct mm_store *store, int argc, char **argv)
{
    ingest_opts o = {.jobs = 1, .mta_format = "auto", .mta_tz = {.local = true}};
    mm_ingest_options_default(&o.ingest);
    o.mta = calloc((size_t)argc + 1, sizeof *o.mta);
    if (!o.mta)
        fatalx("out of memory");
    int rc = parse_options(&o, argc, argv);
    if (o.help || rc != EXIT_OK) {
        if (o.help)
            usage(stdout);
        else
            fprintf(stderr, _("Try '%s log ingest --help'.\n"), progname);
        free(o.mta);
        return o.help ? EXIT_OK : rc;
    }
    ingest_run r = {.store = store, .jobs = o.jobs, .progress = isatty(2)};
    if (mm_ctx_create(&o.limits, &r.ctx) != MM_OK)
        fatalx("out of memory");
    if (o.imap.url) {
        o.ingest.on_commit = ingest_imap_committed;
        o.ingest.on_commit_arg = &r;
    }
    if (mm_ingest_create(store, r.ctx, &o.ingest, &r.ing) != MM_OK)
        fatalx("out of memory");
    rc = run(&r, &o, argc, argv);
    mm_ingest_destroy(r.ing);
    mm_ctx_destroy(r.ctx);
    free(o.mta);
    return rc;
}
