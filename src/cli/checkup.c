/*
 * checkup.c - `mailmedic checkup`: the sender's health report, and each of
 * its checks on its own (spf, dkim, dmarc, mx, ptr) for scripts.
 *
 * The library (mm_checkup_run) does every look-up and builds the report;
 * this file parses the command line, reads --message, and renders the report
 * as text (translated with _() on the library's N_() msgids), JSON (one
 * object, documented in docs/CHECKUP.md) or Markdown (for a ticket).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <mailmedic/checkup.h>
#include <mailmedic/mailmedic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"
#include "fmt.h"

/* Exit codes of checkup (docs/CHECKUP.md, --help). */
enum { EXIT_CK_WARN = 4, EXIT_CK_FAIL = 5 };

typedef enum ck_format { CK_TEXT, CK_JSON, CK_MARKDOWN } ck_format;

enum { OPT_IP = 256, OPT_MAIL_FROM, OPT_HELO, OPT_SELECTOR, OPT_MESSAGE, OPT_PROVIDER, OPT_DNS,
       OPT_TIMEOUT, OPT_PSL, OPT_ZONE, OPT_NO_FETCH };

#define MAX_ZONES 16

#define MAX_SELECTORS 32

static void usage(FILE *fp)
{
    fprintf(fp,
            _("Usage: %s checkup [OPTION]... DOMAIN\n"
              "   or: %s checkup spf DOMAIN --ip IP [--mail-from ADDR] [--helo NAME]\n"
              "   or: %s checkup dkim [DOMAIN] [--selector S]... [--message FILE]\n"
              "   or: %s checkup dmarc|mx DOMAIN\n"
              "   or: %s checkup ptr IP [--helo NAME]\n"
              "   or: %s checkup dnsbl IP|DOMAIN [--ip IP]\n"
              "   or: %s checkup mta-sts DOMAIN [--no-fetch]\n"
              "The sender's health report: SPF, DKIM, DMARC, MX, reverse DNS, blocklists and\n"
              "MTA-STS/TLS-RPT/BIMI of your domain and sending IP, with the exact fix, a grade,\n"
              "and whether you meet the rules of Gmail, Yahoo, Outlook and the big Chinese\n"
              "receivers.\n\n"),
            progname, progname, progname, progname, progname, progname, progname);
    fputs(_("  -f, --format=FMT      text (default), json or markdown\n"
            "      --ip=IP           the IP address you send from (IPv4 or IPv6)\n"
            "      --mail-from=ADDR  the envelope sender (MAIL FROM) you use\n"
            "      --helo=NAME       the HELO/EHLO name of your sending server\n"
            "      --selector=S      a DKIM selector to check (repeatable; default: common ones)\n"
            "      --message=FILE    a message you sent (raw, with headers): verify its DKIM\n"
            "                        signatures and its DMARC result\n"
            "      --provider=NAME   your mail provider, for the fix texts: tencent, netease,\n"
            "                        aliyun, google, microsoft\n"
            "      --dns=IP[:PORT]   DNS server to ask (default: /etc/resolv.conf)\n"
            "      --timeout=SECONDS DNS time-out of a first try (default 2)\n"
            "      --zone=FILE       offline: answer from this zone file (RFC 1035 master file;\n"
            "                        repeatable) instead of DNS; other names are NXDOMAIN\n"
            "      --no-fetch        do not fetch the MTA-STS policy over HTTPS (MX coverage\n"
            "                        is then not checked; always so with --zone)\n"
            "  -h, --help            show this help\n\n"
            "Exit status: 0 every section is ok (or could not be checked), 1 the message\n"
            "could not be read, 2 bad command line, 3 internal error, 4 warnings only,\n"
            "5 at least one section fails.\n"),
          fp);
    cli_stdout_usage(fp);
}

static const char *status_label(mm_checkup_status s)
{
    switch (s) {
    case MM_CHECKUP_OK: return _("OK");
    case MM_CHECKUP_WARN: return _("WARN");
    case MM_CHECKUP_FAIL: return _("FAIL");
    case MM_CHECKUP_UNKNOWN: return _("UNKNOWN");
    default: return _("NOT CHECKED");
    }
}

