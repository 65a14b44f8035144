/*
 * test_input.c - message sources (input.h) on a tree built in a temporary
 * directory: the order of a directory walk, what it skips, nested
 * directories, errors that name their input and let the walk go on, the
 * mbox split, and the size limit; every walk both with batched reads
 * (io_uring, where this kernel allows it) and file by file, which must
 * agree.  Failures print "got X, want Y".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <errno.h>
#include <mailmedic/input.h>
#include "input/ring.h"

static char root[256];

static void put(const char *rel, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void mkdir_rel(const char *rel)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    assert_int_equal(mkdir(path, 0700), 0);
}

/* Every message and error of paths as "source#index:bytes" or
 * "source!error" lines, with root replaced by "R"; batch: batched reads. */
static void walk_as(const char *const *paths, size_t n, size_t limit, bool batch, char *out,
                    size_t cap)
{
    mm_input *in;
    assert_int_equal(mm_input_open(paths, n, limit, &in), MM_OK);
    assert_int_equal(mm_input_batch_reads(in, batch), MM_OK);
    size_t used = 0, rl = strlen(root);
    out[0] = '\0';
    for (;;) {
        mm_input_msg m;
        char why[256];
        mm_status_t st = mm_input_next(in, &m, why, sizeof why);
        if (st == MM_ENOTFOUND)
            break;
        const char *src = m.source;
        if (strncmp(src, root, rl) == 0) {
            used += (size_t)snprintf(out + used, cap - used, "R");
            src += rl;
        }
        if (st != MM_OK)
            used += (size_t)snprintf(out + used, cap - used, "%s!%s\n", src, why);
        else
            used += (size_t)snprintf(out + used, cap - used, "%s#%zu:%.*s%s\n", src, m.index,
                                     (int)m.len, m.bytes, m.truncated ? " [cut]" : "");
        assert_true(used < cap);
    }
    mm_input_destroy(in);
}

/* walk_as() both ways: the same lines, into out. */
static void walk(const char *const *paths, size_t n, size_t limit, char *out, size_t cap)
{
    char *one_by_one = malloc(cap);
    assert_non_null(one_by_one);
    walk_as(paths, n, limit, false, one_by_one, cap);
    walk_as(paths, n, limit, true, out, cap);
    assert_string_equal(out, one_by_one);
    free(one_by_one);
}

static int setup(void **state)
{
    (void)state;
    snprintf(root, sizeof root, "/tmp/mm-test-input-XXXXXX");
    assert_non_null(mkdtemp(root));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx %s && rm -rf %s", root, root);
    return system(cmd) == 0 ? 0 : -1;
}

/* Names in byte order, hidden entries and Maildir tmp/ skipped, a nested
 * directory walked where it sorts, a file named "-" read as that file. */
