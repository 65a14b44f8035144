/*
 * bounce_int.h - what the bounce module's files share: the report layout,
 * the decoder interface and the helpers decoders use to extract fields.
 *
 * Decoders only extract; the classifier only judges.  A decoder fills the
 * per-recipient fields it can read and may set a hint when its format says
 * the reason outright (an ARF report is "feedback"); classify.c decides
 * everything else from status, reply code, text and remote host together.
 */
#ifndef MM_BOUNCE_INT_H
#define MM_BOUNCE_INT_H

#include <mailmedic/bounce.h>
#include <stdint.h>
#include <string.h>
#include "../message/message.h"
#include "../util/arena.h"
#include "../util/buf.h"

/*
 * A decoder's hint, and how far it goes.  A plain hint is what the
 * decoder's format suggests; the classifier weighs it with the rest, and
 * the "look again" reasons (undefined, onhold, systemerror, securityerror,
 * expired, suspend, networkerror, hostunknown, userunknown) only count when
 * nothing more telling is found.  Set hint_strong as well when the format
 * itself states the reason, so that no phrase or code may overrule it: a
 * documented code of the notice's own (Office 365's 5.4.312 is a DNS
 * failure), a fixed sentence of a vendor's table, an ARF report.  Leave it
 * false when the reason is only read from the receiver's words.
 */
typedef struct mm_rcpt {
    mm_recipient pub;
    mm_reason_t hint;      /* MM_REASON_UNDEFINED = no hint */
    bool hint_strong;      /* the format states hint: it is final */
    const char *diag_type; /* Diagnostic-Code type: "SMTP", "X-UNIX", "X-POSTFIX", or "" */
    long provider_retry;   /* seconds a provider rule says to wait, 0 if none */
} mm_rcpt;

struct mm_report {
    mm_arena arena;
    mm_kind_t kind;
    const char *mta;
    mm_rcpt *r;
    size_t n, cap, max;
    mm_original orig;
    bool truncated;
    /* Where the readable text of the message being decoded ends and the copy
     * of the returned message begins (mm_mta_prose_len()), worked out once by
     * mm_diagnose_message() before the decoders run: most of them need it. */
    size_t prose_len;
    /* mm_decode_rfc3464()'s last good result for this message, as it gave
     * it back: the recipients it appended from dsn_from on (dsn_n of them,
     * copies in the arena) and whether it marked the report truncated.
     * Several decoders read the standard part for the same message, and one
     * that then turns the message away (its recipients truncated away)
     * leaves the same reading to the next: a call with the same message
     * and start gets the copies back (rfc3464.c).  Emptied with the rest
     * of the report for each message.  The copies share their strings with
     * what the first call appended: a decoder must not change the strings
     * of recipients mm_decode_rfc3464() gave it in place, or the next
     * decoder would get them changed. */
    const mm_msg *dsn_msg;
    const mm_rcpt *dsn_rcpts;
    size_t dsn_from, dsn_n;
    bool dsn_truncated;
    /* The room of mm_decode_rfc3464()'s list of the delivery-status
     * fields (malloc'd, dsn_fcap fields), kept from call to call and from
     * message to message like r (freed with the report): a list allocated
     * and freed per notice cost a malloc() and free() each. */
    mm_field *dsn_fv;
    size_t dsn_fcap;
    /* The text (up to its first NUL byte, as the searches read it) holds no
     * 8-bit byte, so no Chinese word: worked out once there too, for the
     * four Chinese providers' decoders (lhost/cn_*.c), which each asked it. */
    bool text_ascii;
    /* The first From, Subject and Message-ID fields of the message's own
     * header as mm_fields_get() gives them (NULL when absent), and copies
     * with ASCII letters lower-cased (from_lc..., with their lengths): set
     * by mm_mta_facts() before the decoders run, since a dozen decoders turn
     * a message away on a word missing from one of them (mm_mta_lc_has()). */
    const char *from, *subject, *message_id;
    const char *from_lc, *subject_lc, *message_id_lc;
    size_t from_len, subject_len, message_id_len;
};

