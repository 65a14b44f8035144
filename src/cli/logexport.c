/*
 * logexport.c - `mailmedic log export`: the log given back as the
 * spreadsheet people used to keep by hand (seed 004).
 *
 * CSV: one row per stored bounce event, with a header row, UTF-8 (--bom
 * for Excel), the formula guard of fmt.c.  XLSX (libxlsxwriter, constant
 * memory mode: rows are streamed to the file, not kept): a sheet with the
 * log (times as real Excel dates), one with the suppression list (and the
 * soft-bounced addresses waiting for a retry), one with the statistics;
 * headers in the chosen language, column widths set, header row frozen,
 * autofilter on.  The user's notes (fix, outcome, corrected address) and
 * the contact's source live on the address, so the addresses are read
 * into a hash table first and joined to each event as it streams by.
 * Columns are a stable format: docs/FORMATS.md, "log export".
 */
#include <errno.h>
#include <getopt.h>
#include <mailmedic/mailmedic.h>
#include <mailmedic/stats.h>
#include <stdlib.h>
#include <string.h>
#include <xlsxwriter.h>
#include "../lib/stats/intern.h"
#include "cli.h"
#include "fmt.h"
#include "logcmd.h"

#define XLSX_MAX_ROWS 1048575u /* Excel's limit, less the header */

/* ---- the addresses, for the join ---- */

typedef struct anote {
    const char *source, *fix, *outcome, *corrected, *note, *why;
    int state;
} anote;

typedef struct amap {
    st_pool pool;
    st_intern t;
    bool oom;
} amap;

static const char *keep(amap *m, const char *s)
{
    if (!s || !*s)
        return "";
    const char *c = st_pool_strndup(&m->pool, s, strlen(s));
    if (!c)
        m->oom = true;
    return c ? c : "";
}

static int on_addr(void *arg, const mm_address_info *a)
{
    amap *m = arg;
    int isnew;
    size_t n = strlen(a->address);
    int64_t id = st_intern_get(&m->t, a->address, n, st_hash(a->address, n), &isnew);
    if (id < 0) {
        m->oom = true;
        return 1;
    }
    anote *x = st_data(&m->t, (uint32_t)id);
    *x = (anote){keep(m, a->source), keep(m, a->fix), keep(m, a->outcome), keep(m, a->corrected),
                 keep(m, a->note),   keep(m, a->why), (int)a->state};
    return m->oom;
}

static const anote *lookup(amap *m, const char *addr)
{
    static const anote none = {"", "", "", "", "", "", 0};
    int isnew;
    size_t n = strlen(addr);
    /* a miss interns the address (zeroed payload): cheaper than a second API */
    int64_t id = st_intern_get(&m->t, addr, n, st_hash(addr, n), &isnew);
    const anote *x = id >= 0 ? st_data(&m->t, (uint32_t)id) : NULL;
    return x && !isnew && x->source ? x : &none; /* a miss seen before has a zeroed payload */
}

/* ---- CSV ---- */

static const char *const event_cols[] = {
    "time",       "address", "domain",    "action",     "reason",     "category",
    "severity",   "hard",    "status",    "reply_code", "diagnostic", "provider",
    "remote_mta", "mta",     "subject",   "message_id", "origin",     "source",
    "fix",        "outcome", "corrected", "note",       "key",        NULL};

typedef struct exprun {
    logctx *c;
    amap map;
    mm_buf out;
    FILE *fp;
    bool write_ok;
    unsigned long long n;
    /* xlsx */
    lxw_worksheet *ws;
    lxw_format *date, *pctf, *bold;
    bool truncated;
} exprun;

static const char *domain_of(const char *addr)
{
    const char *at = strrchr(addr, '@');
    return at ? at + 1 : "";
}