static void test_dir_order(void **state)
{
    (void)state;
    mkdir_rel("d");
    put("d/b", "B");
    put("d/a", "A");
    put("d/-", "DASH");
    put("d/.hidden", "H");
    mkdir_rel("d/tmp");
    put("d/tmp/t", "T");
    mkdir_rel("d/c");
    put("d/c/z", "Z");
    put("d/c/y", "Y");
    mkdir_rel("d/c/e");
    put("d/A", "UPPER");
    put("d/d", "D");
    char dir[300], out[4096];
    snprintf(dir, sizeof dir, "%s/d", root);
    const char *paths[] = {dir};
    walk(paths, 1, 0, out, sizeof out);
    assert_string_equal(out, "R/d/-#0:DASH\n"
                             "R/d/A#0:UPPER\n"
                             "R/d/a#0:A\n"
                             "R/d/b#0:B\n"
                             "R/d/c/y#0:Y\n"
                             "R/d/c/z#0:Z\n"
                             "R/d/d#0:D\n");
    /* the same with a trailing slash: no double slash in the names */
    snprintf(dir, sizeof dir, "%s/d/c/", root);
    walk(paths, 1, 0, out, sizeof out);
    assert_string_equal(out, "R/d/c/y#0:Y\nR/d/c/z#0:Z\n");

    /* byte order where names share their first 8 or 16 bytes (the sort's
     * keys), end inside or right after them, or have bytes above 0x7f */
    static const char *const names[] = {
        "0123456789abcdef-b", "0123456789abcdef", "z", "0123456789abcdeg", "012345678",
        "0123456789abcdef\xc3\xa9", "0123456789abcdef-a", "\xc3\xa9t\xc3\xa9", "0123456",
        "01234567", "0123456789abcde", "Z"};
    mkdir_rel("k");
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "k/%s", names[i]);
        put(rel, "m");
    }
    snprintf(dir, sizeof dir, "%s/k", root);
    walk(paths, 1, 0, out, sizeof out);
    assert_string_equal(out, "R/k/0123456#0:m\n"
                             "R/k/01234567#0:m\n"
                             "R/k/012345678#0:m\n"
                             "R/k/0123456789abcde#0:m\n"
                             "R/k/0123456789abcdef#0:m\n"
                             "R/k/0123456789abcdef-a#0:m\n"
                             "R/k/0123456789abcdef-b#0:m\n"
                             "R/k/0123456789abcdef\xc3\xa9#0:m\n"
                             "R/k/0123456789abcdeg#0:m\n"
                             "R/k/Z#0:m\n"
                             "R/k/z#0:m\n"
                             "R/k/\xc3\xa9t\xc3\xa9#0:m\n");
}

/*
 * Many random names, some sharing a prefix of 8 bytes or more (the sort's
 * radix key, then its tie-break), with bytes above 0x7f: the walk visits
 * them in strcmp() order, each once.
 */
static void test_dir_order_random(void **state)
{
    (void)state;
    static const char *const prefixes[] = {"", "1732900", "17329001", "0123456789abcdef", "x"};
    enum { N = 1500 };
    unsigned seed = 12345;
    mkdir_rel("r");
    for (int i = 0; i < N; i++) {
        char rel[64];
        int at = snprintf(rel, sizeof rel, "r/%s", prefixes[i % 5]);
        seed = seed * 1103515245u + 12345u;
        int len = 1 + (int)(seed >> 16) % 12;
        for (int k = 0; k < len; k++) {
            seed = seed * 1103515245u + 12345u;
            unsigned c = 0x21 + (seed >> 16) % 0xde; /* 0x21..0xfe */
            rel[at++] = (char)(c == '/' || c == '.' ? 'a' : c);
        }
        snprintf(rel + at, sizeof rel - (size_t)at, "%d", i); /* unique */
        put(rel, "m");
    }
    char dir[300];
    snprintf(dir, sizeof dir, "%s/r", root);
    const char *paths[] = {dir};
    enum { CAP = 1 << 17 };
    char *out = malloc(CAP), *prev = NULL;
    assert_non_null(out);
    walk(paths, 1, 0, out, CAP);
    size_t count = 0;
    for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), count++) {
        char *end = strstr(line, "#0:m");
        assert_non_null(end);
        *end = '\0';
        if (prev)
            assert_true(strcmp(prev, line) < 0);
        prev = line;
    }
    assert_int_equal(count, N);
    free(out);
}

/* Inputs that cannot be read are errors naming them; the walk goes on with
 * the next entry and the next path.  A dangling link fails for anyone;
 * permissions make errors only for a user other than root. */
