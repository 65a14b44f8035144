/*
 * verify.c - `mailmedic verify`: check addresses before sending.
 *
 * Addresses come from the command line, or from lists (files or "-"): one
 * per line, or a CSV column chosen with --column whose other columns are
 * kept in the output.  The library's verifier calls back in input order;
 * this file only reads, renders and counts.  Per row, the CLI keeps what it
 * must add to the output (line number, the CSV row) in a ring as large as
 * the verifier's window, so memory stays bounded whatever the list size.
 */
#include <errno.h>
#include <getopt.h>
#include <mailmedic/mailmedic.h>
#include <mailmedic/verify.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "fmt.h"
#include "listread.h"
#include "output.h"

#define WINDOW 2048

typedef struct slot {
    size_t line;
    const char *source;
    char *row;          /* CSV output: the row's own fields, quoted; JSON: "row":{...} */
    const char *row_err; /* a msgid when the row could not be read */
} slot;

typedef struct vrun {
    out_format format;
    bool color;
    bool bom;
    bool progress;
    bool unique;
    const char *column;
    char **header;       /* CSV input: the header to pass through */
    size_t nheader;
    bool header_done;
    slot slots[WINDOW];
    mm_buf out;
    unsigned long long total, verdicts[4], dups, row_errors;
    unsigned long long bytes_total, bytes_done;
    struct timespec last_progress;
    uint64_t *lines;     /* per address: its line, for "repeat of line N" (8 bytes each) */
    size_t nlines, caplines;
} vrun;

enum { OPT_BOM = 256, OPT_OFFLINE, OPT_SMTP, OPT_HELO, OPT_MAIL_FROM, OPT_SMTP_PORT, OPT_DNS,
       OPT_TIMEOUT, OPT_CONCURRENCY, OPT_RFC5322, OPT_UNIQUE, OPT_NO_PROGRESS, OPT_COLUMN,
       OPT_LIST, OPT_NO_STARTTLS, OPT_ALLOW_PRIVATE };

static void usage(FILE *fp)
{
    fprintf(fp, _("Usage: %s verify [OPTION]... ADDRESS...\n"
                  "   or: %s verify [OPTION]... --list FILE|-  (one address per line, or CSV with --column)\n"
                  "Check addresses before sending: syntax, typos, disposable/free/role, the\n"
                  "domain's mail servers over DNS, and (with --smtp) the mailbox itself.\n\n"),
            progname, progname);
    fputs(_("  -f, --format=FMT      text (default), json (JSON Lines) or csv\n"
            "      --bom             CSV: start with a UTF-8 byte order mark (for Excel)\n"
            "  -i, --list=FILE       read addresses from FILE ('-' = standard input); repeatable\n"
            "  -c, --column=NAME     the list is CSV; check the column NAME, keep the others\n"
            "      --unique          print each address once (repeats are always checked once)\n"
            "      --offline         no network: syntax, typos and classes only\n"
            "      --dns=HOST[:PORT] DNS server to ask (default: /etc/resolv.conf)\n"
            "      --timeout=SECONDS DNS time-out of a first try (default 2; doubled on the retry)\n"
            "      --concurrency=N   DNS queries in flight at most (default 500)\n"
            "      --smtp            also ask the mail server about each mailbox (see the man page:\n"
            "                        port 25 is often blocked, and probing can hurt your IP's name)\n"
            "      --helo=NAME       SMTP: the name to introduce ourselves with\n"
            "      --mail-from=ADDR  SMTP: the envelope sender (default: the null sender <>)\n"
            "      --smtp-port=PORT  SMTP: port of the mail servers (default 25)\n"
            "      --no-starttls     SMTP: do not use STARTTLS even when offered\n"
            "      --allow-private   mail servers at loopback or private addresses count as\n"
            "                        usable (an intranet, a test set-up)\n"
            "      --rfc5322         judge syntax as an RFC 5322 addr-spec, not an SMTP mailbox\n"
            "      --no-progress     no progress bar on standard error\n"
            "  -h, --help            show this help\n\n"
            "Exit status: 0 no address is undeliverable, 1 some input could not be read,\n"
            "2 bad command line, 3 internal error, 4 at least one address is undeliverable.\n"),
          fp);
    cli_stdout_usage(fp);
}

