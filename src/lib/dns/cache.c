/* cache.c - hash table with an LRU list of finished entries (see cache.h). */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

enum { MIN_SLOTS = 1024 };

uint32_t mm_lru_hash(const char *s)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    while (*s)
        h = (h ^ (unsigned char)*s++) * 16777619u;
    return h;
}

mm_lru_entry *mm_lru_find(const mm_lru *t, const char *key, uint32_t h)
{
    for (mm_lru_entry *e = t->slots[h & (t->nslots - 1)]; e; e = e->hnext)
        if (e->hash == h && strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

int mm_lru_grow(mm_lru *t)
{
    size_t ns = t->nslots ? t->nslots * 2 : MIN_SLOTS;
    mm_lru_entry **s = calloc(ns, sizeof *s);
    if (!s)
        return -1;
    for (size_t i = 0; i < t->nslots; i++)
        for (mm_lru_entry *e = t->slots[i], *next; e; e = next) {
            next = e->hnext;
            e->hnext = s[e->hash & (ns - 1)];
            s[e->hash & (ns - 1)] = e;
        }
    free(t->slots);
    t->slots = s;
    t->nslots = ns;
    return 0;
}

int mm_lru_add(mm_lru *t, mm_lru_entry *e)
{
    if (t->n >= t->nslots && mm_lru_grow(t) != 0 && !t->nslots)
        return -1; /* a failed growth only lengthens chains */
    mm_lru_entry **slot = &t->slots[e->hash & (t->nslots - 1)];
    e->hnext = *slot;
    *slot = e;
    t->n++;
    return 0;
}

void mm_lru_remove(mm_lru *t, mm_lru_entry *e)
{
    mm_lru_entry **p = &t->slots[e->hash & (t->nslots - 1)];
    while (*p != e)
        p = &(*p)->hnext;
    *p = e->hnext;
    t->n--;
    if (e->done) {
        if (e->lprev)
            e->lprev->lnext = e->lnext;
        else
            t->lru_head = e->lnext;
        if (e->lnext)
            e->lnext->lprev = e->lprev;
        else
            t->lru_tail = e->lprev;
        t->ndone--;
    }
}

static void lru_front(mm_lru *t, mm_lru_entry *e)
{
    e->lprev = NULL;
    e->lnext = t->lru_head;
    if (t->lru_head)
        t->lru_head->lprev = e;
    else
        t->lru_tail = e;
    t->lru_head = e;
}

void mm_lru_touch(mm_lru *t, mm_lru_entry *e)
{
    if (t->lru_head == e)
        return;
    e->lprev->lnext = e->lnext; /* not the head, so it has a predecessor */
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        t->lru_tail = e->lprev;
    lru_front(t, e);
}

void mm_lru_done(mm_lru *t, mm_lru_entry *e)
{
    e->done = 1;
    t->ndone++;
    lru_front(t, e);
}
