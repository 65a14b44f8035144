/*
 * input.c - message sources (see input.h).
 *
 * A work list of paths is expanded lazily: a directory is replaced by its
 * sorted entries when reached.  Each file is read with large read() calls
 * into one fixed buffer, and handed out line by line as (pointer, length)
 * pieces of that buffer; a line longer than the buffer comes in several
 * pieces, so no line, however long, grows memory.  If a file's first line is
 * an mbox "From " line the file is split into messages, otherwise the whole
 * file is one message and reading stops at the size limit.  Bytes of an mbox
 * message beyond the limit are read and dropped, never stored.
 */
#include <mailmedic/input.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include "../util/buf.h"
#include "../util/str.h"
#include "ring.h"

#define READ_BUF (256u << 10)
/* Keep mode (mm_input_keep): the size of a read block, the room below which
 * reading moves on to a new block rather than read a little, and how many
 * released blocks are kept for reuse (a new one costs a page fault per 4 KiB). */
#define KEEP_BLOCK (1u << 20)
#define KEEP_MIN_READ (64u << 10)
#define KEEP_SPARES 4
/* A message buffer grown past this by one big message is given back afterwards. */
#define KEEP_MSG_CAP (4u << 20)
/* in->fd: no file open, or the current file was read ahead (in->pre). */
#define NO_FD (-1)
#define MEM_FD (-2)

/*
 * A directory being walked.  Its entries are opened relative to it
 * (openat): the kernel then looks up one name in a directory it already
 * holds rather than walking the whole path again, which is a good part of
 * the cost of a directory of many small files.  Its entries' names live in
 * one block (names), not one allocation each: a directory of 100,000 files
 * would otherwise cost 100,000 malloc() and free() calls, interleaved with
 * the messages' own, which fragments the heap.  Freed when its last entry
 * has been opened.
 */
typedef struct walk_dir {
    int fd;     /* -1: entries are opened by their full paths */
    char *path; /* the directory's path and a '/' (unless it ended in one) */
    size_t plen;
    char *names; /* the entries: each a d_type byte, then the name, NUL-terminated */
    size_t left; /* entries still in the work list */
    bool batch;  /* on a file system where a short read is the end of a file (ring.h) */
} walk_dir;

/* A path still to visit: a path given by the caller (dir NULL: path is
 * ours to free), or a directory's entry (path is its name, in dir->names,
 * after its d_type byte). */
typedef struct todo_path {
    char *path;
    walk_dir *dir;
} todo_path;

struct mm_input {
    todo_path *todo; /* stack of paths still to visit (last = next) */
    size_t ntodo, captodo;
    size_t limit;
    int fd;    /* current file, NO_FD if none, MEM_FD if read ahead */
    mm_buf cur; /* its path (kept from one file to the next: no allocation per file) */
    bool mbox;
    size_t index;
    char *rbuf; /* read buffer: bytes [rpos, rlen) not yet handed out */
    size_t rpos, rlen, rcap;
    bool mid_line; /* the next piece continues a line already started */
    bool eof;
    /* peek_piece()'s last answer (peek_n 0: none), good until the bytes or
     * the place change (consume, fill, a new file): the "From " line that
     * ends one message of an mbox is asked for again to start the next. */
    const char *peek_p;
    size_t peek_n;
    bool peek_start;
    /* A regular file we opened: its size when opened.  Reading stops there
     * without the read() that would return 0 (one system call per file of
     * a directory), and a message read whole stays where it was read. */
    bool sized;
    unsigned long long size, got;
    int err; /* errno of a failed read, 0 if none */
    mm_buf msg;
    /* The message's bytes while they are one run still in rbuf (msg empty):
     * handed out from there, copied to msg only when rbuf is refilled. */
    const char *run;
    size_t run_len;
    bool lost; /* copying the run failed (out of memory): the message is cut */
    /* Keep mode: messages handed out from rbuf stay there until released.
     * rbuf is then the newest read block; held are older blocks that still
     * hold messages not released, each with its "last" (see rbuf_last). */
    bool keep;
    bool started; /* mm_input_next() was called: the modes are set */
    unsigned long long handed;   /* messages handed out so far */
    unsigned long long released; /* messages numbered below this are released */
    unsigned long long rbuf_last; /* 1 + number of the last message handed out from rbuf, 0: none */
    struct held_block {
        char *data;
        unsigned long long last;
    } *held;
    size_t nheld, capheld;
    char *spares[KEEP_SPARES]; /* released blocks, for reuse */
    size_t nspares;
    /* Batched reads of a directory's files (ring.h): created at the first
     * directory entry unless ring_off; pf_name[pf_next..pf_n) are the
     * entries of the last batch not taken yet (matched by pointer). */
    mm_ring *ring;
    bool ring_off;
    const char *pf_name[MM_RING_FILES];
    size_t pf_n, pf_next;
    /* MEM_FD: the current file's bytes, read ahead, and how many were
     * handed to rbuf */
    const char *pre;
    size_t pre_len, pre_pos;
    /* The current file is one message, handed out where it was read ahead
     * (see can_hand_direct) */
    bool direct;
};

