/*
 * lognote.c - seed 004's error log, address by address: `log history`
 * (every bounce of an address with its reason and category, and the
 * user's notes), `log note` (the fix tried, the outcome, the corrected
 * address) and `log contacts import` (contacts with their source, for
 * statistics by source; the CSV is read by listread.c).
 */
#include <errno.h>
#include <getopt.h>
#include <mailmedic/mailmedic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "cli.h"
#include "fmt.h"
#include "listread.h"
#include "logcmd.h"

/* ---- history ---- */

typedef struct hist {
    out_format format;
    mm_buf out;
    size_t n;
    bool json_open;
} hist;

static int on_info(void *arg, const mm_address_info *a)
{
    mm_address_info *dst = arg;
    *dst = *a;
    /* the strings are borrowed for the callback: keep copies */
    const char **s[] = {&dst->address, &dst->why,       &dst->note,   &dst->fix,
                        &dst->outcome, &dst->corrected, &dst->source, &dst->name};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        *s[i] = strdup(*s[i] ? *s[i] : "");
    return 0;
}

static void free_info(mm_address_info *a)
{
    const char *s[] = {a->address, a->why,       a->note,   a->fix,
                       a->outcome, a->corrected, a->source, a->name};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++)
        free((char *)s[i]);
}

static void text_head(mm_buf *b, const mm_address_info *a)
{
    mm_buf_printf(b, "%s  %s", a->address, log_state_label(a->state));
    if (a->why && a->why[0])
        mm_buf_printf(b, " (%s)", log_why_label(a->why));
    mm_buf_putc(b, '\n');
    const char *labels[] = {_("Source:"),  _("Name:"),      _("Fix tried:"),
                            _("Outcome:"), _("Corrected:"), _("Note:")};
    const char *vals[] = {a->source,    a->name, a->fix, log_outcome_label(a->outcome),
                          a->corrected, a->note};
    for (size_t i = 0; i < 6; i++)
        if (vals[i] && vals[i][0]) {
            size_t w = text_width(labels[i]);
            mm_buf_printf(b, "  %s%*s%s\n", labels[i], (int)(w < 12 ? 12 - w : 1), "", vals[i]);
        }
}

static void json_head(jw *w, const mm_address_info *a)
{
    jw_str(w, "address", a->address);
    jw_bool(w, "known", a->known);
    jw_str(w, "state", mm_addr_state_tostr(a->state));
    jw_str_or_null(w, "why", a->why);
    jw_int(w, "hard_count", a->hard_count);
    jw_int(w, "soft_count", a->soft_count);
    const char *k[] = {"source", "name", "fix", "outcome", "corrected", "note"};
    const char *v[] = {a->source, a->name, a->fix, a->outcome, a->corrected, a->note};
    for (size_t i = 0; i < 6; i++)
        jw_str_or_null(w, k[i], v[i]);
}

static int on_event(void *arg, const mm_event *e)
{
    hist *h = arg;
    char when[40], code[16] = "";
    if (e->reply_code)
        snprintf(code, sizeof code, "%d", e->reply_code);
    h->n++;
    if (h->format == OUT_TEXT) {
        log_text_time(e->time, when, sizeof when);
        mm_buf_printf(&h->out, "  %s  %s (%s) · %s · %s", when, out_reason_label(e->reason),
                      mm_reason_tostr(e->reason), out_category_label(e->category),
                      e->hard ? _("hard bounce") : _("soft"));
        if (e->status[0] || code[0])
            mm_buf_printf(&h->out, " · %s %s", e->status, code);
        mm_buf_putc(&h->out, '\n');
        if (e->diagnostic[0]) {
            mm_buf t = MM_BUF_INIT;
            mm_buf_printf(&h->out, "      %s\n", utf8_clean(e->diagnostic, &t));
            mm_buf_free(&t);
        }
        return 0;
    }
    log_iso_time(e->time, when, sizeof when);
    jw w = {.b = &h->out, .st = MM_OK, .sep = h->n == 1 ? '[' : ','};
    jw_put(&w, &w.sep, 1);
    w.sep = '{';
    jw_str(&w, "time", when);
    jw_str(&w, "action", e->action);
    jw_str_or_null(&w, "status", e->status);
    if (e->reply_code)
        jw_int(&w, "reply_code", e->reply_code);
    else
        jw_raw(&w, "reply_code", "null");
    jw_str(&w, "reason", mm_reason_tostr(e->reason));
    jw_str(&w, "category", mm_category_tostr(e->category));
    jw_bool(&w, "hard", e->hard);
    jw_str_or_null(&w, "provider", e->provider);
    jw_str(&w, "diagnostic", e->diagnostic);
    jw_str_or_null(&w, "remote_mta", e->remote_mta);
    jw_str_or_null(&w, "origin", e->origin);
    jw_put(&w, "}", 1);
    return 0;
}

