/*
 * mtalog.c - the MTA log parser object: line dispatch (Exim main log or a
 * syslog line from Postfix or Exim), timestamps and the string store.
 *
 * Parsing never copies the line as a whole: the Postfix and Exim parsers
 * walk the borrowed bytes and copy out only the fields of a delivery, each
 * made valid UTF-8, into one store sized before the first copy so the
 * pointers in the record stay put until the next line.
 */
#include "mtalog_int.h"

#include <stdlib.h>
#include <string.h>

mm_mtalog_parser *mm_mtalog_create(mm_mtalog_format fmt, int64_t reference_time)
{
    if (fmt != MM_MTALOG_AUTO && fmt != MM_MTALOG_POSTFIX && fmt != MM_MTALOG_EXIM)
        return NULL;
    mm_mtalog_parser *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->fmt = fmt;
    p->reference = reference_time;
    return p;
}

void mm_mtalog_free(mm_mtalog_parser *p)
{
    if (!p)
        return;
    free(p->store);
    free(p);
}

void mm_mtalog_set_utc_offset(mm_mtalog_parser *p, int32_t seconds_east)
{
    if (p && seconds_east > -86400 && seconds_east < 86400)
        p->utc_offset = seconds_east;
}

void mm_mtalog_counts(const mm_mtalog_parser *p, uint64_t *lines, uint64_t *deliveries,
                      uint64_t *broken)
{
    if (lines)
        *lines = p ? p->lines : 0;
    if (deliveries)
        *deliveries = p ? p->deliveries : 0;
    if (broken)
        *broken = p ? p->broken : 0;
}

/* ---- time ---- */

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil), valid for any year a log can carry. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int month_days(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return days[m - 1];
}

int64_t mtalog_civil(int y, int mon, int d, int h, int mi, int s)
{
    /* 60: a leap second as syslog may print it. */
    if (y < 1970 || y > 9999 || mon < 1 || mon > 12 || d < 1 || d > month_days(y, mon) || h < 0 ||
        h > 23 || mi < 0 || mi > 59 || s < 0 || s > 60)
        return -1;
    return days_from_civil(y, mon, d) * 86400 + h * 3600 + mi * 60 + s;
}

/* The year of a UTC time (for the reference year of syslog stamps). */
static int year_of(int64_t t)
{
    int64_t z = (t >= 0 ? t : t - 86399) / 86400 + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    int m = (int)(mp < 10 ? mp + 3 : mp - 9);
    return (int)(yoe + era * 400 + (m <= 2));
}

static bool num(mtalog_line *l, int width, int *v)
{
    if (l->end - l->p < width)
        return false;
    int n = 0;
    for (int i = 0; i < width; i++) {
        if (!mtalog_digit(l->p[i]))
            return false;
        n = n * 10 + (l->p[i] - '0');
    }
    l->p += width;
    *v = n;
    return true;
}

static bool lit(mtalog_line *l, char c)
{
    if (l->p < l->end && *l->p == c) {
        l->p++;
        return true;
    }
    return false;
}

/* "HH:MM:SS" and an optional ".fraction" (dropped). */
static bool clock_time(mtalog_line *l, int *h, int *mi, int *s)
{
    if (!num(l, 2, h) || !lit(l, ':') || !num(l, 2, mi) || !lit(l, ':') || !num(l, 2, s))
        return false;
    if (l->p + 1 < l->end && *l->p == '.' && mtalog_digit(l->p[1])) {
        l->p++;
        while (l->p < l->end && mtalog_digit(*l->p))
            l->p++;
    }
    return true;
}

/* "Z", "+08:00", "+0800" -> seconds east; false if none is there. */
static bool zone(mtalog_line *l, int *east)
{
    if (lit(l, 'Z') || lit(l, 'z')) {
        *east = 0;
        return true;
    }
    if (l->p >= l->end || (*l->p != '+' && *l->p != '-'))
        return false;
    mtalog_line save = *l;
    int sign = *l->p == '-' ? -1 : 1, hh, mm;
    l->p++;
    if (!num(l, 2, &hh)) {
        *l = save;
        return false;
    }
    lit(l, ':');
    if (!num(l, 2, &mm) || hh > 23 || mm > 59) {
        *l = save;
        return false;
    }
    *east = sign * (hh * 3600 + mm * 60);
    return true;
}