static void dir_free(walk_dir *dir)
{
    if (dir->fd >= 0)
        close(dir->fd);
    free(dir->names);
    free(dir->path);
    free(dir);
}

/* The work list's hold on dir ends (the entry was opened, or dropped). */
static void dir_release(walk_dir *dir)
{
    if (dir && --dir->left == 0)
        dir_free(dir);
}

/* Make room for n more paths on the work list. */
static mm_status_t todo_room(mm_input *in, size_t n)
{
    if (in->captodo - in->ntodo >= n)
        return MM_OK;
    size_t cap = in->captodo ? in->captodo : 16;
    while (cap - in->ntodo < n)
        cap *= 2;
    todo_path *v = realloc(in->todo, cap * sizeof *v);
    if (!v)
        return MM_ENOMEM;
    in->todo = v;
    in->captodo = cap;
    return MM_OK;
}

static mm_status_t push(mm_input *in, const char *path)
{
    char *copy = strdup(path);
    if (!copy || todo_room(in, 1) != MM_OK) {
        free(copy);
        return MM_ENOMEM;
    }
    in->todo[in->ntodo++] = (todo_path){copy, NULL};
    return MM_OK;
}

mm_status_t mm_input_open(const char *const *paths, size_t npaths, size_t max_message_bytes,
                          mm_input **out)
{
    mm_input *in = calloc(1, sizeof *in);
    if (!in)
        return MM_ENOMEM;
    in->limit = max_message_bytes ? max_message_bytes : (8u << 20);
    in->fd = NO_FD;
    mm_buf_init(&in->msg, 0);
    mm_buf_init(&in->cur, 0);
    in->rcap = READ_BUF;
    in->rbuf = malloc(in->rcap);
    if (!in->rbuf) {
        free(in);
        return MM_ENOMEM;
    }
    for (size_t i = npaths; i-- > 0;)
        if (push(in, paths[i]) != MM_OK) {
            mm_input_destroy(in);
            return MM_ENOMEM;
        }
    *out = in;
    return MM_OK;
}

static void close_current(mm_input *in)
{
    if (in->fd > 0)
        close(in->fd);
    in->fd = NO_FD;
    in->pre = NULL;
    in->direct = false;
}

void mm_input_destroy(mm_input *in)
{
    if (!in)
        return;
    close_current(in);
    for (size_t i = 0; i < in->ntodo; i++) {
        if (!in->todo[i].dir)
            free(in->todo[i].path);
        dir_release(in->todo[i].dir);
    }
    free(in->todo);
    mm_buf_free(&in->cur);
    mm_ring_free(in->ring);
    free(in->rbuf);
    for (size_t i = 0; i < in->nheld; i++)
        free(in->held[i].data);
    free(in->held);
    for (size_t i = 0; i < in->nspares; i++)
        free(in->spares[i]);
    mm_buf_free(&in->msg);
    free(in);
}

/* A name to sort, with its first 16 bytes as two big-endian numbers (NULs
 * after its end): most pairs are told apart by comparing numbers, not by a
 * strcmp() on names spread over the block. */
typedef struct sort_name {
    uint64_t k0, k1;
    char *name;
} sort_name;

static uint64_t name_key(const char *s, size_t from, size_t len)
{
    uint64_t k = 0;
    for (size_t i = from; i < from + 8; i++)
        k = k << 8 | (i < len ? (unsigned char)s[i] : 0u);
    return k;
}

static int cmp_names(const void *a, const void *b)
{
    const sort_name *x = a, *y = b;
    if (x->k0 != y->k0)
        return x->k0 < y->k0 ? -1 : 1;
    if (x->k1 != y->k1)
        return x->k1 < y->k1 ? -1 : 1;
    /* equal keys: one name if it ended within them, else compare the rest */
    return (x->k1 & 0xff) ? strcmp(x->name + 16, y->name + 16) : 0;
}

/*
 * t[0..n) in order of k0, stable, by a radix sort on its bytes (least
 * significant first), into t or tmp: which one is returned.  A byte that
 * all names share (the same first digits, say) costs no pass.
 */
static sort_name *radix_k0(sort_name *t, sort_name *tmp, size_t n)
{
    size_t count[8][256];
    memset(count, 0, sizeof count);
    for (size_t i = 0; i < n; i++)
        for (unsigned b = 0; b < 8; b++)
            count[b][t[i].k0 >> 8 * b & 0xff]++;
    for (unsigned b = 0; b < 8; b++) {
        if (count[b][t[0].k0 >> 8 * b & 0xff] == n)
            continue;
        size_t at = 0;
        for (unsigned c = 0; c < 256; c++) {
            size_t k = count[b][c];
            count[b][c] = at;
            at += k;
        }
        for (size_t i = 0; i < n; i++)
            tmp[count[b][t[i].k0 >> 8 * b & 0xff]++] = t[i];
        sort_name *s = t;
        t = tmp;
        tmp = s;
    }
    return t;
}