int log_history(logctx *c, int argc, char **argv)
{
    static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    hist h = {.format = OUT_TEXT};
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "f:h", lo, NULL)) != -1;) {
        if (ch == 'f' && log_parse_format(optarg, &h.format) && h.format != OUT_CSV)
            continue;
        if (ch == 'f' && h.format == OUT_CSV)
            log_warnx(_("history: use text or json (for CSV: log export)"));
        fprintf(ch == 'h' ? stdout : stderr,
                _("Usage: %s log history ADDRESS [--format text|json]\n"
                  "Every bounce of ADDRESS with its reason and category, and your notes.\n"),
                progname);
        return ch == 'h' ? LOG_OK : LOG_USAGE;
    }
    if (optind + 1 != argc) {
        log_warnx(_("give one address"));
        return LOG_USAGE;
    }
    const char *addr = argv[optind];
    if (!log_addr_ok(addr)) {
        log_warnx(_("'%s' is not an email address"), addr);
        return LOG_USAGE;
    }
    if (!log_store(c))
        return LOG_DBERR;
    mm_address_info a = {0};
    mm_status_t st = mm_store_check(c->store, &addr, 1, on_info, &a);
    if (st == MM_OK && (!a.address || !a.why || !a.note || !a.fix || !a.outcome || !a.corrected ||
                        !a.source || !a.name))
        st = MM_ENOMEM; /* a copy failed, or the store never called back */
    if (st != MM_OK) {
        free_info(&a);
        return log_dberr(c, st, "history");
    }
    jw w = jw_begin(&h.out);
    if (h.format == OUT_TEXT) {
        text_head(&h.out, &a);
    } else {
        json_head(&w, &a);
        jw_key(&w, "events");
    }
    mm_event_filter f = {.address = a.address ? a.address : addr};
    st = mm_store_each_event(c->store, &f, on_event, &h);
    if (h.format == OUT_JSON) {
        jw_put(&w, h.n ? "]" : "[]", h.n ? 1 : 2);
        jw_end(&w);
    } else if (h.n == 0) {
        mm_buf_printf(&h.out, "  %s\n", _("no bounce on record"));
    }
    free_info(&a);
    if (st != MM_OK) {
        mm_buf_free(&h.out);
        return log_dberr(c, st, "history");
    }
    log_flush(&h.out, stdout);
    mm_buf_free(&h.out);
    return LOG_OK;
}

/* ---- note ---- */

static void note_usage(FILE *fp)
{
    fprintf(fp,
            _("Usage: %s log note ADDRESS [--fix TEXT] [--outcome WHAT] [--corrected NEW]"
              " [--note TEXT]\n"
              "Record what you did about an address that bounced: the fix tried, the outcome, the\n"
              "corrected address.\n\n"),
            progname);
    fputs(_("      --fix=TEXT        the fix tried (\"confirmed new address via LinkedIn\")\n"
            "      --outcome=WHAT    resolved, still_failing or contact_lost (resolved makes the\n"
            "                        address active again)\n"
            "      --corrected=NEW   the corrected address (linked to the old one)\n"
            "      --note=TEXT       free text\n"
            "  -h, --help            show this help\n"),
          fp);
}

