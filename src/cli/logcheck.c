/*
 * logcheck.c - the suppression list and the retry schedule from the
 * command line: `log check` (may these addresses be sent to now?), `log
 * due`, `log suppress` / `unsuppress`, `log suppressed` / `list`, and the
 * list's import and export.
 *
 * check streams its input: addresses are gathered into batches of up to
 * 10,000 (their bytes in one buffer, no allocation per address), each batch
 * is one mm_store_check call, and results are printed in input order as the
 * store hands them back.  Addresses that are certainly not addresses never
 * go to the store; they are printed in their place.
 */
#include <errno.h>
#include <getopt.h>
#include <mailmedic/mailmedic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "cli.h"
#include "fmt.h"
#include "listread.h"
#include "logcmd.h"

#define BATCH 10000

/* ---- one address's line (check, due, list) ---- */

typedef struct lineout {
    out_format format;
    bool quiet;
    int64_t now;
    mm_buf out;
    unsigned long long total, nosend, invalid;
} lineout;

/* May it be sent to at `now`? */
static bool may_send(const mm_address_info *a, int64_t now)
{
    return a->state == MM_ADDR_ACTIVE || (a->state == MM_ADDR_SOFT && a->retry_at <= now);
}

static const char *const check_cols[] = {"address",  "send",     "state",       "why",     "reason",
                                         "category", "retry_at", "last_bounce", "message", NULL};

static void csv_header(mm_buf *b, const char *const *cols, bool bom)
{
    if (bom)
        mm_buf_puts(b, "\xEF\xBB\xBF");
    for (size_t i = 0; cols[i]; i++)
        csv_field(b, cols[i], i == 0);
    mm_buf_puts(b, "\r\n");
}

/* The sentence for people: why (not) to send. */
static void check_message(const mm_address_info *a, bool send, int64_t now, mm_buf *m)
{
    char when[40];
    if (!a->known) {
        mm_buf_puts(m, _("no bounce on record"));
    } else if (a->state == MM_ADDR_SUPPRESSED) {
        mm_buf_printf(m, _("suppressed: %s"), log_why_label(a->why));
        if (a->last_bounce)
            mm_buf_printf(m, _(" (last bounce: %s)"), out_reason_label(a->last_reason));
    } else if (a->state == MM_ADDR_SOFT && !send) {
        log_text_time(a->retry_at, when, sizeof when);
        mm_buf_printf(m, _("soft bounce (%s): wait until %s"), out_reason_label(a->last_reason),
                      when);
    } else if (a->state == MM_ADDR_SOFT) {
        mm_buf_printf(m, _("soft bounce (%s): due for a retry now"),
                      out_reason_label(a->last_reason));
    } else {
        mm_buf_puts(m, a->last_bounce ? _("active (bounced before, cleared since)") : _("active"));
    }
    (void)now;
}

static void put_address(lineout *o, const mm_address_info *a, bool send)
{
    mm_buf msg = MM_BUF_INIT;
    check_message(a, send, o->now, &msg);
    char retry[40], last[40];
    log_iso_time(a->state == MM_ADDR_SOFT ? a->retry_at : 0, retry, sizeof retry);
    log_iso_time(a->last_bounce, last, sizeof last);
    const char *reason = a->last_bounce ? mm_reason_tostr(a->last_reason) : "";
    const char *cat = a->last_bounce ? mm_category_tostr(a->last_category) : "";
    if (o->format == OUT_JSON) {
        jw w = jw_begin(&o->out);
        jw_str(&w, "address", a->address);
        jw_bool(&w, "send", send);
        jw_str(&w, "state", mm_addr_state_tostr(a->state));
        jw_str_or_null(&w, "why", a->why);
        jw_str_or_null(&w, "reason", reason);
        jw_str_or_null(&w, "category", cat);
        jw_str_or_null(&w, "retry_at", retry);
        jw_str_or_null(&w, "last_bounce", last);
        jw_bool(&w, "known", a->known);
        jw_str(&w, "message", mm_buf_str(&msg));
        jw_end(&w);
    } else if (o->format == OUT_CSV) {
        const char *v[] = {a->address,
                           send ? "true" : "false",
                           mm_addr_state_tostr(a->state),
                           a->why,
                           reason,
                           cat,
                           retry,
                           last,
                           mm_buf_str(&msg)};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            csv_field(&o->out, v[i], i == 0);
        mm_buf_puts(&o->out, "\r\n");
    } else {
        mm_buf_printf(&o->out, "%s %s  %s\n", send ? "✔" : "✘", a->address, mm_buf_str(&msg));
    }
    mm_buf_free(&msg);
}

