/*
 * log_ingest.c - `mailmedic log ingest`: bounces from files, directories,
 * mbox, Maildir, stdin and IMAP, and MTA delivery logs, into the store.
 * (Skeleton: filled in by the ingest work.)
 */
#include <mailmedic/mailmedic.h>
#include "cli.h"

int log_ingest_main(struct mm_store *store, int argc, char **argv)
{
    (void)store;
    (void)argc;
    (void)argv;
    log_warnx("log ingest: not built yet");
    return EXIT_INTERNAL;
}