static int on_event_csv(void *arg, const mm_event *e)
{
    exprun *x = arg;
    const anote *a = lookup(&x->map, e->address);
    char when[40], code[16] = "";
    log_iso_time(e->time, when, sizeof when);
    if (e->reply_code)
        snprintf(code, sizeof code, "%d", e->reply_code);
    const char *v[] = {when,
                       e->address,
                       domain_of(e->address),
                       e->action,
                       mm_reason_tostr(e->reason),
                       mm_category_tostr(e->category),
                       mm_severity_tostr(e->severity),
                       e->hard ? "true" : "false",
                       e->status,
                       code,
                       e->diagnostic,
                       e->provider,
                       e->remote_mta,
                       e->mta,
                       e->subject,
                       e->message_id,
                       e->origin,
                       a->source,
                       a->fix,
                       a->outcome,
                       a->corrected,
                       a->note,
                       e->key};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
        csv_field(&x->out, v[i] ? v[i] : "", i == 0);
    mm_buf_puts(&x->out, "\r\n");
    x->n++;
    if (x->out.len > (256u << 10))
        x->write_ok = log_flush(&x->out, x->fp) && x->write_ok;
    return 0;
}

static int export_csv(exprun *x, bool bom)
{
    if (bom)
        mm_buf_puts(&x->out, "\xEF\xBB\xBF");
    for (size_t i = 0; event_cols[i]; i++)
        csv_field(&x->out, event_cols[i], i == 0);
    mm_buf_puts(&x->out, "\r\n");
    mm_status_t st = mm_store_each_event(x->c->store, NULL, on_event_csv, x);
    x->write_ok = log_flush(&x->out, x->fp) && x->write_ok;
    return st == MM_OK ? LOG_OK : log_dberr(x->c, st, "export");
}

/* ---- XLSX ---- */

/* Headers are English msgids; the catalog (po/zh_CN.po) gives the Chinese. */
typedef struct col {
    const char *msgid;
    double width;
} col;

/* When you change a sheet's columns, also update docs/FORMATS.md. */
static const col log_sheet[] = {{N_("Time"), 18},
                                {N_("Address"), 30},
                                {N_("Domain"), 18},
                                {N_("Reason"), 24},
                                {N_("Reason code"), 14},
                                {N_("Category"), 18},
                                {N_("Hard/soft"), 10},
                                {N_("Status"), 8},
                                {N_("Reply code"), 8},
                                {N_("Diagnostic"), 60},
                                {N_("Provider"), 12},
                                {N_("Source"), 16},
                                {N_("Fix tried"), 30},
                                {N_("Outcome"), 12},
                                {N_("Corrected address"), 30},
                                {N_("Note"), 30},
                                {NULL, 0}};

static const col supp_sheet[] = {{N_("Address"), 30},
                                 {N_("State"), 14},
                                 {N_("Why"), 24},
                                 {N_("Last reason"), 24},
                                 {N_("Last bounce"), 18},
                                 {N_("Retry at"), 18},
                                 {N_("Hard bounces"), 10},
                                 {N_("Soft bounces"), 10},
                                 {N_("Source"), 16},
                                 {N_("Fix tried"), 30},
                                 {N_("Outcome"), 12},
                                 {N_("Corrected address"), 30},
                                 {N_("Note"), 30},
                                 {NULL, 0}};

static const col stats_sheet[] = {{N_("Table"), 22},
                                  {N_("Item"), 28},
                                  {N_("Bounces"), 10},
                                  {N_("Hard"), 10},
                                  {N_("Soft"), 10},
                                  {N_("Complaints"), 10},
                                  {N_("Addresses"), 10},
                                  {N_("Hard-bounced addresses"), 12},
                                  {N_("Share"), 10},
                                  {N_("Contacts"), 10},
                                  {N_("Hard-bounce rate"), 12},
                                  {N_("Sent (MTA)"), 12},
                                  {N_("Bounced (MTA)"), 12},
                                  {N_("Deferred (MTA)"), 12},
                                  {N_("Bounce rate"), 10},
                                  {N_("Previous period"), 12},
                                  {N_("Change"), 10},
                                  {NULL, 0}};

