/*
 * imap_tool.c - the IMAP module driven from the tests (imap_test.py).
 *
 *   imap_tool URL open
 *   imap_tool URL fetch AFTER_UID UIDVALIDITY [STOP_AT]
 *   imap_tool URL move UID FOLDER
 *   imap_tool URL fetchmove AFTER_UID FOLDER     (fetch, then move each)
 *
 * Credentials come from the environment like the real program takes them
 * (MM_IMAP_USER, MM_IMAP_PASSWORD), never from the command line; MM_IMAP_CAFILE
 * names the certificate to trust, MM_IMAP_PLAIN=1 allows imap:// without
 * STARTTLS, MM_IMAP_MAX caps the message size, MM_IMAP_TIMEOUT (seconds).  Output, one item a line:
 *   uidvalidity N | message UID LEN SUBJECT | moved UID | changed | skipped N
 *   status NAME | why TEXT
 * The exit status is the mm_status_t of the last call.
 */
#include <mailmedic/imap.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct seen {
    uint64_t uids[1024];
    size_t n;
    uint64_t stop_at;
} seen;

static const char *name(mm_status_t st)
{
    static const char *names[] = {
        "OK",      "ENOMEM", "EINVAL",    "EIO", "ENOTMAIL", "ETOOBIG", "EPARSE", "ENOTBOUNCE",
        "EBINARY", "EEMPTY", "ENOTFOUND", "EDB", "EBUSY",    "ESCHEMA", "ECONN",  "EAUTH"};
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

/* The Subject of a message, for the test to tell messages apart. */
static void subject(const char *b, size_t n, char *out, size_t outlen)
{
    snprintf(out, outlen, "-");
    for (size_t i = 0; i + 9 < n; i++)
        if ((i == 0 || b[i - 1] == '\n') && strncmp(b + i, "Subject: ", 9) == 0) {
            size_t j = i + 9, k = 0;
            while (j < n && b[j] != '\r' && b[j] != '\n' && k + 1 < outlen)
                out[k++] = b[j++];
            out[k] = '\0';
            return;
        }
}

static int on_message(void *arg, uint64_t uid, const char *bytes, size_t len)
{
    seen *s = arg;
    char subj[200];
    subject(bytes, len, subj, sizeof subj);
    /* A complete message ends with its last line (the fixtures all do). */
    printf("message %" PRIu64 " %zu %s%s\n", uid, len, subj,
           len >= 2 && bytes[len - 1] == '\n' ? "" : " (no final newline)");
    fflush(stdout);
    if (s->n < 1024)
        s->uids[s->n++] = uid;
    return s->stop_at && uid >= s->stop_at ? MM_EIO : 0;
}

static int finish(mm_imap *im, mm_status_t st)
{
    printf("status %s\n", name(st));
    if (st != MM_OK)
        printf("why %s\n", mm_imap_error(im));
    mm_imap_close(im);
    return (int)st;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: imap_tool URL open|fetch|move|fetchmove ...\n");
        return 100;
    }
    const char *max = getenv("MM_IMAP_MAX");
    mm_imap_options o = {
        .url = argv[1],
        .user = getenv("MM_IMAP_USER"),
        .password = getenv("MM_IMAP_PASSWORD"),
        .cafile = getenv("MM_IMAP_CAFILE"),
        .insecure_starttls_ok = getenv("MM_IMAP_PLAIN") != NULL,
        .timeout_s = getenv("MM_IMAP_TIMEOUT") ? atoi(getenv("MM_IMAP_TIMEOUT")) : 10,
        .max_message = max ? (size_t)strtoull(max, NULL, 10) : 0,
    };
    char why[512];
    mm_imap *im = NULL;
    mm_status_t st = mm_imap_open(&o, &im, why, sizeof why);
    if (st != MM_OK) {
        printf("status %s\nwhy %s\n", name(st), why);
        return (int)st;
    }
    printf("uidvalidity %" PRIu32 "\n", mm_imap_uidvalidity(im));
    const char *cmd = argv[2];
    seen s = {.n = 0};
    if (strcmp(cmd, "open") == 0)
        return finish(im, MM_OK);
    if ((strcmp(cmd, "fetch") == 0 || strcmp(cmd, "fetchmove") == 0) && argc >= 5) {
        bool moving = cmd[5] == 'm';
        uint32_t uidv = moving ? 0 : (uint32_t)strtoul(argv[4], NULL, 10);
        s.stop_at = !moving && argc > 5 ? strtoull(argv[5], NULL, 10) : 0;
        st = mm_imap_fetch_new(im, strtoull(argv[3], NULL, 10), uidv, on_message, &s);
        if (mm_imap_uidvalidity_changed(im))
            printf("changed\n");
        printf("skipped %zu\n", mm_imap_skipped(im));
        for (size_t i = 0; moving && st == MM_OK && i < s.n; i++)
            if ((st = mm_imap_move(im, s.uids[i], argv[4])) == MM_OK)
                printf("moved %" PRIu64 "\n", s.uids[i]);
        return finish(im, st);
    }
    if (strcmp(cmd, "move") == 0 && argc == 5) {
        st = mm_imap_move(im, strtoull(argv[3], NULL, 10), argv[4]);
        if (st == MM_OK)
            printf("moved %s\n", argv[3]);
        return finish(im, st);
    }
    fprintf(stderr, "imap_tool: bad command\n");
    mm_imap_close(im);
    return 100;
}
