/*
 * cli.h - what the mailmedic program's files share: logging, i18n set-up,
 * and the subcommands.  Globals live only here, in the program.
 */
#ifndef MM_CLI_H
#define MM_CLI_H

#include <libintl.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/uio.h>

#define _(s) dgettext("mailmedic", s)
#define N_(s) s

/* Exit codes (documented in the man page and docs/CLI.md). */
enum {
    EXIT_OK = 0,        /* every input was read */
    EXIT_SOMEFAIL = 1,  /* some inputs could not be read or parsed; the rest were */
    EXIT_USAGE = 2,     /* bad command line */
    EXIT_INTERNAL = 3,  /* out of memory, another internal failure, or standard
                         * output could not be written (cliout.c) */
};

extern const char *progname;

void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Set up gettext for lang ("zh", "en", or NULL = from the environment).
 * Returns the language in effect: "zh" or "en". */
const char *i18n_setup(const char *lang);

/* ---- standard output (cliout.c): a write error is never lost ----
 * Set SIGPIPE's policy (ignored: sockets get EPIPE); call first. */
void cli_stdout_setup(void);
/* Write v[0..n) (used up) or len bytes to standard output whole, past
 * stdio (flushed first); EINTR retried, a non-blocking stdout waited for.
 * A failure goes to cli_stdout_error(); false then, and at once for every
 * later call. */
bool cli_stdout_writev(struct iovec *v, int n);
bool cli_stdout_write(const void *p, size_t len);
/* The same for the log commands: an error (EPIPE too) is only noted, and
 * reported by cli_stdout_close() once the database work is done. */
bool cli_stdout_write_note(const void *p, size_t len);
/* A write to standard output (never a socket or another file) failed with
 * errno err: remembered for cli_stdout_failed() and cli_stdout_close(),
 * which reports it, or for EPIPE (the reader is gone) ends the program by
 * SIGPIPE.  For the commands that finish their work first (log). */
void cli_stdout_note(int err);
/* The same for the streaming commands: EPIPE ends the program now. */
void cli_stdout_error(int err);
/* A write to standard output failed: streaming commands stop reading. */
bool cli_stdout_failed(void);
/* After the command: flush and close standard output.  On a write error,
 * one line on stderr ("standard output: write error: ...") and
 * EXIT_INTERNAL; EPIPE ends by SIGPIPE; else rc. */
int cli_stdout_close(int rc);
/* The line every command's --help ends with: what exit status 3 also means. */
void cli_stdout_usage(FILE *fp);

int cmd_diagnose(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_checkup(int argc, char **argv);
int cmd_log(int argc, char **argv);

/* `log ingest` (log_ingest.c), called by cmd_log (logcmd.c) with the store
 * already open: argv[0] is "ingest". */
struct mm_store;
int log_ingest_main(struct mm_store *store, int argc, char **argv);

#endif
