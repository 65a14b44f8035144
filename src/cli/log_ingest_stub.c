/* log_ingest_stub.c - placeholders until mtalog.h and imap.h land. */
#include "cli.h"
#include "log_ingest.h"

void ingest_mta_log(ingest_run *r, const char *path, const char *format)
{
    (void)format;
    log_warnx("%s: MTA logs are not supported yet", path);
    r->unreadable++;
}

int ingest_imap(ingest_run *r, const imap_opts *o)
{
    (void)r;
    log_warnx("%s: IMAP is not supported yet", o->url);
    return EXIT_USAGE;
}

void ingest_imap_committed(void *arg, const char *cursor_name, const char *cursor_value)
{
    (void)arg;
    (void)cursor_name;
    (void)cursor_value;
}

void ingest_imap_finish(ingest_run *r)
{
    (void)r;
}