static const char *const sheet_names[] = {
    N_("Bounce log"),
    N_("Suppression list"),
    N_("Statistics"),
};

static lxw_worksheet *add_sheet(exprun *x, lxw_workbook *wb, int which, const col *cols)
{
    lxw_worksheet *ws = workbook_add_worksheet(wb, _(sheet_names[which]));
    if (!ws)
        return NULL;
    lxw_col_t n = 0;
    for (; cols[n].msgid; n++) {
        worksheet_set_column(ws, n, n, cols[n].width, NULL);
        worksheet_write_string(ws, 0, n, _(cols[n].msgid), x->bold);
    }
    worksheet_freeze_panes(ws, 1, 0);
    return ws;
}

/* A string cell: valid UTF-8, nothing for "". */
static void put_str(lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s)
{
    if (!s || !*s)
        return;
    mm_buf tmp = MM_BUF_INIT;
    worksheet_write_string(ws, r, c, utf8_clean(s, &tmp), NULL);
    mm_buf_free(&tmp);
}

static bool room(exprun *x)
{
    if (x->n < XLSX_MAX_ROWS)
        return true;
    x->truncated = true;
    return false;
}

static int on_event_xlsx(void *arg, const mm_event *e)
{
    exprun *x = arg;
    if (!room(x))
        return 1;
    const anote *a = lookup(&x->map, e->address);
    lxw_row_t r = (lxw_row_t)++x->n;
    lxw_worksheet *ws = x->ws;
    worksheet_write_unixtime(ws, r, 0, e->time, x->date);
    put_str(ws, r, 1, e->address);
    put_str(ws, r, 2, domain_of(e->address));
    put_str(ws, r, 3, out_reason_label(e->reason));
    put_str(ws, r, 4, mm_reason_tostr(e->reason));
    put_str(ws, r, 5, out_category_label(e->category));
    put_str(ws, r, 6, e->hard ? _("hard bounce") : _("soft"));
    put_str(ws, r, 7, e->status);
    if (e->reply_code)
        worksheet_write_number(ws, r, 8, e->reply_code, NULL);
    put_str(ws, r, 9, e->diagnostic);
    put_str(ws, r, 10, e->provider);
    put_str(ws, r, 11, a->source);
    put_str(ws, r, 12, a->fix);
    put_str(ws, r, 13, log_outcome_label(a->outcome));
    put_str(ws, r, 14, a->corrected);
    put_str(ws, r, 15, a->note);
    return 0;
}

static int on_supp_xlsx(void *arg, const mm_address_info *a)
{
    exprun *x = arg;
    if (!room(x))
        return 1;
    lxw_row_t r = (lxw_row_t)++x->n;
    lxw_worksheet *ws = x->ws;
    put_str(ws, r, 0, a->address);
    put_str(ws, r, 1, log_state_label(a->state));
    put_str(ws, r, 2, log_why_label(a->why));
    if (a->last_bounce) {
        put_str(ws, r, 3, out_reason_label(a->last_reason));
        worksheet_write_unixtime(ws, r, 4, a->last_bounce, x->date);
    }
    if (a->state == MM_ADDR_SOFT && a->retry_at)
        worksheet_write_unixtime(ws, r, 5, a->retry_at, x->date);
    worksheet_write_number(ws, r, 6, a->hard_count, NULL);
    worksheet_write_number(ws, r, 7, a->soft_count, NULL);
    put_str(ws, r, 8, a->source);
    put_str(ws, r, 9, a->fix);
    put_str(ws, r, 10, log_outcome_label(a->outcome));
    put_str(ws, r, 11, a->corrected);
    put_str(ws, r, 12, a->note);
    return 0;
}

static void num_or_blank(exprun *x, lxw_row_t r, lxw_col_t c, double v, bool israte)
{
    if (israte && v < 0)
        return;
    worksheet_write_number(x->ws, r, c, v, israte ? x->pctf : NULL);
}

