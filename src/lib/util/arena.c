/* arena.c - bump allocator (see arena.h).  Blocks of 4 KiB, or larger for big requests. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

struct mm_arena_block {
    mm_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
};

void mm_arena_init(mm_arena *a)
{
    a->head = NULL;
}

void mm_arena_free(mm_arena *a)
{
    mm_arena_block *b = a->head;
    while (b) {
        mm_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}

void *mm_arena_alloc(mm_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    mm_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > 4096 ? n : 4096;
        b = malloc(sizeof *b + cap);
        if (!b)
            return NULL;
        b->used = 0;
        b->cap = cap;
        b->next = a->head;
        a->head = b;
    }
    void *p = b->mem + b->used;
    b->used += n;
    return p;
}

char *mm_arena_strndup(mm_arena *a, const char *s, size_t n)
{
    char *p = mm_arena_alloc(a, n + 1);
    if (!p)
        return NULL;
    if (n) /* s may be NULL when n is 0 (an empty header value) */
        memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *mm_arena_strdup(mm_arena *a, const char *s)
{
    return mm_arena_strndup(a, s ? s : "", s ? strlen(s) : 0);
}