int log_note(logctx *c, int argc, char **argv)
{
    static const struct option lo[] = {{"fix", required_argument, NULL, 'F'},
                                       {"outcome", required_argument, NULL, 'O'},
                                       {"corrected", required_argument, NULL, 'C'},
                                       {"note", required_argument, NULL, 'n'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    mm_annotation an = {NULL, NULL, NULL, NULL};
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "n:h", lo, NULL)) != -1;) {
        switch (ch) {
        case 'F':
            an.fix = optarg;
            break;
        case 'O':
            an.outcome = optarg;
            break;
        case 'C':
            an.corrected = optarg;
            break;
        case 'n':
            an.note = optarg;
            break;
        case 'h':
            note_usage(stdout);
            return LOG_OK;
        default:
            note_usage(stderr);
            return LOG_USAGE;
        }
    }
    if (optind + 1 != argc) {
        log_warnx(_("give one address"));
        return LOG_USAGE;
    }
    const char *addr = argv[optind];
    if (!an.fix && !an.outcome && !an.corrected && !an.note) {
        log_warnx(_("nothing to record: give --fix, --outcome, --corrected or --note"));
        return LOG_USAGE;
    }
    if (an.outcome && strcmp(an.outcome, MM_OUTCOME_RESOLVED) != 0 &&
        strcmp(an.outcome, MM_OUTCOME_FAILING) != 0 && strcmp(an.outcome, MM_OUTCOME_LOST) != 0) {
        log_warnx(_("unknown outcome '%s' (resolved, still_failing or contact_lost)"), an.outcome);
        return LOG_USAGE;
    }
    const char *bad = !log_addr_ok(addr)                                              ? addr
                      : an.corrected && an.corrected[0] && !log_addr_ok(an.corrected) ? an.corrected
                                                                                      : NULL;
    if (bad) {
        log_warnx(_("'%s' is not an email address"), bad);
        return LOG_USAGE;
    }
    if (!log_store(c))
        return LOG_DBERR;
    mm_status_t st = mm_store_annotate(c->store, addr, &an, c->now);
    if (st != MM_OK)
        return log_dberr(c, st, "note");
    return LOG_OK;
}

/* ---- contacts import ---- */

typedef struct cbatch {
    mm_buf bytes;
    size_t off[1000][3]; /* address, source, name */
    mm_contact c[1000];
    size_t n, changed, total;
} cbatch;

static mm_status_t cflush(logctx *c, cbatch *b)
{
    if (!b->n)
        return MM_OK;
    for (size_t i = 0; i < b->n; i++)
        b->c[i] = (mm_contact){b->bytes.data + b->off[i][0], b->bytes.data + b->off[i][1],
                               b->bytes.data + b->off[i][2]};
    size_t changed = 0;
    mm_status_t st = mm_store_add_contacts(c->store, b->c, b->n, &changed);
    b->changed += changed;
    b->total += b->n;
    b->n = 0;
    mm_buf_reset(&b->bytes);
    return st;
}

static mm_status_t cadd(logctx *c, cbatch *b, const char *addr, const char *src, const char *name)
{
    const char *v[3] = {addr, src, name};
    for (size_t k = 0; k < 3; k++) {
        b->off[b->n][k] = b->bytes.len;
        if (mm_buf_puts(&b->bytes, v[k]) != MM_OK || mm_buf_putc(&b->bytes, '\0') != MM_OK)
            return MM_ENOMEM;
    }
    return ++b->n == 1000 ? cflush(c, b) : MM_OK;
}

static long header_index(const lr *r, const char *const *names)
{
    size_t n;
    const char *const *h = lr_header(r, &n);
    for (size_t k = 0; names[k]; k++)
        for (size_t i = 0; i < n; i++)
            if (strcasecmp(h[i], names[k]) == 0)
                return (long)i;
    return -1;
}

/* Open the CSV on the address column: the one named, or the first of the
 * usual names that the header has. */
static lr *open_contacts(FILE *fp, const char *path, const char *col)
{
    static const char *const guesses[] = {"email", "e-mail",   "address",  "email address", "mail",
                                          "邮箱",  "邮件地址", "电子邮件", "邮箱地址",      NULL};
    char err[768] = "";
    for (size_t i = 0; col ? i == 0 : guesses[i] != NULL; i++) {
        rewind(fp);
        lr *r = lr_open(fp, col ? col : guesses[i], err, sizeof err);
        if (r)
            return r;
    }
    if (col)
        log_warnx("%s: %s", path, err);
    else
        log_warnx(_("%s: no address column found (tried email, address, 邮箱 ...); "
                    "name it with --address-column"),
                  path);
    return NULL;
}