static void stats_rows(exprun *x, const mm_stats *s)
{
    for (int t = 0; t < MM_STATS_TABLE_COUNT_; t++) {
        for (size_t i = 0; i < mm_stats_count(s, (mm_stats_table)t); i++) {
            const mm_stats_row *w = mm_stats_get(s, (mm_stats_table)t, i);
            lxw_row_t r = (lxw_row_t)++x->n;
            put_str(x->ws, r, 0, log_stats_title((mm_stats_table)t));
            put_str(x->ws, r, 1, w->key[0] ? w->key : "-");
            double v[] = {(double)w->events,     (double)w->hard,      (double)w->soft,
                          (double)w->complaints, (double)w->addresses, (double)w->hard_addresses};
            for (size_t k = 0; k < 6; k++)
                num_or_blank(x, r, (lxw_col_t)(2 + k), v[k], false);
            if (t != MM_STATS_TREND)
                num_or_blank(x, r, 8, w->share, true);
            num_or_blank(x, r, 9, (double)w->contacts, false);
            num_or_blank(x, r, 10, w->hard_rate, true);
            num_or_blank(x, r, 11, (double)w->sent, false);
            num_or_blank(x, r, 12, (double)w->bounced, false);
            num_or_blank(x, r, 13, (double)w->deferred, false);
            num_or_blank(x, r, 14, w->bounce_rate, true);
            if (t == MM_STATS_TREND) {
                num_or_blank(x, r, 15, (double)w->previous, false);
                if (w->has_change)
                    worksheet_write_number(x->ws, r, 16, w->change, x->pctf);
            }
        }
    }
}

static lxw_col_t ncols(const col *c)
{
    lxw_col_t n = 0;
    while (c[n].msgid)
        n++;
    return n;
}

static int export_xlsx(exprun *x, const char *path)
{
    lxw_workbook_options wo = {.constant_memory = LXW_TRUE, .tmpdir = NULL};
    lxw_workbook *wb = workbook_new_opt(path, &wo);
    if (!wb) {
        log_warnx(_("%s: cannot create the workbook"), path);
        return LOG_USAGE;
    }
    x->bold = workbook_add_format(wb);
    format_set_bold(x->bold);
    x->date = workbook_add_format(wb);
    format_set_num_format(x->date, "yyyy-mm-dd hh:mm:ss");
    x->pctf = workbook_add_format(wb);
    format_set_num_format(x->pctf, "0.0%");

    mm_stats *s = NULL;
    int rc = log_stats_compute(x->c, 0, 0, MM_STATS_MONTH, 20, &s);
    mm_status_t st = MM_OK;
    if (rc == LOG_OK && (x->ws = add_sheet(x, wb, 0, log_sheet))) {
        x->n = 0;
        st = mm_store_each_event(x->c->store, NULL, on_event_xlsx, x);
        worksheet_autofilter(x->ws, 0, 0, (lxw_row_t)x->n, ncols(log_sheet) - 1);
    }
    unsigned long long events = x->n;
    if (rc == LOG_OK && st == MM_OK && (x->ws = add_sheet(x, wb, 1, supp_sheet))) {
        x->n = 0;
        mm_address_filter f = {1u << MM_ADDR_SUPPRESSED | 1u << MM_ADDR_SOFT, 0};
        st = mm_store_each_address(x->c->store, &f, on_supp_xlsx, x);
        worksheet_autofilter(x->ws, 0, 0, (lxw_row_t)x->n, ncols(supp_sheet) - 1);
    }
    if (rc == LOG_OK && st == MM_OK && (x->ws = add_sheet(x, wb, 2, stats_sheet))) {
        x->n = 0;
        stats_rows(x, s);
        worksheet_autofilter(x->ws, 0, 0, (lxw_row_t)x->n, ncols(stats_sheet) - 1);
    }
    mm_stats_free(s);
    lxw_error e = workbook_close(wb);
    if (rc != LOG_OK)
        return rc;
    if (st != MM_OK)
        return log_dberr(x->c, st, "export");
    if (e != LXW_NO_ERROR) {
        log_warnx(_("%s: cannot write the workbook: %s"), path, lxw_strerror(e));
        return LOG_DBERR;
    }
    if (x->truncated)
        log_warnx(_("a sheet holds at most %u rows; the rest was left out (use --format csv)"),
                  XLSX_MAX_ROWS);
    x->n = events;
    return LOG_OK;
}

