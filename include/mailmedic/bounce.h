/*
 * bounce.h - diagnose a bounce: from bytes of one message (or one pasted SMTP
 * reply line) to a report with one record per recipient the message speaks of.
 *
 * Flow: message (GMime: headers, parts, charsets -> UTF-8) -> detect the
 * decoder -> decode per-recipient fields -> classify (reason, hard/soft) ->
 * advise (category, severity, retry, actions).
 *
 * Thread safety: a report is owned by the caller; different threads may
 * diagnose different messages with one shared mm_ctx at the same time.
 */
#ifndef MAILMEDIC_BOUNCE_H
#define MAILMEDIC_BOUNCE_H

#include <stdbool.h>
#include <stddef.h>
#include <mailmedic/ctx.h>
#include <mailmedic/reason.h>

#ifdef __cplusplus
extern "C" {
#endif

/* What kind of message it was, as a whole. */
typedef enum mm_kind {
    MM_KIND_NOT_BOUNCE = 0, /* ordinary mail: the report has no recipients */
    MM_KIND_BOUNCE,         /* a non-delivery or delay report */
    MM_KIND_FEEDBACK,       /* an ARF (RFC 5965) complaint report */
    MM_KIND_AUTOREPLY,      /* an RFC 3834 auto-reply, e.g. out-of-office */
    MM_KIND_SUCCESS,        /* a delivery/relay success DSN */
} mm_kind_t;

MM_EXTERN const char *mm_kind_tostr(mm_kind_t k);

/*
 * One recipient.  Every string is UTF-8, never NULL ("" when unknown), and
 * borrowed: it lives as long as the report that holds it.
 */
typedef struct mm_recipient {
    const char *recipient;          /* addr-spec, lower-cased domain */
    const char *original_recipient; /* Original-Recipient, if given */
    const char *action;             /* failed, delayed, delivered, relayed, expanded */
    const char *status;             /* RFC 3463 code "5.1.1", or "" */
    int reply_code;                 /* SMTP reply code, 0 if none */
    const char *diagnostic;         /* the receiver's own words, one line */
    const char *remote_mta;         /* host that refused, if known */
    const char *reporting_mta;      /* host that wrote the report */
    const char *date;               /* Last-Attempt-Date or the report's Date */
    const char *smtp_command;       /* SMTP command the reply answered, or "" */
    const char *provider;           /* receiving provider rule that matched, or "" */
    mm_reason_t reason;
    bool hard_bounce;  /* permanent and tied to the address: never send again */
    mm_advice advice;
} mm_recipient;

/* Headers of the original (bounced) message, when the bounce carries them. */
typedef struct mm_original {
    const char *message_id, *subject, *from, *to, *date;
} mm_original;

typedef struct mm_report mm_report;

/*
 * Diagnose one message held in memory (bytes need not be NUL-terminated; LF,
 * CRLF and bare-CR line ends are all accepted).  On MM_OK *out owns a report
 * (free with mm_report_destroy); its kind may be MM_KIND_NOT_BOUNCE with no
 * recipients.  Errors: MM_EEMPTY, MM_EBINARY, MM_ENOTMAIL, MM_ENOMEM.  If
 * why is non-NULL it receives a NUL-terminated detail (up to whylen bytes).
 */
MM_EXTERN mm_status_t mm_diagnose_message(const mm_ctx *ctx, const char *bytes, size_t len,
                                          mm_report **out, char *why, size_t whylen);

/*
 * Diagnose one line of text: an SMTP reply ("550 5.1.1 <a@b>: User unknown"),
 * an MTA log line, or the error a mail client showed.  Gives a report with
 * one recipient (the address found in the text, if any).
 */
MM_EXTERN mm_status_t mm_diagnose_text(const mm_ctx *ctx, const char *text, mm_report **out);

MM_EXTERN void mm_report_destroy(mm_report *r);
MM_EXTERN mm_kind_t mm_report_kind(const mm_report *r);
MM_EXTERN size_t mm_report_count(const mm_report *r);
/* The i-th recipient (0-based), or NULL past the end; borrowed. */
MM_EXTERN const mm_recipient *mm_report_recipient(const mm_report *r, size_t i);
/* Borrowed; fields "" when the bounce did not carry the original. */
MM_EXTERN const mm_original *mm_report_original(const mm_report *r);
/* Name of the decoder that recognised the message ("rfc3464", "postfix", ...). */
MM_EXTERN const char *mm_report_mta(const mm_report *r);
/* True when the message was larger than max_message_bytes and only its head was read. */
MM_EXTERN bool mm_report_truncated(const mm_report *r);

#ifdef __cplusplus
}
#endif
#endif
