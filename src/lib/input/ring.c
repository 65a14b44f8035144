/*
 * ring.c - batched opens and reads of a directory's files (see ring.h).
 *
 * Each file of a batch is three linked requests: open into a registered
 * ("direct") descriptor slot k, read into data slot k, close slot k.  Direct
 * descriptors never enter the process's file table, so a batch costs no
 * descriptors and leaks none if a request fails.  The read is linked to the
 * open (it is cancelled if the open fails); the close is hard-linked to the
 * read, so it runs even when the read fails (a directory: -EISDIR).
 */
#include "ring.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>

#ifdef MM_HAVE_LIBURING
#include <liburing.h>

enum { OP_OPEN, OP_READ, OP_CLOSE };

struct mm_ring {
    struct io_uring ring;
    char *slots; /* MM_RING_FILES * MM_RING_SLOT bytes */
    int open_res[MM_RING_FILES];
    int read_res[MM_RING_FILES];
};

static bool ops_supported(struct io_uring *ring)
{
    struct io_uring_probe *p = io_uring_get_probe_ring(ring);
    if (!p)
        return false;
    bool ok = io_uring_opcode_supported(p, IORING_OP_OPENAT) &&
              io_uring_opcode_supported(p, IORING_OP_READ) &&
              io_uring_opcode_supported(p, IORING_OP_CLOSE);
    io_uring_free_probe(p);
    return ok;
}

/* Submit what is queued and wait for want completions, each to done(). */
static int run(mm_ring *r, unsigned want, void (*done)(mm_ring *, const struct io_uring_cqe *))
{
    int sub;
    do /* -EINTR: nothing was submitted */
        sub = io_uring_submit_and_wait(&r->ring, want);
    while (sub == -EINTR);
    if (sub < 0)
        return sub;
    for (unsigned left = (unsigned)sub; left > 0; left--) {
        struct io_uring_cqe *c;
        int w;
        while ((w = io_uring_wait_cqe(&r->ring, &c)) == -EINTR)
            ;
        if (w < 0)
            return w;
        done(r, c);
        io_uring_cqe_seen(&r->ring, c);
    }
    return (unsigned)sub == want ? 0 : -EIO; /* a part not submitted: give the ring up */
}

static void record(mm_ring *r, const struct io_uring_cqe *c)
{
    size_t k = (size_t)(c->user_data >> 2);
    if (k >= MM_RING_FILES)
        return;
    if ((c->user_data & 3) == OP_OPEN)
        r->open_res[k] = c->res;
    else if ((c->user_data & 3) == OP_READ)
        r->read_res[k] = c->res;
}

static void queue_file(mm_ring *r, int dirfd, const char *name, unsigned k)
{
    struct io_uring_sqe *s = io_uring_get_sqe(&r->ring);
    io_uring_prep_openat_direct(s, dirfd, name, O_RDONLY, 0, k);
    s->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(s, (unsigned long long)k << 2 | OP_OPEN);
    s = io_uring_get_sqe(&r->ring);
    io_uring_prep_read(s, (int)k, r->slots + (size_t)k * MM_RING_SLOT, MM_RING_SLOT, 0);
    s->flags |= IOSQE_FIXED_FILE | IOSQE_IO_HARDLINK;
    io_uring_sqe_set_data64(s, (unsigned long long)k << 2 | OP_READ);
    s = io_uring_get_sqe(&r->ring);
    io_uring_prep_close_direct(s, k);
    io_uring_sqe_set_data64(s, (unsigned long long)k << 2 | OP_CLOSE);
}

/* Direct opens came with Linux 5.15; a kernel before them fails this one. */
static bool direct_open_works(mm_ring *r)
{
    struct io_uring_sqe *s = io_uring_get_sqe(&r->ring);
    io_uring_prep_openat_direct(s, AT_FDCWD, "/", O_RDONLY | O_DIRECTORY, 0, 0);
    s->flags |= IOSQE_IO_LINK;
    io_uring_sqe_set_data64(s, OP_OPEN);
    s = io_uring_get_sqe(&r->ring);
    io_uring_prep_close_direct(s, 0);
    io_uring_sqe_set_data64(s, OP_CLOSE);
    r->open_res[0] = -ECANCELED;
    return run(r, 2, record) == 0 && r->open_res[0] == 0;
}

mm_ring *mm_ring_create(void)
{
    mm_ring *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    struct io_uring_params p = {0};
    if (io_uring_queue_init_params(4 * MM_RING_FILES, &r->ring, &p) != 0) {
        free(r);
        return NULL;
    }
    /* Before Linux 5.18 a linked read took its fixed file when submitted,
     * before the open before it had filled the slot: every read failed. */
    if (!(p.features & IORING_FEAT_LINKED_FILE) || !ops_supported(&r->ring) ||
        io_uring_register_files_sparse(&r->ring, MM_RING_FILES) != 0 ||
        !(r->slots = malloc((size_t)MM_RING_FILES * MM_RING_SLOT)) || !direct_open_works(r)) {
        mm_ring_free(r);
        return NULL;
    }
    return r;
}

void mm_ring_free(mm_ring *r)
{
    if (!r)
        return;
    io_uring_queue_exit(&r->ring);
    free(r->slots);
    free(r);
}

int mm_ring_read(mm_ring *r, int dirfd, const char *const *names, size_t n)
{
    if (n == 0 || n > MM_RING_FILES)
        return -EINVAL;
    for (unsigned k = 0; k < n; k++) {
        r->open_res[k] = r->read_res[k] = -ECANCELED;
        queue_file(r, dirfd, names[k], k);
    }
    return run(r, 3 * (unsigned)n, record);
}

long mm_ring_result(const mm_ring *r, size_t k, const char **data)
{
    *data = r->slots + k * MM_RING_SLOT;
    if (r->open_res[k] < 0)
        return r->open_res[k];
    return r->read_res[k];
}

#else /* built without liburing: files are read one by one */

struct mm_ring {
    int unused;
};

mm_ring *mm_ring_create(void)
{
    return NULL;
}

void mm_ring_free(mm_ring *r)
{
    (void)r;
}

int mm_ring_read(mm_ring *r, int dirfd, const char *const *names, size_t n)
{
    (void)r;
    (void)dirfd;
    (void)names;
    (void)n;
    return -ENOSYS;
}

long mm_ring_result(const mm_ring *r, size_t k, const char **data)
{
    (void)r;
    (void)k;
    *data = NULL;
    return -ENOSYS;
}
#endif