/* The line where the address with this id was first seen. */
static size_t first_line(const vrun *run, uint64_t id)
{
    return id && id <= run->nlines ? (size_t)run->lines[id - 1] : 0;
}

/* ---- message formatting ---- */

/* A library msgid with %1$zu (the column) and %2$s (the offending text),
 * translated, with both filled in.  Done by hand so that a translation that
 * drops one of them is still safe. */
static void format_issue(const char *msgid, size_t column, const char *text, mm_buf *b)
{
    const char *s = _(msgid);
    while (*s) {
        if (strncmp(s, "%1$zu", 5) == 0) {
            mm_buf_printf(b, "%zu", column);
            s += 5;
        } else if (strncmp(s, "%2$s", 4) == 0) {
            mm_buf_puts(b, text);
            s += 4;
        } else if (strncmp(s, "%%", 2) == 0) {
            mm_buf_putc(b, '%');
            s += 2;
        } else {
            mm_buf_putc(b, *s++);
        }
    }
}

static const char *verdict_label(mm_verdict v)
{
    switch (v) {
    case MM_VERDICT_DELIVERABLE: return _("deliverable");
    case MM_VERDICT_UNDELIVERABLE: return _("undeliverable");
    case MM_VERDICT_RISKY: return _("risky");
    default: return _("unknown");
    }
}

static const char *verdict_color(mm_verdict v)
{
    switch (v) {
    case MM_VERDICT_DELIVERABLE: return "\033[32m";
    case MM_VERDICT_UNDELIVERABLE: return "\033[31m";
    case MM_VERDICT_RISKY: return "\033[33m";
    default: return "\033[36m";
    }
}

/* ---- JSON ---- */

static void json_issues(jw *w, const char *key, const mm_addr_issue *is, size_t n)
{
    char s = jw_open(w, key, '[');
    mm_buf msg = MM_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        char s2 = jw_open(w, NULL, '{');
        jw_str(w, "code", mm_addr_code_name(is[i].code));
        mm_buf_reset(&msg);
        format_issue(mm_addr_code_message(is[i].code), is[i].column, is[i].text, &msg);
        jw_str(w, "message", mm_buf_str(&msg));
        if (is[i].column)
            jw_int(w, "column", (long long)is[i].column);
        else
            jw_raw(w, "column", "null");
        jw_close(w, '}', s2);
    }
    mm_buf_free(&msg);
    jw_close(w, ']', s);
}

static void json_norms(jw *w, const mm_addr *a)
{
    char s = jw_open(w, "normalized", '[');
    for (unsigned bit = 1; bit && a; bit <<= 1)
        if (a->norms & bit)
            jw_elem_str(w, mm_addr_norm_name(bit));
    jw_close(w, ']', s);
}

static void json_mx(jw *w, const mm_mx_result *mx)
{
    if (!mx) {
        jw_raw(w, "mx", "null");
        return;
    }
    char s = jw_open(w, "mx", '{');
    jw_str(w, "status", mm_mx_status_name(mx->status));
    jw_str(w, "message", _(mm_mx_status_message(mx->status)));
    jw_str(w, "dns", mm_dns_result_name(mx->mx_result));
    jw_bool(w, "null_mx", mx->null_mx);
    jw_bool(w, "implicit_mx", mx->implicit_mx);
    jw_str_or_null(w, "parking", mx->parking);
    char s2 = jw_open(w, "hosts", '[');
    for (size_t i = 0; i < mx->nhosts; i++) {
        const mm_mx_host *h = &mx->hosts[i];
        char s3 = jw_open(w, NULL, '{');
        jw_str(w, "host", h->name);
        jw_int(w, "preference", h->preference);
        jw_str(w, "status", mm_mx_host_status_name(h->status));
        char s4 = jw_open(w, "addresses", '[');
        for (size_t j = 0; j < h->naddrs; j++) {
            char s5 = jw_open(w, NULL, '{');
            jw_str(w, "ip", h->addrs[j].text);
            jw_str(w, "class", mm_ip_class_name(h->addrs[j].klass));
            jw_close(w, '}', s5);
        }
        jw_close(w, ']', s4);
        jw_close(w, '}', s3);
    }
    jw_close(w, ']', s2);
    jw_close(w, '}', s);
}