static void put_invalid(lineout *o, const char *addr)
{
    o->total++;
    o->nosend++;
    o->invalid++;
    if (o->quiet)
        return;
    const char *msg = _("not an email address");
    if (o->format == OUT_JSON) {
        jw w = jw_begin(&o->out);
        jw_str(&w, "address", addr);
        jw_bool(&w, "send", false);
        jw_str(&w, "state", "invalid");
        const char *nulls[] = {"why", "reason", "category", "retry_at", "last_bounce"};
        for (size_t i = 0; i < 5; i++)
            jw_raw(&w, nulls[i], "null");
        jw_bool(&w, "known", false);
        jw_str(&w, "message", msg);
        jw_end(&w);
    } else if (o->format == OUT_CSV) {
        const char *v[] = {addr, "false", "invalid", "", "", "", "", "", msg};
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            csv_field(&o->out, v[i], i == 0);
        mm_buf_puts(&o->out, "\r\n");
    } else {
        mm_buf t = MM_BUF_INIT;
        mm_buf_printf(&o->out, "✘ %s  %s\n", utf8_clean(addr, &t), msg);
        mm_buf_free(&t);
    }
}

/* ---- check ---- */

typedef struct batch {
    lineout *o;
    mm_buf bytes; /* the addresses, NUL-separated */
    size_t *off;  /* offset of each address in bytes */
    bool *bad;    /* not an address: never sent to the store */
    size_t n;
    const char **ptrs; /* the good ones, for mm_store_check */
    size_t next;       /* check's callback: the next entry to print */
} batch;

static void skip_bad(batch *b)
{
    while (b->next < b->n && b->bad[b->next]) {
        put_invalid(b->o, b->bytes.data + b->off[b->next]);
        b->next++;
    }
}

static int on_check(void *arg, const mm_address_info *a)
{
    batch *b = arg;
    skip_bad(b);
    b->next++;
    bool send = may_send(a, b->o->now);
    b->o->total++;
    if (!send)
        b->o->nosend++;
    if (!b->o->quiet)
        put_address(b->o, a, send);
    if (b->o->out.len > (64u << 10))
        log_flush(&b->o->out, stdout);
    return 0;
}

static mm_status_t flush_batch(logctx *c, batch *b)
{
    size_t k = 0;
    for (size_t i = 0; i < b->n; i++)
        if (!b->bad[i])
            b->ptrs[k++] = b->bytes.data + b->off[i];
    b->next = 0;
    mm_status_t st = k ? mm_store_check(c->store, b->ptrs, k, on_check, b) : MM_OK;
    skip_bad(b);
    b->n = 0;
    mm_buf_reset(&b->bytes);
    log_flush(&b->o->out, stdout);
    return st;
}

static mm_status_t add_addr(logctx *c, batch *b, const char *s, size_t len)
{
    while (len && (*s == ' ' || *s == '\t'))
        s++, len--;
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        len--;
    b->off[b->n] = b->bytes.len;
    if (mm_buf_append(&b->bytes, s, len) != MM_OK || mm_buf_putc(&b->bytes, '\0') != MM_OK)
        return MM_ENOMEM;
    b->bad[b->n] = !log_addr_ok(b->bytes.data + b->off[b->n]);
    b->n++;
    return b->n == BATCH ? flush_batch(c, b) : MM_OK;
}