/* A decoder: MM_OK when it recognised the message and added recipients,
 * MM_ENOTFOUND when the message is not its format, another status on error. */
typedef mm_status_t (*mm_decoder_fn)(const mm_msg *m, mm_report *r);

typedef struct mm_decoder {
    const char *name;
    mm_decoder_fn fn;
} mm_decoder;

/* The ordered decoder table (lhost.c); ends with {NULL, NULL}. */
extern const mm_decoder mm_decoders[];

/* report.c */
mm_status_t mm_report_new(size_t max_recipients, mm_report **out);
/* r emptied for another message, as mm_report_new() makes one, keeping its
 * arena's blocks (and a small recipient array): a workspace's spare report. */
void mm_report_recycle(mm_report *r, size_t max_recipients);
/* Append an empty recipient (all strings ""), or NULL.  NULL with
 * r->truncated set means the report holds max_recipients already: the
 * limit is reached, so stop adding and return MM_OK, it is not an error.
 * NULL with r->truncated unset is out of memory (MM_ENOMEM). */
mm_rcpt *mm_report_add(mm_report *r);
/* Copy (p, n) into the report's arena with white space squeezed; "" on NULL. */
const char *mm_report_str(mm_report *r, const char *p, size_t n);
const char *mm_report_strz(mm_report *r, const char *s);
/* mm_report_strz(r, mm_field_value(f)), the value made in the report's
 * arena when it was not read before (f is left unread then). */
const char *mm_report_field(mm_report *r, const mm_field *f);
/* Drop recipients from index n on (a decoder that gives up part-way). */
void mm_report_truncate(mm_report *r, size_t n);

/* extract.c: field finders on UTF-8 text */
/* First RFC 3463 status code ("5.1.1") in text; writes it to out[16]; false if none. */
bool mm_find_status(const char *text, size_t n, char out[16]);
/* The same, only codes of class cls ('4' or '5'). */
bool mm_find_status_class(const char *text, size_t n, char cls, char out[16]);
/* First registered SMTP reply code (2xx, 4xx, 5xx; see mm_reply_known())
 * standing as a word; 0 if none. */
int mm_find_reply(const char *text, size_t n);
/* Is code a reply code RFC 5321 or a later RFC defines (550, 421, 521)? */
bool mm_reply_known(int code);
/* First thing that looks like addr@domain; returns its start and length, or NULL. */
const char *mm_find_addr(const char *text, size_t n, size_t *alen);
/* Copy an address, without <> and quotes, domain lower-cased, into the report. */
const char *mm_report_addr(mm_report *r, const char *p, size_t n);
/* Next line of text[*pos..n); returns its start, sets *len; NULL at the end.
 * Inline: the decoders read most of their text through it, some 15 lines a
 * message, and the call cost as much as the rest but the memchr(). */
static inline const char *mm_next_line(const char *text, size_t n, size_t *pos, size_t *len)
{
    if (*pos >= n)
        return NULL;
    const char *s = text + *pos;
    const char *nl = memchr(s, '\n', n - *pos);
    size_t l = nl ? (size_t)(nl - s) : n - *pos;
    *pos += l + (nl ? 1 : 0);
    *len = l;
    return s;
}

/* One MTA log line (Postfix "to=<..>, relay=.., dsn=.., status=bounced
 * (..)", Sendmail "to=<..>, relay=.., dsn=.., stat=..", or Exim "** addr
 * ... H=host [ip]: reply"): the parts, borrowed from the text (not
 * NUL-terminated); NULL and 0 where absent. */
typedef struct mm_logline {
    const char *rcpt, *relay, *status, *diag;
    size_t rcpt_len, relay_len, status_len, diag_len;
    const char *action; /* "failed", "delayed" or "delivered" */
} mm_logline;
/* True if text is such a line; fills out. */
bool mm_parse_logline(const char *text, size_t n, mm_logline *out);

/* classify.c */
void mm_classify(mm_rcpt *rc);
bool mm_reason_is_hard(mm_reason_t reason, const mm_recipient *r);