/*
 * v's n names sorted as strcmp() orders them (bytes as unsigned char): by
 * their first 8 bytes, then each run of names that share those by qsort().
 * qsort() of them all, even with the keys, was 1 % of the run on a
 * directory of 100,000 files; this is 0.1 %.
 */
static bool sort_names(char **v, size_t n)
{
    sort_name *t = malloc(2 * n * sizeof *t);
    if (!t)
        return false;
    for (size_t i = 0; i < n; i++) {
        size_t len = strnlen(v[i], 16);
        t[i] = (sort_name){name_key(v[i], 0, len), name_key(v[i], 8, len), v[i]};
    }
    sort_name *s = radix_k0(t, t + n, n);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && s[j].k0 == s[i].k0;)
            j++;
        if (j - i > 1)
            qsort(s + i, j - i, sizeof *s, cmp_names);
    }
    for (size_t i = 0; i < n; i++)
        v[i] = s[i].name;
    free(t);
    return true;
}

/* d's entries into names, each its d_type byte and its NUL-terminated
 * name; their count.
 * Dot files and Maildir's tmp/ (messages still being written) are skipped. */
static mm_status_t list_names(DIR *d, mm_buf *names, size_t *n)
{
    struct dirent *e;
    *n = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "tmp") == 0)
            continue;
        char type = (char)e->d_type;
        if (mm_buf_append(names, &type, 1) != MM_OK ||
            mm_buf_append(names, e->d_name, strlen(e->d_name) + 1) != MM_OK)
            return MM_ENOMEM;
        ++*n;
    }
    return MM_OK;
}

/*
 * A batched read is taken as the whole file when it is shorter than its
 * slot, with no fstat(): true of the disk and memory file systems below,
 * not of sysfs (4 KiB per read whatever the size), FUSE, 9p or network
 * file systems, which may return less and have more.
 */
static bool short_read_is_eof(int fd)
{
    struct statfs sf;
    if (fstatfs(fd, &sf) != 0)
        return false;
    switch ((unsigned long)sf.f_type) {
    case EXT4_SUPER_MAGIC:
    case XFS_SUPER_MAGIC:
    case BTRFS_SUPER_MAGIC:
    case F2FS_SUPER_MAGIC:
    case TMPFS_MAGIC:
        return true;
    default:
        return false;
    }
}

/* A walk_dir for path, open as fd, holding names (taken over); NULL without memory. */
static walk_dir *dir_new(const char *path, int fd, mm_buf *names)
{
    walk_dir *dir = calloc(1, sizeof *dir);
    size_t plen = strlen(path);
    size_t sep = path[plen - 1] == '/' ? 0 : 1;
    if (!dir || !(dir->path = malloc(plen + sep + 1))) {
        free(dir);
        return NULL;
    }
    memcpy(dir->path, path, plen);
    memcpy(dir->path + plen, "/", sep + 1);
    dir->plen = plen + sep;
    dir->names = mm_buf_detach(names);
    /* its own descriptor: the DIR's closes with it */
    dir->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0); /* -1: entries are opened by full path */
    dir->batch = dir->fd >= 0 && short_read_is_eof(dir->fd);
    return dir;
}

/*
 * dir's names laid out again in the sorted order of v (n names, size bytes
 * in all), v pointing to the new places.  The names are visited in that
 * order, one per file, long after the listing left the cache: in readdir's
 * order (a hash order) each visit was a cache miss, about 0.2 us.  Left as
 * they are without memory for the copy.
 */
static void in_order(walk_dir *dir, char **v, size_t n, size_t size)
{
    char *block = malloc(size);
    if (!block)
        return;
    char *p = block;
    for (size_t i = 0; i < n; i++) {
        size_t len = 1 + strlen(v[i]) + 1; /* with the d_type byte before it */
        memcpy(p, v[i] - 1, len);
        v[i] = p + 1;
        p += len;
    }
    free(dir->names);
    dir->names = block;
}

/*
 * Replace a directory by its entries (pushed in reverse so they pop in
 * name order).  fd is the directory, open; it is used up here.  Its
 * entries are then opened relative to a copy of it (see walk_dir).
 */
static mm_status_t expand_dir(mm_input *in, const char *path, int fd)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        int err = errno;
        close(fd);
        errno = err; /* for the caller's message */
        return MM_EIO;
    }
    mm_buf names;
    mm_buf_init(&names, 0);
    size_t n;
    mm_status_t st = list_names(d, &names, &n);
    size_t names_size = names.len;
    walk_dir *dir = NULL;
    char **v = NULL;
    if (st == MM_OK && n) {
        dir = dir_new(path, dirfd(d), &names);
        v = malloc(n * sizeof *v);
        if (!dir || !dir->names || !v || todo_room(in, n) != MM_OK)
            st = MM_ENOMEM;
        else {
            char *p = dir->names;
            for (size_t i = 0; i < n; p += 1 + strlen(p + 1) + 1)
                v[i++] = p + 1;
            if (!sort_names(v, n))
                st = MM_ENOMEM;
        }
    }
    closedir(d);
    if (st == MM_OK && n) {
        in_order(dir, v, n, names_size);
        dir->left = n;
        for (size_t i = n; i-- > 0;)
            in->todo[in->ntodo++] = (todo_path){v[i], dir};
    } else if (dir) {
        dir_free(dir);
    }
    free(v);
    mm_buf_free(&names);
    return st;
}

