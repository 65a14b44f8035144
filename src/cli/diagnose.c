/*
 * diagnose.c - `mailmedic diagnose`: read bounces, print one diagnosis per
 * recipient.
 *
 * With --jobs N the input is read in batches (bounded in count and bytes).
 * N - 1 worker threads diagnose and render one batch's messages into
 * per-message buffers while the main thread reads the next batch and then
 * helps with this one; the main thread then writes the finished batch in
 * input order.  N threads in all, not N workers beside a reader: on N cores
 * a reader that shares its core with a worker gets a fraction of it, and
 * reading a directory of small files then holds everyone up.  Two batches
 * are in memory at most, so memory is bounded by the batch size, whatever
 * the number of messages.  The reader keeps the messages where it read them
 * until their batch is written (mm_input_keep), so they are not copied for
 * the workers.  With one job there are no threads: read, diagnose, write.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <mailmedic/mailmedic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "../lib/bounce/diagnose_ws.h"
#include "cli.h"
#include "output.h"

#define BATCH_MAX 256
#define BATCH_BYTES (4u << 20) /* plus one message of up to max_message_bytes */
/* Most bytes of read blocks the reader may hold for the batches in flight
 * (mm_input_held): normal batches need about 10 MiB; short messages among
 * long ones cut by --max-size could otherwise hold a block each. */
#define HELD_MAX (12u << 20)
#define MAX_JOBS 64
#define OUT_KEEP (64u << 10) /* largest output buffer kept for reuse */
#define OUT_KEEP_SHARED (4u << 20) /* the same for a batch's output (one job) */
/* One job ends a batch when its output reaches this: the buffer is written
 * and reused while it is still in the core's cache. */
#define OUT_SERIAL_BATCH (64u << 10)
#define TAKE_MAX 32          /* most items a thread takes at once (take_items) */
#define NAMES_MIN (32u << 10) /* a batch's first block of source names */
#define NAMES_MAX (1u << 20)  /* the largest it grows to */

typedef struct item {
    char *source;    /* in the batch's names, owned, or shared with an earlier item */
    bool own_source; /* source is this item's to free (at the end of the flush) */
    out_source src;  /* source with its JSON string, in source's block */
    size_t index;
    const char *bytes; /* the item's copy, or the reader's (borrowed) when read_item() says */
    size_t len;
    bool own_bytes;    /* bytes is ours to free */
    bool truncated;
    bool failed; /* the input could not be read: error already in err */
    char err[256];
    mm_buf out;    /* with several jobs: what the item's worker rendered */
    size_t out_end; /* with one job: where its output ends in the batch's */
    bool bad;    /* diagnosing failed */
} item;

typedef struct batch {
    item *items;
    size_t n;
    /* One job: every item's output in one buffer, one after the other (the
     * items' own buffers are then empty), so that a batch's output is one
     * run of memory, not 256 buffers of 4 KiB or more each. */
    mm_buf out;
    bool shared;
    size_t next;  /* next item to take (under the pool lock) */
    size_t left;  /* items not finished yet (under the pool lock) */
    unsigned long long mark; /* the reader's mark after the batch (mm_input_release) */
    /* The items' source names (set_source), one after another; emptied at
     * the flush and kept for the next batch.  A name that does not fit gets
     * a block of its own, and the next batch a larger one (up to NAMES_MAX). */
    char *names;
    size_t names_cap, names_used;
    bool names_short; /* a name did not fit */
} batch;

typedef struct job {
    const mm_ctx *ctx;
    const out_opts *opts;
    const char *save_dir;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* a batch was submitted, or quit */
    pthread_cond_t done;  /* a batch was finished */
    batch *cur;           /* the batch workers take items from, or NULL */
    bool quit;
    mm_diag_ws *main_ws;  /* the main thread's workspace (each worker has its own) */
    int threads;          /* diagnosing threads: the workers and the main thread */
} job;

static void save_undecoded(const char *dir, const item *it)
{
    const char *base = strrchr(it->source, '/');
    base = base ? base + 1 : it->source;
    if (strcmp(base, "-") == 0)
        base = "stdin";
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%zu.eml", dir, base, it->index);
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        log_warnx(_("cannot save %s: %s"), path, strerror(errno));
        return;
    }
    fwrite(it->bytes, 1, it->len, fp);
    fclose(fp);
}

