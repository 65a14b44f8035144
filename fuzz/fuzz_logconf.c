/*
 * fuzz_logconf.c - the `mailmedic log` config file and time parsers
 * (src/cli/logconf.c, compiled into this target) on arbitrary bytes: the
 * whole input as a config file read through fmemopen(), then every line as
 * a duration (the retry-policy values) and as a time (--since, --until,
 * --at).  log_warnx() of the program is replaced by a stub that formats its
 * message and drops it.
 *
 * Checks: the retry policy keeps positive values within 100 years and a
 * give-up count of 1 to 1000, a duration is within 100 years, a time is
 * either "now" plus or minus such a duration or falls between 1970 and the
 * year 9999, and a date that is accepted names a real day (read back with
 * gmtime_r it gives the same year, month and day).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "../src/cli/cli.h"
#include "../src/cli/logconf.h"
#include "fuzzer.h"

#define NOW 1796040000 /* 2026-11-30 */
#define YEARS100 (100L * 365 * 86400)
#define YEAR9999_END 253402300800LL

void log_warnx(const char *fmt, ...)
{
    char buf[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
}

static void check_policy(const mm_retry_policy *p)
{
    const long d[] = {p->temporary_delay, p->mailbox_full_delay, p->give_up_age};
    for (size_t i = 0; i < 3; i++)
        if (d[i] <= 0 || d[i] > YEARS100)
            abort();
    if (p->give_up_count < 1 || p->give_up_count > 1000)
        abort();
}

static void check_time(const char *s)
{
    long dur;
    if (log_parse_duration(s, &dur) && (dur < 0 || dur > YEARS100))
        abort();
    int64_t t;
    if (!log_parse_time(s, NOW, &t))
        return;
    int y, mo, d;
    if (sscanf(s, "%4d-%2d-%2d", &y, &mo, &d) != 3) {
        if (s[0] == '@' ? t < 0 || t >= YEAR9999_END : t < NOW - YEARS100 || t > NOW + YEARS100)
            abort();
        return;
    }
    if (t < 0 || t >= YEAR9999_END)
        abort();
    if (strstr(s, ":60"))
        return; /* a leap second is the next minute, maybe the next day */
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || tm.tm_year + 1900 != y || tm.tm_mon + 1 != mo || tm.tm_mday != d)
        abort(); /* e.g. 31 February taken as 3 March */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *fp = fmemopen((void *)data, size, "r");
    if (!fp)
        abort();
    mm_store_options opt;
    mm_store_options_default(&opt);
    char *db = NULL;
    log_config_read_fp(fp, "fuzz.conf", &opt, &db);
    fclose(fp);
    check_policy(&opt.policy);
    free(db);

    const char *s = (const char *)data, *e = s + size;
    while (s < e) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        size_t n = nl ? (size_t)(nl - s) : (size_t)(e - s);
        char *line = strndup(s, n);
        if (!line)
            abort();
        check_time(line);
        free(line);
        s += n + (nl ? 1 : 0);
    }
    return 0;
}