static void test_dir_errors(void **state)
{
    (void)state;
    bool root_user = geteuid() == 0;
    mkdir_rel("e");
    put("e/1", "ONE");
    put("e/2", "TWO");
    char p2[300];
    snprintf(p2, sizeof p2, "%s/e/2", root);
    assert_int_equal(chmod(p2, 0), 0);
    mkdir_rel("e/3");
    put("e/3/x", "X");
    snprintf(p2, sizeof p2, "%s/e/3", root);
    assert_int_equal(chmod(p2, 0), 0);
    snprintf(p2, sizeof p2, "%s/e/4", root);
    assert_int_equal(symlink("nowhere", p2), 0);
    put("e/5", "FIVE");
    char dir[300], missing[300], out[4096];
    snprintf(dir, sizeof dir, "%s/e", root);
    snprintf(missing, sizeof missing, "%s/none", root);
    const char *paths[] = {dir, missing};
    walk(paths, 2, 0, out, sizeof out);
    if (root_user)
        assert_string_equal(out, "R/e/1#0:ONE\n"
                                 "R/e/2#0:TWO\n"
                                 "R/e/3/x#0:X\n"
                                 "R/e/4!No such file or directory\n"
                                 "R/e/5#0:FIVE\n"
                                 "R/none!No such file or directory\n");
    else
        assert_string_equal(out, "R/e/1#0:ONE\n"
                                 "R/e/2!Permission denied\n"
                                 "R/e/3!cannot read directory: Permission denied\n"
                                 "R/e/4!No such file or directory\n"
                                 "R/e/5#0:FIVE\n"
                                 "R/none!No such file or directory\n");
}

/* Directories nested deeper than a process may hold descriptors for each
 * level at once would be a problem only if each level kept one after its
 * last entry: a chain of 300 directories with one file at the bottom. */
static void test_deep_dirs(void **state)
{
    (void)state;
    char rel[4096] = "deep";
    mkdir_rel(rel);
    for (int i = 0; i < 300; i++) {
        strcat(rel, "/x");
        mkdir_rel(rel);
    }
    strcat(rel, "/m");
    put(rel, "BOTTOM");
    char dir[300], out[8192];
    snprintf(dir, sizeof dir, "%s/deep", root);
    const char *paths[] = {dir};
    walk(paths, 1, 0, out, sizeof out);
    assert_non_null(strstr(out, "/x/m#0:BOTTOM\n"));
    assert_null(strchr(out, '!'));
}

/* An mbox splits on "From " lines; a plain file is one message cut at the
 * limit. */
static void test_mbox_and_limit(void **state)
{
    (void)state;
    put("box", "From a@b Thu Jul  2 12:05:05 2020\nSubject: 1\n\nbody\n>From x\n\n"
               "From c@d Thu Jul  2 12:05:06 2020\nSubject: 2\n\nmore\n");
    put("big", "0123456789");
    char box[300], big[300], out[4096];
    snprintf(box, sizeof box, "%s/box", root);
    snprintf(big, sizeof big, "%s/big", root);
    const char *paths[] = {box, big};
    walk(paths, 2, 4, out, sizeof out);
    /* the limit cuts the mbox's messages too */
    assert_string_equal(out, "R/box#0:Subj [cut]\nR/box#1:Subj [cut]\nR/big#0:0123 [cut]\n");
    walk(paths, 2, 0, out, sizeof out);
    assert_string_equal(out, "R/box#0:Subject: 1\n\nbody\nFrom x\n\n\n"
                             "R/box#1:Subject: 2\n\nmore\n\n"
                             "R/big#0:0123456789\n");
}

/*
 * An mbox written from known messages, read back: each message's bytes are
 * what was written between its envelope lines (">From " unescaped once).
 * The first message's size puts the second envelope line at every offset
 * around the end of the first 256 KiB read (split across the refill, its
 * LF at either side), and the envelope lines are also asked for again after
 * a message has ended on them (peek_piece's remembered answer).
 */