static const char *section_title(mm_checkup_section_id s)
{
    switch (s) {
    case MM_CHECKUP_SPF: return _("SPF (who may send for the domain)");
    case MM_CHECKUP_DKIM: return _("DKIM (signatures and keys)");
    case MM_CHECKUP_DMARC: return _("DMARC (policy and reports)");
    case MM_CHECKUP_MX: return _("MX (where replies go)");
    case MM_CHECKUP_PTR: return _("Reverse DNS of the sending IP");
    case MM_CHECKUP_DNSBL: return _("Blacklists");
    default: return _("MTA-STS, TLS-RPT, BIMI");
    }
}

static const char *verdict_label(mm_checkup_verdict_status s)
{
    switch (s) {
    case MM_VERDICT_MET: return _("met");
    case MM_VERDICT_NOT_MET: return _("not met");
    default: return _("cannot tell");
    }
}

/* ---- JSON ---- */

static void json_section_body(jw *w, const mm_checkup_section *s)
{
    jw_str(w, "status", mm_checkup_status_name(s->status));
    char a = jw_open(w, "findings", '[');
    for (size_t i = 0; i < s->nfindings; i++) {
        const mm_checkup_finding *f = &s->findings[i];
        char o = jw_open(w, NULL, '{');
        jw_str(w, "id", f->id);
        jw_str(w, "severity", mm_checkup_status_name(f->severity));
        jw_str(w, "message", _(f->message));
        jw_str(w, "detail", f->detail);
        jw_close(w, '}', o);
    }
    jw_close(w, ']', a);
    a = jw_open(w, "evidence", '[');
    for (size_t i = 0; i < s->nevidence; i++)
        jw_elem_str(w, s->evidence[i]);
    jw_close(w, ']', a);
    a = jw_open(w, "fixes", '[');
    for (size_t i = 0; i < s->nfixes; i++) {
        char o = jw_open(w, NULL, '{');
        jw_str(w, "message", _(s->fixes[i].message));
        jw_str(w, "name", s->fixes[i].name);
        jw_str(w, "value", s->fixes[i].value);
        jw_close(w, '}', o);
    }
    jw_close(w, ']', a);
}

static void json_spf_eval(jw *w, const mm_spf_eval *e)
{
    mm_spf_result r = mm_spf_eval_result(e);
    jw_str(w, "result", mm_spf_result_name(r));
    jw_str_or_null(w, "explanation", mm_spf_eval_explanation(e));
    jw_str_or_null(w, "reason", mm_spf_eval_reason(e));
    jw_int(w, "lookups", mm_spf_eval_lookups(e));
    jw_int(w, "void_lookups", mm_spf_eval_void_lookups(e));
}

static void json_spf(jw *w, const mm_checkup *c, const char *ip, const char *helo)
{
    const mm_spf_eval *e = mm_checkup_spf_eval(c);
    jw_str(w, "domain", mm_checkup_domain(c));
    jw_str_or_null(w, "ip", ip);
    if (e) {
        json_spf_eval(w, e);
    } else {
        jw_raw(w, "result", "null");
        jw_raw(w, "explanation", "null");
    }
    const mm_spf_lint *l = mm_checkup_spf_lint(c);
    if (l) {
        jw_int(w, "tree_lookups", mm_spf_lint_lookups(l));
        const mm_spf_eval *t = mm_spf_lint_tree(l);
        char a = jw_open(w, "tree", '[');
        for (size_t i = 0; t && i < mm_spf_eval_nnodes(t); i++) {
            const mm_spf_node *n = mm_spf_eval_node(t, i);
            char o = jw_open(w, NULL, '{');
            jw_str(w, "domain", n->domain);
            jw_int(w, "depth", n->depth);
            jw_str_or_null(w, "via", n->via);
            jw_str_or_null(w, "record", n->record);
            jw_str(w, "dns", mm_dns_result_name(n->dns));
            jw_int(w, "lookups", n->lookups);
            jw_close(w, '}', o);
        }
        jw_close(w, ']', a);
    }
    const mm_spf_eval *h = mm_checkup_spf_helo_eval(c);
    if (h) {
        char o = jw_open(w, "helo", '{');
        jw_str(w, "name", helo);
        json_spf_eval(w, h);
        jw_close(w, '}', o);
    }
}

