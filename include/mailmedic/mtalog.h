/*
 * mtalog.h - MTA delivery log lines -> delivery records.
 *
 * Bounces only count the failures; the MTA's own log gives the denominator:
 * one line per delivery attempt with the recipient, the outcome, the DSN and
 * the remote reply.  Two log families are understood:
 *
 *   Postfix  syslog lines of the delivery agents smtp, lmtp, local, virtual,
 *            pipe, error, discard, retry (any syslog_name "postfix*" and
 *            multi-instance names "postfix-out/smtp"):
 *              QUEUEID: to=<addr>, [orig_to=<addr>,] relay=..., delay=...,
 *              [delays=..., ] dsn=X.Y.Z, status=sent|deferred|bounced|expired (text)
 *            with a classic syslog timestamp "Nov 30 01:02:03" (no year: see
 *            mm_mtalog_create) or an RFC 3339 one "2026-11-30T01:02:03.123+08:00".
 *            postfix/bounce, postfix/qmgr (from=, removed), smtpd, cleanup ...
 *            lines are recognised and skipped (MM_ENOTFOUND).
 *   Exim     main log lines "2026-11-30 01:02:03[.mmm] [+zzzz] [[pid]] ID FLAG addr ..."
 *            with FLAG "=>" (delivered), "->" (delivered, additional address),
 *            "==" (deferred), "**" (failed); "<=", "Completed" and the rest
 *            are skipped.  Exim logging through syslog ("... exim[123]: ID => ...")
 *            is understood too.
 *
 * A parser is a small object holding the format, the reference time and the
 * buffer the record's strings live in; it is not thread safe (one per thread).
 */
#ifndef MAILMEDIC_MTALOG_H
#define MAILMEDIC_MTALOG_H

#include <stddef.h>
#include <stdint.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum mm_mtalog_format {
    MM_MTALOG_AUTO = 0, /* each line: Postfix or Exim, whichever it is */
    MM_MTALOG_POSTFIX,
    MM_MTALOG_EXIM
} mm_mtalog_format;

/* Lines longer than this are never deliveries (Postfix and syslog cap lines
 * far below it): MM_EPARSE when they start like one, else MM_ENOTFOUND. */
#define MM_MTALOG_MAX_LINE 65536

/*
 * One delivery attempt.  Every string is non-NULL ("" when absent), NUL
 * terminated, valid UTF-8 (invalid bytes become '?'), and borrowed from the
 * parser until the next mm_mtalog_parse_line() or mm_mtalog_free().
 */
typedef struct mm_mtalog_record {
    int64_t time;             /* seconds since the epoch, UTC */
    const char *address;      /* the recipient (Postfix to=, Exim final address) */
    const char *orig_address; /* the address before aliasing (Postfix orig_to=,
                               * Exim "<orig>"), "" when the same */
    const char *outcome;      /* "sent", "deferred", "bounced" (Postfix expired -> "bounced") */
    const char *status;       /* the DSN "5.1.1"; for Exim taken from the reply
                               * ("550 5.1.1 ..."; a bare "550 ..." gives "5.0.0"), else "" */
    const char *reply;        /* Postfix: the text in the parentheses after status=;
                               * Exim: C="..." for deliveries, the error text of == and ** lines */
    const char *relay;        /* Postfix relay= ("mx.example.com[192.0.2.1]:25", "none",
                               * "local"); Exim "host [ip]" of H=, else the transport T= */
    const char *queue_id;     /* Postfix queue id, Exim message id */
    const char *mta;          /* "postfix" or "exim" */
} mm_mtalog_record;

typedef struct mm_mtalog_parser mm_mtalog_parser;

/*
 * A parser for fmt.  reference_time (seconds since the epoch; usually the
 * log file's mtime or now) gives the year of classic syslog timestamps,
 * which have none: the latest year that does not put the line more than 31
 * days after reference_time.  Timestamps without a zone are read in UTC
 * unless mm_mtalog_set_utc_offset() says otherwise.  NULL when out of memory.
 * Free with mm_mtalog_free().
 */
MM_EXTERN mm_mtalog_parser *mm_mtalog_create(mm_mtalog_format fmt, int64_t reference_time);
/* NULL is a no-op. */
MM_EXTERN void mm_mtalog_free(mm_mtalog_parser *p);

/* The zone of timestamps that carry none (classic syslog, Exim without
 * log_timezone): seconds east of UTC (e.g. 28800 for China). Default 0. */
MM_EXTERN void mm_mtalog_set_utc_offset(mm_mtalog_parser *p, int32_t seconds_east);

/*
 * Parse one line (len bytes, no NUL needed; a trailing "\n" or "\r\n" is
 * ignored).  MM_OK: *out describes a delivery attempt.  MM_ENOTFOUND: the line
 * is not a delivery (most lines; also the skipped Postfix bounce/qmgr lines).
 * MM_EPARSE: the line starts like a delivery line but is broken (bad
 * timestamp, unterminated address, no status, NUL bytes, longer than
 * MM_MTALOG_MAX_LINE).  MM_ENOMEM, MM_EINVAL.  *out is only written on MM_OK.
 */
MM_EXTERN mm_status_t mm_mtalog_parse_line(mm_mtalog_parser *p, const char *line, size_t len,
                                           mm_mtalog_record *out);

/* Counters since create: lines seen, deliveries returned, broken lines. */
MM_EXTERN void mm_mtalog_counts(const mm_mtalog_parser *p, uint64_t *lines, uint64_t *deliveries,
                                uint64_t *broken);

#ifdef __cplusplus
}
#endif
#endif
