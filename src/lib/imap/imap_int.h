/*
 * imap_int.h - the IMAP session shared by session.c (connection, commands,
 * errors) and mailbox.c (fetch, move).  Not installed.
 *
 * libcurl keeps one connection in the easy handle and knows which mailbox
 * it SELECTed last; a URL fetch (";UID=n") SELECTs again only when that
 * mailbox differs.  We open the mailbox with EXAMINE (read-only) as a custom
 * command on the mailbox-less URL after libcurl has selected it once, so
 * its fetches (BODY[], which would set \Seen) run read-only.  Whenever
 * libcurl had to make a new connection, that state is gone and is rebuilt.
 */
#ifndef MM_IMAP_INT_H
#define MM_IMAP_INT_H

#include <curl/curl.h>
#include <mailmedic/imap.h>

#include "util/buf.h"

enum imap_mode { MODE_NONE = 0, MODE_EXAMINE, MODE_SELECT };

struct mm_imap {
    CURL *curl;
    char *base_url; /* "imaps://host:993/": custom commands, no SELECT by libcurl */
    char *mbox_url; /* "imaps://host:993/INBOX": libcurl SELECTs it */
    char *host;     /* for messages */
    char *user;     /* for messages (never the password) */
    char *mailbox;  /* as an IMAP astring, quoted and modified-UTF-7 */
    size_t max_message;
    uint32_t uidvalidity;
    uint64_t exists;
    bool has_move, has_uidplus;
    bool curl_selected; /* libcurl SELECTed mailbox on the current connection */
    enum imap_mode mode;
    bool reconnected; /* the last command needed a new connection */
    bool changed;
    size_t skipped;
    mm_buf resp;        /* untagged lines of the last custom command */
    mm_buf body;        /* the message being fetched */
    char tagged[512];   /* the server's last tagged (or final) line */
    bool tagged_failed; /* tagged holds a NO or BAD: keep it */
    char errbuf[CURL_ERROR_SIZE];
    char why[768];
};

/* Run one command: custom (e.g. "UID FETCH 1:* (UID)") on url, or a URL
 * fetch into im->body when custom is NULL.  Sets im->reconnected. */
CURLcode imap_run(mm_imap *im, const char *url, const char *custom);
/* Map a libcurl result to a status and im->why ("while WHAT"). */
mm_status_t imap_fail(mm_imap *im, CURLcode rc, const char *what);
/* printf into im->why. */
void imap_why(mm_imap *im, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Make the mailbox EXAMINEd (read-only) on the live connection. */
mm_status_t imap_examine(mm_imap *im);

/* ---- parse.c: reading bytes from the server and the user ---- */

/* One line the server sent (libcurl's HEADER_IN, CRLF included): a tagged
 * or final line goes to im->tagged (printable ASCII, truncated), and a NO
 * or BAD is kept there and flags im->tagged_failed; untagged ("* ") and
 * continuation ("+ ") lines are ignored. */
void imap_server_line(mm_imap *im, const char *data, size_t n);
/* The next line of the untagged responses at *pos; false at the end.
 * *line points into b, *n excludes the CR LF. */
bool imap_next_line(const mm_buf *b, size_t *pos, const char **line, size_t *n);
/* Whether w is a space-separated word of s[0..n) (case-insensitive; a ']'
 * may end it). */
bool imap_has_word(const char *s, size_t n, const char *w);
/* MOVE and UIDPLUS from a "* CAPABILITY" line of im->resp. */
void imap_parse_capabilities(mm_imap *im);
/* "* OK [UIDVALIDITY n]" and "* n EXISTS" of a SELECT or EXAMINE in
 * im->resp into im->uidvalidity and im->exists; false without UIDVALIDITY. */
bool imap_parse_mailbox_state(mm_imap *im);

typedef struct uid_size {
    uint64_t uid, size;
} uid_size;

typedef struct uid_vec {
    uid_size *v; /* owned: free(v) */
    size_t n, cap;
} uid_vec;

/* The value of item name (e.g. "UID", "RFC822.SIZE") in the FETCH line
 * l[0..n); false if absent or not a number. */
bool imap_fetch_item(const char *l, size_t n, const char *name, uint64_t *v);
/* Add the (UID, size) pairs of im->resp above after to vec; *min is the
 * lowest UID seen in the response (UINT64_MAX if none). */
mm_status_t imap_collect(mm_imap *im, uint64_t after, uid_vec *vec, uint64_t *min);
/* Sort by UID and drop repeats (a message seen in two chunks). */
void imap_sort_unique(uid_vec *vec);

/* A name in modified UTF-7 (RFC 3501 5.1.3), unquoted; NULL for CR, LF,
 * invalid UTF-8, too long, or no memory.  Caller frees. */
char *imap_mutf7(const char *name);
/* A name as an IMAP quoted string (modified UTF-7 for non-ASCII, RFC 3501
 * 5.1.3); NULL for CR, LF, NUL or no memory.  Caller frees. */
char *imap_quote_mailbox(const char *name);
/* Split url (imaps://HOST[:PORT]/MAILBOX) into im->base_url, mbox_url,
 * host and mailbox; MM_EINVAL with im->why for a URL we do not take. */
mm_status_t imap_parse_url(mm_imap *im, const char *url);

#endif