static void contacts_usage(FILE *fp)
{
    fprintf(fp,
            _("Usage: %s log contacts import FILE.csv|- [OPTION]...\n"
              "Import contacts with their source (trade show, Alibaba.com inquiry, website,\n"
              "purchased list...) so that statistics can be cut by source.\n\n"),
            progname);
    fputs(_("      --address-column=NAME  the address column (default: email, address, 邮箱 ...)\n"
            "      --source-column=NAME   the source column (default: source, 来源, channel)\n"
            "      --name-column=NAME     the name column (default: name, 姓名)\n"
            "      --source=TEXT          the source of rows that name none\n"
            "  -h, --help                 show this help\n"),
          fp);
}

int log_contacts(logctx *c, int argc, char **argv)
{
    static const struct option lo[] = {{"address-column", required_argument, NULL, 'a'},
                                       {"source-column", required_argument, NULL, 's'},
                                       {"name-column", required_argument, NULL, 'n'},
                                       {"source", required_argument, NULL, 'S'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *acol = NULL, *scol = NULL, *ncol = NULL, *source = "";
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "h", lo, NULL)) != -1;) {
        switch (ch) {
        case 'a':
            acol = optarg;
            break;
        case 's':
            scol = optarg;
            break;
        case 'n':
            ncol = optarg;
            break;
        case 'S':
            source = optarg;
            break;
        case 'h':
            contacts_usage(stdout);
            return LOG_OK;
        default:
            contacts_usage(stderr);
            return LOG_USAGE;
        }
    }
    if (optind + 2 != argc || strcmp(argv[optind], "import") != 0) {
        contacts_usage(stderr);
        return LOG_USAGE;
    }
    const char *path = argv[optind + 1];
    FILE *fp = log_open_input(path);
    if (!fp)
        return LOG_USAGE;
    lr *r = open_contacts(fp, path, acol);
    static const char *const snames[] = {"source", "来源", "channel", "渠道", "客户来源", NULL};
    static const char *const nnames[] = {"name", "姓名", "contact", "联系人", NULL};
    const char *sone[] = {scol, NULL}, *none[] = {ncol, NULL};
    long si = r ? header_index(r, scol ? sone : snames) : -1;
    long ni = r ? header_index(r, ncol ? none : nnames) : -1;
    if (r && scol && si < 0) {
        log_warnx(_("%s: no column named '%s'"), path, scol);
        lr_free(r);
        r = NULL;
    }
    if (!r || !log_store(c)) {
        lr_free(r);
        fclose(fp);
        return r ? LOG_DBERR : LOG_USAGE;
    }
    cbatch *b = calloc(1, sizeof *b);
    mm_status_t st = b ? MM_OK : MM_ENOMEM;
    unsigned long long skipped = 0;
    lr_rec rec;
    for (int k; st == MM_OK && (k = lr_next(r, &rec)) > 0;) {
        if (!log_addr_ok(rec.addr)) {
            log_warnx(_("%s:%zu: not an email address; skipped"), path, rec.line);
            skipped++;
            continue;
        }
        const char *s =
            si >= 0 && (size_t)si < rec.nfields && rec.fields[si][0] ? rec.fields[si] : source;
        const char *nm = ni >= 0 && (size_t)ni < rec.nfields ? rec.fields[ni] : "";
        st = cadd(c, b, rec.addr, s, nm);
    }
    if (st == MM_OK)
        st = cflush(c, b);
    lr_free(r);
    fclose(fp);
    size_t total = b ? b->total : 0;
    if (b)
        mm_buf_free(&b->bytes);
    free(b);
    if (st != MM_OK)
        return log_dberr(c, st, "contacts import");
    log_info(_("%zu contacts imported, %llu rows skipped"), total, skipped);
    return skipped ? LOG_NOSEND : LOG_OK;
}
