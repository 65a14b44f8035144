/*
 * intern.h - string interning for the statistics: each distinct string gets
 * a small dense id and a zeroed payload of a fixed size.
 *
 * Built for a million addresses looked up in random order, where cache
 * misses, not instructions, are the cost: a slot holds the string's hash
 * beside its id (probes compare hashes without leaving the slot array), and
 * an entry is one 64-byte line holding the payload and, for strings that
 * fit (most addresses), the string itself.  So a lookup touches two cache
 * lines.  Longer strings go to a chunked pool (64 KiB blocks): interning
 * costs a few dozen allocations, not one per string.  Linear probing; the
 * slot table doubles at 50% load.  Ids are stable until st_intern_free.
 */
#ifndef MM_STATS_INTERN_H
#define MM_STATS_INTERN_H

#include <stddef.h>
#include <stdint.h>

typedef struct st_block st_block;

typedef struct st_pool {
    st_block *blocks;
    char *cur;
    size_t left;
} st_pool;

typedef struct st_entry {
    const char *s; /* the string: inline after the payload, or in the pool */
    uint32_t len;
    uint32_t hash;
    /* then the payload (elsize bytes, 8-aligned), then inline string bytes */
} st_entry;

typedef struct st_intern {
    uint64_t *slot;     /* 0 = empty, else hash << 32 | (id + 1) */
    uint32_t mask;      /* slots - 1 (a power of two) */
    uint32_t n;         /* ids handed out */
    uint32_t cap;       /* room in ent */
    unsigned char *ent; /* entries of stride bytes */
    size_t stride;
    size_t elsize; /* payload bytes per id (rounded up to 8) */
    size_t inl;    /* inline string room, NUL included */
    st_pool *pool; /* shared by the tables of one mm_stats */
} st_intern;

void st_pool_free(st_pool *p);
/* A NUL-terminated copy of s[0..n) in the pool; NULL on out of memory. */
char *st_pool_strndup(st_pool *p, const char *s, size_t n);

uint32_t st_hash(const char *s, size_t n);

void st_intern_init(st_intern *t, size_t elsize, st_pool *pool);
void st_intern_free(st_intern *t);
/* The id of s[0..n) (hash h = st_hash(s, n)), interning it when new
 * (*isnew set).  -1 on out of memory. */
int64_t st_intern_get(st_intern *t, const char *s, size_t n, uint32_t h, int *isnew);

static inline st_entry *st_ent(const st_intern *t, uint32_t id)
{
    return (st_entry *)(void *)(t->ent + (size_t)id * t->stride);
}

static inline void *st_data(const st_intern *t, uint32_t id)
{
    return (unsigned char *)st_ent(t, id) + sizeof(st_entry);
}

#endif