static void check_mbox_split(const char *path, size_t first, size_t envelope_pad)
{
    enum { MSGS = 6 };
    static char body[MSGS][300000];
    size_t blen[MSGS];
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < MSGS; i++) {
        size_t want = i == 0 ? first : 40 + (size_t)i * 977;
        int n = snprintf(body[i], sizeof body[i], "Subject: %d\n\n", i);
        size_t len = (size_t)n;
        while (len < want) { /* lines of 1 to 70 bytes, some that look like "From " */
            size_t line = 1 + (len * 7 + (size_t)i) % 70;
            if (len + line > want)
                line = want - len;
            memset(body[i] + len, 'x', line);
            if (line >= 8 && len % 5 == 0)
                memcpy(body[i] + len, "From: y", 7);
            body[i][len + line - 1] = '\n';
            len += line;
        }
        blen[i] = len;
        fprintf(fp, "From sender@example.com%*s Thu Jul  2 12:05:05 2020\n",
                (int)(i == 2 ? envelope_pad : 0), "");
        fwrite(body[i], 1, len, fp);
        if (i == 3)
            fputs(">From the quoted line\n", fp);
        fputc('\n', fp);
    }
    fclose(fp);
    mm_input *in;
    const char *paths[] = {path};
    assert_int_equal(mm_input_open(paths, 1, 0, &in), MM_OK);
    for (int i = 0; i < MSGS; i++) {
        mm_input_msg m;
        char why[256];
        assert_int_equal(mm_input_next(in, &m, why, sizeof why), MM_OK);
        assert_int_equal(m.index, (size_t)i);
        size_t extra = i == 3 ? strlen("From the quoted line\n") : 0;
        if (m.len != blen[i] + extra + 1)
            fail_msg("first %zu pad %zu message %d: got %zu bytes, want %zu", first,
                     envelope_pad, i, m.len, blen[i] + extra + 1);
        assert_memory_equal(m.bytes, body[i], blen[i]);
        if (extra)
            assert_memory_equal(m.bytes + blen[i], "From the quoted line\n", extra);
        assert_int_equal(m.bytes[m.len - 1], '\n');
        assert_false(m.truncated);
    }
    mm_input_msg m;
    char why[256];
    assert_int_equal(mm_input_next(in, &m, why, sizeof why), MM_ENOTFOUND);
    mm_input_destroy(in);
}

static void test_mbox_boundaries(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/edge.mbox", root);
    const size_t block = 256u << 10, env = strlen("From sender@example.com Thu Jul  2 12:05:05 2020\n");
    /* the second envelope line starts env + first bytes in: around the block's end */
    for (size_t back = 0; back <= 70; back++)
        check_mbox_split(path, block - env - 1 - back, 0);
    for (size_t past = 1; past <= 3; past++)
        check_mbox_split(path, block - env - 1 + past, 0);
    /* an envelope line longer than the read buffer comes in pieces */
    check_mbox_split(path, 1000, block + 100);
    check_mbox_split(path, 1000, 0);
}

/* Every message of paths, read in normal mode and copied: the reference. */
typedef struct ref_msg {
    char *bytes;
    size_t len;
    bool truncated;
} ref_msg;

static size_t read_all(const char *const *paths, size_t n, size_t limit, ref_msg *out, size_t cap)
{
    mm_input *in;
    assert_int_equal(mm_input_open(paths, n, limit, &in), MM_OK);
    /* file by file: check_keep() compares keep mode, batched, with it */
    assert_int_equal(mm_input_batch_reads(in, false), MM_OK);
    size_t k = 0;
    mm_input_msg m;
    char why[256];
    mm_status_t st;
    while ((st = mm_input_next(in, &m, why, sizeof why)) != MM_ENOTFOUND) {
        assert_int_equal(st, MM_OK);
        assert_true(k < cap);
        assert_false(m.kept); /* not in keep mode */
        out[k].bytes = malloc(m.len + 1);
        memcpy(out[k].bytes, m.bytes, m.len);
        out[k].len = m.len;
        out[k++].truncated = m.truncated;
    }
    mm_input_destroy(in);
    return k;
}

/*
 * Keep mode as diagnose --jobs uses it: messages taken in batches, a batch
 * released right after the next one was read; every kept message must still
 * hold its bytes just before it is released, and the messages must be those
 * of the normal mode.  batch: messages per batch.
 */
