/*
 * mta_util.h - helpers shared by all decoders in lhost/ (MTA families and
 * providers alike; prov_util.h adds the providers' own):
 * finding the prose part of a bounce, reading the SMTP command, the remote
 * host and the receiver's reply out of the sentences MTAs write, and
 * completing RFC 3464 records with what only the prose says.
 *
 * Everything works on borrowed UTF-8 text (pointer, length); strings that
 * outlive a call are copied into the report's arena.
 */
#ifndef MM_LHOST_MTA_UTIL_H
#define MM_LHOST_MTA_UTIL_H

#include <stdint.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include "../bounce_int.h"
#include "../../util/str.h"

/* One row of a decoder's phrase table: words (or a status code) that the
 * MTA or provider itself writes for a reason (its source code or its
 * documentation is the reference).  Tables end with
 * {NULL, MM_REASON_UNDEFINED}. */
typedef struct mm_words {
    const char *text;
    mm_reason_t reason;
} mm_words;

/* Reason of the first row whose text occurs in s[0..n) (case-insensitive,
 * white space squeezed), or MM_REASON_UNDEFINED. */
mm_reason_t mm_words_find(const mm_words *tab, const char *s, size_t n);

/* Reason of the first row whose text is the status code s, where '#' in a
 * row stands for any digit ("5.7.50#"); MM_REASON_UNDEFINED if none. */
mm_reason_t mm_words_status(const mm_words *tab, const char *s);

/* True if any of the NULL-terminated needles occurs in s[0..n). */
bool mm_mta_has_any(const char *s, size_t n, const char *const *needles);

/* A needle of mm_mta_find_any(): its text and length, 2 to
 * MM_NEEDLE_LEN_MAX bytes for the one-pass search (the vector filter
 * compares a needle's second byte and copies at most that many bytes of a
 * text's end); a needle outside that range sends the call to a search per
 * needle.  MM_NEEDLE() refuses a literal outside it at compile time. */
typedef struct mm_needle {
    const char *text;
    size_t len;
} mm_needle;
enum { MM_NEEDLE_LEN_MAX = 64 };
#define MM_NEEDLE(s)                                                                               \
    {                                                                                              \
        s, sizeof(s) - 1 + 0 * sizeof(char[sizeof(s) >= 3 && sizeof(s) <= MM_NEEDLE_LEN_MAX + 1   \
                                                ? 1                                                \
                                                : -1])                                             \
    }

/* At most this many needles in one mm_mta_find_any() call. */
enum { MM_NEEDLES_MAX = 4 };

/*
 * The earliest place in t[from..n) where one of the needles whose bit is
 * set in active starts (ASCII case folded, as mm_memcasemem() compares);
 * on a tie the lowest index.  Sets *which to the needle's index; NULL when
 * none occurs.  One pass over the text for all of them: what a search per
 * needle would find, at about the cost of one or two such searches.
 */
const char *mm_mta_find_any(const char *t, size_t n, size_t from, const mm_needle *nd, size_t k,
                            unsigned active, size_t *which);

/* Length of the readable text before the copy of the original message.
 * For the message's own text it is already in r->prose_len (worked out
 * once per message); call this for other texts. */
size_t mm_mta_prose_len(const char *t, size_t n);

/* The SMTP command a reply answered, as the prose names it ("in reply to
 * RCPT TO command", "after end of data", ">>> MAIL From:", "Connected to X
 * but sender was rejected"); a static upper-case name or "". */
const char *mm_mta_command(const char *s, size_t n);

/* For the tests: the first of mm_mta_command()'s phrases that it could not
 * find (its first four bytes not among its group's heads, its first two
 * not the group's pair, shorter than the shortest phrase, or not found
 * alone), or NULL when every phrase is found. */
const char *mm_mta_command_check(void);

/* The remote host named in prose ("host mx.example.org[192.0.2.1] said:",
 * "host mx.example.org [192.0.2.1]:", "while talking to mx.example.org.:",
 * "Remote-MTA: dns; ..."), copied into r; "" if none. */
const char *mm_mta_rhost(mm_report *r, const char *s, size_t n);

/* End (offset into t) of the block that starts at pos: the first line and
 * the lines after it, up to a blank line or max_lines lines. */
size_t mm_mta_block_end(const char *t, size_t n, size_t pos, int max_lines);

/* The recipient in r->r[start..] whose address is addr[0..alen), or NULL. */
mm_rcpt *mm_mta_find_rcpt(mm_report *r, size_t start, const char *addr, size_t alen);