/* The index of the lowest set bit of a word that is not 0 (the phrase
 * index's and the Chinese rules' row masks are walked with it). */
static inline unsigned mm_lowest_bit(uint64_t w)
{
#if defined(__GNUC__) || defined(__clang__)
    return (unsigned)__builtin_ctzll(w);
#else
    unsigned i = 0;
    for (; !(w & 1); w >>= 1)
        i++;
    return i;
#endif
}

/* The pairs of adjacent bytes a lower-cased reply holds, hashed into
 * MM_CN_SLOTS slots, a byte each: the Chinese rules' filter (rhost_cn.c),
 * and the phrase lists' (phrases.c files every pattern under the slots of
 * its pairs: gen_phrases.py); classify.c makes it as it lowers the reply
 * (mm_phrase_prepare_copy).  1,024 slots keep every pair of two letters
 * apart (a letter's low five bits tell it, the hash keeps five of the
 * first byte and all of the second) and are cleared per reply in a
 * quarter of the time 4,096 took; other pairs may share a slot, which
 * only makes a "maybe" of a "no".  When you change the hash or the size,
 * also change gen_rhost_cn.py's pair_hash(), gen_phrases.py's pair_hash()
 * and phrases.c's set_pairs_8(). */
#define MM_CN_SLOTS 1024u
typedef struct mm_cn_pairs {
    unsigned char has[MM_CN_SLOTS];
} mm_cn_pairs;
/* The slot of the pair (a, b), as a constant expression for tables that
 * name a pair's slot (rhost.c, rhost_cn.c). */
#define MM_CN_PAIR_SLOT(a, b)                                                                      \
    ((((unsigned)(unsigned char)(a) << 5) ^ (unsigned char)(b)) & (MM_CN_SLOTS - 1))
static inline unsigned mm_cn_pair_hash(unsigned char a, unsigned char b)
{
    return MM_CN_PAIR_SLOT(a, b);
}
void mm_cn_pairs_of(mm_cn_pairs *pp, const char *lower_text);

/* A recipient's remote host (Remote-MTA) lowered once for rhost.c and
 * rhost_cn.c, which both compare it with providers' host names: up to 255
 * bytes (host names are at most 253, RFC 1035 section 2.3.4), and its
 * pairs of adjacent bytes hashed as the reply's (mm_cn_pair_hash), a bit
 * each, so that a name with a pair the host lacks is not searched for.
 * Bits, not bytes: the set is cleared for every recipient. */
typedef struct mm_rhost_host {
    char s[256];
    size_t len; /* strlen(s); 255 when remote_mta may be longer */
    uint64_t bits[MM_CN_SLOTS / 64];
} mm_rhost_host;
void mm_rhost_host_of(mm_rhost_host *h, const char *remote_mta);
/* False when s (lower case) cannot occur in h->s: one of its pairs is missing. */
bool mm_rhost_host_may_hold(const mm_rhost_host *h, const char *s);
/* Does h hold one of the pairs of keys (a bit per slot)?  16 loads: a
 * host that holds no name's key pair is no listed host's. */
static inline bool mm_rhost_host_holds_any(const mm_rhost_host *h,
                                           const uint64_t keys[MM_CN_SLOTS / 64])
{
    uint64_t any = 0;
    for (unsigned w = 0; w < MM_CN_SLOTS / 64; w++)
        any |= h->bits[w] & keys[w];
    return any != 0;
}

/* rhost.c: receiving-provider rules; set rc->pub.provider and maybe a
 * reason.  pp: mm_cn_pairs_of(lower_diagnostic). */
mm_reason_t mm_rhost_match(mm_rcpt *rc, const char *lower_diagnostic, const mm_cn_pairs *pp);
/* For the tests: a host name of rhost.c's providers missing from its
 * joined list all_hosts (which must hold them all) or not holding its key
 * pair, or a note that all_hosts_pairs is stale; NULL when all is well. */
const char *mm_rhost_host_missing(void);
/* For the tests: a host name of rhost_cn.c whose key pair is not one of
 * its pairs, or NULL. */
