/*
 * prov_util.h - helpers shared by the RFC 3464 reader and the provider/ESP
 * decoders (lhost/NAME.c): choosing the telling status code in a reply, naming
 * the SMTP command a reply answered, reading reply codes and multi-line
 * replies, cutting the readable text of a notice into per-recipient blocks,
 * recognising a provider by its header fields, and running the RFC 3464
 * reader for providers whose reports need correcting afterwards.  Nothing
 * here decides a reason: the hint look-ups only read the caller's table of
 * the provider's own words or codes.
 */
#ifndef MM_BOUNCE_PROV_UTIL_H
#define MM_BOUNCE_PROV_UTIL_H

#include "../bounce_int.h"
#include "mta_util.h"

/* How much of a notice's readable text per-recipient searches look at
 * (bytes): real notices are a few KiB; the bound keeps a hostile one with
 * many recipients linear. */
#define MM_PROV_SCAN_MAX (64 * 1024)

/*
 * The status code an SMTP reply text means: "(#5.1.1)" first, then a code
 * right after a reply code ("550 5.1.1", "550-'5.7.1", "550 #5.1.0"), then
 * the first code standing alone.  Codes that are part of an IPv4 address
 * are skipped.  Writes out[16]; false when there is none.
 */
bool mm_prov_status(const char *t, size_t n, char out[16]);

/* Use the reply's own code when the report's status is missing or X.0.0. */
void mm_prov_refine_status(mm_report *r, mm_rcpt *rc);

/* Start of the line after the first line containing marker, or NULL. */
const char *mm_prov_after_line(const char *t, size_t n, const char *marker);

/*
 * Read a list of failed addresses from prose: an address line (the address
 * with little else, as "  user@example.org" or "<user@example.org>:") opens
 * a recipient, and the lines after it up to a blank line or the next
 * address line are its diagnostic.  Repeated addresses are skipped (some
 * notices say everything twice, in two languages).  Reads t[0..n); returns
 * MM_OK (maybe with no recipient added) or MM_ENOMEM.
 */
mm_status_t mm_prov_addr_blocks(mm_report *r, const char *t, size_t n);

/* Is this line an address line in the sense above?  Sets *a, *alen. */
bool mm_prov_addr_line(const char *l, size_t len, const char **a, size_t *alen);

/* After the first line of m's readable text holding one of markers
 * (NULL-terminated), the address list read by mm_prov_addr_blocks():
 * MM_OK with recipients added, MM_ENOTFOUND, or MM_ENOMEM. */
mm_status_t mm_prov_list_after(const mm_msg *m, mm_report *r, const char *const *markers);

/* Exim-style notices (mailru.c, mxlogic.c): after the first line holding
 * one of markers (NULL-terminated), an address list read as above; the
 * command, remote host and status come from each diagnostic. */
mm_status_t mm_prov_exim_list(const mm_msg *m, mm_report *r, const char *const *markers);
/* "host NAME [IP]:" (Exim) or "host NAME[IP] said:" (Postfix) in the
 * diagnostic sets the remote MTA. */
void mm_prov_exim_host(mm_report *r, mm_rcpt *rc);

/* Provider notices that are RFC 3464 reports with quirks: run the RFC 3464
 * reader and tell where its recipients start (*from), so the caller can
 * correct them.  Returns what mm_decode_rfc3464() returns. */
mm_status_t mm_prov_dsn(const mm_msg *m, mm_report *r, size_t *from);

/* mm_prov_dsn(), then each recipient's hint from the provider's own
 * words found in its diagnostic. */
mm_status_t mm_prov_dsn_words(const mm_msg *m, mm_report *r, const mm_words *words);

/* The first SMTP reply code of class cls ('4' or '5') standing as a word
 * in t[0..n), or 0: "220-mx.example.org 421 4.2.1 ..." is a 421. */
int mm_prov_reply_of_class(const char *t, size_t n, char cls);

/* A multi-line SMTP reply flattened into one line repeats its code on
 * every line ("550-5.7.1 The message 550-5.7.1 was rejected"): the copy
 * of d without the repeats after the first, in the report's arena (d
 * itself when there is nothing to remove).  The reply may follow other
 * words ("host mx.example.org [192.0.2.1]: 550-5.7.1 ..."). */
const char *mm_prov_unfold_reply(mm_report *r, const char *d);

/* The SMTP command a transcript line sent ("RCPT TO:<a>", "MAIL FROM:<a>",
 * "DATA", "EHLO host"): its verb as mm_mta_command() names it, or "". */
const char *mm_prov_verb(const char *line);

/* The reply code opening t ("550 ...", "550-...", "550: ...", "550, ..."), or 0. */
int mm_prov_lead_reply(const char *t);

/* mm_mta_lc_has() with the search led by a rarer byte of lc than its
 * first: anchor (which must occur in lc; its first place there is used)
 * is the byte compared at every place with lc's last.  The same answer
 * as mm_mta_lc_has(hay, n, lc): "@" for an address, "-" or ":" for a
 * subject, ">" for a Message-ID. */
static inline bool mm_prov_lc_has_by(const char *hay, size_t n, const char *lc, char anchor)
{
    size_t nl = strlen(lc), k = (size_t)(strchr(lc, anchor) - lc);
    return hay && mm_mta_lc_find(hay, n, lc, nl, k);
}

#endif
