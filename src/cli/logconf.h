/*
 * logconf.h - the config file of `mailmedic log` and the parsers of
 * durations and times its options take (logconf.c).
 *
 * The config file holds "key = value" lines and '#' comments; the keys are
 * db, temporary_delay, mailbox_full_delay, give_up_age (durations) and
 * give_up_count.  Errors are printed with log_warnx() (cli.h).
 */
#ifndef MM_CLI_LOGCONF_H
#define MM_CLI_LOGCONF_H

#include <mailmedic/store.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Read the config file at path (NULL = $XDG_CONFIG_HOME/mailmedic/log.conf
 * or ~/.config/mailmedic/log.conf) into opt's retry policy and *db (a new
 * string the caller frees; an older *db is freed).  A missing default file
 * is fine; a missing path given with must, or a bad line, is not: false
 * after a message. */
bool log_config_read(const char *path, bool must, mm_store_options *opt, char **db);
/* The same from an open stream (not closed); name is for messages. */
bool log_config_read_fp(FILE *fp, const char *name, mm_store_options *opt, char **db);

/* A duration: N with s, m, h, d or w (no unit = seconds), at most 100 years. */
bool log_parse_duration(const char *arg, long *out);
/* A time: YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or with T and Z (UTC), @UNIX,
 * "now", a duration back from now such as 7d, 12h, 30m, 2w, or ahead of
 * now with a plus: +1d. */
bool log_parse_time(const char *arg, int64_t now, int64_t *out);

#endif