static int check_list(logctx *c, batch *b, const char *path, const char *column, mm_status_t *st)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) {
        log_warnx(_("%s: %s"), path, strerror(errno));
        return LOG_USAGE;
    }
    char err[768];
    lr *r = lr_open(fp, column, err, sizeof err);
    if (!r) {
        log_warnx("%s: %s", path, err);
        if (fp != stdin)
            fclose(fp);
        return LOG_USAGE;
    }
    lr_rec rec;
    int rc = LOG_OK;
    for (int k; *st == MM_OK && (k = lr_next(r, &rec)) != 0;) {
        if (k < 0) {
            log_warnx(_("%s: read error: %s"), path, strerror(errno));
            rc = LOG_USAGE;
            break;
        }
        *st = add_addr(c, b, rec.addr, rec.addr_len);
    }
    lr_free(r);
    if (fp != stdin)
        fclose(fp);
    return rc;
}

static void check_usage(FILE *fp)
{
    fprintf(fp,
            _("Usage: %s log check [OPTION]... ADDRESS...\n"
              "   or: %s log check [OPTION]... --list FILE|-\n"
              "May these addresses be sent to now?  Suppressed addresses, and soft-bounced\n"
              "ones whose retry time has not come, may not.\n\n"),
            progname, progname);
    fputs(_("  -i, --list=FILE     read addresses from FILE, one per line ('-' = standard input)\n"
            "  -c, --column=NAME   the list is CSV: take the addresses from column NAME\n"
            "  -f, --format=FMT    text (default), json (JSON Lines) or csv\n"
            "  -q, --quiet         print nothing: only the exit status\n"
            "      --at=TIME       judge as of TIME instead of now\n"
            "  -h, --help          show this help\n\n"
            "Exit status: 0 every address may be sent to now; 1 at least one may not (or is\n"
            "not an address); 2 bad command line or unreadable list; 3 database error.\n"),
          fp);
    cli_stdout_usage(fp);
}

int log_check(logctx *c, int argc, char **argv)
{
    static const struct option lo[] = {{"list", required_argument, NULL, 'i'},
                                       {"column", required_argument, NULL, 'c'},
                                       {"format", required_argument, NULL, 'f'},
                                       {"quiet", no_argument, NULL, 'q'},
                                       {"at", required_argument, NULL, 'a'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    lineout o = {.format = OUT_TEXT, .now = c->now};
    const char *lists[64], *column = NULL;
    size_t nlists = 0;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "i:c:f:qh", lo, NULL)) != -1;) {
        switch (ch) {
        case 'i':
            if (nlists == 64) {
                log_warnx(_("too many lists"));
                return LOG_USAGE;
            }
            lists[nlists++] = optarg;
            break;
        case 'c':
            column = optarg;
            break;
        case 'f':
            if (!log_parse_format(optarg, &o.format))
                return LOG_USAGE;
            break;
        case 'q':
            o.quiet = true;
            break;
        case 'a':
            if (!log_parse_time(optarg, c->now, &o.now)) {
                log_warnx(_("bad time '%s'"), optarg);
                return LOG_USAGE;
            }
            break;
        case 'h':
            check_usage(stdout);
            return LOG_OK;
        default:
            check_usage(stderr);
            return LOG_USAGE;
        }
    }
    for (int i = optind; i < argc; i++)
        if (strcmp(argv[i], "-") == 0 && nlists < 64)
            lists[nlists++] = "-";
    if (optind == argc && nlists == 0) {
        if (isatty(STDIN_FILENO)) {
            check_usage(stderr);
            return LOG_USAGE;
        }
        lists[nlists++] = "-";
    }
    if (!log_store(c))
        return LOG_DBERR;
    batch b = {.o = &o};
    b.off = malloc(BATCH * sizeof *b.off);
    b.bad = malloc(BATCH * sizeof *b.bad);
    b.ptrs = malloc(BATCH * sizeof *b.ptrs);
    mm_status_t st = b.off && b.bad && b.ptrs ? MM_OK : MM_ENOMEM;
    if (o.format == OUT_CSV && !o.quiet)
        csv_header(&o.out, check_cols, false);
    int rc = LOG_OK;
    for (int i = optind; i < argc && st == MM_OK; i++)
        if (strcmp(argv[i], "-") != 0)
            st = add_addr(c, &b, argv[i], strlen(argv[i]));
    for (size_t i = 0; i < nlists && st == MM_OK && rc == LOG_OK; i++)
        rc = check_list(c, &b, lists[i], column, &st);
    if (st == MM_OK)
        st = flush_batch(c, &b);
    log_flush(&o.out, stdout);
    free(b.off);
    free(b.bad);
    free(b.ptrs);
    mm_buf_free(&b.bytes);
    mm_buf_free(&o.out);
    if (st != MM_OK)
        return log_dberr(c, st, "check");
    if (rc != LOG_OK)
        return rc;
    return o.nosend ? LOG_NOSEND : LOG_OK;
}

