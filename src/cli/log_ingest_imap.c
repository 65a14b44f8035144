/*
 * log_ingest_imap.c - `log ingest --imap URL`: new messages of a mailbox
 * into the store.
 *
 * The cursor ("imap:" URL ";user=" USER) is "UIDVALIDITY:UID", the last UID
 * handed to the ingest, written with the batch that holds it; each run
 * fetches only UIDs above it (all of them again if the UIDVALIDITY changed —
 * harmless, the keys skip what is stored).  --move-to moves a bounce only
 * after the batch holding it is committed, and only after the fetch is over
 * (one connection: no command may interleave with a running FETCH); a run
 * that stops before moving leaves the message in place, the next run sees it
 * below the cursor, so it is moved by hand or stays — never lost.
 *
 * The password comes from --imap-credentials FILE (user on the first line,
 * password on the second; a file with one line holds only the password) or
 * from $MAILMEDIC_IMAP_PASSWORD, never from the command line, where `ps`
 * would show it to every user.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "cli.h"
#include <mailmedic/imap.h>
#include "log_ingest.h"
#include "../lib/util/buf.h"

typedef struct uid_list {
    uint64_t *v;
    size_t n, cap;
} uid_list;

typedef struct imap_run {
    ingest_run *r;
    mm_imap *im;
    const char *move_to;
    char *cursor;
    char *origin_prefix; /* "imap://user@host/INBOX;UID=" */
    uint32_t uidvalidity;
    uid_list pending;   /* bounces read, batch not committed yet */
    uid_list committed; /* bounces stored: to move */
    char user[256], password[1024];
} imap_run;

static void uid_push(uid_list *l, uint64_t uid)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        uint64_t *p = realloc(l->v, cap * sizeof *p);
        if (!p)
            fatalx("out of memory");
        l->v = p;
        l->cap = cap;
    }
    l->v[l->n++] = uid;
}

static void chomp(char *s)
{
    s[strcspn(s, "\r\n")] = '\0';
}

/* User and password; false (with a message) when there is no password. */
static bool credentials(imap_run *ir, const imap_opts *o)
{
    snprintf(ir->user, sizeof ir->user, "%s", o->user ? o->user : "");
    if (o->credentials) {
        FILE *fp = fopen(o->credentials, "r");
        struct stat sb;
        if (!fp) {
            log_warnx("%s: %s", o->credentials, strerror(errno));
            return false;
        }
        if (fstat(fileno(fp), &sb) == 0 && (sb.st_mode & 077))
            log_warnx(_("%s: the credentials file can be read by other users; "
                        "chmod 600 it"),
                      o->credentials);
        char l1[1024] = "", l2[1024] = "";
        bool two = fgets(l1, sizeof l1, fp) && fgets(l2, sizeof l2, fp);
        fclose(fp);
        chomp(l1);
        chomp(l2);
        if (two && l2[0]) {
            snprintf(ir->user, sizeof ir->user, "%s", l1);
            snprintf(ir->password, sizeof ir->password, "%s", l2);
        } else {
            snprintf(ir->password, sizeof ir->password, "%s", l1);
        }
    } else if (getenv("MAILMEDIC_IMAP_PASSWORD")) {
        snprintf(ir->password, sizeof ir->password, "%s", getenv("MAILMEDIC_IMAP_PASSWORD"));
    }
    if (!ir->user[0] || !ir->password[0]) {
        log_warnx(_("--imap needs a user (--imap-user or the credentials file) and a password "
                    "(--imap-credentials FILE or $MAILMEDIC_IMAP_PASSWORD)"));
        return false;
    }
    return true;
}

/* "imap://user@host/INBOX;UID=" from the URL and the user. */
static char *origin_prefix(const char *url, const char *user)
{
    mm_buf b = MM_BUF_INIT;
    const char *rest = strstr(url, "://");
    if (rest)
        mm_buf_printf(&b, "%.*s://%s@%s;UID=", (int)(rest - url), url, user, rest + 3);
    else
        mm_buf_printf(&b, "imap://%s@%s;UID=", user, url);
    return mm_buf_detach(&b);
}

/* imap://127.x.y.z, imap://[::1], imap://localhost (with a port and a
 * path or not): a password in clear over loopback never leaves the machine. */
static bool loopback_url(const char *url)
{
    const char *h = strstr(url, "://");
    if (!h)
        return false;
    h += 3;
    size_t n = *h == '[' ? strcspn(h, "]") + 1 : strcspn(h, ":/");
    if ((n == 9 && strncmp(h, "localhost", 9) == 0) || (n == 5 && strncmp(h, "[::1]", 5) == 0))
        return true;
    if (n < 5 || strncmp(h, "127.", 4) != 0)
        return false;
    for (size_t i = 4; i < n; i++)
        if (!isdigit((unsigned char)h[i]) && h[i] != '.')
            return false;
    return true;
}