/* Recognised, and every recipient got a reason: nothing to study.  A
 * message we could not read as a bounce, or one whose reason we could not
 * tell, is what --save-undecoded keeps for new rules. */
static bool diagnosed(const mm_report *r)
{
    if (mm_report_kind(r) == MM_KIND_NOT_BOUNCE)
        return false;
    for (size_t i = 0; i < mm_report_count(r); i++) {
        mm_reason_t reason = mm_report_recipient(r, i)->reason;
        if (reason == MM_REASON_UNDEFINED || reason == MM_REASON_ONHOLD)
            return false;
    }
    return true;
}

/* ws: the calling thread's workspace (the parse's memory, kept across
 * messages); out: where the item's output goes. */
static void do_item(job *j, mm_diag_ws *ws, item *it, mm_buf *out)
{
    if (it->failed) {
        out_error(j->opts, it->source, it->index, it->err, out);
        return;
    }
    mm_report *r = NULL;
    char why[256];
    mm_status_t st = mm_diagnose_message_ws(j->ctx, ws, it->bytes, it->len, &r, why, sizeof why);
    if (st != MM_OK) {
        it->bad = true;
        snprintf(it->err, sizeof it->err, "%s", why);
        out_error(j->opts, it->source, it->index, it->err, out);
        return;
    }
    if (j->save_dir && !diagnosed(r))
        save_undecoded(j->save_dir, it);
    out_report(j->opts, &it->src, it->index, r, out);
    mm_diag_ws_release(ws, r);
}

/*
 * Diagnose the next items of b; called and returns with the lock held.  A
 * thread takes a share of what is left (guided scheduling), not one item:
 * the lock, whose cache line travels between cores at every take, is taken
 * a few dozen times per batch instead of once per message, and the shares
 * shrink to one item at the end so that no thread is left waiting for a
 * long last share.
 */
static void take_items(job *j, mm_diag_ws *ws, batch *b)
{
    size_t from = b->next, share = (b->n - from) / (2 * (size_t)j->threads);
    if (share < 1)
        share = 1;
    if (share > TAKE_MAX)
        share = TAKE_MAX;
    b->next = from + share;
    pthread_mutex_unlock(&j->lock);
    for (size_t i = from; i < from + share; i++)
        do_item(j, ws, &b->items[i], &b->items[i].out);
    pthread_mutex_lock(&j->lock);
    b->left -= share;
    if (b->left == 0) {
        j->cur = NULL;
        pthread_cond_broadcast(&j->done);
    }
}

/* Worker thread: take items from the current batch until told to quit. */
static void *worker(void *arg)
{
    job *j = arg;
    mm_diag_ws *ws = NULL; /* stays NULL without memory: a workspace per message */
    (void)mm_diag_ws_create(&ws);
    pthread_mutex_lock(&j->lock);
    for (;;) {
        while (!j->quit && (!j->cur || j->cur->next >= j->cur->n))
            pthread_cond_wait(&j->work, &j->lock);
        if (j->quit)
            break;
        take_items(j, ws, j->cur);
    }
    pthread_mutex_unlock(&j->lock);
    mm_diag_ws_destroy(ws);
    return NULL;
}

static void submit(job *j, batch *b)
{
    pthread_mutex_lock(&j->lock);
    b->next = 0;
    b->left = b->n;
    j->cur = b->n ? b : NULL;
    pthread_cond_broadcast(&j->work);
    pthread_mutex_unlock(&j->lock);
}

/* The main thread, done reading the next batch, helps with this one rather
 * than sleep: reading is the smaller share of the work for an mbox, but a
 * directory of small files can keep it busy, and either way a core that
 * waits here is a core the workers could have used. */
static void wait_batch(job *j, batch *b)
{
    pthread_mutex_lock(&j->lock);
    while (j->cur == b && b->next < b->n)
        take_items(j, j->main_ws, b);
    while (b->left)
        pthread_cond_wait(&j->done, &j->lock);
    pthread_mutex_unlock(&j->lock);
}

/*
 * A batch's output, written with writev() straight from the items' buffers:
 * through stdio (fwrite) every byte was copied once more into its buffer,
 * ~1 KiB per recipient.  Whatever stdio may still hold goes first (nothing
 * of diagnose's own: the header goes through write_out()).  A write error
 * is recorded by cliout.c (EPIPE ends the program there); the loops then
 * stop reading (stop_reading()) and the writes that follow are skipped.
 */
