/*
 * cli.h - what the mailmedic program's files share: logging, i18n set-up,
 * and the subcommands.  Globals live only here, in the program.
 */
#ifndef MM_CLI_H
#define MM_CLI_H

#include <libintl.h>
#include <stdbool.h>
#include <stdio.h>

#define _(s) dgettext("mailmedic", s)
#define N_(s) s

/* Exit codes (documented in the man page and docs/CLI.md). */
enum {
    EXIT_OK = 0,        /* every input was read */
    EXIT_SOMEFAIL = 1,  /* some inputs could not be read or parsed; the rest were */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_INTERNAL = 3,  /* out of memory or another internal failure */
};

extern const char *progname;

void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Set up gettext for lang ("zh", "en", or NULL = from the environment).
 * Returns the language in effect: "zh" or "en". */
const char *i18n_setup(const char *lang);

int cmd_diagnose(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_checkup(int argc, char **argv);
int cmd_log(int argc, char **argv);

/* `log ingest` (log_ingest.c), called by cmd_log (logcmd.c) with the store
 * already open: argv[0] is "ingest". */
struct mm_store;
int log_ingest_main(struct mm_store *store, int argc, char **argv);

#endif
