/*
 * intern.c - string interning for the statistics (see intern.h).
 */
#include "intern.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK (64u << 10)

struct st_block {
    st_block *next;
    char mem[];
};

void st_pool_free(st_pool *p)
{
    for (st_block *b = p->blocks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    p->blocks = NULL;
    p->cur = NULL;
    p->left = 0;
}

char *st_pool_strndup(st_pool *p, const char *s, size_t n)
{
    if (p->left < n + 1) {
        size_t cap = n + 1 > BLOCK ? n + 1 : BLOCK;
        st_block *b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->next = p->blocks;
        p->blocks = b;
        p->cur = b->mem;
        p->left = cap;
    }
    char *d = p->cur;
    memcpy(d, s, n);
    d[n] = '\0';
    p->cur += n + 1;
    p->left -= n + 1;
    return d;
}

/* A multiply-xorshift hash, 8 bytes at a time: addresses are short, and
 * this is several times faster than byte-wise FNV on them. */
uint32_t st_hash(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    while (n >= 8) {
        uint64_t v;
        memcpy(&v, s, 8);
        h = (h ^ v) * 0xFF51AFD7ED558CCDull;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    uint64_t v = 0;
    memcpy(&v, s, n);
    h = (h ^ v) * 0xC4CEB9FE1A85EC53ull;
    h ^= h >> 29;
    return (uint32_t)h;
}

void st_intern_init(st_intern *t, size_t elsize, st_pool *pool)
{
    memset(t, 0, sizeof *t);
    t->elsize = (elsize + 7) & ~(size_t)7;
    size_t base = sizeof(st_entry) + t->elsize;
    /* a whole number of cache lines, with at least 24 bytes for the string */
    t->stride = (base + 24 + 63) & ~(size_t)63;
    t->inl = t->stride - base;
    t->pool = pool;
}

void st_intern_free(st_intern *t)
{
    free(t->slot);
    free(t->ent);
    t->slot = NULL;
    t->ent = NULL;
    t->n = t->cap = t->mask = 0;
}

static int rehash(st_intern *t)
{
    uint32_t slots = t->slot ? (t->mask + 1) * 2 : 1024;
    uint64_t *ns = calloc(slots, sizeof *ns);
    if (!ns)
        return -1;
    for (uint32_t id = 0; id < t->n; id++) {
        uint32_t h = st_ent(t, id)->hash, i = h & (slots - 1);
        while (ns[i])
            i = (i + 1) & (slots - 1);
        ns[i] = (uint64_t)h << 32 | (id + 1);
    }
    free(t->slot);
    t->slot = ns;
    t->mask = slots - 1;
    return 0;
}

/* Entries move when the array grows: the inline strings' pointers follow. */
static int grow_ids(st_intern *t)
{
    uint32_t cap = t->cap ? t->cap * 2 : 256;
    void *p = NULL;
    if (posix_memalign(&p, 64, (size_t)cap * t->stride) != 0)
        return -1;
    unsigned char *e = p;
    if (t->n)
        memcpy(e, t->ent, (size_t)t->n * t->stride);
    memset(e + (size_t)t->n * t->stride, 0, (size_t)(cap - t->n) * t->stride);
    for (uint32_t id = 0; id < t->n; id++) {
        st_entry *x = (st_entry *)(void *)(e + (size_t)id * t->stride);
        const unsigned char *old_inl =
            t->ent + (size_t)id * t->stride + sizeof(st_entry) + t->elsize;
        if ((const unsigned char *)x->s == old_inl)
            x->s = (const char *)x + sizeof(st_entry) + t->elsize;
    }
    free(t->ent);
    t->ent = e;
    t->cap = cap;
    return 0;
}

int64_t st_intern_get(st_intern *t, const char *s, size_t n, uint32_t h, int *isnew)
{
    *isnew = 0;
    if (!t->slot && rehash(t) < 0)
        return -1;
    uint32_t i = h & t->mask;
    for (uint64_t v; (v = t->slot[i]) != 0; i = (i + 1) & t->mask) {
        if ((uint32_t)(v >> 32) != h)
            continue;
        const st_entry *e = st_ent(t, (uint32_t)v - 1);
        if (e->len == n && memcmp(e->s, s, n) == 0)
            return (uint32_t)v - 1;
    }
    if (n > UINT32_MAX || t->n >= t->mask) /* keep an empty slot: probes end */
        return -1;
    if (t->n == t->cap && grow_ids(t) < 0)
        return -1;
    uint32_t id = t->n;
    st_entry *e = st_ent(t, id);
    char *copy = (char *)e + sizeof(st_entry) + t->elsize;
    if (n < t->inl) {
        memcpy(copy, s, n);
        copy[n] = '\0';
    } else if (!(copy = st_pool_strndup(t->pool, s, n))) {
        return -1;
    }
    t->n++;
    e->s = copy;
    e->len = (uint32_t)n;
    e->hash = h;
    t->slot[i] = (uint64_t)h << 32 | (id + 1);
    *isnew = 1;
    if ((uint64_t)t->n * 2 > (uint64_t)t->mask + 1 && rehash(t) < 0) {
        /* the id is stored; the table is only fuller than we like */
    }
    return id;
}