/* The run of kept bytes still in rbuf into msg, before rbuf changes. */
static void keep_run(mm_input *in)
{
    if (in->run_len && mm_buf_append(&in->msg, in->run, in->run_len) != MM_OK)
        in->lost = true;
    in->run_len = 0;
}

/* A block for keep mode: a released one, else a new one; NULL without memory. */
static char *take_block(mm_input *in)
{
    return in->nspares ? in->spares[--in->nspares] : malloc(KEEP_BLOCK);
}

static void give_block(mm_input *in, char *b)
{
    if (in->nspares < KEEP_SPARES)
        in->spares[in->nspares++] = b;
    else
        free(b);
}

/*
 * Keep mode: make room to read, without moving bytes already handed out.
 * The bytes still needed (the current message's run and what is not read
 * yet) go to the front of rbuf when rbuf holds nothing handed out and not
 * released, else to a new block, rbuf being set aside until released.
 * A run that would fill more than half of the new block is copied to msg
 * (handed out with kept false), as in the normal mode.  False without
 * memory: nothing was moved, and nothing may be (kept bytes live in rbuf).
 */
static bool keep_room(mm_input *in)
{
    if (in->rcap - in->rlen >= KEEP_MIN_READ)
        return true; /* read on after what is there */
    if (in->run_len && in->run + in->run_len != in->rbuf + in->rpos)
        keep_run(in); /* a run always ends at rpos (keep()); stay safe if not */
    if (in->run_len && in->rlen - (size_t)(in->run - in->rbuf) > in->rcap / 2)
        keep_run(in);
    size_t from = in->run_len ? (size_t)(in->run - in->rbuf) : in->rpos;
    char *dst = in->rbuf;
    if (in->rbuf_last > in->released) {
        if (in->nheld == in->capheld) {
            size_t cap = in->capheld ? in->capheld * 2 : 8;
            struct held_block *v = realloc(in->held, cap * sizeof *v);
            if (!v)
                return false;
            in->held = v;
            in->capheld = cap;
        }
        if (!(dst = take_block(in)))
            return false;
        in->held[in->nheld++] = (struct held_block){in->rbuf, in->rbuf_last};
        in->rbuf_last = 0;
    }
    memmove(dst, in->rbuf + from, in->rlen - from);
    if (in->run_len)
        in->run = dst;
    in->rbuf = dst;
    in->rlen -= from;
    in->rpos -= from;
    return true;
}

/* "read()" from the bytes read ahead into rbuf. */
static ssize_t take_pre(mm_input *in)
{
    size_t n = in->pre_len - in->pre_pos;
    if (n > in->rcap - in->rlen)
        n = in->rcap - in->rlen;
    memcpy(in->rbuf + in->rlen, in->pre + in->pre_pos, n);
    in->pre_pos += n;
    return (ssize_t)n;
}

/* Move unread bytes to the front and read more; sets eof at end of file or on error. */
static void fill(mm_input *in)
{
    in->peek_n = 0;
    if (in->sized && in->got >= in->size) {
        in->eof = true; /* all of it is in rbuf already */
        return;
    }
    if (in->keep) {
        if (!keep_room(in)) { /* no memory for a block: stop this source */
            in->err = ENOMEM;
            in->eof = true;
            return;
        }
    } else {
        keep_run(in);
        if (in->rpos) {
            memmove(in->rbuf, in->rbuf + in->rpos, in->rlen - in->rpos);
            in->rlen -= in->rpos;
            in->rpos = 0;
        }
    }
    for (;;) {
        ssize_t got = in->fd == MEM_FD ? take_pre(in)
                                       : read(in->fd, in->rbuf + in->rlen, in->rcap - in->rlen);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0)
            in->err = errno;
        if (got <= 0)
            in->eof = true;
        else {
            in->rlen += (size_t)got;
            in->got += (unsigned long long)got;
        }
        return;
    }
}

/*
 * The next piece of input, at most one line (with its LF), without consuming
 * it.  *start is true when the piece begins a line.  0 at end of input.
 */
static size_t peek_piece(mm_input *in, const char **p, bool *start)
{
    if (in->peek_n && in->peek_p == in->rbuf + in->rpos) {
        *p = in->peek_p;
        *start = in->peek_start;
        return in->peek_n;
    }
    for (;;) {
        const char *b = in->rbuf + in->rpos;
        size_t avail = in->rlen - in->rpos;
        const char *nl = avail ? memchr(b, '\n', avail) : NULL;
        /* A whole line, a full buffer (a longer line), or the end of input. */
        if (nl || avail == in->rcap || (in->eof && avail)) {
            *p = in->peek_p = b;
            *start = in->peek_start = !in->mid_line;
            in->peek_n = nl ? (size_t)(nl - b) + 1 : avail;
            return in->peek_n;
        }
        if (in->eof)
            return 0;
        fill(in);
    }
}