static void json_dkim(jw *w, const mm_checkup *c)
{
    const mm_dkim_report *r = mm_checkup_dkim_report(c);
    if (r) {
        char a = jw_open(w, "signatures", '[');
        for (size_t i = 0; i < mm_dkim_report_count(r); i++) {
            const mm_dkim_sig *s = mm_dkim_report_sig(r, i);
            char o = jw_open(w, NULL, '{');
            jw_str(w, "result", mm_dkim_result_name(s->result));
            jw_str(w, "domain", s->domain);
            jw_str(w, "selector", s->selector);
            jw_str(w, "algorithm", s->algorithm);
            jw_str(w, "reason", mm_dkim_reason_name(s->reason));
            jw_str(w, "message", s->result == MM_DKIM_PASS ? "" : _(mm_dkim_reason_message(s->reason)));
            jw_str(w, "key_type", s->key_type);
            jw_int(w, "key_bits", s->key_bits);
            jw_close(w, '}', o);
        }
        jw_close(w, ']', a);
    }
    const mm_dkim_keycheck *k = mm_checkup_dkim_keys(c);
    if (k) {
        char a = jw_open(w, "keys", '[');
        for (size_t i = 0; i < mm_dkim_keycheck_count(k); i++) {
            const mm_dkim_key_info *ki = mm_dkim_keycheck_get(k, i);
            char o = jw_open(w, NULL, '{');
            jw_str(w, "selector", ki->selector);
            jw_str(w, "name", ki->name);
            jw_str(w, "reason", mm_dkim_reason_name(ki->reason));
            jw_str(w, "key_type", ki->key_type);
            jw_int(w, "key_bits", ki->key_bits);
            jw_bool(w, "testing", ki->notes & MM_DKIM_NOTE_TESTING);
            jw_str(w, "record", ki->record);
            jw_close(w, '}', o);
        }
        jw_close(w, ']', a);
    }
}

static void json_dmarc(jw *w, const mm_checkup *c)
{
    const mm_checkup_dmarc_info *d = mm_checkup_dmarc(c);
    if (!d)
        return;
    jw_bool(w, "found", d->found);
    jw_str(w, "policy_domain", d->policy_domain ? d->policy_domain : "");
    jw_str(w, "record", d->record ? d->record : "");
    jw_str(w, "policy", d->policy ? d->policy : "unset");
    if (d->has_message) {
        char o = jw_open(w, "message", '{');
        jw_str(w, "from_domain", d->from_domain);
        jw_str(w, "result", mm_dmarc_result_name(d->verdict.result));
        jw_bool(w, "spf_aligned", d->verdict.spf_aligned);
        jw_bool(w, "dkim_aligned", d->verdict.dkim_aligned);
        jw_str(w, "policy", mm_dmarc_policy_name(d->verdict.policy));
        jw_close(w, '}', o);
    }
}

static void json_ptr(jw *w, const mm_checkup *c)
{
    const mm_checkup_ptr_info *p = mm_checkup_ptr(c);
    if (!p) {
        jw_raw(w, "ip", "null");
        return;
    }
    jw_str(w, "ip", p->ip);
    jw_str(w, "query", p->ptr_name);
    jw_str(w, "dns", mm_dns_result_name(p->result));
    char a = jw_open(w, "names", '[');
    for (size_t i = 0; i < p->nnames; i++)
        jw_elem_str(w, p->names[i]);
    jw_close(w, ']', a);
    jw_bool(w, "fcrdns", p->fcrdns);
    jw_str(w, "confirmed", p->confirmed ? p->confirmed : "");
    jw_bool(w, "generic", p->generic);
    jw_bool(w, "helo_match", p->helo_match);
}

static void json_dnsbl(jw *w, const mm_checkup *c)
{
    size_t n = 0;
    const mm_checkup_dnsbl_item *it = mm_checkup_dnsbl_items(c, &n);
    char a = jw_open(w, "lists", '[');
    for (size_t i = 0; i < n; i++) {
        char o = jw_open(w, NULL, '{');
        jw_str(w, "list", it[i].list);
        jw_str(w, "name", it[i].name);
        jw_str(w, "kind", it[i].kind);
        jw_str(w, "status", it[i].status);
        jw_str(w, "query", it[i].query);
        jw_str(w, "codes", it[i].codes);
        jw_str(w, "txt", it[i].txt);
        jw_str(w, "delist_url", it[i].delist_url);
        jw_bool(w, "major", it[i].major);
        jw_close(w, '}', o);
    }
    jw_close(w, ']', a);
}

