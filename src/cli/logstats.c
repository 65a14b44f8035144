/*
 * logstats.c - `mailmedic log stats`: the store's rows fed to the stats
 * module (src/lib/stats), then its tables printed as aligned text (column
 * widths by text_width, so Chinese labels line up), JSON Lines (one object
 * per table row, with a "table" field) or CSV (a "table" column).  The
 * JSON/CSV columns are a stable format: docs/FORMATS.md, "log stats".
 */
#include <getopt.h>
#include <mailmedic/mailmedic.h>
#include <mailmedic/stats.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"
#include "fmt.h"
#include "logcmd.h"

int log_stats_compute(logctx *c, int64_t since, int64_t until, int bucket, size_t top,
                      mm_stats **out)
{
    mm_stats_query q = {
        .since = since, .until = until, .bucket = (mm_stats_bucket)bucket, .top = top};
    *out = NULL;
    mm_stats *s = NULL;
    mm_status_t st = mm_stats_create(&q, &s);
    if (st != MM_OK) {
        log_warnx(_("bad period: %s"), mm_strerror(st));
        return LOG_USAGE;
    }
    if (!log_store(c)) {
        mm_stats_free(s);
        return LOG_DBERR;
    }
    int64_t from, to;
    mm_stats_fetch_range(s, &from, &to);
    st = mm_store_each_stat_row(c->store, from, to, mm_stats_row_cb, s);
    if (st == MM_OK)
        st = mm_store_each_delivery_count(c->store, from, to, mm_stats_delivery_cb, s);
    if (st == MM_OK)
        st = mm_store_each_source_count(c->store, mm_stats_source_cb, s);
    if (st != MM_OK) {
        mm_stats_free(s);
        return log_dberr(c, st, "stats");
    }
    if ((st = mm_stats_finish(s)) != MM_OK) {
        mm_stats_free(s);
        log_warnx("stats: %s", mm_strerror(st));
        return LOG_DBERR;
    }
    *out = s;
    return LOG_OK;
}

/* ---- machine formats ---- */

static const char *const stat_cols[] = {
    "table",          "key",      "events",   "hard",      "soft", "complaints", "addresses",
    "hard_addresses", "share",    "contacts", "hard_rate", "sent", "bounced",    "deferred",
    "bounce_rate",    "previous", "change",   NULL};

/* A rate with 4 decimals, or "" when unknown. */
static void rate(char *buf, size_t n, double v, bool known)
{
    if (!known || v < 0 || isnan(v))
        buf[0] = '\0';
    else
        snprintf(buf, n, "%.4f", v);
}

static void machine_row(out_format f, mm_buf *b, mm_stats_table t, const mm_stats_row *r)
{
    bool trend = t == MM_STATS_TREND;
    char num[8][32], rates[4][32];
    long ints[] = {r->events,    r->hard,           r->soft,     r->complaints,
                   r->addresses, r->hard_addresses, r->contacts, r->sent};
    for (size_t i = 0; i < 8; i++)
        snprintf(num[i], sizeof num[i], "%ld", ints[i]);
    rate(rates[0], 32, r->share, !trend);
    rate(rates[1], 32, r->hard_rate, true);
    rate(rates[2], 32, r->bounce_rate, true);
    if (trend && r->has_change)
        snprintf(rates[3], 32, "%.4f", r->change);
    else
        rates[3][0] = '\0';
    char bounced[32], deferred[32], previous[32];
    snprintf(bounced, sizeof bounced, "%ld", r->bounced);
    snprintf(deferred, sizeof deferred, "%ld", r->deferred);
    snprintf(previous, sizeof previous, "%ld", r->previous);
    const char *v[] = {mm_stats_table_tostr(t),
                       r->key,
                       num[0],
                       num[1],
                       num[2],
                       num[3],
                       num[4],
                       num[5],
                       rates[0],
                       num[6],
                       rates[1],
                       num[7],
                       bounced,
                       deferred,
                       rates[2],
                       trend ? previous : "",
                       rates[3]};
    if (f == OUT_CSV) {
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
            csv_field(b, v[i], i == 0);
        mm_buf_puts(b, "\r\n");
        return;
    }
    jw w = jw_begin(b);
    for (size_t i = 0; stat_cols[i]; i++) {
        if (i < 2)
            jw_str(&w, stat_cols[i], v[i]);
        else if (v[i][0])
            jw_raw(&w, stat_cols[i], v[i]);
        else
            jw_raw(&w, stat_cols[i], "null");
    }
    jw_end(&w);
}