/* ---- due, suppressed, list ---- */

static const char *const list_cols[] = {
    "address",     "state",     "why",        "reason",     "category", "first_bounce",
    "last_bounce", "retry_at",  "hard_count", "soft_count", "note",     "fix",
    "outcome",     "corrected", "source",     "name",       "updated",  NULL};

static void put_row(lineout *o, const mm_address_info *a)
{
    char t[6][40];
    int64_t times[] = {a->first_bounce, a->last_bounce, a->state == MM_ADDR_SOFT ? a->retry_at : 0,
                       a->updated};
    for (size_t i = 0; i < 4; i++)
        log_iso_time(times[i], t[i], sizeof t[i]);
    snprintf(t[4], sizeof t[4], "%d", a->hard_count);
    snprintf(t[5], sizeof t[5], "%d", a->soft_count);
    const char *reason = a->last_bounce ? mm_reason_tostr(a->last_reason) : "";
    const char *cat = a->last_bounce ? mm_category_tostr(a->last_category) : "";
    const char *v[] = {a->address, mm_addr_state_tostr(a->state),
                       a->why,     reason,
                       cat,        t[0],
                       t[1],       t[2],
                       t[4],       t[5],
                       a->note,    a->fix,
                       a->outcome, a->corrected,
                       a->source,  a->name,
                       t[3]};
    if (o->format == OUT_CSV) {
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            csv_field(&o->out, v[i], i == 0);
        mm_buf_puts(&o->out, "\r\n");
    } else if (o->format == OUT_JSON) {
        jw w = jw_begin(&o->out);
        for (size_t i = 0; list_cols[i]; i++) {
            if (i == 8 || i == 9)
                jw_int(&w, list_cols[i], i == 8 ? a->hard_count : a->soft_count);
            else
                jw_str_or_null(&w, list_cols[i], v[i]);
        }
        jw_end(&w);
    } else {
        char when[40];
        mm_buf_printf(&o->out, "%s  %s", a->address, log_state_label(a->state));
        if (a->state == MM_ADDR_SUPPRESSED && a->why[0])
            mm_buf_printf(&o->out, " (%s)", log_why_label(a->why));
        if (a->state == MM_ADDR_SOFT) {
            log_text_time(a->retry_at, when, sizeof when);
            if (a->retry_at <= o->now)
                mm_buf_printf(&o->out, _(", due for a retry since %s"), when);
            else
                mm_buf_printf(&o->out, _(", retry at %s"), when);
        }
        if (a->last_bounce)
            mm_buf_printf(&o->out, "  %s: %s", _("last bounce"), out_reason_label(a->last_reason));
        if (a->note[0])
            mm_buf_printf(&o->out, "  %s: %s", _("note"), a->note);
        mm_buf_putc(&o->out, '\n');
    }
}

static int on_list(void *arg, const mm_address_info *a)
{
    lineout *o = arg;
    o->total++;
    put_row(o, a);
    if (o->out.len > (64u << 10))
        log_flush(&o->out, stdout);
    return 0;
}

static void list_usage(FILE *fp, const char *cmd)
{
    if (strcmp(cmd, "due") == 0)
        fprintf(fp,
                _("Usage: %s log due [--at TIME] [--format FMT]\n"
                  "Soft-bounced addresses whose retry time has come (send to them again).\n"),
                progname);
    else if (strcmp(cmd, "suppressed") == 0)
        fprintf(fp, _("Usage: %s log suppressed [--format FMT]\nThe suppression list.\n"),
                progname);
    else
        fprintf(fp,
                _("Usage: %s log list [--state STATE] [--format FMT]\n"
                  "Every known address with its state.\n"),
                progname);
    fputs(_("\n  -f, --format=FMT    text (default), json (JSON Lines) or csv\n"
            "      --bom           CSV: start with a UTF-8 byte order mark (for Excel)\n"
            "  -s, --state=STATE   list: active, soft, suppressed or all (repeatable)\n"
            "      --at=TIME       due: as of TIME instead of now (2026-12-01, 2026-12-01T08:00Z,\n"
            "                      @UNIX, or 3d for three days ago)\n"
            "  -h, --help          show this help\n"),
          fp);
}