static void json_details(jw *w, const mm_checkup *c, mm_checkup_section_id id, const char *ip,
                         const char *helo)
{
    switch (id) {
    case MM_CHECKUP_SPF: json_spf(w, c, ip, helo); break;
    case MM_CHECKUP_DKIM: json_dkim(w, c); break;
    case MM_CHECKUP_DMARC: json_dmarc(w, c); break;
    case MM_CHECKUP_PTR: json_ptr(w, c); break;
    case MM_CHECKUP_DNSBL: json_dnsbl(w, c); break;
    default: break;
    }
}

static void render_json(const mm_checkup *c, int single, const char *ip, const char *helo,
                        double ms, mm_buf *b)
{
    jw w = jw_begin(b);
    if (single >= 0) {
        const mm_checkup_section *s = mm_checkup_section_get(c, (mm_checkup_section_id)single);
        json_details(&w, c, (mm_checkup_section_id)single, ip, helo);
        if (s)
            json_section_body(&w, s);
        jw_end(&w);
        return;
    }
    jw_str(&w, "domain", mm_checkup_domain(c));
    jw_str_or_null(&w, "ip", ip);
    char g[2] = {mm_checkup_grade(c), 0};
    jw_str(&w, "grade", g);
    jw_int(&w, "score", mm_checkup_score(c));
    jw_int(&w, "elapsed_ms", (long long)ms);
    char so = jw_open(&w, "sections", '{');
    for (int i = 0; i < MM_CHECKUP_SECTION_MAX_; i++) {
        const mm_checkup_section *s = mm_checkup_section_get(c, (mm_checkup_section_id)i);
        if (!s)
            continue;
        char o = jw_open(&w, mm_checkup_section_name((mm_checkup_section_id)i), '{');
        json_section_body(&w, s);
        char d = jw_open(&w, "details", '{');
        json_details(&w, c, (mm_checkup_section_id)i, ip, helo);
        jw_close(&w, '}', d);
        jw_close(&w, '}', o);
    }
    jw_close(&w, '}', so);
    char a = jw_open(&w, "verdicts", '[');
    for (size_t i = 0; i < mm_checkup_nverdicts(c); i++) {
        const mm_checkup_verdict *v = mm_checkup_verdict_at(c, i);
        char o = jw_open(&w, NULL, '{');
        jw_str(&w, "id", v->id);
        jw_str(&w, "receiver", _(v->receiver));
        jw_str(&w, "status", mm_checkup_verdict_name(v->status));
        jw_str(&w, "reason", _(v->reason));
        jw_str(&w, "source", v->source);
        jw_close(&w, '}', o);
    }
    jw_close(&w, ']', a);
    jw_end(&w);
}

/* ---- text and Markdown ---- */

static void text_section(const mm_checkup_section *s, bool md, mm_buf *b)
{
    if (md)
        mm_buf_printf(b, "\n### %s: **%s**\n\n", section_title(s->id), status_label(s->status));
    else
        mm_buf_printf(b, "\n[%s] %s\n", status_label(s->status), section_title(s->id));
    for (size_t i = 0; i < s->nfindings; i++) {
        const mm_checkup_finding *f = &s->findings[i];
        const char *mark = f->severity == MM_CHECKUP_OK     ? "+"
                           : f->severity == MM_CHECKUP_WARN ? "!"
                           : f->severity == MM_CHECKUP_FAIL ? "x"
                                                            : "?";
        mm_buf_printf(b, md ? "- %s%s%s: %s%s%s%s\n" : "  %s %s%s%s%s%s%s\n", md ? "**" : mark,
                      md ? status_label(f->severity) : "", md ? "**" : "", _(f->message),
                      *f->detail ? (md ? " (`" : " (") : "", f->detail,
                      *f->detail ? (md ? "`)" : ")") : "");
    }
    if (s->nevidence) {
        mm_buf_printf(b, md ? "\n%s\n\n```\n" : "  %s\n", _("Records as fetched:"));
        for (size_t i = 0; i < s->nevidence; i++)
            mm_buf_printf(b, md ? "%s\n" : "    %s\n", s->evidence[i]);
        if (md)
            mm_buf_puts(b, "```\n");
    }
    for (size_t i = 0; i < s->nfixes; i++) {
        const mm_checkup_fix *f = &s->fixes[i];
        mm_buf_printf(b, md ? "\n%s %s\n" : "  %s %s\n", md ? "**Fix:**" : _("Fix:"), _(f->message));
        /* a record to publish is a name and a value; a fix that is only
         * advice (cut look-ups, turn signing on) has no value to show */
        if (*f->value)
            mm_buf_printf(b, md ? "\n```\n%s  %s\n```\n" : "      %s  %s\n", f->name, f->value);
    }
}

