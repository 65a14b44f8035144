/*
 * logconf.c - what `mailmedic log` reads from its config file and from time
 * options: "key = value" lines (db and the retry policy, durations such as
 * 4h, 1d, 7d), and the times of --since, --until and --at (dates, ISO
 * times, @UNIX, "now", 30d back or +1d ahead).  Split out of logcmd.c so
 * fuzz/fuzz_logconf.c can compile it alone.
 */
#include "logconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define TIME_MAX 253402300799LL /* 9999-12-31T23:59:59Z */

/* ---- config file ---- */

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    return s;
}

static bool config_line(mm_store_options *opt, char **db, const char *key, const char *val)
{
    long v;
    if (strcmp(key, "db") == 0) {
        free(*db);
        *db = strdup(val);
        return *db != NULL;
    }
    if (strcmp(key, "give_up_count") == 0) {
        char *end;
        v = strtol(val, &end, 10);
        if (*end || v < 1 || v > 1000)
            return false;
        opt->policy.give_up_count = (int)v;
        return true;
    }
    long *dst = strcmp(key, "temporary_delay") == 0      ? &opt->policy.temporary_delay
                : strcmp(key, "mailbox_full_delay") == 0 ? &opt->policy.mailbox_full_delay
                : strcmp(key, "give_up_age") == 0        ? &opt->policy.give_up_age
                                                         : NULL;
    if (!dst || !log_parse_duration(val, &v) || v <= 0)
        return false;
    *dst = v;
    return true;
}

bool log_config_read_fp(FILE *fp, const char *name, mm_store_options *opt, char **db)
{
    char line[4096];
    bool ok = true;
    for (size_t n = 1; ok && fgets(line, sizeof line, fp); n++) {
        size_t len = strlen(line);
        bool whole = (len && line[len - 1] == '\n') || feof(fp);
        if (!whole && len == sizeof line - 1) {
            /* The rest would come back as a line of its own (from a long
             * comment, a "bad setting"; from a long db, a cut path). */
            log_warnx(_("%s:%zu: line too long"), name, n);
            return false;
        }
        char *s = trim(line), *eq = strchr(s, '=');
        if (*s == '#' || *s == '\0')
            continue;
        if (eq)
            *eq = '\0';
        /* !whole: a NUL in the line (what follows it would be lost). */
        if (!eq || !whole || !config_line(opt, db, trim(s), trim(eq + 1))) {
            log_warnx(_("%s:%zu: bad setting (expected db, temporary_delay, mailbox_full_delay, "
                        "give_up_count or give_up_age = VALUE)"),
                      name, n);
            ok = false;
        }
    }
    return ok;
}

bool log_config_read(const char *path, bool must, mm_store_options *opt, char **db)
{
    char def[4096];
    if (!path) {
        const char *x = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        if (x && *x)
            snprintf(def, sizeof def, "%s/mailmedic/log.conf", x);
        else if (home && *home)
            snprintf(def, sizeof def, "%s/.config/mailmedic/log.conf", home);
        else
            return true;
        path = def;
    }
    FILE *fp = fopen(path, "r");
    if (!fp) {
        if (!must && errno == ENOENT)
            return true;
        log_warnx(_("%s: %s"), path, strerror(errno));
        return false;
    }
    bool ok = log_config_read_fp(fp, path, opt, db);
    fclose(fp);
    return ok;
}

/* ---- durations and times ---- */

bool log_parse_duration(const char *arg, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (end == arg || errno || v < 0)
        return false;
    long mul = 1;
    switch (*end) {
    case '\0':
    case 's':
        break;
    case 'm':
        mul = 60;
        break;
    case 'h':
        mul = 3600;
        break;
    case 'd':
        mul = 86400;
        break;
    case 'w':
        mul = 7 * 86400;
        break;
    default:
        return false;
    }
    if (*end && end[1])
        return false;
    if (v > 100L * 365 * 86400 / mul)
        return false;
    *out = v * mul;
    return true;
}

static int64_t utc_days(int y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

/* 1 to max decimal digits at *p into *v, *p moved past them.  Only digits:
 * sscanf's %2d also took a sign or spaces, so "T-4:00" was 20:00 the day
 * before. */
static bool digits(const char **p, int max, int *v)
{
    int n = 0, x = 0;
    for (; n < max && **p >= '0' && **p <= '9'; n++, (*p)++)
        x = x * 10 + (**p - '0');
    *v = x;
    return n > 0;
}

static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return days[m - 1] + (m == 2 && leap);
}

bool log_parse_time(const char *arg, int64_t now, int64_t *out)
{
    int y, mo, d, h = 0, mi = 0, s = 0;
    long dur;
    if (strcmp(arg, "now") == 0) {
        *out = now;
        return true;
    }
    if (arg[0] == '@') {
        char *end;
        errno = 0;
        long long v = strtoll(arg + 1, &end, 10);
        /* Up to the end of 9999 like a date: "@9223372036854775807" made
         * later sums with it overflow. */
        if (end == arg + 1 || *end || errno || v < 0 || v > TIME_MAX)
            return false;
        *out = v;
        return true;
    }
    if (log_parse_duration(arg + (arg[0] == '+'), &dur) && strpbrk(arg, "smhdw")) {
        *out = arg[0] == '+' ? now + dur : now - dur;
        return true;
    }
    const char *p = arg;
    if (!digits(&p, 4, &y) || *p != '-' || (p++, !digits(&p, 2, &mo)) || *p != '-' ||
        (p++, !digits(&p, 2, &d)))
        return false;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (!digits(&p, 2, &h) || *p != ':' || (p++, !digits(&p, 2, &mi)))
            return false;
        if (*p == ':' && (p++, !digits(&p, 2, &s)))
            return false;
        if (*p == 'Z')
            p++;
    }
    /* A day the month has: 2026-02-31 is not 3 March. */
    if (*p || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) || h > 23 ||
        mi > 59 || s > 60)
        return false;
    int64_t t = utc_days(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
    if (t > TIME_MAX)
        return false; /* 9999-12-31T23:59:60, the one past the cap @N has */
    *out = t;
    return true;
}