bool mtalog_iso_time(const mm_mtalog_parser *p, mtalog_line *l, char sep, bool zone_ok, int64_t *t)
{
    int y, mon, d, h, mi, s, east = p->utc_offset;
    if (!num(l, 4, &y) || !lit(l, '-') || !num(l, 2, &mon) || !lit(l, '-') || !num(l, 2, &d) ||
        !lit(l, sep) || !clock_time(l, &h, &mi, &s))
        return false;
    if (zone_ok) {
        /* Exim's log_timezone puts " +0800" after a space; RFC 3339 none. */
        mtalog_line z = *l;
        if (sep == ' ')
            lit(&z, ' ');
        if (zone(&z, &east))
            *l = z;
    }
    int64_t c = mtalog_civil(y, mon, d, h, mi, s);
    *t = c < 0 ? -1 : c - east;
    return true;
}

/* "Nov 30 01:02:03": the year is the latest one that does not put the line
 * more than 31 days after the reference time (a log read at New Year still
 * has December lines; a clock a little ahead is tolerated). */
static bool classic_time(const mm_mtalog_parser *p, mtalog_line *l, int64_t *t)
{
    static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    if (l->end - l->p < 15)
        return false;
    int mon = 0;
    for (int i = 0; i < 12; i++)
        if (memcmp(l->p, months + 3 * i, 3) == 0)
            mon = i + 1;
    if (!mon || l->p[3] != ' ')
        return false;
    l->p += 4;
    lit(l, ' '); /* "Nov  3" */
    int d = 0, h, mi, s;
    if (!mtalog_digit(*l->p))
        return false;
    d = *l->p++ - '0';
    if (l->p < l->end && mtalog_digit(*l->p))
        d = d * 10 + (*l->p++ - '0');
    if (!lit(l, ' ') || !clock_time(l, &h, &mi, &s))
        return false;
    int64_t limit = p->reference + 31 * 86400;
    int ry = year_of(p->reference + p->utc_offset);
    *t = -1;
    /* Feb 29 may need to go back to the last leap year. */
    for (int y = ry + 1; y >= ry - 8; y--) {
        int64_t c = mtalog_civil(y, mon, d, h, mi, s);
        if (c >= 0 && c - p->utc_offset <= limit) {
            *t = c - p->utc_offset;
            break;
        }
    }
    return true;
}

/* ---- the syslog frame ---- */

mm_status_t mtalog_syslog_split(const mm_mtalog_parser *p, mtalog_line *l, mtalog_syslog *out)
{
    /* An optional "<PRI>" as in syslog files written raw. */
    if (l->p < l->end && *l->p == '<') {
        const char *q = l->p + 1;
        while (q < l->end && q - l->p < 5 && mtalog_digit(*q))
            q++;
        if (q < l->end && *q == '>')
            l->p = q + 1;
        if (l->end - l->p < 16)
            return MM_ENOTFOUND;
    }
    bool ok = mtalog_digit(*l->p) ? mtalog_iso_time(p, l, 'T', true, &out->time)
                                  : classic_time(p, l, &out->time);
    if (!ok || !lit(l, ' '))
        return MM_ENOTFOUND;
    const char *host = l->p;
    while (l->p < l->end && *l->p != ' ')
        l->p++;
    if (l->p == host || !lit(l, ' '))
        return MM_ENOTFOUND;
    out->tag = l->p;
    while (l->p < l->end && *l->p != '[' && *l->p != ':' && *l->p != ' ')
        l->p++;
    out->tag_len = (size_t)(l->p - out->tag);
    if (lit(l, '[')) {
        while (l->p < l->end && *l->p != ']')
            l->p++;
        if (!lit(l, ']'))
            return MM_ENOTFOUND;
    }
    if (!out->tag_len || !lit(l, ':') || !lit(l, ' '))
        return MM_ENOTFOUND;
    out->msg = l->p;
    return MM_OK;
}

/* ---- the string store ---- */

bool mtalog_store_reset(mm_mtalog_parser *p, size_t n)
{
    /* Each field is a piece of the line (never longer once cleaned) plus a
     * NUL; the constants and derived DSNs fit in the slack. */
    size_t need = n + 256;
    p->store_len = 0;
    if (need <= p->store_cap)
        return true;
    char *s = realloc(p->store, need);
    if (!s)
        return false;
    p->store = s;
    p->store_cap = need;
    return true;
}