static void json_smtp(jw *w, const mm_smtp_result *sm)
{
    if (!sm) {
        jw_raw(w, "smtp", "null");
        return;
    }
    char s = jw_open(w, "smtp", '{');
    jw_str(w, "result", mm_smtp_verdict_name(sm->verdict));
    if (sm->reply_code)
        jw_int(w, "reply_code", sm->reply_code);
    else
        jw_raw(w, "reply_code", "null");
    jw_str_or_null(w, "status", sm->enhanced);
    jw_str_or_null(w, "reply", sm->reply);
    jw_str_or_null(w, "mx", sm->mx);
    jw_bool(w, "tls", sm->tls);
    jw_str_or_null(w, "stage", sm->stage);
    jw_close(w, '}', s);
}

static void render_json(vrun *run, const slot *sl, const mm_verify_result *r)
{
    jw w = jw_begin(&run->out);
    const mm_addr *a = r->addr;
    jw_str(&w, "source", sl->source);
    jw_int(&w, "line", (long long)sl->line);
    jw_str(&w, "input", r->input);
    jw_str_or_null(&w, "address", a->syntax_ok ? a->address : NULL);
    jw_str(&w, "verdict", mm_verdict_name(r->verdict));
    jw_bool(&w, "syntax_ok", a->syntax_ok);
    if (sl->row_err) {
        char s = jw_open(&w, "errors", '[');
        char s2 = jw_open(&w, NULL, '{');
        jw_str(&w, "code", strcmp(sl->row_err, "too_long") == 0 ? "line_too_long" : "missing_field");
        jw_str(&w, "message", strcmp(sl->row_err, "too_long") == 0
                                  ? _("the line is too long to be an address; skipped")
                                  : _("the row has no value in the address column"));
        jw_raw(&w, "column", "null");
        jw_close(&w, '}', s2);
        jw_close(&w, ']', s);
    } else {
        json_issues(&w, "errors", a->errors, a->n_errors);
    }
    json_issues(&w, "warnings", a->notes, a->n_notes);
    json_norms(&w, a);
    jw_str_or_null(&w, "suggestion", r->suggestion);
    jw_str_or_null(&w, "suggestion_kind", !r->suggestion ? NULL
                                          : r->suggest_kind == MM_SUGGEST_NONE
                                              ? "syntax_fix"
                                              : mm_suggest_kind_name(r->suggest_kind));
    char s = jw_open(&w, "classes", '{');
    jw_bool(&w, "free", r->classes & MM_DOM_FREE);
    jw_bool(&w, "disposable", r->classes & MM_DOM_DISPOSABLE);
    jw_str_or_null(&w, "role", r->role);
    jw_str_or_null(&w, "provider", r->provider);
    jw_close(&w, '}', s);
    s = jw_open(&w, "reasons", '[');
    for (size_t i = 0; i < r->nreasons; i++) {
        char s2 = jw_open(&w, NULL, '{');
        jw_str(&w, "code", mm_vreason_name(r->reasons[i]));
        jw_str(&w, "message", _(mm_vreason_message(r->reasons[i])));
        jw_close(&w, '}', s2);
    }
    jw_close(&w, ']', s);
    json_mx(&w, r->mx);
    json_smtp(&w, r->smtp);
    jw_bool(&w, "offline", r->offline);
    if (r->duplicate_of)
        jw_int(&w, "duplicate_of", (long long)first_line(run, r->duplicate_of));
    else
        jw_raw(&w, "duplicate_of", "null");
    if (sl->row) {
        jw_put(&w, ",", 1);
        jw_put(&w, sl->row, strlen(sl->row));
    }
    jw_end(&w);
}

/* ---- CSV ---- */

static const char *const csv_cols[] = {
    "source", "line", "input", "address", "verdict", "syntax_ok", "errors", "error_message", "suggestion",
    "free", "disposable", "role", "provider", "reasons", "mx_status", "mx_hosts", "smtp",
    "smtp_reply_code", "smtp_reply", "offline", "duplicate_of", NULL};

