/*
 * log_ingest.h - what the readers of `log ingest` share (log_ingest.c:
 * files, directories, mbox, stdin; log_ingest_mta.c: MTA delivery logs;
 * log_ingest_imap.c: IMAP).
 */
#ifndef MM_CLI_LOG_INGEST_H
#define MM_CLI_LOG_INGEST_H

#include <mailmedic/mailmedic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ingest_run {
    mm_store *store;
    mm_ctx *ctx;
    mm_ingest *ing;
    int jobs;
    bool progress;     /* stderr is a terminal */
    size_t read;       /* messages read */
    size_t lines;      /* log lines read */
    size_t unreadable; /* inputs (files, messages, log files) that could not be read */
    size_t bad_lines;  /* broken delivery log lines */
    bool dberr;        /* the store failed: stop, exit 3 */
    void *imap;        /* log_ingest_imap.c's state */
} ingest_run;

typedef struct imap_opts {
    const char *url, *user, *credentials, *cafile, *move_to;
    bool plaintext_ok; /* imap:// without STARTTLS to a loopback server */
} imap_opts;

void ingest_paths(ingest_run *r, char **paths, size_t n);
void ingest_progress(ingest_run *r);
/* Report a store failure once; always returns false. */
bool ingest_store_failed(ingest_run *r, mm_status_t st);

/* log_ingest_mta.c */
/* The zone of the log's timestamps that carry none (--mta-tz). */
typedef struct mta_zone {
    bool local;     /* this machine's zone at the file's time (the default) */
    int32_t east;   /* else: seconds east of UTC */
} mta_zone;

/* "local", "UTC" (or "Z"), "+0800", "-05:30"; false when s is none of them. */
bool mta_zone_parse(const char *s, mta_zone *z);
void ingest_mta_log(ingest_run *r, const char *path, const char *format, const mta_zone *zone);

/* log_ingest_imap.c: returns an exit status (EXIT_OK, EXIT_SOMEFAIL,
 * EXIT_INTERNAL for a server that went away, EXIT_USAGE). */
int ingest_imap(ingest_run *r, const imap_opts *o);
void ingest_imap_committed(void *arg, const char *cursor_name, const char *cursor_value);
void ingest_imap_finish(ingest_run *r);

#endif