static int on_message(void *arg, uint64_t uid, const char *bytes, size_t len)
{
    imap_run *ir = arg;
    ingest_run *r = ir->r;
    char origin[2048], cur[64];
    snprintf(origin, sizeof origin, "%s%llu", ir->origin_prefix, (unsigned long long)uid);
    mm_ingest_item *it;
    if (mm_ingest_prepare(r->ctx, bytes, len, origin, &it) != MM_OK)
        fatalx("out of memory");
    const char *err = mm_ingest_item_error(it);
    if (err)
        log_warnx("%s: %s", origin, err);
    mm_kind_t k = mm_ingest_item_kind(it);
    if (ir->move_to && !err && (k == MM_KIND_BOUNCE || k == MM_KIND_FEEDBACK))
        uid_push(&ir->pending, uid);
    snprintf(cur, sizeof cur, "%lu:%llu", (unsigned long)mm_imap_uidvalidity(ir->im),
             (unsigned long long)uid);
    if (mm_ingest_set_cursor(r->ing, ir->cursor, cur) != MM_OK)
        fatalx("out of memory");
    r->read++;
    if (r->progress && r->read % 256 == 0)
        ingest_progress(r);
    mm_status_t st = mm_ingest_add(r->ing, it);
    if (st != MM_OK) {
        ingest_store_failed(r, st);
        return (int)st;
    }
    return 0;
}

void ingest_imap_committed(void *arg, const char *cursor_name, const char *cursor_value)
{
    ingest_run *r = arg;
    imap_run *ir = r->imap;
    (void)cursor_name;
    (void)cursor_value;
    if (!ir)
        return;
    for (size_t i = 0; i < ir->pending.n; i++)
        uid_push(&ir->committed, ir->pending.v[i]);
    ir->pending.n = 0;
}

/* Where the last run stopped: false on a store error. */
static bool last_uid(imap_run *ir, uint64_t *uid, uint32_t *validity)
{
    char *v = NULL;
    mm_status_t st = mm_store_get_cursor(ir->r->store, ir->cursor, &v);
    if (st != MM_OK)
        return ingest_store_failed(ir->r, st);
    unsigned long val = 0;
    unsigned long long u = 0;
    *uid = 0;
    *validity = 0;
    if (v && sscanf(v, "%lu:%llu", &val, &u) == 2) {
        *uid = u;
        *validity = (uint32_t)val;
    }
    free(v);
    return true;
}

int ingest_imap(ingest_run *r, const imap_opts *o)
{
    imap_run *ir = calloc(1, sizeof *ir);
    if (!ir)
        fatalx("out of memory");
    r->imap = ir;
    ir->r = r;
    ir->move_to = o->move_to;
    if (!credentials(ir, o))
        return EXIT_USAGE;
    mm_buf b = MM_BUF_INIT;
    mm_buf_printf(&b, "imap:%s;user=%s", o->url, ir->user);
    ir->cursor = mm_buf_detach(&b);
    ir->origin_prefix = origin_prefix(o->url, ir->user);
    if (o->plaintext_ok && !loopback_url(o->url)) {
        log_warnx(_("--imap-allow-plaintext is only for a server on this machine "
                    "(imap://127.0.0.1, [::1] or localhost)"));
        return EXIT_USAGE;
    }
    mm_imap_options io = {o->url, ir->user, ir->password, o->cafile, o->plaintext_ok, 0, 0};
    char why[512] = "";
    mm_status_t st = mm_imap_open(&io, &ir->im, why, sizeof why);
    memset(ir->password, 0, sizeof ir->password);
    if (st != MM_OK) {
        log_warnx(_("IMAP: %s"), why[0] ? why : mm_strerror(st));
        r->unreadable++;
        return EXIT_SOMEFAIL;
    }
    uint64_t after = 0;
    uint32_t validity = 0;
    if (!last_uid(ir, &after, &validity))
        return EXIT_INTERNAL;
    st = mm_imap_fetch_new(ir->im, after, validity, on_message, ir);
    if (r->dberr)
        return EXIT_INTERNAL;
    if (mm_imap_uidvalidity_changed(ir->im))
        log_warnx(_("IMAP: the mailbox was renumbered (UIDVALIDITY changed): it was read again from the start"));
    if (mm_imap_skipped(ir->im))
        log_warnx(_("IMAP: %zu messages too large to fetch were skipped"), mm_imap_skipped(ir->im));
    if (st != MM_OK) {
        log_warnx(_("IMAP: %s; what was read is stored, the next run goes on from there"),
                  mm_imap_error(ir->im)[0] ? mm_imap_error(ir->im) : mm_strerror(st));
        r->unreadable++;
        return EXIT_SOMEFAIL;
    }
    return EXIT_OK;
}

/* After the final commit: move the stored bounces, then log out. */
void ingest_imap_finish(ingest_run *r)
{
    imap_run *ir = r->imap;
    if (!ir)
        return;
    size_t moved = 0;
    for (size_t i = 0; ir->im && !r->dberr && i < ir->committed.n; i++) {
        mm_status_t st = mm_imap_move(ir->im, ir->committed.v[i], ir->move_to);
        if (st == MM_OK) {
            moved++;
        } else if (st != MM_ENOTFOUND) {
            log_warnx(_("IMAP: cannot move UID %llu to %s: %s"),
                      (unsigned long long)ir->committed.v[i], ir->move_to,
                      mm_imap_error(ir->im)[0] ? mm_imap_error(ir->im) : mm_strerror(st));
            r->unreadable++;
            break;
        }
    }
    if (moved)
        log_info(_("IMAP: %zu bounces moved to %s"), moved, ir->move_to);
    mm_imap_close(ir->im);
    free(ir->pending.v);
    free(ir->committed.v);
    free(ir->cursor);
    free(ir->origin_prefix);
    free(ir);
    r->imap = NULL;
}