static void csv_header(vrun *run)
{
    if (run->bom)
        mm_buf_puts(&run->out, "\xEF\xBB\xBF");
    bool first = true;
    for (size_t i = 0; i < run->nheader; i++, first = false)
        csv_field(&run->out, run->header[i], first);
    for (size_t i = 0; csv_cols[i]; i++, first = false)
        csv_field(&run->out, csv_cols[i], first);
    mm_buf_puts(&run->out, "\r\n");
}

static void render_csv(vrun *run, const slot *sl, const mm_verify_result *r)
{
    const mm_addr *a = r->addr;
    mm_buf t = MM_BUF_INIT, msg = MM_BUF_INIT;
    bool first = true;
    if (sl->row) {
        mm_buf_puts(&run->out, sl->row);
        first = false;
    } else {
        for (size_t i = 0; i < run->nheader; i++, first = false)
            csv_field(&run->out, "", first);
    }
    char num[32];
    snprintf(num, sizeof num, "%zu", sl->line);
    csv_field(&run->out, sl->source, first);
    csv_field(&run->out, num, false);
    csv_field(&run->out, r->input, false);
    csv_field(&run->out, a->syntax_ok ? a->address : "", false);
    csv_field(&run->out, mm_verdict_name(r->verdict), false);
    csv_field(&run->out, a->syntax_ok ? "true" : "false", false);
    const mm_addr_issue *first_err = a->n_errors ? &a->errors[0] : NULL;
    for (size_t i = 0; i < a->n_errors + a->n_notes; i++) {
        const mm_addr_issue *is = i < a->n_errors ? &a->errors[i] : &a->notes[i - a->n_errors];
        if (t.len)
            mm_buf_putc(&t, ';');
        mm_buf_puts(&t, mm_addr_code_name(is->code));
    }
    if (sl->row_err)
        mm_buf_puts(&t, strcmp(sl->row_err, "too_long") == 0 ? "line_too_long" : "missing_field");
    csv_field(&run->out, mm_buf_str(&t), false);
    if (first_err)
        format_issue(mm_addr_code_message(first_err->code), first_err->column, first_err->text, &msg);
    csv_field(&run->out, mm_buf_str(&msg), false);
    csv_field(&run->out, r->suggestion ? r->suggestion : "", false);
    csv_field(&run->out, r->classes & MM_DOM_FREE ? "true" : "false", false);
    csv_field(&run->out, r->classes & MM_DOM_DISPOSABLE ? "true" : "false", false);
    csv_field(&run->out, r->role ? r->role : "", false);
    csv_field(&run->out, r->provider ? r->provider : "", false);
    mm_buf_reset(&t);
    for (size_t i = 0; i < r->nreasons; i++) {
        if (i)
            mm_buf_putc(&t, ';');
        mm_buf_puts(&t, mm_vreason_name(r->reasons[i]));
    }
    csv_field(&run->out, mm_buf_str(&t), false);
    csv_field(&run->out, r->mx ? mm_mx_status_name(r->mx->status) : "", false);
    mm_buf_reset(&t);
    for (size_t i = 0; r->mx && i < r->mx->nhosts; i++) {
        if (i)
            mm_buf_putc(&t, ' ');
        mm_buf_puts(&t, r->mx->hosts[i].name);
    }
    csv_field(&run->out, mm_buf_str(&t), false);
    csv_field(&run->out, r->smtp ? mm_smtp_verdict_name(r->smtp->verdict) : "", false);
    snprintf(num, sizeof num, "%d", r->smtp ? r->smtp->reply_code : 0);
    csv_field(&run->out, r->smtp && r->smtp->reply_code ? num : "", false);
    csv_field(&run->out, r->smtp ? r->smtp->reply : "", false);
    csv_field(&run->out, r->offline ? "true" : "false", false);
    snprintf(num, sizeof num, "%zu",
             r->duplicate_of ? first_line(run, r->duplicate_of) : 0);
    csv_field(&run->out, r->duplicate_of ? num : "", false);
    mm_buf_puts(&run->out, "\r\n");
    mm_buf_free(&t);
    mm_buf_free(&msg);
}