static void render_text(const mm_checkup *c, int single, bool md, mm_buf *b)
{
    if (single >= 0) {
        const mm_checkup_section *s = mm_checkup_section_get(c, (mm_checkup_section_id)single);
        if (s)
            text_section(s, md, b);
        return;
    }
    if (md)
        mm_buf_printf(b, "## %s `%s`: %s **%c** (%d/100)\n", _("Mail health check of"),
                      mm_checkup_domain(c), _("grade"), mm_checkup_grade(c), mm_checkup_score(c));
    else
        mm_buf_printf(b, "%s %s: %s %c (%d/100)\n", _("Mail health check of"),
                      mm_checkup_domain(c), _("grade"), mm_checkup_grade(c), mm_checkup_score(c));
    for (int i = 0; i < MM_CHECKUP_SECTION_MAX_; i++) {
        const mm_checkup_section *s = mm_checkup_section_get(c, (mm_checkup_section_id)i);
        if (s)
            text_section(s, md, b);
    }
    mm_buf_printf(b, md ? "\n### %s\n\n" : "\n%s\n", _("The big receivers' rules"));
    for (size_t i = 0; i < mm_checkup_nverdicts(c); i++) {
        const mm_checkup_verdict *v = mm_checkup_verdict_at(c, i);
        if (md)
            mm_buf_printf(b, "- %s: **%s**: %s ([%s](%s))\n", _(v->receiver),
                          verdict_label(v->status), _(v->reason), _("rules"), v->source);
        else {
            const char *who = _(v->receiver);
            mm_buf_printf(b, "  %s", who);
            for (size_t w = text_width(who); w < 52; w++)
                mm_buf_putc(b, ' ');
            mm_buf_printf(b, " %s: %s\n", verdict_label(v->status), _(v->reason));
        }
    }
}

/* ---- the command ---- */

static char *read_file(const char *path, size_t *len)
{
    FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!fp)
        return NULL;
    mm_buf b = MM_BUF_INIT;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
        if (mm_buf_append_grow(&b, chunk, n) != MM_OK)
            break;
    bool err = ferror(fp);
    if (fp != stdin)
        fclose(fp);
    if (err) {
        mm_buf_free(&b);
        return NULL;
    }
    *len = b.len;
    mm_buf_putc(&b, 0);
    char *s = mm_buf_detach(&b);
    return s ? s : calloc(1, 1);
}

/* The offline mode: every --zone file into one database. */
static mm_status_t load_zones(const char *const *paths, size_t n, mm_zonedb **out)
{
    mm_status_t st = mm_zonedb_create(out);
    for (size_t i = 0; i < n && st == MM_OK; i++) {
        size_t len = 0;
        char *text = read_file(paths[i], &len);
        if (!text) {
            log_warnx(_("%s: cannot read: %s"), paths[i], strerror(errno));
            st = MM_EIO;
            break;
        }
        char err[256] = "";
        st = mm_zonedb_load(*out, text, len, NULL, err, sizeof err);
        if (st == MM_EPARSE)
            log_warnx(_("%s: not a zone file we can read: %s"), paths[i], err);
        free(text);
    }
    if (st != MM_OK) {
        mm_zonedb_free(*out);
        *out = NULL;
    }
    return st;
}