static void consume(mm_input *in, const char *p, size_t n)
{
    in->peek_n = 0;
    in->rpos += n;
    in->mid_line = p[n - 1] != '\n';
}

static bool is_from_line(const char *l, size_t n)
{
    return n >= 5 && memcmp(l, "From ", 5) == 0;
}

/*
 * An envelope line in its full RFC 4155 shape: "From " sender, then a
 * ctime() date ("Thu Jul  2 12:05:05 2020").  Such a line starts a message
 * even with no blank line before it, as some tools write mboxes; prose that
 * begins "From the ..." does not have this shape.
 */
static bool is_envelope_line(const char *l, size_t n)
{
    static const char days[] = "MonTueWedThuFriSatSun";
    if (!is_from_line(l, n) || n > 512)
        return false;
    const char *p = memchr(l + 5, ' ', n - 5); /* end of the sender */
    if (!p || p == l + 5)
        return false;
    while (p < l + n && *p == ' ')
        p++;
    if (l + n - p < 24)
        return false;
    for (size_t d = 0; d < 21; d += 3)
        if (memcmp(p, days + d, 3) == 0)
            return p[3] == ' ' && p[7] == ' ' && p[13] == ':' && p[16] == ':';
    return false;
}

/*
 * Add bytes to the message unless the size limit was reached.  Pieces that
 * follow each other in rbuf are only counted (most messages of an mbox are
 * one run there, so they are never copied here).
 */
static void keep(mm_input *in, const char *l, size_t n, bool *trunc)
{
    if (in->msg.len == 0 && in->run_len + n <= in->limit &&
        (in->run_len == 0 || in->run + in->run_len == l)) {
        if (in->run_len == 0)
            in->run = l;
        in->run_len += n;
        return;
    }
    keep_run(in);
    if (in->msg.len + n > in->limit) {
        size_t room = in->limit - in->msg.len;
        if (room)
            (void)mm_buf_append(&in->msg, l, room);
        *trunc = true;
        return;
    }
    if (mm_buf_append(&in->msg, l, n) != MM_OK)
        *trunc = true;
}

static void reset_msg(mm_input *in, bool *trunc)
{
    if (in->msg.cap > KEEP_MSG_CAP)
        mm_buf_free(&in->msg);
    mm_buf_reset(&in->msg);
    in->run_len = 0;
    in->lost = false;
    *trunc = false;
}

/*
 * Where a line starting with 'F' or '>' begins, less one: the first i < n - 1
 * with s[i] an LF and s[i + 1] 'F' or '>' (mm_lf_then(s, n, 'F', '>', '>')),
 * or n.  Every byte of an mbox passes here, so where the CPU has AVX2 it
 * takes 64 positions a step with two compares for the mark, not three; the
 * rest goes to mm_lf_then().
 */
#if defined(__x86_64__) && defined(__SSE2__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_SCAN 1

__attribute__((target("avx2"))) static size_t lf_mark_avx2(const char *s, size_t n, size_t *ip)
{
    const __m256i lf = _mm256_set1_epi8('\n'), f = _mm256_set1_epi8('F'),
                  gt = _mm256_set1_epi8('>');
    size_t i = *ip;
    for (; n - i > 64; i += 64) { /* the last load ends at s[i + 64], before s[n] */
        const char *b = s + i;
        __m256i v0 = _mm256_loadu_si256((const __m256i *)(const void *)b);
        __m256i w0 = _mm256_loadu_si256((const __m256i *)(const void *)(b + 1));
        __m256i v1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + 32));
        __m256i w1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + 33));
        __m256i m0 =
            _mm256_and_si256(_mm256_cmpeq_epi8(v0, lf),
                             _mm256_or_si256(_mm256_cmpeq_epi8(w0, f), _mm256_cmpeq_epi8(w0, gt)));
        __m256i m1 =
            _mm256_and_si256(_mm256_cmpeq_epi8(v1, lf),
                             _mm256_or_si256(_mm256_cmpeq_epi8(w1, f), _mm256_cmpeq_epi8(w1, gt)));
        __m256i any = _mm256_or_si256(m0, m1);
        if (!_mm256_testz_si256(any, any)) {
            unsigned lo = (unsigned)_mm256_movemask_epi8(m0);
            if (lo)
                return i + (size_t)__builtin_ctz(lo);
            return i + 32 + (size_t)__builtin_ctz((unsigned)_mm256_movemask_epi8(m1));
        }
    }
    *ip = i;
    return n;
}
#endif

static size_t next_mark(const char *s, size_t n)
{
    size_t i = 0;
#ifdef HAVE_AVX2_SCAN
    if (n > 64 && __builtin_cpu_supports("avx2")) {
        size_t hit = lf_mark_avx2(s, n, &i);
        if (hit < n)
            return hit;
    }
#endif
    return i + mm_lf_then(s + i, n - i, 'F', '>', '>');
}