typedef struct out_queue {
    struct iovec v[BATCH_MAX];
    int n;
} out_queue;

static void queue_write(out_queue *q)
{
    int n = q->n;
    q->n = 0;
    (void)cli_stdout_writev(q->v, n);
}

/* Bytes written the same way, not through stdio, which drops its buffer
 * when write() says EAGAIN: the CSV header, --text's report. */
static void write_out(const char *p, size_t len)
{
    (void)cli_stdout_write(p, len);
}

static void queue_add(out_queue *q, const char *p, size_t len)
{
    if (!len)
        return;
    if (q->n && (const char *)q->v[q->n - 1].iov_base + q->v[q->n - 1].iov_len == p) {
        q->v[q->n - 1].iov_len += len; /* one job: the items follow each other in one buffer */
        return;
    }
    if (q->n == BATCH_MAX)
        queue_write(q);
    q->v[q->n++] = (struct iovec){(void *)p, len};
}

/* Empty the batch's names (its items are written); a larger block next
 * time when a name did not fit (allocated by set_source). */
static void names_reset(batch *b)
{
    b->names_used = 0;
    if (b->names_short && b->names_cap < NAMES_MAX) {
        free(b->names);
        b->names = NULL;
        b->names_cap *= 2;
    }
    b->names_short = false;
}

static int flush_batch(batch *b)
{
    int rc = EXIT_OK;
    out_queue q;
    q.n = 0;
    size_t from = 0; /* in b->out */
    for (size_t i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        if (b->shared) {
            if (it->out_end > from) /* (no pointer arithmetic on a buffer never grown) */
                queue_add(&q, b->out.data + from, it->out_end - from);
            from = it->out_end;
        } else {
            queue_add(&q, it->out.data, it->out.len);
        }
        /* a warning follows what was written before it, also when both
         * streams go to one place (2>&1) */
        if (it->failed || it->bad || it->truncated)
            queue_write(&q);
        if (it->failed || it->bad) {
            if (it->index)
                log_warnx("%s (message %zu): %s", it->source, it->index + 1, it->err);
            else
                log_warnx("%s: %s", it->source, it->err);
            rc = EXIT_SOMEFAIL;
        } else if (it->truncated) {
            log_warnx(_("%s: message larger than the limit; only its beginning was read"),
                      it->source);
        }
        if (it->own_bytes)
            free((char *)it->bytes);
    }
    queue_write(&q);
    for (size_t i = 0; i < b->n; i++) {
        item *it = &b->items[i];
        /* Kept for the next batch: freeing here, in another thread than the
         * worker that grew it, would contend on that worker's malloc arena.
         * A large one (many recipients) is freed, to keep memory bounded. */
        if (it->out.cap > OUT_KEEP)
            mm_buf_free(&it->out);
        mm_buf_reset(&it->out);
        if (it->own_source) /* after the first loop: later items may share one */
            free(it->source);
    }
    names_reset(b);
    if (b->out.cap > OUT_KEEP_SHARED)
        mm_buf_free(&b->out);
    mm_buf_reset(&b->out);
    b->n = 0;
    return rc;
}

static void progress(size_t done)
{
    fprintf(stderr, "\r%s %zu", _("messages read:"), done);
}

typedef struct reader {
    mm_input *in;
    size_t total;
    size_t shown; /* total when progress was last shown */
    bool show_progress;
    bool end;
} reader;

/*
 * The item's source path: the previous item's copy when it is a later
 * message of the same file (the usual case: many messages of one mbox),
 * else a copy of its own, in the batch's names (a directory's files: one
 * malloc() and free() per file cost ~300 instructions) or, when it does
 * not fit there, in a block it owns.  Not the reader's string itself, which
 * changes when it opens the next file, before the batch's warnings are
 * written.  Only a message after the first one of its file (index > 0) can
 * share: comparing the paths would cost a strcmp() per file of a
 * directory, and sharing is only a saving, never needed.
 */