/* Is the report at max_recipients?  Then r->truncated is set, and a
 * decoder stops adding (mm_mta_add() and mm_report_add() return NULL,
 * which is not out of memory). */
bool mm_mta_full(mm_report *r);

/* What a decoder returns when adding a recipient failed: MM_OK when the
 * report is full (it stops and keeps what it read; r->truncated is set),
 * else MM_ENOMEM. */
mm_status_t mm_mta_add_failed(mm_report *r);

/* Longest diagnostic a decoder copies out of prose (bytes). */
#define MM_MTA_DIAG_MAX 1200

/* Add a failed recipient for addr[0..alen) with the diagnostic diag[0..dn)
 * (may be empty, squeezed, capped at MM_MTA_DIAG_MAX); NULL when out of
 * memory or past the recipient limit. */
mm_rcpt *mm_mta_add(mm_report *r, const char *addr, size_t alen, const char *diag, size_t dn);

/* Fill what rc lacks from a prose block about it: the SMTP command, the
 * remote host, and the diagnostic when the report had none or a shorter
 * prefix of the same words. */
void mm_mta_fill(mm_report *r, mm_rcpt *rc, const char *blk, size_t n);

/* For each recipient in r->r[start..], find the prose block in t[0..n) that
 * names its address (not in a quoted header line; cut where another
 * recipient's block starts) and fill the recipient from it as mm_mta_fill
 * does, except that with keep_diag a diagnostic already there is kept. */
void mm_mta_complete(mm_report *r, size_t start, const char *t, size_t n, bool keep_diag);
/* For reports whose delivery-status part has no Diagnostic-Code: the
 * diagnostic the RFC 3464 reader guessed from the text gives way to the
 * prose block that names the recipient, when there is one. */
void mm_mta_complete_guessed(mm_report *r, size_t start, const char *t, size_t n);
/* After the RFC 3464 reader added r->r[start..]: complete them from m's
 * prose, with mm_mta_complete() (keeping each Diagnostic-Code) when the
 * report gives one, else with mm_mta_complete_guessed(). */
void mm_mta_complete_dsn(const mm_msg *m, mm_report *r, size_t start);

/* The RFC 3464 reader, then mm_mta_complete_dsn() on what it added:
 * what mm_decode_rfc3464() returns (MM_ENOTFOUND without a report). */
mm_status_t mm_mta_read_dsn(const mm_msg *m, mm_report *r);

/* A decoder's last step: MM_ENOTFOUND when it added no recipient from
 * start on, else the report is a bounce and MM_OK. */
mm_status_t mm_mta_found(mm_report *r, size_t start);

/* Bounces forwarded or pasted as plain text keep their delivery-status
 * fields in the text: for each recipient in r->r[start..] whose block of
 * fields ("Final-Recipient: rfc822; ADDR", RFC 3464 section 2.3) is in
 * m's text, take its Status when the recipient has none, and its Action. */
void mm_mta_inline_dsn(const mm_msg *m, mm_report *r, size_t start);

/* True when m's delivery-status part gives a Diagnostic-Code. */
bool mm_mta_dsn_has_diag(const mm_msg *m);

/* The same for the one recipient rc (r->r[start..] are its peers). */
void mm_mta_complete_one(mm_report *r, size_t start, mm_rcpt *rc, const char *t, size_t n,
                         bool keep_diag);

/* Is the line blank (only spaces, tabs, a CR)? */
bool mm_mta_blank(const char *l, size_t len);

/* True when any header field called name contains needle (Received: is
 * repeated, mm_fields_get() sees only the first). */
bool mm_mta_any_header_has(const mm_msg *m, const char *name, const char *needle);

/* A header field's value contains needle (case-insensitive). */
bool mm_mta_header_has(const mm_msg *m, const char *name, const char *needle);

/* Fill the report's per-message facts (r->from, r->from_lc and their
 * siblings, bounce_int.h) from m's header; mm_diagnose_message() calls it
 * once before the decoders. */
void mm_mta_facts(const mm_msg *m, mm_report *r);

/* The report's lower-cased facts (r->from_lc, r->subject_lc,
 * r->message_id_lc, made by mm_mta_facts()) are followed by MM_LC_PAD zero
 * bytes, their NUL the first, so that mm_mta_lc_find() may read 16 bytes
 * at any of their places. */
enum { MM_LC_PAD = 16 };

/* Does lc[0..nl) (1 byte or more, lower case) occur in hay[0..n), one of
 * the report's padded lower-cased facts?  16 places at a time, each
 * passed over unless its byte k of lc (the rarer the better) and its last
 * are there: no call for a value of a few dozen bytes. */
