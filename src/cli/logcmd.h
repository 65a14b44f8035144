/*
 * logcmd.h - what the files of `mailmedic log` share: the context every
 * command gets (the store, opened on first use, and the options read from
 * the command line and the config file), output formats, time parsing and
 * printing, address syntax, labels, and the commands themselves.
 *
 * Files: logcmd.c (global options, dispatch, helpers), logconf.c (config
 * file, durations and times),
 * logcheck.c (check, due, suppress, unsuppress, list, suppression import
 * and export), lognote.c (history, note, contacts import), logstats.c
 * (stats), logexport.c (export to CSV and XLSX), log_ingest.c (ingest).
 */
#ifndef MM_CLI_LOGCMD_H
#define MM_CLI_LOGCMD_H

#include <mailmedic/stats.h>
#include <mailmedic/store.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "../lib/util/buf.h"
#include "logconf.h"
#include "output.h"

/* Exit status of `log` commands (docs/CLI.md, man page). */
enum {
    LOG_OK = 0,
    LOG_NOSEND = 1, /* check: at least one address must not be sent to now;
                       import: some rows were skipped */
    LOG_USAGE = 2,  /* bad command line, config file or unreadable input file */
    LOG_DBERR = 3,  /* the database cannot be opened or failed; out of memory */
};

typedef struct logctx {
    const char *db; /* --db, else the config's db, else NULL (the default) */
    char *db_conf;  /* the config's db value (owned) */
    mm_store_options opt;
    mm_store *store;  /* opened by log_store() */
    const char *lang; /* "zh" or "en" */
    int64_t now;
} logctx;

/* The store, opened on first use; NULL after printing why (exit LOG_DBERR). */
mm_store *log_store(logctx *c);
/* Report a failed store call: names the database, says what failed.
 * Returns LOG_DBERR. */
int log_dberr(logctx *c, mm_status_t st, const char *what);

/* -f/--format: text, json (jsonl) or csv; false (after a message) otherwise. */
bool log_parse_format(const char *arg, out_format *f);
/* log_parse_time() and log_parse_duration(): logconf.h. */
/* "2026-11-30T01:02:03Z", or "" for 0. */
void log_iso_time(int64_t t, char *buf, size_t n);
/* "2026-11-30 01:02 UTC", or "-" for 0 (the text format). */
void log_text_time(int64_t t, char *buf, size_t n);

/* A cheap addr-spec shape check: local@domain, no spaces or controls, at
 * most 254 bytes.  The store compares addresses as given (domain
 * lower-cased), so this only catches what is certainly not an address. */
bool log_addr_ok(const char *s);

/* Translated labels (the machine names stay beside them where it matters). */
const char *log_why_label(const char *why);
const char *log_state_label(mm_addr_state s);
const char *log_outcome_label(const char *outcome);

/* Open an input file ("-" = standard input) as a seekable stream (standard
 * input is copied to a temporary file), so a CSV header can be read twice.
 * NULL after a message. */
FILE *log_open_input(const char *path);

/* Write b to fp and empty it; false on a write error. */
bool log_flush(mm_buf *b, FILE *fp);

/* The translated title of a statistics table (logstats.c): the text report
 * and the XLSX statistics sheet share it. */
const char *log_stats_title(mm_stats_table t);

int log_check(logctx *c, int argc, char **argv);
int log_due(logctx *c, int argc, char **argv);
int log_suppress(logctx *c, int argc, char **argv); /* suppress, unsuppress */
int log_list(logctx *c, int argc, char **argv);     /* suppressed, list */
int log_import_suppressions(logctx *c, int argc, char **argv);
int log_export_suppressions(logctx *c, int argc, char **argv);
int log_history(logctx *c, int argc, char **argv);
int log_note(logctx *c, int argc, char **argv);
int log_contacts(logctx *c, int argc, char **argv);
int log_stats(logctx *c, int argc, char **argv);
int log_export(logctx *c, int argc, char **argv);

/* logstats.c: run the statistics for [since, until) into *out (caller
 * frees with mm_stats_free); for export too. */
struct mm_stats;
int log_stats_compute(logctx *c, int64_t since, int64_t until, int bucket, size_t top,
                      struct mm_stats **out);

#endif