/* ---- text tables ---- */

#define MAXCOL 9

typedef struct tbl {
    size_t ncol, nrow, cap;
    char **cells; /* nrow * ncol, row 0 = header */
} tbl;

static void tbl_add(tbl *t, const char *const *v)
{
    if (t->nrow == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **p = realloc(t->cells, cap * t->ncol * sizeof *p);
        if (!p)
            return;
        t->cells = p;
        t->cap = cap;
    }
    for (size_t i = 0; i < t->ncol; i++)
        t->cells[t->nrow * t->ncol + i] = strdup(v[i] ? v[i] : "");
    t->nrow++;
}

/* First column left-aligned, numbers right-aligned, by display width. */
static void tbl_print(tbl *t, mm_buf *b)
{
    size_t w[MAXCOL] = {0};
    for (size_t r = 0; r < t->nrow; r++)
        for (size_t i = 0; i < t->ncol; i++) {
            const char *s = t->cells[r * t->ncol + i];
            size_t x = s ? text_width(s) : 0;
            if (x > w[i])
                w[i] = x;
        }
    for (size_t r = 0; r < t->nrow; r++) {
        mm_buf_puts(b, "  ");
        for (size_t i = 0; i < t->ncol; i++) {
            const char *s = t->cells[r * t->ncol + i];
            s = s ? s : "";
            size_t pad = w[i] - text_width(s);
            if (i == 0) {
                mm_buf_puts(b, s);
                mm_buf_printf(b, "%*s", (int)pad, "");
            } else {
                mm_buf_printf(b, "  %*s%s", (int)pad, "", s);
            }
        }
        mm_buf_putc(b, '\n');
    }
    for (size_t i = 0; i < t->nrow * t->ncol; i++)
        free(t->cells[i]);
    free(t->cells);
    memset(t, 0, sizeof *t);
}