/* Length of the valid UTF-8 sequence at s (RFC 3629 ranges), 0 if invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t k;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        k = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if (n < k || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < k; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return k;
}

const char *mtalog_emit(mm_mtalog_parser *p, const char *s, size_t n)
{
    char *d = p->store + p->store_len, *r = d;
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        if (c >= 0x20 && c < 0x7f) {
            *d++ = (char)c;
            i++;
        } else if (c < 0x80) {
            *d++ = ' ';
            i++;
        } else {
            size_t k = utf8_seq(u + i, n - i);
            if (k) {
                memcpy(d, u + i, k);
                d += k;
                i += k;
            } else {
                *d++ = '?';
                i++;
            }
        }
    }
    *d++ = '\0';
    p->store_len = (size_t)(d - p->store);
    return r;
}

mm_status_t mtalog_begin(mm_mtalog_parser *p, const mtalog_line *l, int64_t time)
{
    size_t n = (size_t)(l->end - l->start);
    if (n > MM_MTALOG_MAX_LINE || time < 0 || memchr(l->start, '\0', n))
        return MM_EPARSE;
    return mtalog_store_reset(p, n) ? MM_OK : MM_ENOMEM;
}

/* ---- SMTP reply codes ---- */

/* "550 5.1.1" at s: the enhanced code (RFC 3463) of the same class. */
static size_t enhanced(const char *s, size_t n, char cls)
{
    if (n < 5 || s[0] != cls || s[1] != '.')
        return 0;
    size_t i = 2, k = 0;
    while (i < n && mtalog_digit(s[i]) && k < 3)
        i++, k++;
    if (!k || i >= n || s[i] != '.')
        return 0;
    i++;
    k = 0;
    while (i < n && mtalog_digit(s[i]) && k < 3)
        i++, k++;
    if (!k || (i < n && (mtalog_digit(s[i]) || s[i] == '.')))
        return 0;
    return i;
}

const char *mtalog_reply_dsn(mm_mtalog_parser *p, const char *s, size_t n)
{
    char basic = 0;
    for (size_t i = 0; i + 3 < n; i++) {
        /* A reply code starts the text or follows a space or ':'. */
        if (i && s[i - 1] != ' ' && s[i - 1] != ':' && s[i - 1] != '"')
            continue;
        if (s[i] < '2' || s[i] > '5' || !mtalog_digit(s[i + 1]) || !mtalog_digit(s[i + 2]) ||
            (s[i + 3] != ' ' && s[i + 3] != '-'))
            continue;
        size_t k = enhanced(s + i + 4, n - i - 4, s[i]);
        if (k)
            return mtalog_emit(p, s + i + 4, k);
        if (!basic)
            basic = s[i];
    }
    if (!basic)
        return "";
    char dsn[6] = {basic, '.', '0', '.', '0', '\0'};
    return mtalog_emit(p, dsn, 5);
}

/* ---- dispatch ---- */

static bool exim_main_line(const char *s, size_t n)
{
    return n > 20 && mtalog_digit(s[0]) && s[4] == '-' && s[7] == '-' && s[10] == ' ' &&
           s[13] == ':';
}

static bool tag_is(const mtalog_syslog *sl, const char *prefix)
{
    size_t n = strlen(prefix);
    return sl->tag_len >= n && memcmp(sl->tag, prefix, n) == 0;
}

static mm_status_t dispatch(mm_mtalog_parser *p, mtalog_line *l, mm_mtalog_record *out)
{
    if (p->fmt != MM_MTALOG_POSTFIX && exim_main_line(l->p, (size_t)(l->end - l->p)))
        return mtalog_exim(p, l, false, 0, out);
    mtalog_syslog sl;
    if (mtalog_syslog_split(p, l, &sl) != MM_OK)
        return MM_ENOTFOUND;
    l->p = sl.msg;
    if (p->fmt != MM_MTALOG_POSTFIX && tag_is(&sl, "exim"))
        return mtalog_exim(p, l, true, sl.time, out);
    if (p->fmt == MM_MTALOG_EXIM)
        return MM_ENOTFOUND;
    /* syslog_name is "postfix" or "postfix-INSTANCE" unless renamed; an
     * explicit POSTFIX format takes any "NAME/agent" tag. */
    if (tag_is(&sl, "postfix") || (p->fmt == MM_MTALOG_POSTFIX && memchr(sl.tag, '/', sl.tag_len)))
        return mtalog_postfix(p, &sl, l, out);
    return MM_ENOTFOUND;
}

mm_status_t mm_mtalog_parse_line(mm_mtalog_parser *p, const char *line, size_t len,
                                 mm_mtalog_record *out)
{
    if (!p || (!line && len) || !out)
        return MM_EINVAL;
    p->lines++;
    if (len && line[len - 1] == '\n')
        len--;
    if (len && line[len - 1] == '\r')
        len--;
    if (len < 16)
        return MM_ENOTFOUND;
    mtalog_line l = {line, line + len, line};
    mm_status_t st = dispatch(p, &l, out);
    if (st == MM_OK)
        p->deliveries++;
    else if (st == MM_EPARSE)
        p->broken++;
    return st;
}