static void set_source(batch *b, item *it, const item *prev, const char *src, bool later)
{
    if (prev && later) {
        it->source = prev->source;
        it->src = prev->src;
        it->own_source = false;
        return;
    }
    if (!b->names) {
        if (!b->names_cap)
            b->names_cap = NAMES_MIN;
        b->names = malloc(b->names_cap);
        if (!b->names)
            fatalx("out of memory");
    }
    size_t n = strlen(src);
    if (b->names_cap - b->names_used >= out_source_room(n)) {
        it->source = b->names + b->names_used;
        b->names_used += out_source_put(it->source, src, n, &it->src);
        it->own_source = false;
        return;
    }
    b->names_short = true;
    it->source = out_source_dup(src, &it->src);
    if (!it->source)
        fatalx("out of memory");
    it->own_source = true;
}

/* A copy of the message for the workers, when the reader does not keep it
 * (see mm_input_keep: a message it had to put together). */
static void copy_bytes(item *it, const char *bytes, size_t len)
{
    char *copy = malloc(len ? len : 1);
    if (!copy)
        fatalx("out of memory");
    memcpy(copy, bytes, len);
    it->bytes = copy;
    it->own_bytes = true;
}

/*
 * The next message (or read error) into it; false at the end of input.  With
 * borrow, it->bytes are the reader's, good until the next read (one job
 * diagnoses each message as soon as it is read).  Else they are the
 * reader's kept bytes, good until the batch is released (several jobs: see
 * mm_input_keep), or, for a message the reader did not keep, a copy.
 */
static bool read_item(reader *rd, batch *b, item *it, const item *prev, bool borrow)
{
    mm_input_msg msg;
    char why[256];
    mm_status_t st = mm_input_next(rd->in, &msg, why, sizeof why);
    if (st == MM_ENOTFOUND)
        return false;
    /* Only the scalars: err (256 bytes) is written only when it is read. */
    it->index = 0;
    it->bytes = NULL;
    it->len = 0;
    it->own_bytes = it->truncated = it->failed = it->bad = false;
    set_source(b, it, prev, msg.source ? msg.source : "-", st == MM_OK && msg.index > 0);
    if (st != MM_OK) {
        it->failed = true;
        snprintf(it->err, sizeof it->err, "%s", why[0] ? why : mm_strerror(st));
        return true;
    }
    it->index = msg.index;
    if (borrow || msg.kept)
        it->bytes = msg.bytes;
    else
        copy_bytes(it, msg.bytes, msg.len);
    it->len = msg.len;
    it->truncated = msg.truncated;
    return true;
}

/*
 * Fill b up to BATCH_MAX items or BATCH_BYTES bytes; sets rd->end at the end
 * of input.  With now (one job), each item is diagnosed as soon as it is
 * read, from the reader's buffer: no copy of the message is made.
 */
static void read_batch(reader *rd, batch *b, job *now)
{
    size_t bytes = 0;
    b->n = 0;
    b->shared = now != NULL;
    /* at least one item: a batch without any means the end of input */
    while (!rd->end && b->n < BATCH_MAX && bytes < BATCH_BYTES &&
           (now ? b->out.len < OUT_SERIAL_BATCH : b->n == 0 || mm_input_held(rd->in) < HELD_MAX)) {
        item *it = &b->items[b->n];
        if (!read_item(rd, b, it, b->n ? it - 1 : NULL, now != NULL)) {
            rd->end = true;
            break;
        }
        if (now) {
            do_item(now, now->main_ws, it, &b->out);
            it->out_end = b->out.len;
            it->bytes = NULL; /* the reader's: gone at the next read */
        }
        bytes += b->items[b->n++].len;
        rd->total++;
    }
    b->mark = mm_input_mark(rd->in);
    /* at most once per BATCH_MAX messages (one job's batches can be shorter), and at the end */
    if (rd->show_progress && (rd->total - rd->shown >= BATCH_MAX || rd->end)) {
        progress(rd->total);
        rd->shown = rd->total;
    }
}

/* Standard output could not be written: read no more input.  Diagnosing
 * 100,000 messages into a full disk helps nobody (cliout.c). */
static bool stop_reading(reader *rd)
{
    if (cli_stdout_failed())
        rd->end = true;
    return rd->end;
}

/* One job: no threads, each batch is diagnosed by the main thread. */
static int run_serial(job *j, reader *rd, batch *b)
{
    int rc = EXIT_OK;
    while (!stop_reading(rd)) {
        read_batch(rd, b, j);
        rc |= flush_batch(b);
    }
    return rc;
}

/* Tell the workers to quit and wait for them. */
static void stop_workers(job *j, pthread_t *th, int started)
{
    pthread_mutex_lock(&j->lock);
    j->quit = true;
    pthread_cond_broadcast(&j->work);
    pthread_mutex_unlock(&j->lock);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
}