static inline bool mm_mta_lc_find(const char *hay, size_t n, const char *lc, size_t nl, size_t k)
{
    if (nl > n)
        return false;
    size_t places = n - nl + 1;
#ifdef __SSE2__
    /* the loads read hay[q + k .. q + nl + 14] at most, q < places: up to
     * hay[n + 14], within the padding */
    const __m128i vk = _mm_set1_epi8(lc[k]), vl = _mm_set1_epi8(lc[nl - 1]);
    for (size_t q = 0; q < places; q += 16) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(hay + q + k));
        __m128i l = _mm_loadu_si128((const __m128i *)(const void *)(hay + q + nl - 1));
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_and_si128(_mm_cmpeq_epi8(a, vk), _mm_cmpeq_epi8(l, vl)));
        if (places - q < 16)
            m &= (1u << (places - q)) - 1;
        for (; m; m &= m - 1)
            if (memcmp(hay + q + (unsigned)__builtin_ctz(m), lc, nl) == 0)
                return true;
    }
    return false;
#else
    const char *end = hay + places + k;
    for (const char *p = hay + k; p < end && (p = memchr(p, lc[k], (size_t)(end - p))); p++)
        if (memcmp(p - k, lc, nl) == 0)
            return true;
    return false;
#endif
}

/* Does lc (lower case, as a literal) occur in hay[0..n), one of the
 * report's lower-cased facts (NULL: the field is absent)?  The same answer
 * as mm_mta_header_has() on the field, without its look-up and folding:
 * mm_mta_lc_has(r->from_lc, r->from_len, "@example.org"). */
static inline bool mm_mta_lc_has(const char *hay, size_t n, const char *lc)
{
    if (!hay)
        return false;
    size_t nl = strlen(lc);
    return nl == 0 || mm_mta_lc_find(hay, n, lc, nl, 0);
}

/* Read "<addr>: text" blocks (Postfix bounce(5), qmail-send): a line that
 * starts with an address in angle brackets, then its diagnostic up to a
 * blank line or the next such line.  Adds one recipient per block, filled
 * by mm_mta_fill; then hint (may be NULL) sees the whole block and may set
 * the family's hint.  Returns MM_ENOMEM or MM_OK. */
typedef void (*mm_mta_hint_fn)(mm_rcpt *rc, const char *blk, size_t n);
mm_status_t mm_mta_angle_blocks(mm_report *r, const char *t, size_t n, mm_mta_hint_fn hint);

/* prose.c: the notice's own statements that delivery failed ("could not
 * be delivered", "undeliverable", ...), NULL-terminated: they mark a
 * bounce but say nothing about why. */
extern const char *const mm_mta_failure_statements[];

/* prose.c: the generic prose reader (see there), for family decoders whose
 * notices it reads as they are and that add only the family's hints.
 * Adds the failed recipients of m's readable text to r: MM_OK,
 * MM_ENOTFOUND when it names none, MM_ENOMEM. */
mm_status_t mm_mta_prose_read(const mm_msg *m, mm_report *r);

/* Read "user@example.org: text" lines (OpenSMTPD's bounce.c and others
 * that give one line per recipient) in t[0..n).  Each such line completes
 * the recipient in r->r[start..] with that address, or, when add is true
 * and there is none, adds one; its diagnostic becomes the line's text
 * (replacing one the report took from elsewhere).  Returns MM_ENOMEM or
 * MM_OK. */
mm_status_t mm_mta_colon_lines(mm_report *r, size_t start, const char *t, size_t n, bool add);

/* True when code is a reply code RFC 5321 (section 4.2.3) or its SMTP
 * extensions (AUTH: RFC 4954; 521, 556: RFC 7504) define; MTAs also
 * write numbers of their own in the same place. */
bool mm_mta_reply_defined(int code);

/* dsn_prose.c: when m (from the mail system) passes on a local delivery
 * agent's refusal (Dovecot's "Your message to <x> was automatically
 * rejected:", "mail.local: ...", "procmail: ..."), and a sentence of that
 * agent's states the reason, that sentence becomes the diagnostic of
 * r->r[start..], without reply code or command, and its reason their
 * hint. */
void mm_mta_mda(const mm_msg *m, mm_report *r, size_t start);

/* True when the notice is a delay warning (delivery is still being
 * retried), not a final failure. */
bool mm_mta_says_delayed(const char *t, size_t n);

#endif
