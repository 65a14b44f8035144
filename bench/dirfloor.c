/*
 * dirfloor.c - what reading a directory of small files costs before any
 * parsing: the floor under `diagnose DIR`.
 *
 *   dirfloor DIR [ROUNDS [WAY]]
 *
 * Lists DIR (readdir, sorted as mm_input sorts it), then times, each the
 * median of ROUNDS (default 5):
 *   calls      400,000 getppid(): the cost of a bare system call
 *   open+close openat() relative to DIR and close(), no read
 *   sync       what mm_input does per file: openat, fstat, read(size), close
 *   sync-nostat openat, one read() into a 1 MiB buffer, close (no fstat)
 *   io_uring   (built with liburing) openat, read and close of 32 files at a
 *              time, linked, with direct descriptors: one system call per 32
 *              files instead of 3-4 per file
 * and prints microseconds per file (per call for "calls").  Warm the page
 * cache first (one round of anything does).  WAY times that one way only:
 * with the page cache dropped just before (as root: sync; echo 3 >
 * /proc/sys/vm/drop_caches), `dirfloor DIR 1 sync` against `dirfloor DIR 1
 * io_uring` compares them on cold files.  Not a test: no answers are
 * checked beyond the byte counts printed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#ifdef MM_HAVE_LIBURING
#include <liburing.h>
#endif

#define BIG (1u << 20)
#define RING_FILES 32u
#define SLOT (64u << 10)

typedef struct listing {
    int dfd;
    char **names;
    size_t n;
} listing;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(const char *dir, listing *l)
{
    l->dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = l->dfd < 0 ? NULL : fdopendir(dup(l->dfd));
    if (!d)
        return -1;
    size_t cap = 1024;
    l->names = malloc(cap * sizeof *l->names);
    l->n = 0;
    struct dirent *e;
    while (l->names && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (l->n == cap)
            l->names = realloc(l->names, (cap *= 2) * sizeof *l->names);
        if (l->names)
            l->names[l->n++] = strdup(e->d_name);
    }
    closedir(d);
    if (!l->names)
        return -1;
    qsort(l->names, l->n, sizeof *l->names, cmp);
    return 0;
}

static size_t calls(const listing *l, char *buf)
{
    (void)l;
    (void)buf;
    for (long i = 0; i < 400000; i++)
        syscall(SYS_getppid);
    return 0;
}

static size_t open_close(const listing *l, char *buf)
{
    (void)buf;
    for (size_t i = 0; i < l->n; i++) {
        int fd = openat(l->dfd, l->names[i], O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            close(fd);
    }
    return 0;
}

static size_t sync_stat(const listing *l, char *buf)
{
    size_t bytes = 0;
    for (size_t i = 0; i < l->n; i++) {
        int fd = openat(l->dfd, l->names[i], O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (fd < 0)
            continue;
        if (fstat(fd, &sb) == 0) {
            size_t want = (size_t)sb.st_size < BIG ? (size_t)sb.st_size : BIG;
            ssize_t got = read(fd, buf, want);
            bytes += got > 0 ? (size_t)got : 0;
        }
        close(fd);
    }
    return bytes;
}

static size_t sync_nostat(const listing *l, char *buf)
{
    size_t bytes = 0;
    for (size_t i = 0; i < l->n; i++) {
        int fd = openat(l->dfd, l->names[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t got = read(fd, buf, BIG);
        bytes += got > 0 ? (size_t)got : 0;
        close(fd);
    }
    return bytes;
}

#ifdef MM_HAVE_LIBURING
/* Files larger than a slot are cut at SLOT bytes: this measures the calls,
 * not a reader. */
static size_t uring(const listing *l, char *buf)
{
    static struct io_uring r;
    static int ready;
    if (!ready) {
        if (io_uring_queue_init(RING_FILES * 4, &r, 0) != 0 ||
            io_uring_register_files_sparse(&r, RING_FILES) != 0) {
            fprintf(stderr, "dirfloor: io_uring unavailable here\n");
            exit(1);
        }
        ready = 1;
    }
    size_t bytes = 0;
    for (size_t i = 0; i < l->n; i += RING_FILES) {
        unsigned m = (unsigned)(l->n - i < RING_FILES ? l->n - i : RING_FILES);
        for (unsigned k = 0; k < m; k++) {
            struct io_uring_sqe *s = io_uring_get_sqe(&r);
            io_uring_prep_openat_direct(s, l->dfd, l->names[i + k], O_RDONLY, 0, k);
            s->flags |= IOSQE_IO_LINK;
            s->user_data = 0;
            s = io_uring_get_sqe(&r);
            io_uring_prep_read(s, (int)k, buf + (size_t)k * SLOT, SLOT, 0);
            s->flags |= IOSQE_FIXED_FILE | IOSQE_IO_LINK;
            s->user_data = 1;
            s = io_uring_get_sqe(&r);
            io_uring_prep_close_direct(s, k);
            s->user_data = 0;
        }
        io_uring_submit_and_wait(&r, 3 * m);
        struct io_uring_cqe *c;
        unsigned head, seen = 0;
        io_uring_for_each_cqe(&r, head, c)
        {
            if (c->user_data == 1 && c->res > 0)
                bytes += (size_t)c->res;
            seen++;
        }
        io_uring_cq_advance(&r, seen);
    }
    return bytes;
}
#endif

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Times fn unless the command line named another way (only). */
static void run(const char *only, const char *name, size_t (*fn)(const listing *, char *),
                const listing *l, char *buf, int rounds, double per)
{
    if (only && strcmp(only, name) != 0)
        return;
    double t[64];
    size_t bytes = 0;
    for (int i = 0; i < rounds; i++) {
        double t0 = now();
        bytes = fn(l, buf);
        t[i] = now() - t0;
    }
    qsort(t, (size_t)rounds, sizeof *t, cmp_d);
    printf("%-12s median %.3f s  %.2f us each  (%zu bytes)\n", name, t[rounds / 2],
           t[rounds / 2] / per * 1e6, bytes);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: dirfloor DIR [ROUNDS [WAY]]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    const char *only = argc > 3 ? argv[3] : NULL;
    if (rounds < 1 || rounds > 64)
        rounds = 5;
    listing l;
    double t0 = now();
    if (list(argv[1], &l) != 0 || l.n == 0) {
        fprintf(stderr, "dirfloor: %s: cannot list, or empty\n", argv[1]);
        return 1;
    }
    printf("%zu files, listed and sorted in %.3f s\n", l.n, now() - t0);
    char *buf = malloc(BIG > RING_FILES * SLOT ? BIG : RING_FILES * SLOT);
    if (!buf)
        return 1;
    double n = (double)l.n;
    run(only, "calls", calls, &l, buf, rounds, 400000.0);
    run(only, "open+close", open_close, &l, buf, rounds, n);
    run(only, "sync", sync_stat, &l, buf, rounds, n);
    run(only, "sync-nostat", sync_nostat, &l, buf, rounds, n);
#ifdef MM_HAVE_LIBURING
    run(only, "io_uring", uring, &l, buf, rounds, n);
#else
    if (!only || strcmp(only, "io_uring") == 0)
        printf("io_uring     (not built: liburing-dev was missing)\n");
#endif
    return 0;
}