static void pct(char *buf, size_t n, double v)
{
    if (v < 0 || isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.1f%%", v * 100);
}

static const char *key_label(mm_stats_table t, const char *key, char *buf, size_t n)
{
    if (t == MM_STATS_REASON || t == MM_STATS_CATEGORY) {
        mm_reason_t r;
        if (t == MM_STATS_REASON && mm_reason_parse(key, &r) == MM_OK) {
            snprintf(buf, n, "%s (%s)", out_reason_label(r), key);
            return buf;
        }
        for (int c = 0; c < MM_CATEGORY_COUNT_; c++)
            if (strcmp(mm_category_tostr((mm_category_t)c), key) == 0) {
                snprintf(buf, n, "%s (%s)", out_category_label((mm_category_t)c), key);
                return buf;
            }
    }
    if (t == MM_STATS_TREND) {
        static const char *const k[] = {"events",     "hard",      "soft",
                                        "complaints", "addresses", "hard_addresses"};
        const char *l[] = {_("bounces"),    _("hard bounces"), _("soft bounces"),
                           _("complaints"), _("addresses"),    _("hard-bounced addresses")};
        for (size_t i = 0; i < 6; i++)
            if (strcmp(key, k[i]) == 0)
                return l[i];
    }
    if (!key[0])
        return t == MM_STATS_SOURCE ? _("(no source)") : _("(unknown)");
    return key;
}

/* A statistics table's title, translated: the text report and the XLSX share it. */
const char *log_stats_title(mm_stats_table t)
{
    static const char *const titles[MM_STATS_TABLE_COUNT_] = {
        N_("Totals"),
        N_("By reason"),
        N_("By category"),
        N_("By recipient domain"),
        N_("By provider"),
        N_("By source"),
        N_("Over time"),
        N_("Top failing domains"),
        N_("Trend against the previous period")};
    return (unsigned)t < MM_STATS_TABLE_COUNT_ ? _(titles[t]) : "";
}

static void text_table(const mm_stats *s, mm_stats_table t, mm_buf *b)
{
    size_t n = mm_stats_count(s, t);
    if (n == 0 || t == MM_STATS_DOMAIN || t == MM_STATS_TOTALS)
        return;
    mm_buf_printf(b, "\n%s\n", log_stats_title(t));
    tbl tb = {0};
    const char *h[MAXCOL];
    switch (t) {
    case MM_STATS_SOURCE:
        tb.ncol = 6;
        h[0] = _("source"), h[1] = _("contacts"), h[2] = _("bounces"), h[3] = _("addresses"),
        h[4] = _("hard-bounced"), h[5] = _("hard-bounce rate");
        break;
    case MM_STATS_TIME:
        tb.ncol = 7;
        h[0] = _("period"), h[1] = _("bounces"), h[2] = _("hard"), h[3] = _("soft"),
        h[4] = _("sent (MTA)"), h[5] = _("bounced (MTA)"), h[6] = _("bounce rate");
        break;
    case MM_STATS_TOP_DOMAINS:
        tb.ncol = 7;
        h[0] = _("domain"), h[1] = _("bounces"), h[2] = _("addresses"), h[3] = _("hard-bounced"),
        h[4] = _("sent (MTA)"), h[5] = _("bounced (MTA)"), h[6] = _("bounce rate");
        break;
    case MM_STATS_TREND:
        tb.ncol = 4;
        h[0] = "", h[1] = _("this period"), h[2] = _("previous"), h[3] = _("change");
        break;
    default:
        tb.ncol = 6;
        h[0] = t == MM_STATS_REASON     ? _("reason")
               : t == MM_STATS_CATEGORY ? _("category")
                                        : _("provider");
        h[1] = _("bounces"), h[2] = _("share"), h[3] = _("hard"), h[4] = _("soft"),
        h[5] = _("complaints");
        break;
    }
    tbl_add(&tb, h);
    for (size_t i = 0; i < n; i++) {
        const mm_stats_row *r = mm_stats_get(s, t, i);
        char c[MAXCOL][64], kb[160];
        const char *v[MAXCOL];
        v[0] = key_label(t, r->key, kb, sizeof kb);
        for (size_t k = 1; k < MAXCOL; k++)
            v[k] = c[k];
        if (t == MM_STATS_SOURCE) {
            long x[] = {r->contacts, r->events, r->addresses, r->hard_addresses};
            for (size_t k = 0; k < 4; k++)
                snprintf(c[k + 1], 64, "%ld", x[k]);
            pct(c[5], 64, r->hard_rate);
        } else if (t == MM_STATS_TIME || t == MM_STATS_TOP_DOMAINS) {
            long x[] = {r->events, t == MM_STATS_TIME ? r->hard : r->addresses,
                        t == MM_STATS_TIME ? r->soft : r->hard_addresses, r->sent, r->bounced};
            for (size_t k = 0; k < 5; k++)
                snprintf(c[k + 1], 64, "%ld", x[k]);
            pct(c[6], 64, r->bounce_rate);
        } else if (t == MM_STATS_TREND) {
            snprintf(c[1], 64, "%ld", r->events);
            snprintf(c[2], 64, "%ld", r->previous);
            if (r->has_change)
                snprintf(c[3], 64, "%+.1f%%", r->change * 100);
            else
                snprintf(c[3], 64, "-");
        } else {
            snprintf(c[1], 64, "%ld", r->events);
            pct(c[2], 64, r->share);
            snprintf(c[3], 64, "%ld", r->hard);
            snprintf(c[4], 64, "%ld", r->soft);
            snprintf(c[5], 64, "%ld", r->complaints);
        }
        tbl_add(&tb, v);
    }
    tbl_print(&tb, b);
}

static void text_totals(const mm_stats *s, int64_t since, int64_t until, mm_buf *b)
{
    const mm_stats_row *t = mm_stats_get(s, MM_STATS_TOTALS, 0);
    char from[40], to[40], r[32];
    log_text_time(since, from, sizeof from);
    log_text_time(until, to, sizeof to);
    mm_buf_printf(b, _("Bounce log statistics, %s to %s\n"), since ? from : _("the beginning"),
                  until ? to : _("now"));
    pct(r, sizeof r, t->bounce_rate);
    mm_buf_printf(b,
                  _("  %ld bounces (%ld hard, %ld soft, %ld complaints) from %ld addresses; "
                    "%ld hard-bounced\n"),
                  t->events, t->hard, t->soft, t->complaints, t->addresses, t->hard_addresses);
    if (t->sent || t->bounced)
        mm_buf_printf(b, _("  MTA logs: %ld sent, %ld bounced, %ld deferred; bounce rate %s\n"),
                      t->sent, t->bounced, t->deferred, r);
}

static void stats_usage(FILE *fp)
{
    fprintf(fp,
            _("Usage: %s log stats [OPTION]...\n"
              "Counts and rates by reason, category, recipient domain, provider and source,\n"
              "over time; the top failing domains; the trend against the previous period.\n\n"),
            progname);
    fputs(_("      --since=DATE      from DATE (2026-11-01, 2026-11-01T08:00Z, @UNIX, or 30d for\n"
            "                        30 days ago); with it the trend compares the period with\n"
            "                        the one of the same length before it\n"
            "      --until=DATE      up to DATE, not included (default: now)\n"
            "      --by=BUCKET       day (default), week or month\n"
            "      --top=N           top failing domains to show (default 10)\n"
            "  -f, --format=FMT      text (default), json (JSON Lines) or csv\n"
            "      --bom             CSV: start with a UTF-8 byte order mark (for Excel)\n"
            "  -h, --help            show this help\n"),
          fp);
}

typedef struct stats_args {
    int64_t since, until;
    int bucket;
    size_t top;
} stats_args;

/* The period options shared by stats and export; 1 = consumed, 0 = not
 * ours, -1 = bad value. */
static int period_opt(logctx *c, int ch, const char *arg, stats_args *a)
{
    char *end;
    switch (ch) {
    case 'S':
    case 'U':
        if (!log_parse_time(arg, c->now, ch == 'S' ? &a->since : &a->until)) {
            log_warnx(_("bad time '%s'"), arg);
            return -1;
        }
        return 1;
    case 'B':
        a->bucket = strcmp(arg, "day") == 0     ? MM_STATS_DAY
                    : strcmp(arg, "week") == 0  ? MM_STATS_WEEK
                    : strcmp(arg, "month") == 0 ? MM_STATS_MONTH
                                                : -1;
        if (a->bucket < 0)
            log_warnx(_("unknown bucket '%s' (day, week or month)"), arg);
        return a->bucket < 0 ? -1 : 1;
    case 'T': {
        long n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 100000) {
            log_warnx(_("bad number '%s'"), arg);
            return -1;
        }
        a->top = (size_t)n;
        return 1;
    }
    }
    return 0;
}

