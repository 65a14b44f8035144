/*
 * mailbox.c - new messages out of the mailbox, processed ones to a folder.
 *
 * mm_imap_fetch_new(): EXAMINE (read-only, so nothing becomes \Seen),
 * one "UID FETCH n:* (UID RFC822.SIZE)" for the list, then one URL fetch
 * (";UID=n", libcurl's "UID FETCH n BODY[]") per message, each into a
 * buffer capped at max_message: a message is handed over only once it is
 * complete, so a dropped connection never yields half a bounce.
 * mm_imap_move(): SELECT (read-write), then UID MOVE (RFC 6851) or the
 * COPY/STORE/EXPUNGE sequence, creating the folder on TRYCREATE.
 */
#include "imap_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct uid_size {
    uint64_t uid, size;
} uid_size;

static int by_uid(const void *a, const void *b)
{
    const uid_size *x = a, *y = b;
    return x->uid < y->uid ? -1 : x->uid > y->uid;
}

/* The value of item name (e.g. "UID", "RFC822.SIZE") in a FETCH line. */
static bool item(const char *l, size_t n, const char *name, uint64_t *v)
{
    size_t k = strlen(name);
    for (size_t i = 1; i + k + 1 < n; i++) {
        if ((l[i - 1] != '(' && l[i - 1] != ' ') || strncasecmp(l + i, name, k) != 0 ||
            l[i + k] != ' ')
            continue;
        uint64_t x = 0;
        size_t j = i + k + 1, d = 0;
        while (j < n && l[j] >= '0' && l[j] <= '9' && d < 20)
            x = x * 10 + (uint64_t)(l[j++] - '0'), d++;
        if (!d)
            return false;
        *v = x;
        return true;
    }
    return false;
}

/* The (UID, size) list out of im->resp, UIDs above after only, sorted. */
static mm_status_t uid_list(mm_imap *im, uint64_t after, uid_size **out, size_t *count)
{
    size_t cap = 0, n = 0;
    uid_size *v = NULL;
    const char *s = im->resp.data, *e = s + im->resp.len;
    while (s && s < e) {
        const char *nl = memchr(s, '\n', (size_t)(e - s));
        size_t len = nl ? (size_t)(nl - s) : (size_t)(e - s);
        uint64_t uid, size;
        if (len > 2 && s[0] == '*' && item(s, len, "UID", &uid) && uid > after &&
            item(s, len, "RFC822.SIZE", &size)) {
            if (n == cap) {
                uid_size *nv = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof *v);
                if (!nv) {
                    free(v);
                    return MM_ENOMEM;
                }
                v = nv;
            }
            v[n].uid = uid;
            v[n++].size = size;
        }
        s += len + 1;
    }
    if (n)
        qsort(v, n, sizeof *v, by_uid);
    *out = v;
    *count = n;
    return MM_OK;
}

/* *again: the list went to a new connection (not EXAMINEd): redo. */
static mm_status_t list_new(mm_imap *im, uint64_t after, uid_size **v, size_t *n, bool *again)
{
    *v = NULL;
    *n = 0;
    *again = false;
    if (im->exists == 0)
        return MM_OK; /* "1:*" in an empty mailbox is an error on some servers */
    char cmd[96];
    /* "n:*" also matches the highest UID when it is below n (RFC 3501
     * 6.4.8): uid_list() keeps only UIDs above after. */
    snprintf(cmd, sizeof cmd, "UID FETCH %llu:* (UID RFC822.SIZE)",
             (unsigned long long)(after + 1));
    CURLcode rc = imap_run(im, im->base_url, cmd);
    if (rc != CURLE_OK)
        return imap_fail(im, rc, "listing new messages");
    if (im->reconnected) {
        *again = true;
        return MM_OK;
    }
    return uid_list(im, after, v, n);
}

static mm_status_t fetch_one(mm_imap *im, uint64_t uid, mm_imap_message_cb cb, void *arg)
{
    mm_status_t st = imap_examine(im);
    if (st != MM_OK)
        return st;
    char url[2048], what[64];
    snprintf(url, sizeof url, "%s;UID=%llu", im->mbox_url, (unsigned long long)uid);
    snprintf(what, sizeof what, "fetching message UID %llu", (unsigned long long)uid);
    CURLcode rc = imap_run(im, url, NULL);
    if (rc == CURLE_WRITE_ERROR) {
        im->skipped++; /* larger than its RFC822.SIZE said, and than the cap */
        return MM_OK;
    }
    if (rc == CURLE_REMOTE_FILE_NOT_FOUND)
        return MM_OK; /* expunged since the list was made */
    if (rc != CURLE_OK)
        return imap_fail(im, rc, what);
    int r = cb(arg, uid, im->body.data ? im->body.data : "", im->body.len);
    if (r == 0)
        return MM_OK;
    imap_why(im, "the caller stopped at message UID %llu", (unsigned long long)uid);
    return r > 0 && r < MM_STATUS_MAX_ ? (mm_status_t)r : MM_EINVAL;
}

