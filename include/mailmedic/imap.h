/*
 * imap.h - fetching bounces from a mailbox over IMAP (libcurl).
 *
 * Most bounces land in a hosted inbox (Tencent Exmail, NetEase, Alibaba,
 * Gmail).  This module logs in once, then on each mm_imap_fetch_new() hands
 * the caller every message whose UID is above the last one it processed, in
 * UID order, without marking anything \Seen (the mailbox is opened read-only
 * for fetching, RFC 3501 6.3.2).  Processed bounces can be moved to a folder.
 *
 * TLS is mandatory: imaps:// is TLS from the start; imap:// must upgrade
 * with STARTTLS unless insecure_starttls_ok says otherwise (plaintext tests).
 * The password is only handed to libcurl; it never appears in a message.
 *
 * Errors: MM_ECONN (cannot connect, TLS failure, no STARTTLS, timed out,
 * connection dropped: the message says which), MM_EAUTH (credentials
 * refused), MM_ENOTFOUND (no such mailbox at open, no such UID at move),
 * MM_EIO (the server refused a command: its NO/BAD line is quoted),
 * MM_EINVAL (bad options or URL), MM_ENOMEM.  An mm_imap is not thread safe.
 */
#ifndef MAILMEDIC_IMAP_H
#define MAILMEDIC_IMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <mailmedic/export.h>
#include <mailmedic/status.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MM_IMAP_DEFAULT_MAX_MESSAGE (32u * 1024 * 1024)

typedef struct mm_imap_options {
    const char *url; /* imaps://host:993/INBOX or imap://host/INBOX (mailbox
                      * defaults to INBOX); no user:password in it (MM_EINVAL) */
    const char *user;
    const char *password;
    const char *cafile;        /* trust this CA or self-signed certificate (PEM);
                                * NULL: the system's trust store */
    bool insecure_starttls_ok; /* imap:// may stay plaintext when the server
                                * offers no STARTTLS.  Never by default. */
    int timeout_s;             /* connect and per-transfer inactivity limit; 0: 30 s */
    size_t max_message;        /* larger messages are skipped (counted, not fetched);
                                * 0: MM_IMAP_DEFAULT_MAX_MESSAGE */
} mm_imap_options;

typedef struct mm_imap mm_imap;

/*
 * Connect, log in and look at the mailbox (it must exist).  On MM_OK *out
 * is a session to close with mm_imap_close().  On failure *out is NULL and
 * why (if not NULL) holds an English sentence: what failed and the server's
 * or TLS library's words, never the password.
 */
MM_EXTERN mm_status_t mm_imap_open(const mm_imap_options *opt, mm_imap **out, char *why,
                                   size_t whylen);

/* The mailbox's UIDVALIDITY as last seen (open or fetch_new). */
MM_EXTERN uint32_t mm_imap_uidvalidity(const mm_imap *im);

/* Called once per message, in UID order, with the complete raw message
 * (bytes borrowed for the call only).  Return 0 to go on; any other value
 * stops the fetch, which then returns it (as an mm_status_t when it is one,
 * else MM_EINVAL). */
typedef int (*mm_imap_message_cb)(void *arg, uint64_t uid, const char *bytes, size_t len);

/*
 * Every message with UID > after_uid, in UID order, fetched with the mailbox
 * opened read-only (flags untouched).  uidvalidity_known is the UIDVALIDITY
 * after_uid belongs to (0: unknown, taken as matching): if the mailbox's
 * differs, UIDs were renumbered, so the fetch starts from 0 and
 * mm_imap_uidvalidity_changed() says so.  Messages over max_message are
 * skipped (mm_imap_skipped()).  The callback only ever sees complete
 * messages: if the connection drops mid-fetch, MM_ECONN is returned and the
 * messages already handed over stay handed over (the caller keeps the last
 * UID it processed and resumes from it).
 */
MM_EXTERN mm_status_t mm_imap_fetch_new(mm_imap *im, uint64_t after_uid, uint32_t uidvalidity_known,
                                        mm_imap_message_cb cb, void *arg);

/* True when the last mm_imap_fetch_new() restarted from UID 0 because the
 * UIDVALIDITY changed. */
MM_EXTERN bool mm_imap_uidvalidity_changed(const mm_imap *im);

/* Messages skipped by the last mm_imap_fetch_new() (too large). */
MM_EXTERN size_t mm_imap_skipped(const mm_imap *im);

/*
 * Move message uid of the mailbox to folder (created when missing): UID MOVE
 * (RFC 6851) when the server has MOVE, else UID COPY + UID STORE +FLAGS
 * (\Deleted) + UID EXPUNGE (RFC 4315; plain EXPUNGE without UIDPLUS).
 * MM_ENOTFOUND if there is no such message.
 */
MM_EXTERN mm_status_t mm_imap_move(mm_imap *im, uint64_t uid, const char *folder);

/* The detail of the last error on this session ("" if none); no password. */
MM_EXTERN const char *mm_imap_error(const mm_imap *im);

/* Log out and free; NULL is a no-op. */
MM_EXTERN void mm_imap_close(mm_imap *im);

#ifdef __cplusplus
}
#endif
#endif