/* Workers diagnose batch cur while the main thread reads batch nxt;
 * workers: threads besides the main one. */
static int run_parallel(job *j, int workers, reader *rd, batch *cur, batch *nxt)
{
    pthread_t th[MAX_JOBS];
    int started = 0, rc = EXIT_OK;
    for (int t = 0; t < workers && t < MAX_JOBS; t++)
        if (pthread_create(&th[t], NULL, worker, j) == 0)
            started++;
    /* Without a worker, or without keep mode, one job: run_serial() reads
     * and diagnoses in turn (and never releases kept messages). */
    if (!started || mm_input_keep(rd->in) != MM_OK) {
        stop_workers(j, th, started);
        return run_serial(j, rd, cur);
    }
    j->threads = started + 1;
    (void)stop_reading(rd); /* the header could not be written */
    read_batch(rd, cur, NULL);
    submit(j, cur);
    while (cur->n) {
        /* After a write error, nxt stays empty: the batch in flight is
         * finished (the workers hold its items) and the loop ends. */
        (void)stop_reading(rd);
        read_batch(rd, nxt, NULL);
        wait_batch(j, cur);
        submit(j, nxt);
        rc |= flush_batch(cur);
        mm_input_release(rd->in, cur->mark); /* its messages are done with */
        batch *t = cur;
        cur = nxt;
        nxt = t;
    }
    stop_workers(j, th, started);
    return rc;
}

static int run_inputs(job *j, int jobs, char **paths, size_t npaths, bool show_progress)
{
    reader rd = {NULL, 0, 0, show_progress, false};
    const mm_limits *lim = mm_ctx_limits(j->ctx);
    if (mm_input_open((const char *const *)paths, npaths, lim->max_message_bytes, &rd.in) != MM_OK)
        fatalx("out of memory");
    batch b[2] = {{.items = calloc(BATCH_MAX, sizeof(item)), .out = MM_BUF_INIT},
                  {.items = calloc(BATCH_MAX, sizeof(item)), .out = MM_BUF_INIT}};
    if (!b[0].items || !b[1].items)
        fatalx("out of memory");
    /* One job diagnoses each message where the reader has it, before the
     * next read.  Several jobs need it to stay there until its batch is
     * written: the reader keeps it (no copy, see run_parallel), or it is
     * copied. */
    int rc = jobs <= 1 ? run_serial(j, &rd, &b[0]) : run_parallel(j, jobs - 1, &rd, &b[0], &b[1]);
    if (show_progress)
        fputc('\n', stderr);
    for (size_t k = 0; k < 2; k++) {
        for (size_t i = 0; i < BATCH_MAX; i++)
            mm_buf_free(&b[k].items[i].out);
        free(b[k].items);
        mm_buf_free(&b[k].out);
        free(b[k].names);
    }
    mm_input_destroy(rd.in);
    return rc;
}

static int run_text(const mm_ctx *ctx, const out_opts *o, const char *text)
{
    mm_report *r;
    if (mm_diagnose_text(ctx, text, &r) != MM_OK)
        fatalx("out of memory");
    mm_buf b = MM_BUF_INIT;
    out_source src = {"text", NULL, 0};
    out_report(o, &src, 0, r, &b);
    write_out(mm_buf_str(&b), b.len);
    mm_buf_free(&b);
    mm_report_destroy(r);
    return EXIT_OK;
}

static void usage(FILE *fp)
{
    fprintf(fp, _("Usage: %s diagnose [OPTION]... [FILE|DIR|MBOX|-]...\n"
                  "       %s diagnose --text \"550 5.1.1 <a@example.com>: User unknown\"\n"
                  "Read bounce messages and tell, for each recipient, why delivery failed\n"
                  "and what to do.  With no FILE, or when FILE is -, read standard input.\n\n"
                  "  -f, --format=FMT     text (default), json (JSON Lines) or csv\n"
                  "      --bom            with csv: start with a UTF-8 byte order mark (Excel)\n"
                  "  -t, --text=LINE      diagnose one pasted SMTP reply or log line\n"
                  "  -l, --lang=LANG      zh or en (default: from the locale)\n"
                  "  -j, --jobs=N         use N threads (default 1)\n"
                  "  -a, --all            json: also a line for non-bounces and unreadable inputs\n"
                  "      --save-undecoded=DIR  keep messages that were not recognised in DIR\n"
                  "      --max-size=BYTES read at most BYTES of each message (default 8 MiB)\n"
                  "      --color=WHEN     auto (default), always or never\n"
                  "  -h, --help           show this help and exit\n\n"
                  "Exit status: 0 all inputs read, 1 some inputs could not be read,\n"
                  "2 usage error, 3 internal error.\n"),
            progname, progname);
    cli_stdout_usage(fp);
}

