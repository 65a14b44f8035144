/*
 * str_portable.h - the portable paths of str.c's run-time dispatched
 * helpers, for tests (not installed, not for the library's own use).
 *
 * mm_memcasemem() and the others below take an AVX2 path when the CPU has
 * AVX2, else SSE2 (every x86-64) and plain C.  On an AVX2 machine the test
 * suite would never run the SSE2 paths; each mm_NAME_portable() is mm_NAME()
 * with the AVX2 path left out (the same code, see NAME_isa() in str.c), so
 * a test can run both on the same inputs.  No switch is read at run time:
 * mm_NAME() itself is unchanged.
 */
#ifndef MM_STR_PORTABLE_H
#define MM_STR_PORTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include "str.h"

const char *mm_memcasemem_portable(const char *hay, size_t n, const char *needle, size_t nlen);
bool mm_ascii_portable(const char *s, size_t n);
size_t mm_lf_then_portable(const char *s, size_t n, char a, char b, char c);
size_t mm_line_run_ci_portable(const char *s, size_t n, char a, char b, char c, size_t *starts);
const char *mm_memchr3_portable(const char *s, size_t n, char a, char b, char c);
const char *mm_memchr_nul_cr_portable(const char *s, size_t n);
bool mm_utf8_valid_portable(const char *s, size_t n);
void mm_lf_iter_fill_portable(mm_lf_iter *it);

#endif