static void export_usage(FILE *fp)
{
    fprintf(fp,
            _("Usage: %s log export [--format csv|xlsx] [--output FILE] [--bom]\n"
              "The bounce log as a spreadsheet.  csv: one row per stored bounce event, with\n"
              "a header row (to standard output or FILE).  xlsx (needs --output): sheets with\n"
              "the log, the suppression list and the statistics; Chinese headers under\n"
              "--lang zh.\n\n"),
            progname);
    fputs(_("  -f, --format=FMT   csv (default) or xlsx\n"
            "  -o, --output=FILE  write to FILE\n"
            "      --bom          CSV: start with a UTF-8 byte order mark (for Excel)\n"
            "  -h, --help         show this help\n"),
          fp);
}

int log_export(logctx *c, int argc, char **argv)
{
    static const struct option lo[] = {{"format", required_argument, NULL, 'f'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"bom", no_argument, NULL, 'b'},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
    const char *output = NULL;
    bool xlsx = false, bom = false;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "f:o:h", lo, NULL)) != -1;) {
        if (ch == 'f' && (strcmp(optarg, "csv") == 0 || strcmp(optarg, "xlsx") == 0)) {
            xlsx = strcmp(optarg, "xlsx") == 0;
            continue;
        }
        if (ch == 'o' || ch == 'b') {
            if (ch == 'o')
                output = optarg;
            else
                bom = true;
            continue;
        }
        if (ch == 'f')
            log_warnx(_("unknown format '%s' (csv or xlsx)"), optarg);
        export_usage(ch == 'h' ? stdout : stderr);
        return ch == 'h' ? LOG_OK : LOG_USAGE;
    }
    if (optind < argc) {
        log_warnx(_("unexpected argument '%s'"), argv[optind]);
        return LOG_USAGE;
    }
    if (xlsx && !output) {
        log_warnx(_("--format xlsx needs --output FILE"));
        return LOG_USAGE;
    }
    if (!log_store(c))
        return LOG_DBERR;
    exprun x = {.c = c, .fp = stdout, .write_ok = true};
    st_intern_init(&x.map.t, sizeof(anote), &x.map.pool);
    mm_status_t st = mm_store_each_address(c->store, NULL, on_addr, &x.map);
    int rc = LOG_OK;
    if (st != MM_OK || x.map.oom)
        rc = log_dberr(c, st != MM_OK ? st : MM_ENOMEM, "export");
    else if (xlsx)
        rc = export_xlsx(&x, output);
    else if (output && !(x.fp = fopen(output, "wb"))) {
        log_warnx(_("%s: %s"), output, strerror(errno));
        rc = LOG_USAGE;
    } else {
        rc = export_csv(&x, bom);
        if (output && fclose(x.fp) != 0)
            x.write_ok = false;
        /* standard output's write errors are reported by main (cliout.c) */
        if (rc == LOG_OK && !x.write_ok && output) {
            log_warnx(_("%s: write error: %s"), output, strerror(errno));
            rc = LOG_DBERR;
        }
    }
    mm_buf_free(&x.out);
    st_intern_free(&x.map.t);
    st_pool_free(&x.map.pool);
    if (rc == LOG_OK && output)
        log_info(_("%llu events written to %s"), x.n, output);
    return rc;
}