/* ---- text ---- */

static void render_text(vrun *run, const slot *sl, const mm_verify_result *r)
{
    mm_buf *b = &run->out;
    const mm_addr *a = r->addr;
    static const char *const marks[] = {"✔", "✘", "!", "?"};
    const char *on = run->color ? verdict_color(r->verdict) : "";
    const char *off = run->color ? "\033[0m" : "";
    mm_buf_printf(b, "%s%s %s%s  %s%s%s", on, marks[r->verdict], r->input[0] ? r->input : "\"\"",
                  off, on, verdict_label(r->verdict), off);
    if (r->provider)
        mm_buf_printf(b, "  [%s]", r->provider);
    if (r->classes & MM_DOM_FREE)
        mm_buf_printf(b, "  %s", _("free mail"));
    if (r->duplicate_of)
        mm_buf_printf(b, _("  (repeat of line %zu)"), first_line(run, r->duplicate_of));
    mm_buf_putc(b, '\n');
    if (sl->row_err)
        mm_buf_printf(b, "    %s\n", strcmp(sl->row_err, "too_long") == 0
                                         ? _("the line is too long to be an address; skipped")
                                         : _("the row has no value in the address column"));
    for (size_t i = 0; !sl->row_err && i < a->n_errors + a->n_notes; i++) {
        const mm_addr_issue *is = i < a->n_errors ? &a->errors[i] : &a->notes[i - a->n_errors];
        mm_buf_puts(b, "    ");
        format_issue(mm_addr_code_message(is->code), is->column, is->text, b);
        mm_buf_putc(b, '\n');
    }
    for (size_t i = 0; i < r->nreasons; i++) {
        /* the errors and warnings above already say these */
        if (r->reasons[i] == MM_VR_SYNTAX || r->reasons[i] == MM_VR_TLD_UNKNOWN ||
            r->reasons[i] == MM_VR_DOTLESS || r->reasons[i] == MM_VR_SPECIAL_USE)
            continue;
        mm_buf_printf(b, "    %s\n", _(mm_vreason_message(r->reasons[i])));
    }
    if (r->suggestion)
        mm_buf_printf(b, "    %s%s %s%s\n", run->color ? "\033[1m" : "", _("did you mean:"),
                      r->suggestion, off);
    if (a->syntax_ok && (a->norms & ~MM_ADDR_N_ALABEL_DECODED)) {
        mm_buf_printf(b, "    %s", _("normalised:"));
        const char *sep = " ";
        for (unsigned bit = 1; bit; bit <<= 1)
            if (a->norms & bit & ~MM_ADDR_N_ALABEL_DECODED) {
                mm_buf_printf(b, "%s%s", sep, _(mm_addr_norm_message(bit)));
                sep = "; ";
            }
        mm_buf_printf(b, " -> %s\n", a->address);
    }
    if (r->mx && r->mx->nhosts) {
        mm_buf_printf(b, "    MX:");
        for (size_t i = 0; i < r->mx->nhosts && i < 4; i++)
            mm_buf_printf(b, " %s", r->mx->hosts[i].name);
        mm_buf_putc(b, '\n');
    }
    if (r->smtp && r->smtp->reply_code)
        mm_buf_printf(b, "    SMTP %s: %d %s\n", r->smtp->mx, r->smtp->reply_code, r->smtp->reply);
}

/* ---- the run ---- */

/* Past stdio, as diagnose does: stdio drops its buffer when a non-blocking
 * stdout says EAGAIN.  A write error is recorded by cliout.c (EPIPE ends
 * the program there); the readers then stop (cli_stdout_failed()). */
static void write_out(vrun *run)
{
    if (run->out.len) {
        (void)cli_stdout_write(run->out.data, run->out.len);
        mm_buf_reset(&run->out);
    }
}

