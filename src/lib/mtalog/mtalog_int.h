/*
 * mtalog_int.h - what the Postfix and Exim line parsers share: the parser
 * object, the string store the record points into, timestamps and the small
 * cursor helpers.  Not installed.
 */
#ifndef MM_MTALOG_INT_H
#define MM_MTALOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailmedic/mtalog.h>

struct mm_mtalog_parser {
    mm_mtalog_format fmt;
    int64_t reference;
    int32_t utc_offset;
    /* The record's strings: reset per line, sized before a line is copied
     * out so pointers handed out never move. */
    char *store;
    size_t store_len, store_cap;
    uint64_t lines, deliveries, broken;
};

/* A line being parsed: [p, end) with the whole line kept for checks. */
typedef struct mtalog_line {
    const char *start, *end;
    const char *p;
} mtalog_line;

/* The syslog prefix "TIME HOST TAG[PID]: " split up. */
typedef struct mtalog_syslog {
    int64_t time;
    const char *tag; /* "postfix/smtp", "exim" */
    size_t tag_len;
    const char *msg; /* after ": " */
} mtalog_syslog;

/* MM_OK, MM_ENOTFOUND (not syslog), MM_EPARSE (a timestamp, then garbage). */
mm_status_t mtalog_syslog_split(const mm_mtalog_parser *p, mtalog_line *l, mtalog_syslog *out);

/* Seconds since the epoch of a civil UTC date-time; -1 if the date is invalid. */
int64_t mtalog_civil(int y, int mon, int d, int h, int mi, int s);
/* "YYYY-MM-DD" then sep ('T' or ' ') then "HH:MM:SS"; fractions skipped; a
 * zone ("Z", "+08:00", "+0800") when zone_ok.  On success *t is UTC, l->p is
 * past it and the return is true. */
bool mtalog_iso_time(const mm_mtalog_parser *p, mtalog_line *l, char sep, bool zone_ok, int64_t *t);

/* A line is a delivery: check it can be one (length, NUL bytes, a valid
 * time) and prepare the store.  MM_OK, MM_EPARSE, MM_ENOMEM. */
mm_status_t mtalog_begin(mm_mtalog_parser *p, const mtalog_line *l, int64_t time);
/* Prepare the store for a line of n bytes; false on ENOMEM. */
bool mtalog_store_reset(mm_mtalog_parser *p, size_t n);
/* Copy s[0..n) into the store as valid UTF-8 (bad bytes '?', controls ' '). */
const char *mtalog_emit(mm_mtalog_parser *p, const char *s, size_t n);

/* The DSN of an SMTP reply text: "5.1.1" from "550 5.1.1 ...", "5.0.0" from
 * a bare "550 ...", "" when there is no reply code; into the store. */
const char *mtalog_reply_dsn(mm_mtalog_parser *p, const char *s, size_t n);

mm_status_t mtalog_postfix(mm_mtalog_parser *p, const mtalog_syslog *sl, const mtalog_line *l,
                           mm_mtalog_record *out);
/* Exim: a main log line, or the message part of an exim syslog line
 * (time already known: have_time). */
mm_status_t mtalog_exim(mm_mtalog_parser *p, mtalog_line *l, bool have_time, int64_t time,
                        mm_mtalog_record *out);

static inline bool mtalog_digit(char c)
{
    return c >= '0' && c <= '9';
}

static inline bool mtalog_alnum(char c)
{
    return mtalog_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

#endif