static void check_keep(const char *const *paths, size_t n, size_t limit, size_t batch,
                       size_t *kept_count)
{
    enum { CAP = 4000 };
    static ref_msg ref[CAP];
    static mm_input_msg got[CAP];
    size_t total = read_all(paths, n, limit, ref, CAP);
    mm_input *in;
    assert_int_equal(mm_input_open(paths, n, limit, &in), MM_OK);
    assert_int_equal(mm_input_keep(in), MM_OK);
    size_t k = 0, checked = 0;
    unsigned long long mark = 0; /* after the batch before this one */
    char why[256];
    *kept_count = 0;
    for (;;) {
        size_t start = k;
        while (k - start < batch && mm_input_next(in, &got[k], why, sizeof why) == MM_OK) {
            assert_true(k < total);
            assert_int_equal(got[k].len, ref[k].len);
            assert_memory_equal(got[k].bytes, ref[k].bytes, ref[k].len);
            assert_int_equal(got[k].truncated, ref[k].truncated);
            *kept_count += got[k].kept;
            k++;
        }
        /* the batch before this one is done with, as diagnose --jobs does
         * after reading the next: check it, then release it (reading this
         * batch may have reused the blocks of the one released before) */
        for (; checked < start; checked++)
            if (got[checked].kept)
                assert_memory_equal(got[checked].bytes, ref[checked].bytes, ref[checked].len);
        mm_input_release(in, mark);
        mark = mm_input_mark(in);
        if (k == start)
            break;
    }
    assert_int_equal(k, total);
    mm_input_release(in, mm_input_mark(in)); /* all done with: no block held */
    assert_int_equal(mm_input_held(in), 0);
    mm_input_destroy(in);
    for (size_t i = 0; i < total; i++)
        free(ref[i].bytes);
}

/* An mbox of messages of many sizes (up to 700 KB: some longer than half a
 * read block), with ">From " lines (unescaped: not kept) and CRLF. */
static void test_keep_mbox(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/keep.mbox", root);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    unsigned seed = 7;
    for (int i = 0; i < 3000; i++) {
        seed = seed * 1103515245u + 12345u;
        size_t body = (seed >> 8) % 6000;
        if (i % 500 == 7)
            body = 300000 + (size_t)i * 100; /* several blocks' worth */
        fprintf(fp, "From sender@example.com Thu Jul  2 12:05:05 2020\n");
        fprintf(fp, "Subject: message %d\n%s\n", i, i % 3 == 0 ? "\r" : "");
        for (size_t b = 0; b < body; b += 64)
            fprintf(fp, "%s%06zu-%d abcdefghijklmnopqrstuvwxyz0123456789 line\n",
                    (b / 64) % 97 == 5 && i % 4 == 1 ? ">From " : "", b, i);
        fputc('\n', fp);
    }
    fclose(fp);
    const char *paths[] = {path};
    size_t kept;
    check_keep(paths, 1, 0, 256, &kept);
    assert_true(kept > 2000); /* most are handed out in place */
    check_keep(paths, 1, 0, 1, &kept);
    check_keep(paths, 1, 5000, 7, &kept); /* cut at the limit */
}

/* A directory of many files (some large) in keep mode, and the same files
 * as two paths. */
static void test_keep_dir(void **state)
{
    (void)state;
    mkdir_rel("kd");
    for (int i = 0; i < 600; i++) {
        char rel[64], text[4096];
        snprintf(rel, sizeof rel, "kd/%04d", i);
        size_t n = (size_t)snprintf(text, sizeof text, "Subject: %d\n\n", i);
        for (; n < (size_t)(i * 7 % 4000); n++)
            text[n] = (char)('a' + n % 26);
        text[n] = '\0';
        put(rel, text);
    }
    char big[700001];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put("kd/0300big", big);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/kd", root);
    const char *paths[] = {dir, dir};
    size_t kept;
    check_keep(paths, 2, 0, 100, &kept);
    assert_true(kept >= 1200);
    check_keep(paths, 1, 0, 3, &kept);
}