static void show_progress(vrun *run, bool last)
{
    if (!run->progress)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (now.tv_sec - run->last_progress.tv_sec) * 1000 +
              (now.tv_nsec - run->last_progress.tv_nsec) / 1000000;
    if (!last && ms < 200)
        return;
    run->last_progress = now;
    fputc('\r', stderr);
    if (run->bytes_total)
        fprintf(stderr, _("verify: %llu addresses (%llu%%)"), run->total,
                run->bytes_done * 100 / run->bytes_total);
    else
        fprintf(stderr, _("verify: %llu addresses"), run->total);
    if (last)
        fputs("\r\033[K", stderr);
}

static void on_result(void *arg, const mm_verify_result *r)
{
    vrun *run = arg;
    slot *sl = &run->slots[(r->id - 1) % WINDOW];
    run->total++;
    run->verdicts[r->verdict]++;
    if (r->duplicate_of)
        run->dups++;
    if (!(run->unique && r->duplicate_of)) {
        if (run->format == OUT_JSON)
            render_json(run, sl, r);
        else if (run->format == OUT_CSV)
            render_csv(run, sl, r);
        else
            render_text(run, sl, r);
    }
    free(sl->row);
    sl->row = NULL;
    if (run->out.len > (64u << 10))
        write_out(run);
    show_progress(run, false);
}

/* The CSV row's own fields, rendered once for the output. */
static char *row_text(vrun *run, const lr_rec *rec)
{
    mm_buf b = MM_BUF_INIT;
    if (run->format == OUT_CSV) {
        for (size_t i = 0; i < run->nheader; i++)
            csv_field(&b, i < rec->nfields ? rec->fields[i] : "", i == 0);
    } else if (run->format == OUT_JSON) {
        jw w = jw_begin(&b);
        w.sep = '{';
        for (size_t i = 0; i < run->nheader; i++)
            jw_str(&w, run->header[i], i < rec->nfields ? rec->fields[i] : "");
        if (w.sep == '{')
            jw_put(&w, "{", 1);
        jw_put(&w, "}", 1);
        mm_buf c = MM_BUF_INIT;
        mm_buf_puts(&c, "\"row\":");
        mm_buf_append(&c, b.data, b.len);
        mm_buf_free(&b);
        return mm_buf_detach(&c);
    } else {
        return NULL;
    }
    return mm_buf_detach(&b);
}

/* Hand one row to the verifier; its id is its position among all rows
 * (1-based), which also indexes run->lines. */
static mm_status_t submit(mm_verifier *v, vrun *run, const char *source, size_t line,
                          const char *addr, size_t len, const char *row_err, char *row)
{
    if (run->nlines == run->caplines) {
        size_t cap = run->caplines ? run->caplines * 2 : 4096;
        uint64_t *p = realloc(run->lines, cap * sizeof *p);
        if (!p) {
            free(row);
            return MM_ENOMEM;
        }
        run->lines = p;
        run->caplines = cap;
    }
    run->lines[run->nlines++] = line;
    uint64_t id = run->nlines;
    slot *sl = &run->slots[(id - 1) % WINDOW];
    free(sl->row);
    *sl = (slot){.line = line, .source = source, .row = row, .row_err = row_err};
    return mm_verify_submit(v, id, addr, len);
}