static int parse_single(const char *w)
{
    static const char *const names[] = {"spf", "dkim", "dmarc", "mx", "ptr", "dnsbl", "mta-sts"};
    for (int i = 0; i < 7; i++)
        if (strcmp(w, names[i]) == 0)
            return i; /* the same order as mm_checkup_section_id */
    return -1;
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000.0 + t.tv_nsec / 1e6;
}

int cmd_checkup(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"format", required_argument, NULL, 'f'},
        {"ip", required_argument, NULL, OPT_IP},
        {"mail-from", required_argument, NULL, OPT_MAIL_FROM},
        {"helo", required_argument, NULL, OPT_HELO},
        {"selector", required_argument, NULL, OPT_SELECTOR},
        {"message", required_argument, NULL, OPT_MESSAGE},
        {"provider", required_argument, NULL, OPT_PROVIDER},
        {"dns", required_argument, NULL, OPT_DNS},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"psl-file", required_argument, NULL, OPT_PSL},
        {"zone", required_argument, NULL, OPT_ZONE},
        {"no-fetch", no_argument, NULL, OPT_NO_FETCH},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    ck_format format = CK_TEXT;
    mm_checkup_opts o = {0};
    mm_dns_opts dopts = {0};
    const char *selectors[MAX_SELECTORS];
    const char *message_path = NULL;
    const char *zones[MAX_ZONES];
    size_t nzones = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, "f:h", longopts, NULL)) != -1;) {
        char *end;
        switch (c) {
        case 'f':
            if (strcmp(optarg, "json") == 0)
                format = CK_JSON;
            else if (strcmp(optarg, "markdown") == 0 || strcmp(optarg, "md") == 0)
                format = CK_MARKDOWN;
            else if (strcmp(optarg, "text") == 0)
                format = CK_TEXT;
            else {
                log_warnx(_("unknown format '%s' (text, json or markdown)"), optarg);
                return EXIT_USAGE;
            }
            break;
        case OPT_IP: {
            unsigned char tmp[16];
            if (inet_pton(AF_INET, optarg, tmp) != 1 && inet_pton(AF_INET6, optarg, tmp) != 1) {
                log_warnx(_("bad IP address '%s'"), optarg);
                return EXIT_USAGE;
            }
            o.ip = optarg;
            break;
        }
        case OPT_MAIL_FROM: o.mail_from = optarg; break;
        case OPT_HELO: o.helo = optarg; break;
        case OPT_SELECTOR:
            if (o.nselectors == MAX_SELECTORS) {
                log_warnx(_("too many selectors"));
                return EXIT_USAGE;
            }
            selectors[o.nselectors++] = optarg;
            break;
        case OPT_MESSAGE: message_path = optarg; break;
        case OPT_NO_FETCH: o.no_policy_fetch = true; break;
        case OPT_PROVIDER:
            if (!mm_checkup_provider_find(optarg)) {
                log_warnx(_("unknown provider '%s' (tencent, netease, aliyun, google, microsoft)"),
                          optarg);
                return EXIT_USAGE;
            }
            o.provider = optarg;
            break;
        case OPT_DNS:
            if (!*optarg || strlen(optarg) > 300) {
                log_warnx(_("bad DNS server '%s'"), optarg);
                return EXIT_USAGE;
            }
            dopts.server = optarg;
            break;
        case OPT_TIMEOUT: {
            double t = strtod(optarg, &end);
            if (*end || t <= 0 || t > 300) {
                log_warnx(_("bad time-out '%s'"), optarg);
                return EXIT_USAGE;
            }
            dopts.timeout_ms = (int)(t * 1000);
            break;
        }
        case OPT_PSL: o.psl_file = optarg; break;
        case OPT_ZONE:
            if (nzones == MAX_ZONES) {
                log_warnx(_("too many zone files"));
                return EXIT_USAGE;
            }
            zones[nzones++] = optarg;
            break;
        case 'h': usage(stdout); return EXIT_OK;
        default: usage(stderr); return EXIT_USAGE;
        }
    }
    o.selectors = selectors;
    int single = -1;
    const char *domain = NULL;
    if (optind < argc && (single = parse_single(argv[optind])) >= 0)
        optind++;
    if (single == MM_CHECKUP_DNSBL && optind < argc && !o.ip) {
        /* checkup dnsbl IP|DOMAIN: an address is the IP, anything else the domain. */
        unsigned char tmp[16];
        if (inet_pton(AF_INET, argv[optind], tmp) == 1 ||
            inet_pton(AF_INET6, argv[optind], tmp) == 1)
            o.ip = argv[optind++];
    }
    if (single == MM_CHECKUP_PTR) {
        if (optind < argc && !o.ip)
            o.ip = argv[optind++];
        unsigned char tmp[16];
        if (!o.ip || (inet_pton(AF_INET, o.ip, tmp) != 1 && inet_pton(AF_INET6, o.ip, tmp) != 1)) {
            log_warnx(_("checkup ptr needs an IP address"));
            return EXIT_USAGE;
        }
    } else if (optind < argc) {
        domain = argv[optind++];
    }
    if (optind < argc) {
        log_warnx(_("unexpected argument '%s'"), argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (!domain && single != MM_CHECKUP_PTR && !(single == MM_CHECKUP_DKIM && message_path) &&
        !(single == MM_CHECKUP_DNSBL && o.ip)) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (single >= 0)
        o.sections = 1u << single;
    char *msg = NULL;
    if (message_path) {
        msg = read_file(message_path, &o.message_len);
        if (!msg) {
            log_warnx(_("%s: cannot read: %s"), message_path, strerror(errno));
            return EXIT_SOMEFAIL;
        }
        o.message = msg;
        /* DMARC for the message needs its DKIM results. */
        if (single == MM_CHECKUP_DMARC)
            o.sections |= 1u << MM_CHECKUP_DKIM;
    }
    if (single == MM_CHECKUP_DMARC && o.ip)
        o.sections |= 1u << MM_CHECKUP_SPF;

    double t0 = now_ms();
    mm_dns *dns = NULL;
    mm_zonedb *zdb = NULL;
    mm_status_t st = nzones ? load_zones(zones, nzones, &zdb) : MM_OK;
    if (st == MM_EPARSE || st == MM_EIO) {
        free(msg);
        return EXIT_SOMEFAIL;
    }
    if (st == MM_OK && zdb) {
        /* Offline: nothing leaves the machine, the policy file included. */
        o.no_policy_fetch = true;
        mm_dns_backend be;
        mm_zonedb_backend(zdb, &be);
        st = mm_dns_create_backend(&be, &dns);
    } else if (st == MM_OK) {
        st = mm_dns_create(&dopts, &dns);
    }
    if (st != MM_OK) {
        mm_zonedb_free(zdb);
        free(msg);
        log_warnx(_("cannot start: %s"), mm_strerror(st));
        return st == MM_EINVAL ? EXIT_USAGE : EXIT_INTERNAL;
    }
    mm_checkup *c = NULL;
    st = mm_checkup_run(dns, domain, &o, &c);
    double ms = now_ms() - t0;
    if (st != MM_OK) {
        mm_dns_free(dns);
        mm_zonedb_free(zdb);
        free(msg);
        log_warnx(_("checkup failed: %s"), mm_strerror(st));
        return st == MM_EINVAL ? EXIT_USAGE : EXIT_INTERNAL;
    }
    mm_buf b = MM_BUF_INIT;
    if (format == CK_JSON)
        render_json(c, single, o.ip, o.helo, ms, &b);
    else
        render_text(c, single, format == CK_MARKDOWN, &b);
    (void)cli_stdout_write(b.data, b.len); /* an error: reported by main (cliout.c) */
    int rc = EXIT_OK;
    for (int i = 0; i < MM_CHECKUP_SECTION_MAX_; i++) {
        const mm_checkup_section *s = mm_checkup_section_get(c, (mm_checkup_section_id)i);
        if (!s)
            continue;
        if (s->status == MM_CHECKUP_FAIL)
            rc = EXIT_CK_FAIL;
        else if (s->status == MM_CHECKUP_WARN && rc == EXIT_OK)
            rc = EXIT_CK_WARN;
    }
    mm_buf_free(&b);
    mm_checkup_free(c);
    mm_dns_free(dns);
    mm_zonedb_free(zdb);
    free(msg);
    return rc;
}