static int list_run(logctx *c, int argc, char **argv, mm_address_filter f)
{
    static const struct option lo[] = {
        {"format", required_argument, NULL, 'f'}, {"state", required_argument, NULL, 's'},
        {"at", required_argument, NULL, 'a'},     {"bom", no_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    lineout o = {.format = OUT_TEXT, .now = c->now};
    bool bom = false, is_list = strcmp(argv[0], "list") == 0, is_due = strcmp(argv[0], "due") == 0;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "f:s:h", lo, NULL)) != -1;) {
        switch (ch) {
        case 'f':
            if (!log_parse_format(optarg, &o.format))
                return LOG_USAGE;
            break;
        case 's':
            if (!is_list)
                goto bad;
            if (strcmp(optarg, "active") == 0)
                f.states |= 1u << MM_ADDR_ACTIVE;
            else if (strcmp(optarg, "soft") == 0)
                f.states |= 1u << MM_ADDR_SOFT;
            else if (strcmp(optarg, "suppressed") == 0)
                f.states |= 1u << MM_ADDR_SUPPRESSED;
            else if (strcmp(optarg, "all") != 0) {
                log_warnx(_("unknown state '%s' (active, soft, suppressed or all)"), optarg);
                return LOG_USAGE;
            }
            break;
        case 'a':
            if (!is_due)
                goto bad;
            if (!log_parse_time(optarg, c->now, &f.due_before)) {
                log_warnx(_("bad time '%s'"), optarg);
                return LOG_USAGE;
            }
            o.now = f.due_before; /* "due" and "retry at" are judged as of --at */
            break;
        case 'b':
            bom = true;
            break;
        case 'h':
            list_usage(stdout, argv[0]);
            return LOG_OK;
        default:
        bad:
            list_usage(stderr, argv[0]);
            return LOG_USAGE;
        }
    }
    if (optind < argc) {
        log_warnx(_("unexpected argument '%s'"), argv[optind]);
        return LOG_USAGE;
    }
    if (!log_store(c))
        return LOG_DBERR;
    if (o.format == OUT_CSV)
        csv_header(&o.out, list_cols, bom);
    mm_status_t st = mm_store_each_address(c->store, &f, on_list, &o);
    log_flush(&o.out, stdout);
    mm_buf_free(&o.out);
    if (st != MM_OK)
        return log_dberr(c, st, argv[0]);
    if (o.format == OUT_TEXT && o.total == 0)
        log_info("%s", is_due ? _("no address is due") : _("no address"));
    return LOG_OK;
}

int log_list(logctx *c, int argc, char **argv)
{
    mm_address_filter f = {0, 0};
    if (strcmp(argv[0], "suppressed") == 0)
        f.states = 1u << MM_ADDR_SUPPRESSED;
    return list_run(c, argc, argv, f);
}

int log_due(logctx *c, int argc, char **argv)
{
    mm_address_filter f = {1u << MM_ADDR_SOFT, c->now};
    return list_run(c, argc, argv, f);
}

/* ---- suppress, unsuppress ---- */