static int read_list(mm_verifier *v, vrun *run, const char *path)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp) {
        log_warnx(_("%s: %s"), path, strerror(errno));
        return -1;
    }
    struct stat sb;
    if (fp != stdin && fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode))
        run->bytes_total += (unsigned long long)sb.st_size;
    char err[768];
    lr *r = lr_open(fp, run->column, err, sizeof err);
    if (!r) {
        log_warnx("%s: %s", path, err);
        if (fp != stdin)
            fclose(fp);
        return -1;
    }
    if (run->column && !run->header_done) {
        size_t n;
        const char *const *h = lr_header(r, &n);
        run->header = calloc(n ? n : 1, sizeof *run->header);
        for (size_t i = 0; run->header && i < n; i++)
            run->header[i] = strdup(h[i]);
        run->nheader = run->header ? n : 0;
        run->header_done = true;
        if (run->format == OUT_CSV)
            csv_header(run);
    }
    int rc = 0;
    lr_rec rec;
    unsigned long long base = run->bytes_done;
    /* after a write error to standard output, read no more */
    for (int st; !cli_stdout_failed() && (st = lr_next(r, &rec)) != 0;) {
        if (st < 0) {
            log_warnx(_("%s: read error: %s"), path, strerror(errno));
            rc = -1;
            break;
        }
        bool blank = true;
        for (size_t k = 0; k < rec.addr_len && blank; k++)
            blank = rec.addr[k] == ' ' || rec.addr[k] == '\t';
        const char *row_err = rec.too_long              ? "too_long"
                              : rec.missing || blank ? "missing"
                                                     : NULL;
        if (row_err) {
            run->row_errors++;
            log_warnx(rec.too_long ? _("%s:%zu: line too long; skipped")
                                   : _("%s:%zu: no value in the address column"),
                      path, rec.line);
        }
        char *row = run->column ? row_text(run, &rec) : NULL;
        if (submit(v, run, path, rec.line, rec.addr, rec.addr_len, row_err, row) != MM_OK) {
            rc = -2;
            break;
        }
        run->bytes_done = base + lr_offset(r);
    }
    lr_free(r);
    if (fp != stdin)
        fclose(fp);
    return rc;
}

static bool parse_server(const char *s)
{
    return s && *s && strlen(s) < 300;
}