int cmd_diagnose(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'}, {"bom", no_argument, NULL, 'B'},
        {"text", required_argument, NULL, 't'},   {"lang", required_argument, NULL, 'l'},
        {"jobs", required_argument, NULL, 'j'},   {"all", no_argument, NULL, 'a'},
        {"save-undecoded", required_argument, NULL, 'S'},
        {"max-size", required_argument, NULL, 'M'}, {"color", required_argument, NULL, 'C'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    out_opts o = {OUT_TEXT, false, false};
    const char *text = NULL, *lang = NULL, *save = NULL, *color = "auto";
    bool bom = false, help = false;
    int jobs = 1, c;
    mm_limits lim = {0};
    while ((c = getopt_long(argc, argv, "f:t:l:j:ah", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (strcmp(optarg, "text") == 0)
                o.format = OUT_TEXT;
            else if (strcmp(optarg, "json") == 0 || strcmp(optarg, "jsonl") == 0)
                o.format = OUT_JSON;
            else if (strcmp(optarg, "csv") == 0)
                o.format = OUT_CSV;
            else {
                log_warnx(_("unknown format '%s' (text, json or csv)"), optarg);
                return EXIT_USAGE;
            }
            break;
        case 'B': bom = true; break;
        case 't': text = optarg; break;
        case 'l':
            lang = optarg;
            i18n_setup(lang); /* later messages in this language */
            break;
        case 'j':
            jobs = atoi(optarg);
            if (jobs < 1 || jobs > MAX_JOBS) {
                log_warnx(_("--jobs takes a number from 1 to 64"));
                return EXIT_USAGE;
            }
            break;
        case 'a': o.all = true; break;
        case 'S': save = optarg; break;
        case 'M': lim.max_message_bytes = strtoull(optarg, NULL, 10); break;
        case 'C': color = optarg; break;
        case 'h': help = true; break;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    /* Help is printed after all options are read, so that
     * `diagnose --help --lang zh` is in Chinese too. */
    if (lang)
        i18n_setup(lang);
    if (help) {
        usage(stdout);
        return EXIT_OK;
    }
    o.color = o.format == OUT_TEXT &&
              (strcmp(color, "always") == 0 || (strcmp(color, "auto") == 0 && isatty(1)));
    if (save) {
        struct stat sb;
        if (stat(save, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            log_warnx(_("--save-undecoded: %s is not a directory"), save);
            return EXIT_USAGE;
        }
    }
    /*
     * glibc gives a thread's arena back to the kernel (madvise) as soon as
     * 128 KiB at its top are free; every such call stalls the other threads
     * (TLB shootdown).  Keeping 8 MiB per arena stops that churn and stays
     * well inside the memory budget.
     */
    mallopt(M_TRIM_THRESHOLD, 8 << 20);
    mm_ctx *ctx;
    if (mm_ctx_create(&lim, &ctx) != MM_OK)
        fatalx("out of memory");
    mm_buf head = MM_BUF_INIT;
    out_header(&o, bom, &head);
    write_out(mm_buf_str(&head), head.len);
    mm_buf_free(&head);
    int rc;
    if (text) {
        rc = run_text(ctx, &o, text);
    } else {
        job j = {ctx, &o, save, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
                 PTHREAD_COND_INITIALIZER, NULL, false, NULL, 1};
        (void)mm_diag_ws_create(&j.main_ws); /* NULL without memory, as in worker() */
        char *dash[] = {"-"};
        bool stdin_only = optind >= argc;
        rc = run_inputs(&j, jobs, stdin_only ? dash : argv + optind,
                        stdin_only ? 1 : (size_t)(argc - optind), isatty(2) && o.format != OUT_TEXT);
        mm_diag_ws_destroy(j.main_ws);
    }
    mm_ctx_destroy(ctx);
    return rc;
}
