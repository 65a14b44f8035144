/*
 * logcmd.c - `mailmedic log`: the bounce log.  Global log options (--db,
 * --config) open the store, then one log command runs on it.
 * (Skeleton: the commands are filled in by the log CLI work.)
 */
#include <mailmedic/mailmedic.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cmd_log(int argc, char **argv)
{
    const char *db = NULL;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strncmp(argv[i], "--db=", 5) == 0)
            db = argv[i] + 5;
        else {
            log_warnx(_("unknown option '%s'"), argv[i]);
            return EXIT_USAGE;
        }
    }
    if (i >= argc) {
        log_warnx(_("missing log command"));
        return EXIT_USAGE;
    }
    mm_store *s = NULL;
    char why[512] = "";
    mm_status_t st = mm_store_open(db, NULL, &s, why, sizeof why);
    if (st != MM_OK) {
        log_warnx("%s", why[0] ? why : mm_strerror(st));
        return EXIT_INTERNAL;
    }
    int rc = EXIT_USAGE;
    if (strcmp(argv[i], "ingest") == 0)
        rc = log_ingest_main(s, argc - i, argv + i);
    else
        log_warnx(_("unknown log command '%s'"), argv[i]);
    mm_store_close(s);
    return rc;
}
