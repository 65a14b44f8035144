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

#define LIST_CHUNK 100 /* messages per listing command (see list_new) */

/*
 * The messages above after, by sequence number in chunks from the end of
 * the mailbox back to the first chunk that reaches after.  Why not one
 * "UID FETCH after+1:*": libcurl caps what it counts as response lines of
 * one command at 300 KB ("Too large response headers"; Debian 12's 7.88.1
 * counts some 770 bytes per FETCH line, so about 400 lines), and a first
 * run sees the whole mailbox.  100 lines a chunk keeps a 4x margin.  New
 * mail is at the end, so a routine run needs one chunk.
 * Going backwards never misses a message when another client expunges
 * meanwhile: the messages below shift down into the chunk still to come.
 * *again: a chunk went to a new connection (not EXAMINEd): start over.
 */
static mm_status_t list_new(mm_imap *im, uint64_t after, uid_vec *vec, bool *again)
{
    *again = false;
    for (uint64_t hi = im->exists; hi >= 1;) {
        uint64_t lo = hi > LIST_CHUNK ? hi - LIST_CHUNK + 1 : 1, min;
        char cmd[96];
        snprintf(cmd, sizeof cmd, "FETCH %llu:%llu (UID RFC822.SIZE)", (unsigned long long)lo,
                 (unsigned long long)hi);
        CURLcode rc = imap_run(im, im->base_url, cmd);
        if (rc != CURLE_OK)
            return imap_fail(im, rc, "listing new messages");
        if (im->reconnected) {
            *again = true;
            return MM_OK;
        }
        mm_status_t st = imap_collect(im, after, vec, &min);
        if (st != MM_OK)
            return st;
        if (lo == 1 || min <= after)
            break;
        hi = lo - 1;
    }
    imap_sort_unique(vec);
    return MM_OK;
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
    uid_vec vec = {NULL, 0, 0};
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
        vec.n = 0;
        st = list_new(im, after_uid, &vec, &again);
        if (st != MM_OK || !again)
            break;
    }
    if (st == MM_OK && again) {
        imap_why(im, "the connection to %s keeps being re-opened", im->host);
        st = MM_ECONN;
    }
    for (size_t i = 0; st == MM_OK && i < vec.n; i++) {
        if (vec.v[i].size > im->max_message) {
            im->skipped++;
            continue;
        }
        st = fetch_one(im, vec.v[i].uid, cb, arg);
    }
    free(vec.v);
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