int log_stats(logctx *c, int argc, char **argv)
{
    static const struct option lo[] = {
        {"since", required_argument, NULL, 'S'},  {"until", required_argument, NULL, 'U'},
        {"by", required_argument, NULL, 'B'},     {"top", required_argument, NULL, 'T'},
        {"format", required_argument, NULL, 'f'}, {"bom", no_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0}};
    stats_args a = {0, 0, MM_STATS_DAY, 10};
    out_format f = OUT_TEXT;
    bool bom = false;
    optind = 1;
    for (int ch; (ch = getopt_long(argc, argv, "f:h", lo, NULL)) != -1;) {
        int k = period_opt(c, ch, optarg, &a);
        if (k < 0)
            return LOG_USAGE;
        if (k > 0)
            continue;
        if (ch == 'f' && log_parse_format(optarg, &f))
            continue;
        if (ch == 'b') {
            bom = true;
            continue;
        }
        stats_usage(ch == 'h' ? stdout : stderr);
        return ch == 'h' ? LOG_OK : LOG_USAGE;
    }
    if (optind < argc) {
        log_warnx(_("unexpected argument '%s'"), argv[optind]);
        return LOG_USAGE;
    }
    if (a.since && !a.until)
        a.until = c->now;
    mm_stats *s = NULL;
    int rc = log_stats_compute(c, a.since, a.until, a.bucket, a.top, &s);
    if (rc != LOG_OK)
        return rc;
    mm_buf b = MM_BUF_INIT;
    if (f == OUT_TEXT) {
        text_totals(s, a.since, a.until, &b);
        for (int t = 0; t < MM_STATS_TABLE_COUNT_; t++)
            text_table(s, (mm_stats_table)t, &b);
    } else {
        if (f == OUT_CSV) {
            if (bom)
                mm_buf_puts(&b, "\xEF\xBB\xBF");
            for (size_t i = 0; stat_cols[i]; i++)
                csv_field(&b, stat_cols[i], i == 0);
            mm_buf_puts(&b, "\r\n");
        }
        for (int t = 0; t < MM_STATS_TABLE_COUNT_; t++)
            for (size_t i = 0; i < mm_stats_count(s, (mm_stats_table)t); i++) {
                machine_row(f, &b, (mm_stats_table)t, mm_stats_get(s, (mm_stats_table)t, i));
                if (b.len > (64u << 10))
                    log_flush(&b, stdout);
            }
    }
    log_flush(&b, stdout);
    mm_buf_free(&b);
    mm_stats_free(s);
    return LOG_OK;
}