/*
 * What a line that starts at l (avail bytes from there on) can be for the
 * mbox reader: a "From " line (it may start a message), a ">From " line of
 * any depth (mboxrd: one '>' is removed), or plain.  LOOK when the line's
 * first bytes are not all there yet.
 */
typedef enum { LINE_PLAIN, LINE_FROM, LINE_QUOTED_FROM, LINE_LOOK } line_kind;

static line_kind line_kind_at(const char *l, size_t avail)
{
    size_t q = 0;
    while (q < avail && l[q] == '>')
        q++;
    if (avail - q < 5) /* a line that ends before "From " would: plain */
        return memchr(l + q, '\n', avail - q) ? LINE_PLAIN : LINE_LOOK;
    if (memcmp(l + q, "From ", 5) != 0)
        return LINE_PLAIN;
    return q ? LINE_QUOTED_FROM : LINE_FROM;
}

/*
 * Whole lines from b (a line start, plain by line_kind_at) up to the first
 * line that is not plain, or up to the last line end in b[0..avail): only
 * "From " and ">From " lines can start a message or need unescaping, so the
 * lines before them are kept in one piece.  Lines starting with 'F' or '>'
 * are looked at in place ("From:", "Final-Recipient:", quoted text) and
 * taken into the run when plain.  0 when no line ends in b.
 */
static size_t plain_lines(const char *b, size_t avail)
{
    size_t from = 0;
    for (;;) {
        size_t i = from + next_mark(b + from, avail - from);
        if (i >= avail)
            break;
        if (line_kind_at(b + i + 1, avail - i - 1) != LINE_PLAIN)
            return i + 1;
        from = i + 1;
    }
    const char *last = avail ? memrchr(b, '\n', avail) : NULL;
    return last ? (size_t)(last - b) + 1 : 0;
}

/*
 * One message of an mbox into in->msg; the next "From " line stays unread.
 * The "From " line itself is the envelope, not part of the message
 * (RFC 4155), so it is dropped: a message that starts with a "From " line of
 * its own (saved from another mbox) then still parses.
 */
static bool read_mbox_message(mm_input *in, bool *trunc)
{
    bool any = false, prev_blank = true, envelope = false;
    const char *p;
    bool start;
    size_t n;
    while ((n = peek_piece(in, &p, &start)) > 0) {
        /* A new message starts at "From " after a blank line (or at the top). */
        if (start && any && (prev_blank ? is_from_line(p, n) : is_envelope_line(p, n)))
            return true;
        consume(in, p, n);
        if (start && !any && is_from_line(p, n))
            envelope = true;
        any = true;
        if (envelope) {
            envelope = p[n - 1] != '\n'; /* a long line comes in pieces */
            prev_blank = false;
            continue;
        }
        if (start && p[n - 1] == '\n' && line_kind_at(p, n) == LINE_PLAIN) {
            /* this line and the plain ones after it in one piece */
            size_t run = plain_lines(p, in->rlen - in->rpos + n);
            if (run > n) {
                consume(in, p + n, run - n);
                n = run;
            }
            prev_blank =
                n == 1 || p[n - 2] == '\n' || (p[n - 2] == '\r' && (n == 2 || p[n - 3] == '\n'));
            keep(in, p, n, trunc);
            continue;
        }
        if (start) {
            prev_blank = n == 1 || (n == 2 && p[0] == '\r');
            /* mboxrd: one '>' is removed from ">From ", ">>From ", ... */
            size_t q = 0;
            while (q < n && p[q] == '>')
                q++;
            if (q > 0 && n - q >= 5 && memcmp(p + q, "From ", 5) == 0) {
                p++;
                n--;
            }
        }
        keep(in, p, n, trunc);
    }
    return any;
}

/* A whole file as one message: stop reading at the limit (one byte more tells truncation). */
static bool read_file_message(mm_input *in, bool *trunc)
{
    bool any = false;
    const char *p;
    bool start;
    size_t n;
    while (!*trunc && (n = peek_piece(in, &p, &start)) > 0) {
        n = in->rlen - in->rpos; /* lines mean nothing here: all that was read */
        consume(in, p, n);
        keep(in, p, n, trunc);
        any = true;
    }
    if (*trunc)
        in->eof = true;
    return any;
}

static bool read_message(mm_input *in, bool *trunc)
{
    reset_msg(in, trunc);
    return in->mbox ? read_mbox_message(in, trunc) : read_file_message(in, trunc);
}

/* A directory to walk instead of a file: expanded in place (*dir set).  fd:
 * the directory, open (used up), or -1 to open it as rel in at. */