mm_status_t mm_imap_fetch_new(mm_imap *im, uint64_t after_uid, uint32_t uidvalidity_known,
                              mm_imap_message_cb cb, void *arg)
{
    if (!im || !cb)
        return MM_EINVAL;
    im->why[0] = '\0';
    im->changed = false;
    im->skipped = 0;
    uid_size *v = NULL;
    size_t n = 0;
    mm_status_t st = MM_OK;
    bool again = false;
    for (int attempt = 0; attempt < 2; attempt++) {
        /* Re-read UIDVALIDITY and EXISTS: new mail since the last call. */
        im->mode = im->mode == MODE_EXAMINE ? MODE_NONE : im->mode;
        if ((st = imap_examine(im)) != MM_OK)
            return st;
        if (uidvalidity_known && uidvalidity_known != im->uidvalidity && !im->changed) {
            im->changed = true; /* UIDs were renumbered: start over (RFC 3501 2.3.1.1) */
            after_uid = 0;
        }
        st = list_new(im, after_uid, &v, &n, &again);
        if (st != MM_OK || !again)
            break;
    }
    if (again) {
        imap_why(im, "the connection to %s keeps being re-opened", im->host);
        st = MM_ECONN;
    }
    for (size_t i = 0; st == MM_OK && i < n; i++) {
        if (v[i].size > im->max_message) {
            im->skipped++;
            continue;
        }
        st = fetch_one(im, v[i].uid, cb, arg);
    }
    free(v);
    return st;
}

/* ---- move ---- */

static mm_status_t select_rw(mm_imap *im)
{
    if (im->mode == MODE_SELECT)
        return MM_OK;
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "SELECT %s", im->mailbox);
    CURLcode rc = imap_run(im, im->base_url, cmd);
    if (rc != CURLE_OK)
        return imap_fail(im, rc, "opening the mailbox");
    im->mode = MODE_SELECT;
    return MM_OK;
}

/* Run a custom command in the SELECTed mailbox; the connection must not
 * have been re-made under it (the SELECT would be gone). */
static CURLcode run_selected(mm_imap *im, const char *cmd)
{
    CURLcode rc = imap_run(im, im->base_url, cmd);
    if (rc == CURLE_OK && im->reconnected)
        return CURLE_RECV_ERROR;
    return rc;
}

static bool resp_has(const mm_imap *im, const char *word)
{
    return im->resp.data && strstr(im->resp.data, word);
}

static mm_status_t move_once(mm_imap *im, uint64_t uid, const char *folder)
{
    char cmd[1200];
    unsigned long long u = (unsigned long long)uid;
    CURLcode rc;
    if (im->has_move) {
        snprintf(cmd, sizeof cmd, "UID MOVE %llu %s", u, folder);
        if ((rc = run_selected(im, cmd)) != CURLE_OK)
            return imap_fail(im, rc, "moving the message");
        /* No EXPUNGE: no message had that UID (not an error in IMAP). */
        return resp_has(im, "EXPUNGE") || resp_has(im, "VANISHED") ? MM_OK : MM_ENOTFOUND;
    }
    snprintf(cmd, sizeof cmd, "UID COPY %llu %s", u, folder);
    if ((rc = run_selected(im, cmd)) != CURLE_OK)
        return imap_fail(im, rc, "copying the message");
    snprintf(cmd, sizeof cmd, "UID STORE %llu +FLAGS.SILENT (\\Deleted)", u);
    if ((rc = run_selected(im, cmd)) != CURLE_OK)
        return imap_fail(im, rc, "flagging the message deleted");
    /* UID EXPUNGE (RFC 4315) removes only this message; plain EXPUNGE
     * would also remove what someone else flagged \Deleted. */
    if (im->has_uidplus)
        snprintf(cmd, sizeof cmd, "UID EXPUNGE %llu", u);
    else
        snprintf(cmd, sizeof cmd, "EXPUNGE");
    if ((rc = run_selected(im, cmd)) != CURLE_OK)
        return imap_fail(im, rc, "expunging the message");
    return resp_has(im, "EXPUNGE") || resp_has(im, "VANISHED") ? MM_OK : MM_ENOTFOUND;
}

mm_status_t mm_imap_move(mm_imap *im, uint64_t uid, const char *folder)
{
    if (!im || !uid || !folder || !*folder)
        return MM_EINVAL;
    im->why[0] = '\0';
    char *q = imap_quote_mailbox(folder);
    if (!q) {
        imap_why(im, "the folder name is too long, not valid UTF-8 or holds a line break");
        return MM_EINVAL;
    }
    mm_status_t st = select_rw(im);
    if (st == MM_OK)
        st = move_once(im, uid, q);
    if (st == MM_EIO && strcasestr(im->tagged, "TRYCREATE")) {
        char cmd[1200];
        snprintf(cmd, sizeof cmd, "CREATE %s", q);
        /* The failed command cost the connection (and the SELECT). */
        CURLcode rc = imap_run(im, im->base_url, cmd);
        st = rc == CURLE_OK ? select_rw(im) : imap_fail(im, rc, "creating the folder");
        if (st == MM_OK)
            st = move_once(im, uid, q);
    }
    if (st == MM_ENOTFOUND)
        imap_why(im, "no message with UID %llu in %s", (unsigned long long)uid, im->mailbox);
    free(q);
    return st;
}