const char *mm_rhost_cn_keys_wrong(void);
/* rhost_cn.c: the Chinese providers' rules, asked first by mm_rhost_match(). */
mm_reason_t mm_rhost_cn_match(mm_rcpt *rc, const char *lower_diagnostic);
/* The same with the reply's pairs made already (pp as mm_rhost_match's)
 * and the remote host lowered (mm_rhost_host_of(rc->pub.remote_mta), or
 * NULL: then it is lowered here). */
mm_reason_t mm_rhost_cn_match_pairs(mm_rcpt *rc, const char *lower_diagnostic,
                                    const mm_cn_pairs *pp, const mm_rhost_host *host);
/* rhost_ms.c: Microsoft.  _office365 reads the codes of a report Office 365
 * wrote (Reporting-MTA *.outlook.com); _microsoft the replies of its hosts. */
mm_reason_t mm_rhost_office365(const mm_rcpt *rc);
mm_reason_t mm_rhost_microsoft(const mm_rcpt *rc, const char *lower_diagnostic);
/* rhost_isp.c: one function per provider, MM_REASON_UNDEFINED if no rule. */
mm_reason_t mm_rhost_apple(const mm_rcpt *rc, const char *lower_diagnostic);
mm_reason_t mm_rhost_cox(const mm_rcpt *rc, const char *lower_diagnostic);
mm_reason_t mm_rhost_godaddy(const mm_rcpt *rc, const char *lower_diagnostic);
mm_reason_t mm_rhost_iua(const mm_rcpt *rc, const char *lower_diagnostic);
mm_reason_t mm_rhost_kddi(const mm_rcpt *rc, const char *lower_diagnostic);
mm_reason_t mm_rhost_mimecast(const mm_rcpt *rc, const char *lower_diagnostic);
mm_reason_t mm_rhost_spectrum(const mm_rcpt *rc, const char *lower_diagnostic);
mm_reason_t mm_rhost_aol(const mm_rcpt *rc, const char *lower_diagnostic);
mm_reason_t mm_rhost_messagelabs(const mm_rcpt *rc, const char *lower_diagnostic);

/* phrases.c: reason from free text, ordered as classify.c asks. */
typedef enum mm_phrase_pass {
    MM_PASS_FIRST,   /* strong reasons, checked before the status code */
    MM_PASS_SECOND,  /* when the status code alone is not telling */
    MM_PASS_ANY      /* free-text mode (--text), widest list */
} mm_phrase_pass;
/* A lower-cased text prepared once for many look-ups: the byte pairs it
 * holds (mm_cn_pairs, the set the Chinese rules and the command searches
 * read too), so that most patterns are turned away before any search, and
 * the answers given so far, so that no table is read twice.  Slot
 * MM_PHRASE_ALWAYS is set in every prepared text: the patterns without a
 * plain pair are filed under it.  lower is borrowed and must outlive pt. */
#define MM_PHRASE_WORDS 12
#define MM_PHRASE_ALWAYS 0u
typedef struct mm_phrase_text {
    const char *lower;
    mm_cn_pairs pairs;
    uint64_t asked, found; /* bit r: table r read / matched */
    /* bit i: pattern i of phrases.c's table may occur (all its pairs are in
     * pairs), found for every list at the first question (indexed) */
    bool indexed;
    uint64_t cand[MM_PHRASE_WORDS];
    /* bit r: a pattern of reason r's list is in cand (bit 63: rejected's
     * "is not" list), so a list with none is answered without its walk */
    uint64_t lists;
} mm_phrase_text;
void mm_phrase_prepare(mm_phrase_text *pt, const char *lower_text);
/* mm_phrase_prepare() of text lowered (mm_strlower) into lower, which has
 * room for it and its NUL, in one pass; pt borrows lower.  lower may be
 * text itself: the set of a text lowered already, in place.  n must be
 * strlen(text) (the caller has it). */
void mm_phrase_prepare_copy(mm_phrase_text *pt, char *lower, const char *text, size_t n);
/* False when literal (plain text, lower case) cannot occur in the prepared
 * text: one of its byte pairs is missing.  True says only "maybe". */
