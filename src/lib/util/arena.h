/*
 * arena.h - bump allocator for the many small strings of one parse result.
 * Everything allocated from an arena is freed by one mm_arena_free(), which
 * is how a report is "one tree freed by one call".
 */
#ifndef MM_UTIL_ARENA_H
#define MM_UTIL_ARENA_H

#include <stddef.h>

typedef struct mm_arena_block mm_arena_block;
struct mm_arena_block {
    mm_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char mem[];
};
typedef struct mm_arena {
    mm_arena_block *head;
    mm_arena_block *spare; /* emptied blocks kept by mm_arena_reset() for reuse */
} mm_arena;

void mm_arena_init(mm_arena *a);
void mm_arena_free(mm_arena *a);
/*
 * Forget everything allocated, as mm_arena_free() does, but keep up to 16
 * blocks of the usual size for the next allocations: an arena reused for
 * one parse after another then asks malloc for nothing in the common case.
 */
void mm_arena_reset(mm_arena *a);
/* mm_arena_alloc() when the newest block has no room: a new block. */
void *mm_arena_alloc_block(mm_arena *a, size_t n);
/*
 * n bytes, 16-aligned; NULL on out of memory.  Inline: the parse and the
 * decoders ask tens of times per message, and the block almost always has
 * room.
 */
static inline void *mm_arena_alloc(mm_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    mm_arena_block *b = a->head;
    if (b && b->cap - b->used >= n) {
        void *p = b->mem + b->used;
        b->used += n;
        return p;
    }
    return mm_arena_alloc_block(a, n);
}
/* Copy n bytes and add a NUL; NULL on out of memory. */
char *mm_arena_strndup(mm_arena *a, const char *s, size_t n);
char *mm_arena_strdup(mm_arena *a, const char *s);

#endif
