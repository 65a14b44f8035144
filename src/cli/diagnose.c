/*
 * diagnose.c - `mailmedic diagnose`: read bounces, print one diagnosis per
 * recipient.
 *
 * With --jobs N the input is read in batches (bounded in count and bytes);
 * N threads diagnose and render the batch's messages into per-message
 * buffers, and the main thread writes them in input order.  Memory is thus
 * bounded by the batch size, whatever the number of messages.
 */
#include <getopt.h>
#include <mailmedic/mailmedic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli.h"
#include "output.h"

#define BATCH_MAX 512
#define BATCH_BYTES (16u << 20)

typedef struct item {
    char *source;
    size_t index;
    char *bytes;
    size_t len;
    bool truncated;
    bool failed; /* the input could not be read: error already in err */
    char err[256];
    mm_buf out;
    bool bad;    /* diagnosing failed */
} item;

typedef struct job {
    const mm_ctx *ctx;
    const out_opts *opts;
    const char *save_dir;
    item *items;
    size_t n;
    size_t next;  /* next item to take (under lock) */
    pthread_mutex_t lock;
} job;

static void save_undecoded(const char *dir, const item *it)
{
    const char *base = strrchr(it->source, '/');
    base = base ? base + 1 : it->source;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.%zu.eml", dir, base, it->index);
    FILE *fp = fopen(path, "wb");
    if (!fp) {
        log_warnx(_("cannot save %s: %s"), path, "fopen failed");
        return;
    }
    fwrite(it->bytes, 1, it->len, fp);
    fclose(fp);
}

static void do_item(job *j, item *it)
{
    if (it->failed) {
        out_error(j->opts, it->source, it->index, it->err, &it->out);
        return;
    }
    mm_report *r = NULL;
    char why[256];
    mm_status_t st = mm_diagnose_message(j->ctx, it->bytes, it->len, &r, why, sizeof why);
    if (st != MM_OK) {
        it->bad = true;
        snprintf(it->err, sizeof it->err, "%s", why);
        out_error(j->opts, it->source, it->index, it->err, &it->out);
        return;
    }
    if (j->save_dir && mm_report_kind(r) == MM_KIND_NOT_BOUNCE)
        save_undecoded(j->save_dir, it);
    out_report(j->opts, it->source, it->index, r, &it->out);
    mm_report_destroy(r);
}

static void *worker(void *arg)
{
    job *j = arg;
    for (;;) {
        pthread_mutex_lock(&j->lock);
        size_t i = j->next++;
        pthread_mutex_unlock(&j->lock);
        if (i >= j->n)
            return NULL;
        do_item(j, &j->items[i]);
    }
}

static void run_batch(job *j, int jobs)
{
    j->next = 0;
    if (jobs <= 1 || j->n < 2) {
        worker(j);
        return;
    }
    pthread_t th[64];
    int started = 0;
    for (int t = 0; t < jobs - 1 && t < 64; t++)
        if (pthread_create(&th[t], NULL, worker, j) == 0)
            started++;
    worker(j);
    for (int t = 0; t < started; t++)
        pthread_join(th[t], NULL);
}

static int flush_batch(job *j)
{
    int rc = EXIT_OK;
    for (size_t i = 0; i < j->n; i++) {
        item *it = &j->items[i];
        if (it->out.len)
            fwrite(it->out.data, 1, it->out.len, stdout);
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
        free(it->source);
        free(it->bytes);
        mm_buf_free(&it->out);
    }
    j->n = 0;
    fflush(stdout);
    return rc;
}

static void progress(size_t done)
{
    fprintf(stderr, "\r%s %zu", _("messages read:"), done);
}

static int run_inputs(job *j, int jobs, char **paths, size_t npaths, bool show_progress)
{
    mm_input *in;
    const mm_limits *lim = mm_ctx_limits(j->ctx);
    if (mm_input_open((const char *const *)paths, npaths, lim->max_message_bytes, &in) != MM_OK)
        fatalx("out of memory");
    int rc = EXIT_OK;
    size_t bytes = 0, total = 0;
    for (;;) {
        mm_input_msg msg;
        char why[256];
        mm_status_t st = mm_input_next(in, &msg, why, sizeof why);
        if (st == MM_ENOTFOUND)
            break;
        item *it = &j->items[j->n++];
        memset(it, 0, sizeof *it);
        it->source = strdup(msg.source ? msg.source : "-");
        if (st != MM_OK) {
            it->failed = true;
            snprintf(it->err, sizeof it->err, "%s", why[0] ? why : mm_strerror(st));
        } else {
            it->index = msg.index;
            it->bytes = malloc(msg.len ? msg.len : 1);
            if (!it->source || !it->bytes)
                fatalx("out of memory");
            memcpy(it->bytes, msg.bytes, msg.len);
            it->len = msg.len;
            it->truncated = msg.truncated;
            bytes += msg.len;
        }
        total++;
        if (j->n == BATCH_MAX || bytes >= BATCH_BYTES) {
            run_batch(j, jobs);
            rc |= flush_batch(j);
            bytes = 0;
            if (show_progress)
                progress(total);
        }
    }
    run_batch(j, jobs);
    rc |= flush_batch(j);
    if (show_progress)
        fputc('\n', stderr);
    mm_input_destroy(in);
    return rc;
}

static int run_text(const mm_ctx *ctx, const out_opts *o, const char *text)
{
    mm_report *r;
    if (mm_diagnose_text(ctx, text, &r) != MM_OK)
        fatalx("out of memory");
    mm_buf b = MM_BUF_INIT;
    out_report(o, "text", 0, r, &b);
    fwrite(mm_buf_str(&b), 1, b.len, stdout);
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
            if (jobs < 1 || jobs > 64) {
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
    mm_ctx *ctx;
    if (mm_ctx_create(&lim, &ctx) != MM_OK)
        fatalx("out of memory");
    mm_buf head = MM_BUF_INIT;
    out_header(&o, bom, &head);
    fwrite(mm_buf_str(&head), 1, head.len, stdout);
    mm_buf_free(&head);
    int rc;
    if (text) {
        rc = run_text(ctx, &o, text);
    } else {
        job j = {ctx, &o, save, calloc(BATCH_MAX, sizeof(item)), 0, 0, PTHREAD_MUTEX_INITIALIZER};
        if (!j.items)
            fatalx("out of memory");
        char *dash[] = {"-"};
        bool stdin_only = optind >= argc;
        rc = run_inputs(&j, jobs, stdin_only ? dash : argv + optind,
                        stdin_only ? 1 : (size_t)(argc - optind), isatty(2) && o.format != OUT_TEXT);
        free(j.items);
    }
    mm_ctx_destroy(ctx);
    return rc;
}
