/*
 * reply.h - the SMTP reply parser (internal to the smtp module, public to
 * its tests and fuzz target).
 *
 * A reply is one or more lines "DDD-text" ending with "DDD text" or "DDD"
 * (RFC 5321 4.2).  The parser is incremental and line based: the
 * connection hands it whatever bytes it has, it consumes the complete lines
 * and says how many bytes it used, so a slow server never makes it re-read
 * earlier lines.  Every size is bounded, because the other end may be
 * hostile: a line, the lines of one reply, the bytes of one reply, and the
 * text kept.
 */
#ifndef MM_SMTP_REPLY_H
#define MM_SMTP_REPLY_H

#include <stdbool.h>
#include <stddef.h>

/* RFC 5321 4.5.3.1.5 allows 512 octets per reply line; real servers send
 * longer ones (long EHLO keywords, banners with URLs), so allow 4 times that. */
#define MM_SMTP_LINE_MAX 2048
#define MM_SMTP_REPLY_MAX_LINES 100 /* an EHLO reply has about 10-20 */
#define MM_SMTP_REPLY_MAX_BYTES 65536
#define MM_SMTP_TEXT_MAX 1024 /* text kept; the rest is dropped (truncated set) */

/* EHLO keywords we act on, seen as the first word of lines 2.. of a reply. */
enum {
    MM_SMTP_EXT_STARTTLS = 1u << 0, /* RFC 3207 */
    MM_SMTP_EXT_SMTPUTF8 = 1u << 1, /* RFC 6531 */
    MM_SMTP_EXT_PIPELINING = 1u << 2,
    MM_SMTP_EXT_ENHANCEDSTATUSCODES = 1u << 3,
};

typedef enum mm_smtp_parse {
    MM_SMTP_PARSE_MORE = 0, /* need more bytes */
    MM_SMTP_PARSE_DONE,     /* a whole reply is in r */
    MM_SMTP_PARSE_BAD,      /* not an SMTP reply (no code, codes that differ) */
    MM_SMTP_PARSE_TOOBIG,   /* a line, or the reply, goes past the limits above */
} mm_smtp_parse;

typedef struct mm_smtp_reply {
    int code;                    /* e.g. 250; set from the first line */
    char enhanced[16];           /* "x.y.z" (RFC 3463) when the first line has one */
    char text[MM_SMTP_TEXT_MAX]; /* sanitised, lines joined by one space, without the
                                  * codes; always NUL-terminated valid UTF-8 */
    size_t text_len;
    bool truncated; /* text was cut at MM_SMTP_TEXT_MAX */
    size_t lines;
    size_t bytes;
    unsigned ext; /* MM_SMTP_EXT_* keywords seen */
} mm_smtp_reply;

/* Start a new reply. */
void mm_smtp_reply_init(mm_smtp_reply *r);

/*
 * Consume the complete lines of buf[0..len) into r.  *used gets the bytes
 * consumed (the caller drops them and keeps the rest for the next call).
 * A line ends with LF, with or without CR before it (bare LF is accepted:
 * the probe reads, it does not judge).  After DONE, the bytes past *used
 * belong to the next reply; after BAD or TOOBIG the session is over.
 */
mm_smtp_parse mm_smtp_reply_feed(mm_smtp_reply *r, const char *buf, size_t len, size_t *used);

/*
 * Copy src[0..n) into dst (size cap >= 1) as one clean line: control
 * characters and DEL become spaces, runs of spaces collapse, invalid UTF-8
 * becomes '?', and the copy stops before a character that would not fit.
 * Appends to what dst already holds (*dlen bytes); keeps dst NUL-terminated.
 * Returns false if something was left out for want of room.
 */
bool mm_smtp_sanitize(char *dst, size_t cap, size_t *dlen, const char *src, size_t n);

#endif
