/*
 * logcmd.c - `mailmedic log`: the bounce log.  Global log options (--db,
 * --config) may stand before or after the command; they are taken out of
 * argv first, then the config file is read, then one command runs.  The
 * store is opened only when a command needs it (so --help never touches a
 * database).  Also the helpers every log command shares (logcmd.h).
 */
#include "logcmd.h"

#include <errno.h>
#include <mailmedic/mailmedic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "cli.h"

typedef struct logcmd {
    const char *name;
    int (*run)(logctx *c, int argc, char **argv);
    const char *help;
} logcmd;

static int run_ingest(logctx *c, int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return log_ingest_main(NULL, argc, argv);
    mm_store *s = log_store(c);
    return s ? log_ingest_main(s, argc, argv) : LOG_DBERR;
}

static const logcmd logcmds[] = {
    {"ingest", run_ingest, N_("read bounces and MTA logs into the log")},
    {"check", log_check, N_("may these addresses be sent to now? (exit status 0 or 1)")},
    {"due", log_due, N_("soft-bounced addresses whose retry time has come")},
    {"suppress", log_suppress, N_("never send to these addresses again")},
    {"unsuppress", log_suppress, N_("take addresses off the suppression list")},
    {"suppressed", log_list, N_("the suppression list")},
    {"list", log_list, N_("every known address with its state")},
    {"import-suppressions", log_import_suppressions,
     N_("add a suppression list (CSV or one address per line)")},
    {"export-suppressions", log_export_suppressions, N_("write the suppression list as CSV")},
    {"history", log_history, N_("every bounce of an address, with your notes")},
    {"note", log_note, N_("record the fix tried, the outcome, the corrected address")},
    {"contacts", log_contacts, N_("import contacts with their source (contacts import FILE.csv)")},
    {"stats", log_stats, N_("statistics: reasons, domains, providers, sources, over time")},
    {"export", log_export, N_("the log, suppression list and statistics as CSV or Excel")},
    {NULL, NULL, NULL},
};

static void usage(FILE *fp)
{
    fprintf(fp,
            _("Usage: %s log [--db PATH|postgresql://URI] [--config FILE] COMMAND [OPTION]...\n"
              "The bounce log: every bounce stored, the suppression list, the retry\n"
              "schedule of soft bounces, your notes, statistics and export.\n\nCommands:\n"),
            progname);
    for (const logcmd *c = logcmds; c->name; c++)
        fprintf(fp, "  %-20s %s\n", c->name, _(c->help));
    fprintf(
        fp,
        _("\nOptions (before or after the command):\n"
          "      --db=WHERE      the store: an SQLite file (sqlite:PATH or PATH) or a\n"
          "                      postgresql:// URI (default: the config file's db, else\n"
          "                      $XDG_DATA_HOME/mailmedic/log.sqlite)\n"
          "      --config=FILE   the config file (default: $XDG_CONFIG_HOME/mailmedic/log.conf)\n"
          "  -h, --help          show this help\n\n"
          "Run '%s log COMMAND --help' for a command's options.\n"
          "Exit status: 0 done; 1 check: some address must not be sent to now (import:\n"
          "some rows skipped); 2 bad command line, config or input file; 3 database error.\n"),
        progname);
    cli_stdout_usage(fp);
}

/* Take --db and --config out of argv (anywhere before "--"). */
static bool take_globals(int *argc, char **argv, const char **db, const char **config)
{
    int o = 1;
    for (int i = 1; i < *argc; i++) {
        const char *a = argv[i];
        const char **dst = strncmp(a, "--db", 4) == 0 && (a[4] == '\0' || a[4] == '=') ? db
                           : strncmp(a, "--config", 8) == 0 && (a[8] == '\0' || a[8] == '=')
                               ? config
                               : NULL;
        if (strcmp(a, "--") == 0) {
            while (i < *argc)
                argv[o++] = argv[i++];
            break;
        }
        if (!dst) {
            argv[o++] = argv[i];
            continue;
        }
        const char *eq = strchr(a, '=');
        if (eq) {
            *dst = eq + 1;
        } else if (i + 1 < *argc) {
            *dst = argv[++i];
        } else {
            log_warnx(_("option '%s' needs a value"), a);
            return false;
        }
    }
    *argc = o;
    argv[o] = NULL;
    return true;
}

int cmd_log(int argc, char **argv)
{
    const char *db = NULL, *config = NULL;
    if (!take_globals(&argc, argv, &db, &config))
        return LOG_USAGE;
    if (argc < 2 || argv[1][0] == '-') {
        bool help = argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
        if (!help && argc >= 2)
            log_warnx(_("unknown option '%s'"), argv[1]);
        usage(help ? stdout : stderr);
        return help ? LOG_OK : LOG_USAGE;
    }
    const logcmd *cmd = logcmds;
    while (cmd->name && strcmp(cmd->name, argv[1]) != 0)
        cmd++;
    if (!cmd->name) {
        log_warnx(_("unknown log command '%s'"), argv[1]);
        usage(stderr);
        return LOG_USAGE;
    }
    logctx c = {.lang = i18n_setup(NULL), .now = (int64_t)time(NULL)};
    mm_store_options_default(&c.opt);
    int rc = LOG_USAGE;
    if (log_config_read(config, config != NULL, &c.opt, &c.db_conf)) {
        c.db = db ? db : c.db_conf;
        rc = cmd->run(&c, argc - 1, argv + 1);
    }
    mm_store_close(c.store);
    free(c.db_conf);
    return rc;
}