bool mm_phrase_may_hold(const mm_phrase_text *pt, const char *literal);
/* True if the text matches the table of one reason. */
bool mm_phrase_in(mm_phrase_text *pt, mm_reason_t reason);
/* The first reason of a pass whose table matches, MM_REASON_UNDEFINED if none. */
mm_reason_t mm_phrase_find(mm_phrase_text *pt, mm_phrase_pass pass);
/* The same two for a text used once (each prepares it on the stack). */
mm_reason_t mm_phrase_match(mm_phrase_pass pass, const char *lower_text);
bool mm_phrase_is(mm_reason_t reason, const char *lower_text);
/* Reason for an RFC 3463 status code, MM_REASON_UNDEFINED if not telling. */
mm_reason_t mm_status_reason(const char *status);

/*
 * mm_field_is(f, lit) for a literal lit (ASCII, 1-22 bytes) without the
 * strcasecmp() call, which cost ~45 instructions and a call after the
 * keys matched: the name is compared with lit in two or three loads.
 *
 * mm_lit_chunk_diff(): 0 when name[off, off + k) and lit[off, off + k)
 * (k = 2, 4 or 8) are equal, a letter of lit matching either case of
 * itself and any other byte only itself; else the bits that differ.  m
 * is 0x20 at the letters of lit: the SWAR range test 0x61 <= (byte |
 * 0x20) <= 0x7a, for bytes below 0x80 (lit is ASCII; the bytes past k
 * are 0 in both words).  For a literal lit, l and m are worked out by the
 * compiler.
 */
__attribute__((always_inline)) static inline uint64_t mm_lit_chunk_diff(const char *name,
                                                                        const char *lit,
                                                                        size_t off, size_t k)
{
    uint64_t w = 0, l = 0;
    memcpy(&w, name + off, k);
    memcpy(&l, lit + off, k);
    const uint64_t ones = 0x0101010101010101u;
    uint64_t y = l | 0x20 * ones;
    uint64_t m = ((y + 0x1f * ones) & ~(y + 0x05 * ones) & 0x80 * ones) >> 2;
    return (w | m) ^ (l | m);
}

/* Is name (NUL-terminated, at least n bytes before its NUL) lit (n =
 * strlen(lit), 1 <= n <= 22), letters of either case?  Its n + 1 bytes
 * (the NUL included, so a longer name differs there) are read in
 * overlapping loads inside [0, n]: never past name's NUL.  The loads'
 * differences are ORed: one branch, in the caller. */
__attribute__((always_inline)) static inline bool mm_name_is_lit(const char *name, const char *lit,
                                                                 size_t n)
{
    size_t t = n + 1;
    if (t < 4)
        return (mm_lit_chunk_diff(name, lit, 0, 2) | mm_lit_chunk_diff(name, lit, t - 2, 2)) == 0;
    if (t < 8)
        return (mm_lit_chunk_diff(name, lit, 0, 4) | mm_lit_chunk_diff(name, lit, t - 4, 4)) == 0;
    if (t <= 16)
        return (mm_lit_chunk_diff(name, lit, 0, 8) | mm_lit_chunk_diff(name, lit, t - 8, 8)) == 0;
    return (mm_lit_chunk_diff(name, lit, 0, 8) | mm_lit_chunk_diff(name, lit, 8, 8) |
            mm_lit_chunk_diff(name, lit, t - 8, 8)) == 0;
}

/* mm_field_is(f, lit) for a literal lit: the key first (length, first
 * and last letter: most fields are turned away by it), and only then,
 * with the name's length known to be at least lit's (the key holds it
 * mod 65536), mm_name_is_lit().  Inline, so that the compiler works out
 * lit's length, key and words (always_inline: with a dozen literals in
 * one function, GCC would otherwise make it a function of its own, whose
 * strlen() and key are then worked out at run time). */
__attribute__((always_inline)) static inline bool mm_field_named(const mm_field *f, const char *lit)
{
    size_t n = strlen(lit);
    return f->key == mm_field_key(lit, n) && mm_name_is_lit(f->name, lit, n);
}

#endif