static mm_status_t open_dir(mm_input *in, const char *path, int at, const char *rel, int fd,
                            bool *dir, char *why, size_t whylen)
{
    *dir = true;
    if (fd < 0)
        fd = openat(at, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    mm_status_t st = fd < 0 ? MM_EIO : expand_dir(in, path, fd);
    if (st != MM_OK)
        snprintf(why, whylen, "cannot read directory: %s", strerror(errno));
    return st;
}

/*
 * Open t for reading into in->fd; a directory is expanded instead (*dir
 * set).  open() comes first and fstat() tells a directory from a file: one
 * look-up of the path, not two; a directory's entry is looked up in that
 * directory (openat).  When open() fails, stat() says what the error is, as
 * it would have first: the path's own error, or a directory that cannot be
 * read.
 */
static mm_status_t open_path(mm_input *in, const todo_path *t, bool *dir, char *why,
                             size_t whylen)
{
    const char *path = mm_buf_str(&in->cur);
    *dir = false;
    in->sized = false;
    if (!t->dir && strcmp(path, "-") == 0) {
        in->fd = 0;
        return MM_OK;
    }
    bool at_dir = t->dir && t->dir->fd >= 0;
    int at = at_dir ? t->dir->fd : AT_FDCWD;
    const char *rel = at_dir ? t->path : path;
    struct stat sb;
    int fd = openat(at, rel, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int open_err = errno;
        if (fstatat(at, rel, &sb, 0) != 0) {
            snprintf(why, whylen, "%s", strerror(errno));
            return MM_EIO;
        }
        if (S_ISDIR(sb.st_mode))
            return open_dir(in, path, at, rel, -1, dir, why, whylen);
        snprintf(why, whylen, "%s", strerror(open_err));
        return MM_EIO;
    }
    if (fstat(fd, &sb) != 0) {
        snprintf(why, whylen, "%s", strerror(errno));
        close(fd);
        return MM_EIO;
    }
    if (S_ISDIR(sb.st_mode))
        return open_dir(in, path, at, rel, fd, dir, why, whylen);
    in->fd = fd;
    /* st_size 0 is not trusted: /proc files say 0 and have bytes */
    in->sized = S_ISREG(sb.st_mode) && sb.st_size > 0;
    in->size = (unsigned long long)sb.st_size;
    return MM_OK;
}

/* in->cur: t's full path (a directory's path and the entry's name). */
static mm_status_t set_cur(mm_input *in, const todo_path *t)
{
    mm_buf_reset(&in->cur);
    if (t->dir && mm_buf_append(&in->cur, t->dir->path, t->dir->plen) != MM_OK)
        return MM_ENOMEM;
    return mm_buf_append(&in->cur, t->path, strlen(t->path) + 1) == MM_OK ? MM_OK : MM_ENOMEM;
}

/* A directory's regular file (the d_type byte before its name, see
 * walk_dir) on a file system fit for batches: read with the next ones. */
static bool batchable(const todo_path *t)
{
    return t->dir && t->dir->batch && (unsigned char)t->path[-1] == DT_REG;
}

/*
 * Read t and the regular files after it in its directory (the next ones
 * on the work list) in one batch.  The ring is made at the first batch;
 * where io_uring cannot be used, or stops taking batches, files are read
 * one by one from then on.
 */
static void read_ahead(mm_input *in, const todo_path *t)
{
    in->pf_n = in->pf_next = 0;
    if (!in->ring && !(in->ring = mm_ring_create())) {
        in->ring_off = true;
        return;
    }
    size_t n = 0;
    in->pf_name[n++] = t->path;
    for (size_t i = in->ntodo; i-- > 0 && n < MM_RING_FILES;) {
        const todo_path *u = &in->todo[i];
        if (u->dir != t->dir || !batchable(u))
            break;
        in->pf_name[n++] = u->path;
    }
    if (mm_ring_read(in->ring, t->dir->fd, in->pf_name, n) != 0) {
        mm_ring_free(in->ring);
        in->ring = NULL;
        in->ring_off = true;
        return;
    }
    in->pf_n = n;
}

/*
 * t as the current file (MEM_FD) from its batch, read ahead; false: open
 * it the usual way, which also says what went wrong (a file gone, a
 * directory, no permission).  A file that filled its slot may be longer,
 * and is read again the usual way.  Fewer bytes than the slot holds is the
 * whole file, as a short read() of a regular file means its end.
 */
static bool open_read_ahead(mm_input *in, const todo_path *t)
{
    if (in->ring_off || !batchable(t))
        return false;
    if (in->pf_next >= in->pf_n || in->pf_name[in->pf_next] != t->path)
        read_ahead(in, t); /* the first of a batch, or entries pushed in between */
    if (in->pf_next >= in->pf_n || in->pf_name[in->pf_next] != t->path)
        return false;
    const char *data;
    long got = mm_ring_result(in->ring, in->pf_next++, &data);
    if (got < 0 || (unsigned long)got >= MM_RING_SLOT)
        return false;
    in->fd = MEM_FD;
    in->pre = data;
    in->pre_len = (size_t)got;
    in->pre_pos = 0;
    in->sized = got > 0;
    in->size = (unsigned long long)got;
    return true;
}

/*
 * The current file, read ahead whole, can be handed out from its slot
 * as it is: one message (not an mbox), within the size limit, and not
 * in keep mode (the slot is reused by the next batch, long before a
 * kept message is released).  Copying it to rbuf and looking for its
 * first line was 2 % of a directory's run.
 */
static bool can_hand_direct(const mm_input *in)
{
    return in->fd == MEM_FD && !in->keep && in->pre_len > 0 && in->pre_len <= in->limit &&
           !is_from_line(in->pre, in->pre_len);
}

static mm_status_t open_next(mm_input *in, mm_input_msg *msg, char *why, size_t whylen)
{
    while (in->ntodo) {
        todo_path t = in->todo[--in->ntodo];
        mm_status_t st = set_cur(in, &t);
        if (!t.dir)
            free(t.path);
        msg->source = mm_buf_str(&in->cur);
        bool dir = false;
        if (st == MM_OK && !open_read_ahead(in, &t))
            st = open_path(in, &t, &dir, why, whylen);
        if (t.dir && t.dir->left == 1)
            in->pf_n = in->pf_next = 0; /* its names are freed now: no batch may point there */
        dir_release(t.dir); /* after the open: it may be the directory's last entry */
        if (st != MM_OK)
            return st;
        if (dir)
            continue;
        in->index = 0;
        in->eof = false;
        in->got = 0;
        in->err = 0;
        /* kept messages of the last file stay: read after them */
        if (in->keep && in->rbuf_last > in->released)
            in->rpos = in->rlen;
        else
            in->rpos = in->rlen = 0;
        in->mid_line = false;
        in->peek_n = 0;
        if (can_hand_direct(in)) {
            in->direct = true;
            in->mbox = false;
            return MM_OK;
        }
        const char *p;
        bool start;
        size_t n = peek_piece(in, &p, &start);
        in->mbox = is_from_line(p, n);
        return MM_OK;
    }
    return MM_ENOTFOUND;
}

mm_status_t mm_input_next(mm_input *in, mm_input_msg *msg, char *why, size_t whylen)
{
    if (why && whylen)
        why[0] = '\0';
    in->started = true;
    for (;;) {
        if (in->fd == NO_FD) {
            mm_status_t st = open_next(in, msg, why, whylen);
            if (st != MM_OK)
                return st;
        }
        if (in->direct) { /* good until the next call, as a message from rbuf */
            msg->source = mm_buf_str(&in->cur);
            msg->index = in->index++;
            msg->kept = msg->truncated = false;
            msg->bytes = in->pre;
            msg->len = in->pre_len;
            in->handed++;
            close_current(in);
            return MM_OK;
        }
        bool trunc;
        bool got = read_message(in, &trunc);
        msg->source = mm_buf_str(&in->cur);
        if (in->err) {
            snprintf(why, whylen, "read error: %s", strerror(in->err));
            close_current(in);
            in->run_len = 0; /* the message is lost with its source */
            return MM_EIO;
        }
        bool done = in->eof && in->rpos == in->rlen;
        if (got || in->index == 0) {
            msg->index = in->index++;
            msg->kept = false;
            in->handed++;
            if (in->run_len && in->msg.len == 0) { /* still where it was read */
                msg->bytes = in->run;
                msg->len = in->run_len;
                in->run_len = 0; /* handed out: rbuf may change at the next call */
                if (in->keep) {
                    msg->kept = true;
                    in->rbuf_last = in->handed;
                }
            } else {
                keep_run(in);
                msg->bytes = mm_buf_str(&in->msg);
                msg->len = in->msg.len;
            }
            msg->truncated = trunc || in->lost;
            if (done || !in->mbox)
                close_current(in);
            return MM_OK;
        }
        close_current(in);
    }
}

mm_status_t mm_input_keep(mm_input *in)
{
    if (in->keep)
        return MM_OK;
    if (in->started)
        return MM_EINVAL; /* messages handed out already live in the old buffer */
    char *b = malloc(KEEP_BLOCK);
    if (!b)
        return MM_ENOMEM;
    if (in->rlen > in->rpos) /* bytes read already (none before the first call) */
        memcpy(b, in->rbuf + in->rpos, in->rlen - in->rpos);
    in->rlen -= in->rpos;
    in->rpos = 0;
    in->run_len = 0;
    in->peek_n = 0;
    free(in->rbuf);
    in->rbuf = b;
    in->rcap = KEEP_BLOCK;
    in->keep = true;
    return MM_OK;
}

mm_status_t mm_input_batch_reads(mm_input *in, bool on)
{
    if (in->started)
        return MM_EINVAL; /* a batch may be half taken */
    if (!on) {
        mm_ring_free(in->ring);
        in->ring = NULL;
    }
    in->ring_off = !on;
    return MM_OK;
}

size_t mm_input_held(const mm_input *in)
{
    return (in->nheld + (in->rbuf_last > in->released)) * (size_t)KEEP_BLOCK;
}

unsigned long long mm_input_mark(const mm_input *in)
{
    return in->handed;
}

void mm_input_release(mm_input *in, unsigned long long mark)
{
    if (mark > in->released)
        in->released = mark;
    size_t k = 0;
    for (size_t i = 0; i < in->nheld; i++) {
        if (in->held[i].last <= in->released)
            give_block(in, in->held[i].data);
        else
            in->held[k++] = in->held[i];
    }
    in->nheld = k;
}