/* ---- the store ---- */

mm_store *log_store(logctx *c)
{
    if (c->store)
        return c->store;
    char why[1024] = "";
    mm_status_t st = mm_store_open(c->db, &c->opt, &c->store, why, sizeof why);
    if (st != MM_OK) {
        c->store = NULL;
        log_warnx(_("cannot open the bounce log: %s"), why[0] ? why : mm_strerror(st));
    }
    return c->store;
}

int log_dberr(logctx *c, mm_status_t st, const char *what)
{
    const char *why = c->store ? mm_store_error(c->store) : "";
    log_warnx(_("%s failed: %s"), what, why && *why ? why : mm_strerror(st));
    return LOG_DBERR;
}

/* ---- parsing and printing ---- */

bool log_parse_format(const char *arg, out_format *f)
{
    if (strcmp(arg, "json") == 0 || strcmp(arg, "jsonl") == 0)
        *f = OUT_JSON;
    else if (strcmp(arg, "csv") == 0)
        *f = OUT_CSV;
    else if (strcmp(arg, "text") == 0)
        *f = OUT_TEXT;
    else {
        log_warnx(_("unknown format '%s' (text, json or csv)"), arg);
        return false;
    }
    return true;
}

void log_iso_time(int64_t t, char *buf, size_t n)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!t || !gmtime_r(&tt, &tm))
        buf[0] = '\0';
    else
        strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void log_text_time(int64_t t, char *buf, size_t n)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (!t || !gmtime_r(&tt, &tm))
        snprintf(buf, n, "-");
    else
        strftime(buf, n, "%Y-%m-%d %H:%M UTC", &tm);
}

bool log_addr_ok(const char *s)
{
    size_t n = strlen(s);
    const char *at = strrchr(s, '@');
    if (!at || at == s || !at[1] || n > 254 || at - s > 64)
        return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p <= ' ' || *p == 0x7F || *p == '<' || *p == '>' || *p == ',' || *p == ';')
            return false;
    const char *dom = at + 1;
    if (s[0] != '"' && memchr(s, '@', (size_t)(at - s)))
        return false; /* a second @ outside a quoted local part */
    return dom[0] != '.' && dom[strlen(dom) - 1] != '.' && !strstr(dom, "..") && !strchr(dom, '@');
}

const char *log_why_label(const char *why)
{
    if (!why || !*why)
        return "";
    if (strcmp(why, MM_WHY_HARD_BOUNCE) == 0)
        return _("hard bounce");
    if (strcmp(why, MM_WHY_COMPLAINT) == 0)
        return _("spam complaint");
    if (strcmp(why, MM_WHY_MANUAL) == 0)
        return _("suppressed by hand");
    if (strcmp(why, MM_WHY_GAVE_UP) == 0)
        return _("too many soft bounces: gave up");
    if (strcmp(why, MM_WHY_IMPORTED) == 0)
        return _("imported suppression list");
    return why;
}

const char *log_state_label(mm_addr_state s)
{
    switch (s) {
    case MM_ADDR_ACTIVE:
        return _("active");
    case MM_ADDR_SOFT:
        return _("soft bounce");
    case MM_ADDR_SUPPRESSED:
        return _("suppressed");
    }
    return "";
}

const char *log_outcome_label(const char *o)
{
    if (!o || !*o)
        return "";
    if (strcmp(o, MM_OUTCOME_RESOLVED) == 0)
        return _("resolved");
    if (strcmp(o, MM_OUTCOME_FAILING) == 0)
        return _("still failing");
    if (strcmp(o, MM_OUTCOME_LOST) == 0)
        return _("contact lost");
    return o;
}

FILE *log_open_input(const char *path)
{
    if (strcmp(path, "-") != 0) {
        FILE *fp = fopen(path, "rb");
        if (!fp)
            log_warnx(_("%s: %s"), path, strerror(errno));
        return fp;
    }
    FILE *tmp = tmpfile();
    if (!tmp) {
        log_warnx(_("cannot make a temporary file: %s"), strerror(errno));
        return NULL;
    }
    char buf[65536];
    for (size_t n; (n = fread(buf, 1, sizeof buf, stdin)) > 0;)
        if (fwrite(buf, 1, n, tmp) != n) {
            log_warnx(_("cannot make a temporary file: %s"), strerror(errno));
            fclose(tmp);
            return NULL;
        }
    rewind(tmp);
    return tmp;
}

bool log_flush(mm_buf *b, FILE *fp)
{
    /* Standard output past stdio, as diagnose and verify write it (stdio
     * drops its buffer when a non-blocking stdout says EAGAIN); an error is
     * noted and reported once at the end by main (cliout.c), after the
     * store's work is finished: it never cuts a transaction short. */
    bool ok = fp == stdout ? cli_stdout_write_note(b->data, b->len)
                           : b->len == 0 || fwrite(b->data, 1, b->len, fp) == b->len;
    mm_buf_reset(b);
    return ok;
}