int log_suppress(logctx *c, int argc, char **argv)
{
    static const struct option lo[] = {{"note", required_argument, NULL, 'n'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    bool un = strcmp(argv[0], "unsuppress") == 0;
    const char *note = NULL;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "n:h", lo, NULL)) != -1;) {
        if (ch == 'n') {
            note = optarg;
            continue;
        }
        fprintf(ch == 'h' ? stdout : stderr,
                un ? _("Usage: %s log unsuppress ADDRESS... [--note TEXT]\n"
                       "Take addresses off the suppression list (and reset their soft bounces).\n")
                   : _("Usage: %s log suppress ADDRESS... [--note TEXT]\n"
                       "Never send to these addresses again (reason: manual).\n"),
                progname);
        return ch == 'h' ? LOG_OK : LOG_USAGE;
    }
    if (optind == argc) {
        log_warnx(_("no address given"));
        return LOG_USAGE;
    }
    for (int i = optind; i < argc; i++)
        if (!log_addr_ok(argv[i])) {
            log_warnx(_("'%s' is not an email address"), argv[i]);
            return LOG_USAGE;
        }
    if (!log_store(c))
        return LOG_DBERR;
    const char *const *a = (const char *const *)argv + optind;
    size_t n = (size_t)(argc - optind);
    mm_status_t st = un ? mm_store_unsuppress(c->store, a, n, note, c->now)
                        : mm_store_suppress(c->store, a, n, MM_WHY_MANUAL, note, c->now);
    if (st != MM_OK)
        return log_dberr(c, st, argv[0]);
    log_info(
        un ? dngettext("mailmedic", "%zu address unsuppressed", "%zu addresses unsuppressed", n)
           : dngettext("mailmedic", "%zu address suppressed", "%zu addresses suppressed", n),
        n);
    return LOG_OK;
}

/* ---- export-suppressions, import-suppressions ---- */

static const char *const supp_cols[] = {"address", "why", "note", "since", NULL};

typedef struct exp {
    mm_buf out;
    FILE *fp;
    bool ok;
} exp;

static int on_export(void *arg, const mm_address_info *a)
{
    exp *e = arg;
    char since[40];
    log_iso_time(a->updated ? a->updated : a->last_bounce, since, sizeof since);
    const char *v[] = {a->address, a->why, a->note, since};
    for (size_t i = 0; i < 4; i++)
        csv_field(&e->out, v[i], i == 0);
    mm_buf_puts(&e->out, "\r\n");
    if (e->out.len > (64u << 10))
        e->ok = log_flush(&e->out, e->fp) && e->ok;
    return 0;
}

int log_export_suppressions(logctx *c, int argc, char **argv)
{
    static const struct option lo[] = {{"output", required_argument, NULL, 'o'},
                                       {"bom", no_argument, NULL, 'b'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *output = NULL;
    bool bom = false;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "o:h", lo, NULL)) != -1;) {
        if (ch == 'o')
            output = optarg;
        else if (ch == 'b')
            bom = true;
        else {
            fprintf(ch == 'h' ? stdout : stderr,
                    _("Usage: %s log export-suppressions [--output FILE] [--bom]\n"
                      "The suppression list as CSV: address,why,note,since.\n"),
                    progname);
            return ch == 'h' ? LOG_OK : LOG_USAGE;
        }
    }
    if (!log_store(c))
        return LOG_DBERR;
    exp e = {.fp = stdout, .ok = true};
    if (output && !(e.fp = fopen(output, "wb"))) {
        log_warnx(_("%s: %s"), output, strerror(errno));
        return LOG_USAGE;
    }
    csv_header(&e.out, supp_cols, bom);
    mm_address_filter f = {1u << MM_ADDR_SUPPRESSED, 0};
    mm_status_t st = mm_store_each_address(c->store, &f, on_export, &e);
    e.ok = log_flush(&e.out, e.fp) && e.ok;
    mm_buf_free(&e.out);
    if (output && fclose(e.fp) != 0)
        e.ok = false;
    if (st != MM_OK)
        return log_dberr(c, st, "export-suppressions");
    if (!e.ok && output) { /* standard output's: reported by main (cliout.c) */
        log_warnx(_("%s: write error: %s"), output, strerror(errno));
        return LOG_DBERR;
    }
    return LOG_OK;
}

typedef struct imp {
    logctx *c;
    mm_buf bytes;
    size_t off[1000];
    const char *ptrs[1000];
    size_t n;
    char *why, *note; /* of the addresses gathered */
    size_t added;
} imp;

static mm_status_t imp_flush(imp *m)
{
    if (!m->n)
        return MM_OK;
    for (size_t i = 0; i < m->n; i++)
        m->ptrs[i] = m->bytes.data + m->off[i];
    mm_status_t st = mm_store_suppress(m->c->store, m->ptrs, m->n, m->why,
                                       m->note && *m->note ? m->note : NULL, m->c->now);
    m->added += m->n;
    m->n = 0;
    mm_buf_reset(&m->bytes);
    return st;
}

