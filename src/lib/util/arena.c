/* arena.c - bump allocator (see arena.h).  Blocks of 4 KiB, or larger for big requests. */
#include "arena.h"

#include <stdlib.h>
#include <string.h>

#define BLOCK_SIZE 4096
#define SPARE_MAX 16 /* blocks mm_arena_reset() keeps: 64 KiB */

void mm_arena_init(mm_arena *a)
{
    a->head = NULL;
    a->spare = NULL;
}

static void free_chain(mm_arena_block *b)
{
    while (b) {
        mm_arena_block *next = b->next;
        free(b);
        b = next;
    }
}

void mm_arena_free(mm_arena *a)
{
    free_chain(a->head);
    free_chain(a->spare);
    a->head = NULL;
    a->spare = NULL;
}

void mm_arena_reset(mm_arena *a)
{
    size_t kept = 0;
    for (mm_arena_block *s = a->spare; s; s = s->next)
        kept++;
    mm_arena_block *b = a->head;
    while (b) {
        mm_arena_block *next = b->next;
        if (b->cap == BLOCK_SIZE && kept < SPARE_MAX) {
            b->used = 0;
            b->next = a->spare;
            a->spare = b;
            kept++;
        } else {
            free(b);
        }
        b = next;
    }
    a->head = NULL;
}

/* A block for n bytes: a spare one when it fits, else a new one. */
static mm_arena_block *new_block(mm_arena *a, size_t n)
{
    mm_arena_block *b = a->spare;
    if (b && n <= BLOCK_SIZE) {
        a->spare = b->next;
        return b;
    }
    size_t cap = n > BLOCK_SIZE ? n : BLOCK_SIZE;
    b = malloc(sizeof *b + cap);
    if (!b)
        return NULL;
    b->used = 0;
    b->cap = cap;
    return b;
}

void *mm_arena_alloc_block(mm_arena *a, size_t n)
{
    /* n is rounded already (mm_arena_alloc) */
    mm_arena_block *b = new_block(a, n);
    if (!b)
        return NULL;
    b->next = a->head;
    a->head = b;
    b->used = n;
    return b->mem;
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