/* Short kept messages between long ones cut at the limit: each short one
 * holds a read block until released, and mm_input_held() says so. */
static void test_keep_held(void **state)
{
    (void)state;
    char path[300];
    snprintf(path, sizeof path, "%s/held.mbox", root);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (int i = 0; i < 20; i++) {
        fprintf(fp, "From a@b Thu Jul  2 12:05:05 2020\nSubject: short %d\n\nx\n\n", i);
        fprintf(fp, "From a@b Thu Jul  2 12:05:05 2020\nSubject: long\n\n");
        for (int l = 0; l < 16000; l++)
            fputs("0123456789012345678901234567890123456789012345678901234567890123456789\n", fp);
        fputc('\n', fp);
    }
    fclose(fp);
    const char *paths[] = {path};
    mm_input *in;
    assert_int_equal(mm_input_open(paths, 1, 1000, &in), MM_OK);
    assert_int_equal(mm_input_keep(in), MM_OK);
    mm_input_msg m;
    char why[64];
    size_t kept = 0;
    while (mm_input_next(in, &m, why, sizeof why) == MM_OK)
        kept += m.kept;
    assert_int_equal(kept, 20); /* the short ones; the long ones were cut */
    assert_true(mm_input_held(in) >= (size_t)19 << 20);
    mm_input_release(in, mm_input_mark(in));
    assert_int_equal(mm_input_held(in), 0);
    mm_input_destroy(in);
}

/* A file of exactly n bytes: a header line, then letters (no NUL, so the
 * walk's lines can print it). */
static void put_size(const char *rel, size_t n)
{
    char *text = malloc(n + 1);
    assert_non_null(text);
    size_t h = (size_t)snprintf(text, n + 1, "Subject: %zu\n\n", n);
    for (size_t i = h < n ? h : n; i < n; i++)
        text[i] = (char)('a' + i % 26);
    text[n] = '\0';
    put(rel, text);
    free(text);
}

/*
 * Batched reads against file by file (walk() compares them) on what a
 * batch must hand back to the usual way: sizes around the 64 KiB slot,
 * empty files, a directory and links among the files, an mbox, more files
 * than one batch holds, and the size limit.
 */
static void test_batch_kinds(void **state)
{
    (void)state;
    mkdir_rel("bk");
    static const size_t sizes[] = {0, 1, 2, 4095, 4096, MM_RING_SLOT - 1, MM_RING_SLOT,
                                   MM_RING_SLOT + 1, 3 * MM_RING_SLOT + 7};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "bk/a%02zu", i);
        put_size(rel, sizes[i]);
    }
    for (int i = 0; i < 2 * (int)MM_RING_FILES + 3; i++) { /* three batches and a bit */
        char rel[64];
        snprintf(rel, sizeof rel, "bk/m%03d", i);
        put_size(rel, (size_t)(50 + i * 37));
        if (i == 40) {
            mkdir_rel("bk/m040d");
            put("bk/m040d/inner", "INNER");
            char link[300];
            snprintf(link, sizeof link, "%s/bk/m040l", root);
            assert_int_equal(symlink("m001", link), 0);
            snprintf(link, sizeof link, "%s/bk/m040z", root);
            assert_int_equal(symlink("gone", link), 0);
        }
    }
    put("bk/mbox", "From a@b Thu Jul  2 12:05:05 2020\nSubject: 1\n\nx\n\n"
                   "From c@d Thu Jul  2 12:05:06 2020\nSubject: 2\n\n>From y\n");
    char dir[300];
    snprintf(dir, sizeof dir, "%s/bk", root);
    const char *paths[] = {dir};
    enum { CAP = 1 << 20 };
    char *out = malloc(CAP);
    assert_non_null(out);
    walk(paths, 1, 0, out, CAP);
    assert_non_null(strstr(out, "R/bk/m040d/inner#0:INNER\n"));
    assert_non_null(strstr(out, "R/bk/m040z!No such file or directory\n"));
    assert_non_null(strstr(out, "R/bk/mbox#1:Subject: 2\n\nFrom y\n"));
    assert_non_null(strstr(out, "R/bk/a08#0:Subject: 196615\n"));
    walk(paths, 1, 100, out, CAP); /* cut at the limit */
    assert_non_null(strstr(out, " [cut]\n"));
    /* a file of exactly the limit is whole, one byte more is cut */
    put_size("bk/n100", 100);
    put_size("bk/n101", 101);
    walk(paths, 1, 100, out, CAP);
    assert_non_null(strstr(out, "R/bk/n100#0:Subject: 100\n\n"));
    assert_null(strstr(strstr(out, "R/bk/n100#0:"), "[cut]\nR/bk/n101"));
    assert_non_null(strstr(strstr(out, "R/bk/n101#0:"), " [cut]\n"));
    free(out);
}