int cmd_verify(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"list", required_argument, NULL, 'i'},
        {"column", required_argument, NULL, 'c'},
        {"bom", no_argument, NULL, OPT_BOM},
        {"offline", no_argument, NULL, OPT_OFFLINE},
        {"smtp", no_argument, NULL, OPT_SMTP},
        {"helo", required_argument, NULL, OPT_HELO},
        {"mail-from", required_argument, NULL, OPT_MAIL_FROM},
        {"smtp-port", required_argument, NULL, OPT_SMTP_PORT},
        {"no-starttls", no_argument, NULL, OPT_NO_STARTTLS},
        {"allow-private", no_argument, NULL, OPT_ALLOW_PRIVATE},
        {"dns", required_argument, NULL, OPT_DNS},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"concurrency", required_argument, NULL, OPT_CONCURRENCY},
        {"rfc5322", no_argument, NULL, OPT_RFC5322},
        {"unique", no_argument, NULL, OPT_UNIQUE},
        {"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static vrun run;
    mm_verify_opts o;
    mm_verify_opts_default(&o);
    const char *lists[64];
    size_t nlists = 0;
    bool no_progress = false;
    run.format = OUT_TEXT;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "f:i:c:h", longopts, NULL)) != -1;) {
        char *end;
        switch (c) {
        case 'f':
            if (strcmp(optarg, "json") == 0 || strcmp(optarg, "jsonl") == 0)
                run.format = OUT_JSON;
            else if (strcmp(optarg, "csv") == 0)
                run.format = OUT_CSV;
            else if (strcmp(optarg, "text") == 0)
                run.format = OUT_TEXT;
            else {
                log_warnx(_("unknown format '%s' (text, json or csv)"), optarg);
                return EXIT_USAGE;
            }
            break;
        case 'i':
            if (nlists == sizeof lists / sizeof lists[0]) {
                log_warnx(_("too many lists"));
                return EXIT_USAGE;
            }
            lists[nlists++] = optarg;
            break;
        case 'c': run.column = optarg; break;
        case OPT_BOM: run.bom = true; break;
        case OPT_OFFLINE: o.offline = true; break;
        case OPT_SMTP: o.smtp = true; break;
        case OPT_HELO: o.smtp_opts.helo = optarg; break;
        case OPT_MAIL_FROM: o.smtp_opts.mail_from = optarg; break;
        case OPT_NO_STARTTLS: o.smtp_opts.starttls = false; break;
        case OPT_ALLOW_PRIVATE: o.allow_private = true; break;
        case OPT_SMTP_PORT: {
            long p = strtol(optarg, &end, 10);
            if (*end || p < 1 || p > 65535) {
                log_warnx(_("bad port '%s'"), optarg);
                return EXIT_USAGE;
            }
            o.smtp_opts.port = (unsigned)p;
            break;
        }
        case OPT_DNS:
            if (!parse_server(optarg)) {
                log_warnx(_("bad DNS server '%s'"), optarg);
                return EXIT_USAGE;
            }
            o.dns.server = optarg;
            break;
        case OPT_TIMEOUT: {
            double t = strtod(optarg, &end);
            if (*end || t <= 0 || t > 300) {
                log_warnx(_("bad time-out '%s'"), optarg);
                return EXIT_USAGE;
            }
            o.dns.timeout_ms = (int)(t * 1000);
            break;
        }
        case OPT_CONCURRENCY: {
            long n = strtol(optarg, &end, 10);
            if (*end || n < 1 || n > 100000) {
                log_warnx(_("bad concurrency '%s'"), optarg);
                return EXIT_USAGE;
            }
            o.dns.max_inflight = (size_t)n;
            break;
        }
        case OPT_RFC5322: o.addr_flags |= MM_ADDR_RFC5322; break;
        case OPT_UNIQUE: run.unique = true; break;
        case OPT_NO_PROGRESS: no_progress = true; break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    if (o.smtp && o.offline) {
        log_warnx(_("--smtp and --offline exclude each other"));
        return EXIT_USAGE;
    }
    if (run.column && nlists == 0 && optind == argc && !isatty(STDIN_FILENO))
        lists[nlists++] = "-";
    if (run.column && nlists == 0) {
        log_warnx(_("--column needs a list (--list FILE or -)"));
        return EXIT_USAGE;
    }
    if (nlists == 0 && optind == argc) {
        if (isatty(STDIN_FILENO)) {
            usage(stderr);
            return EXIT_USAGE;
        }
        lists[nlists++] = "-";
    }
    o.window = WINDOW;
    run.color = run.format == OUT_TEXT && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
    run.progress = !no_progress && isatty(STDERR_FILENO) && nlists > 0;
    mm_buf_init(&run.out, 0);

    mm_verifier *v = NULL;
    mm_status_t st = mm_verifier_create(&o, on_result, &run, &v);
    if (st != MM_OK) {
        log_warnx(_("cannot start: %s"), mm_strerror(st));
        return EXIT_INTERNAL;
    }
    if (run.format == OUT_CSV && !run.column)
        csv_header(&run);
    int rc = EXIT_OK;
    for (int i = optind; i < argc && st == MM_OK && !cli_stdout_failed(); i++) {
        if (strcmp(argv[i], "-") == 0) {
            lists[nlists < 64 ? nlists++ : 63] = "-";
            continue;
        }
        st = submit(v, &run, "argv", (size_t)(i - optind + 1), argv[i], strlen(argv[i]), NULL,
                    NULL);
    }
    for (size_t i = 0; i < nlists && st == MM_OK && !cli_stdout_failed(); i++) {
        int r = read_list(v, &run, lists[i]);
        if (r == -2)
            st = MM_ENOMEM;
        else if (r < 0)
            rc = EXIT_SOMEFAIL;
    }
    /* The addresses still in flight are dropped with the verifier when
     * their results could not be written anyway. */
    if (st == MM_OK && !cli_stdout_failed())
        st = mm_verify_drain(v);
    mm_verifier_free(v);
    write_out(&run);
    show_progress(&run, true);
    if (st != MM_OK) {
        log_warnx(_("verify failed: %s"), mm_strerror(st));
        return EXIT_INTERNAL;
    }
    if (nlists && run.total > 1)
        log_info(_("%llu addresses: %llu deliverable, %llu undeliverable, %llu risky, %llu unknown; "
                   "%llu repeats"),
                 run.total, run.verdicts[MM_VERDICT_DELIVERABLE],
                 run.verdicts[MM_VERDICT_UNDELIVERABLE], run.verdicts[MM_VERDICT_RISKY],
                 run.verdicts[MM_VERDICT_UNKNOWN], run.dups);
    for (size_t i = 0; i < run.nheader; i++)
        free(run.header[i]);
    free(run.header);
    free(run.lines);
    mm_buf_free(&run.out);
    if (rc == EXIT_OK && (run.verdicts[MM_VERDICT_UNDELIVERABLE] || run.row_errors))
        rc = 4;
    return rc;
}
