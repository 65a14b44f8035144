/*
 * cache.h - a string-keyed hash table whose finished entries also sit on an
 * LRU list, for the per-run caches of mailcheck.c.  Entries are embedded in
 * the caller's structs (first member); the table never allocates or frees
 * them.  Only entries marked done are on the LRU list, so eviction (the
 * caller's, from the tail) never touches work still under way.
 */
#ifndef MM_DNS_CACHE_H
#define MM_DNS_CACHE_H

#include <stddef.h>
#include <stdint.h>

typedef struct mm_lru_entry mm_lru_entry;
struct mm_lru_entry {
    mm_lru_entry *hnext;
    mm_lru_entry *lprev, *lnext;
    uint32_t hash;
    int done;
    char *key;
};

typedef struct mm_lru {
    mm_lru_entry **slots;
    size_t nslots, n;
    mm_lru_entry *lru_head, *lru_tail; /* finished entries, most recent first */
    size_t ndone;
} mm_lru;

/* FNV-1a of a C string. */
uint32_t mm_lru_hash(const char *s);
/* The entry with key (hash h), or NULL. */
mm_lru_entry *mm_lru_find(const mm_lru *t, const char *key, uint32_t h);
/* Double the slots (the first call makes 1024); -1 on out of memory. */
int mm_lru_grow(mm_lru *t);
/* Insert e (key and hash set); -1 only when there are no slots at all. */
int mm_lru_add(mm_lru *t, mm_lru_entry *e);
/* Unlink e from the table, and from the LRU list if done. */
void mm_lru_remove(mm_lru *t, mm_lru_entry *e);
/* Mark e done: it goes to the LRU list as most recent. */
void mm_lru_done(mm_lru *t, mm_lru_entry *e);
/* A done entry was used: most recent again. */
void mm_lru_touch(mm_lru *t, mm_lru_entry *e);

#endif