/* Rows with the same why and note go in one call; a change flushes. */
static mm_status_t imp_add(imp *m, const char *addr, const char *why, const char *note)
{
    /* the store takes only these two from people; a list's own reasons
     * (hard_bounce, complaint, ...) arrive as "imported" */
    if (strcmp(why, MM_WHY_MANUAL) != 0)
        why = MM_WHY_IMPORTED;
    mm_status_t st = MM_OK;
    if (m->n == 1000 || !m->why || strcmp(m->why, why) != 0 || strcmp(m->note, note) != 0) {
        st = imp_flush(m);
        free(m->why);
        free(m->note);
        m->why = strdup(why);
        m->note = strdup(note);
        if (!m->why || !m->note)
            return MM_ENOMEM;
    }
    m->off[m->n++] = m->bytes.len;
    if (mm_buf_puts(&m->bytes, addr) != MM_OK || mm_buf_putc(&m->bytes, '\0') != MM_OK)
        return MM_ENOMEM;
    return st;
}

/* The index of the header field named name (case-insensitive), or -1. */
static long column_of(const lr *r, const char *name)
{
    size_t n;
    const char *const *h = lr_header(r, &n);
    for (size_t i = 0; i < n; i++)
        if (strcasecmp(h[i], name) == 0)
            return (long)i;
    return -1;
}

/* A CSV with an "address" column, else one address per line. */
static lr *open_list(FILE *fp, const char *path, bool *csv)
{
    char first[4096] = "", err[768];
    if (!fgets(first, sizeof first, fp))
        first[0] = '\0';
    rewind(fp);
    *csv = !strchr(first, '@');
    lr *r = lr_open(fp, *csv ? "address" : NULL, err, sizeof err);
    if (!r)
        log_warnx("%s: %s", path, err);
    return r;
}

int log_import_suppressions(logctx *c, int argc, char **argv)
{
    if (argc != 2 || (argv[1][0] == '-' && argv[1][1])) {
        bool help = argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        fprintf(help ? stdout : stderr,
                _("Usage: %s log import-suppressions FILE|-\n"
                  "Add addresses to the suppression list: a CSV file with an 'address' column\n"
                  "(and optionally 'why' and 'note', as export-suppressions writes), or one\n"
                  "address per line.\n"),
                progname);
        return help ? LOG_OK : LOG_USAGE;
    }
    FILE *fp = log_open_input(argv[1]);
    if (!fp)
        return LOG_USAGE;
    bool csv;
    lr *r = open_list(fp, argv[1], &csv);
    if (!r) {
        fclose(fp);
        return LOG_USAGE;
    }
    if (!log_store(c)) {
        lr_free(r);
        fclose(fp);
        return LOG_DBERR;
    }
    long wcol = csv ? column_of(r, "why") : -1, ncol = csv ? column_of(r, "note") : -1;
    imp *m = calloc(1, sizeof *m);
    mm_status_t st = m ? MM_OK : MM_ENOMEM;
    unsigned long long skipped = 0;
    lr_rec rec;
    if (m)
        m->c = c;
    for (int k; st == MM_OK && (k = lr_next(r, &rec)) > 0;) {
        if (!log_addr_ok(rec.addr)) {
            log_warnx(_("%s:%zu: not an email address; skipped"), argv[1], rec.line);
            skipped++;
            continue;
        }
        const char *why = wcol >= 0 && (size_t)wcol < rec.nfields ? rec.fields[wcol] : "";
        const char *note = ncol >= 0 && (size_t)ncol < rec.nfields ? rec.fields[ncol] : "";
        st = imp_add(m, rec.addr, why, note);
    }
    if (st == MM_OK)
        st = imp_flush(m);
    lr_free(r);
    fclose(fp);
    size_t added = m ? m->added : 0;
    if (m) {
        free(m->why);
        free(m->note);
        mm_buf_free(&m->bytes);
        free(m);
    }
    if (st != MM_OK)
        return log_dberr(c, st, "import-suppressions");
    log_info(_("%zu addresses suppressed, %llu rows skipped"), added, skipped);
    return skipped ? LOG_NOSEND : LOG_OK;
}