/*
 * The ring itself, where this kernel lets it be made: results for a file,
 * one missing, a directory and a file longer than a slot.  Elsewhere (no
 * liburing, seccomp, kernel.io_uring_disabled) it says so and skips: the
 * walks above then test the file-by-file way only.
 */
static void test_ring(void **state)
{
    (void)state;
    mm_ring *r = mm_ring_create();
    if (!r) {
        print_message("io_uring cannot be used here: batched reads not tested\n");
        skip();
    }
    mkdir_rel("rg");
    put("rg/small", "SMALL");
    mkdir_rel("rg/sub");
    put_size("rg/big", MM_RING_SLOT + 1);
    char dir[300];
    snprintf(dir, sizeof dir, "%s/rg", root);
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    assert_true(fd >= 0);
    const char *names[] = {"small", "missing", "sub", "big"};
    for (int round = 0; round < 3; round++) { /* slots are used again, and left closed */
        assert_int_equal(mm_ring_read(r, fd, names, 4), 0);
        const char *data;
        assert_int_equal(mm_ring_result(r, 0, &data), 5);
        assert_memory_equal(data, "SMALL", 5);
        assert_int_equal(mm_ring_result(r, 1, &data), -ENOENT);
        assert_int_equal(mm_ring_result(r, 2, &data), -EISDIR);
        assert_int_equal(mm_ring_result(r, 3, &data), (long)MM_RING_SLOT);
        assert_memory_equal(data, "Subject: 65537\n\n", 16);
    }
    assert_int_equal(mm_ring_read(r, fd, names, 0), -EINVAL);
    close(fd);
    mm_ring_free(r);
}

/*
 * A file system whose reads may stop short of the end (sysfs hands out a
 * page per read whatever the size) is read file by file even with batches
 * on: its files come whole.  /sys/kernel/btf/vmlinux is such a file where
 * the kernel has BTF; elsewhere the test skips.
 */
static void test_batch_short_reads(void **state)
{
    (void)state;
    struct stat sb;
    if (stat("/sys/kernel/btf/vmlinux", &sb) != 0 || sb.st_size <= (off_t)MM_RING_SLOT) {
        print_message("no /sys/kernel/btf/vmlinux here: not tested\n");
        skip();
    }
    const char *paths[] = {"/sys/kernel/btf"};
    mm_input *in;
    assert_int_equal(mm_input_open(paths, 1, 64u << 20, &in), MM_OK);
    mm_input_msg m;
    char why[256];
    bool seen = false;
    mm_status_t st;
    while ((st = mm_input_next(in, &m, why, sizeof why)) != MM_ENOTFOUND) {
        if (st == MM_OK && strcmp(m.source, "/sys/kernel/btf/vmlinux") == 0) {
            assert_int_equal(m.len, (size_t)sb.st_size);
            seen = true;
        }
    }
    assert_true(seen);
    mm_input_destroy(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_dir_order, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_order_random, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dir_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deep_dirs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mbox_and_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mbox_boundaries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_mbox, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_keep_held, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ring, setup, teardown),
        cmocka_unit_test(test_batch_short_reads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
